#define _GNU_SOURCE
#include "cswisor.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

// What the child needs, and where it reports a failure. The child shares the parent's
// memory (CLONE_VM) until it execs, so it writes the report here instead of through a
// pipe; the parent is suspended meanwhile (CLONE_VFORK) and reads it once it resumes.
struct spawn_args {
    const char *path;
    char *const *argv;
    char *const *envp;
    const char *cwd;
    int fds[3];
    const int *cgroup_procs_fds;
    int cgroup_count;
    const struct rlimit *nofile;
    volatile int err_stage;
    volatile int err_errno;
};

// Runs in the child only, on its own stack in the parent's address space: every call
// below is async-signal-safe and touches no memory but its stack and `a` (no malloc,
// no locks; errno is the parent thread's, which is suspended).
static int child_fail(struct spawn_args *a, int stage) {
    a->err_errno = errno;
    a->err_stage = stage;
    _exit(127);
}

static int move_fd(int from, int to) {
    if (from == to) {
        // dup2 to itself would keep FD_CLOEXEC; clear it instead.
        int flags = fcntl(from, F_GETFD);
        return flags < 0 ? -1 : fcntl(from, F_SETFD, flags & ~FD_CLOEXEC);
    }
    while (dup2(from, to) < 0) {
        if (errno != EINTR) return -1;
    }
    return 0;
}

static int child_main(void *arg) {
    struct spawn_args *a = arg;
    // Every signal is blocked on entry (the parent blocked them around clone): a
    // handler must not run here, on the parent's memory. Dispositions back to the
    // defaults (the daemon ignores SIGPIPE, and an exec keeps ignored signals), then
    // the empty mask the app starts with (the daemon blocks what it reads through
    // signalfd, and a mask survives exec).
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        sigaction(s, &dfl, NULL);
    }
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);

    if (setsid() < 0) child_fail(a, CSWISOR_STAGE_SETSID);

    for (int i = 0; i < a->cgroup_count; i++) {
        // "0" means the writing process: the child is in its cgroups before it
        // execs, so no process of the app ever runs outside them.
        if (write(a->cgroup_procs_fds[i], "0", 1) != 1) child_fail(a, CSWISOR_STAGE_CGROUP);
    }

    // Order matters when a source fd is itself 0, 1 or 2: dup the sources above 2
    // first so installing one cannot overwrite another.
    int fds[3] = { a->fds[0], a->fds[1], a->fds[2] };
    for (int i = 0; i < 3; i++) {
        if (fds[i] >= 0 && fds[i] < 3 && fds[i] != i) {
            int copy = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
            if (copy < 0) child_fail(a, CSWISOR_STAGE_STDIO);
            fds[i] = copy;
        }
    }
    for (int i = 0; i < 3; i++) {
        if (fds[i] >= 0 && move_fd(fds[i], i) < 0) child_fail(a, CSWISOR_STAGE_STDIO);
    }

    if (a->cwd != NULL && chdir(a->cwd) < 0) child_fail(a, CSWISOR_STAGE_CHDIR);

    // The daemon raised its own open-file limit; the app gets the one it was given.
    if (a->nofile != NULL && setrlimit(RLIMIT_NOFILE, a->nofile) < 0) child_fail(a, CSWISOR_STAGE_RLIMIT);

    // Belt and braces: any descriptor the daemon forgot to mark close-on-exec must
    // not leak into the app (kernels before 5.11 lack this; then it is a no-op).
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);

    execve(a->path, a->argv, a->envp);
    child_fail(a, CSWISOR_STAGE_EXEC);
    return 127;
}

// The child's stack: it runs only until exec, on a few hundred bytes of it.
#define CHILD_STACK_SIZE (64 * 1024)

pid_t cswisor_spawn(const char *path, char *const argv[], char *const envp[],
                    const char *cwd, int stdin_fd, int stdout_fd, int stderr_fd,
                    const int *cgroup_procs_fds, int cgroup_count,
                    const struct rlimit *nofile,
                    int *err_errno, int *err_stage) {
    struct spawn_args a = {
        .path = path, .argv = argv, .envp = envp, .cwd = cwd,
        .fds = { stdin_fd, stdout_fd, stderr_fd },
        .cgroup_procs_fds = cgroup_procs_fds, .cgroup_count = cgroup_count,
        .nofile = nofile, .err_stage = 0, .err_errno = 0,
    };
    void *stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        *err_errno = errno;
        *err_stage = CSWISOR_STAGE_FORK;
        return -1;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    // A vfork-style clone, as posix_spawn does it: the child borrows the parent's
    // memory instead of copying its page tables (fork of the daemon copied them for
    // every app and the exec threw them away: most of a spawn's cost; issue 15), and
    // the parent resumes once the child has exec'd or failed.
    pid_t pid = clone(child_main, (char *)stack + CHILD_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    munmap(stack, CHILD_STACK_SIZE);
    if (pid < 0) {
        *err_errno = clone_errno;
        *err_stage = CSWISOR_STAGE_FORK;
        return -1;
    }
    if (a.err_stage != 0) {
        // The child failed before exec and has exited: reap it here so the daemon's
        // reaper never sees a pid it was not told about.
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        *err_stage = a.err_stage;
        *err_errno = a.err_errno;
        return -1;
    }
    return pid;
}
