#ifndef CSWISOR_H
#define CSWISOR_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/// Where a failed spawn stopped, reported by the child through its CLOEXEC pipe.
typedef enum {
    CSWISOR_STAGE_FORK = 1,
    CSWISOR_STAGE_SETSID = 2,
    CSWISOR_STAGE_CGROUP = 3,
    CSWISOR_STAGE_STDIO = 4,
    CSWISOR_STAGE_CHDIR = 5,
    CSWISOR_STAGE_EXEC = 6,
    CSWISOR_STAGE_PIPE = 7,
    CSWISOR_STAGE_RLIMIT = 8,
} cswisor_spawn_stage;

/// Forks a child that starts a new session (and process group), writes itself into
/// each cgroup of `cgroup_procs_fds` (open cgroup.procs files: the cgroup2 one first,
/// then v1 controllers on hybrid hosts; `cgroup_count` may be 0), installs
/// stdin/stdout/stderr, changes directory, sets RLIMIT_NOFILE to `*nofile` (unless
/// NULL) and execs `path`. Only async-signal-safe calls run in the child, which shares
/// the caller's memory until it execs (CLONE_VM | CLONE_VFORK). Returns the pid, or -1
/// with *err_errno and *err_stage set when the child could not exec (the child is
/// already reaped then).
pid_t cswisor_spawn(const char *path, char *const argv[], char *const envp[],
                    const char *cwd, int stdin_fd, int stdout_fd, int stderr_fd,
                    const int *cgroup_procs_fds, int cgroup_count,
                    const struct rlimit *nofile,
                    int *err_errno, int *err_stage);

/// Makes the caller a child subreaper: orphans of its descendants are re-parented to it.
int cswisor_set_child_subreaper(void);

int cswisor_pidfd_open(pid_t pid);
int cswisor_pidfd_send_signal(int pidfd, int sig);

/// Blocks the given signals for the calling thread and returns a signalfd for them
/// (non-blocking, close-on-exec).
int cswisor_signalfd(const int *signals, int count);
/// Reads one pending signal; returns 1 with *signo set, 0 when none is pending, -1 on error.
int cswisor_signalfd_read(int fd, int *signo);

/// Reaps one child of any kind without blocking. Returns 1 with the pid and either
/// *exit_code (>= 0) or *term_signal (> 0) set, 0 when no child has changed state,
/// -1 with errno (ECHILD when there are no children at all).
int cswisor_wait_any(pid_t *pid, int *exit_code, int *term_signal);

/// epoll's constants, which the Glibc module does not export.
static const uint32_t CSWISOR_EPOLLIN = 0x001;
/// What kernfs files (cgroup.events) raise when their content changes.
static const uint32_t CSWISOR_EPOLLPRI = 0x002;
static const uint32_t CSWISOR_EPOLLOUT = 0x004;
static const uint32_t CSWISOR_EPOLLERR = 0x008;
static const uint32_t CSWISOR_EPOLLHUP = 0x010;
static const uint32_t CSWISOR_EPOLLRDHUP = 0x2000;
static const int CSWISOR_EPOLL_CTL_ADD = 1;
static const int CSWISOR_EPOLL_CTL_DEL = 2;
static const int CSWISOR_EPOLL_CTL_MOD = 3;

int cswisor_epoll_create(void);
/// pipe2(O_CLOEXEC) and accept4(SOCK_CLOEXEC|SOCK_NONBLOCK): GNU extensions.
int cswisor_pipe_cloexec(int fds[2]);
int cswisor_accept(int listener);
/// F_SETPIPE_SZ: asks for a capacity in bytes (rounded up by the kernel); returns the
/// pipe's capacity after it (F_GETPIPE_SZ: the old one when refused, as over the user's
/// pipe-user-pages-soft without CAP_SYS_RESOURCE), or -1 with errno.
int cswisor_set_pipe_size(int fd, int bytes);
/// F_GETPIPE_SZ: the pipe's capacity in bytes, or -1 with errno.
int cswisor_get_pipe_size(int fd);
/// FIONREAD: the bytes waiting in a pipe, or -1 with errno.
int cswisor_pending_bytes(int fd);

/// epoll with the event's data as a 64-bit token (epoll_event is packed on x86-64,
/// which Swift does not import reliably).
int cswisor_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t token);
int cswisor_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int max, int timeout_ms);

/// SO_PEERCRED of a connected Unix socket.
int cswisor_peer_credentials(int fd, uid_t *uid, pid_t *pid);

/// Binds a non-blocking, close-on-exec datagram socket at `path` (a file system path,
/// or an abstract name when it starts with '@') with SO_PASSCRED on, so that every
/// datagram carries its sender's credentials. Returns the fd or -1 with errno.
int cswisor_notify_socket(const char *path);

/// Receives one datagram of at most `len` bytes. Returns its length (truncated to
/// `len`; *truncated set), 0..len, or -1 with errno (EAGAIN when none is waiting).
/// *pid is the sender's pid from SCM_CREDENTIALS (0 when absent). File descriptors
/// passed along (SCM_RIGHTS, as FDSTORE=1 sends) are closed at once: swisor keeps none.
ssize_t cswisor_notify_recv(int fd, void *buf, size_t len, pid_t *pid, uid_t *uid, int *truncated);

#endif
