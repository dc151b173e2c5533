#define _GNU_SOURCE
#include "cswisor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

// Runs in the child only. Every call below is async-signal-safe: the parent may have
// other threads, and their locks are frozen in whatever state fork() caught them.
static void child_fail(int pipe_fd, int stage) {
    int report[2] = { stage, errno };
    ssize_t unused = write(pipe_fd, report, sizeof report);
    (void)unused;
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

pid_t cswisor_spawn(const char *path, char *const argv[], char *const envp[],
                    const char *cwd, int stdin_fd, int stdout_fd, int stderr_fd,
                    const int *cgroup_procs_fds, int cgroup_count,
                    int *err_errno, int *err_stage) {
    int report_pipe[2];
    if (pipe2(report_pipe, O_CLOEXEC) < 0) {
        *err_errno = errno;
        *err_stage = CSWISOR_STAGE_PIPE;
        return -1;
    }

    pid_t pid = fork();
    if (pid < 0) {
        *err_errno = errno;
        *err_stage = CSWISOR_STAGE_FORK;
        close(report_pipe[0]);
        close(report_pipe[1]);
        return -1;
    }

    if (pid == 0) {
        int wfd = report_pipe[1];
        // The daemon blocks the signals it reads through signalfd and ignores SIGPIPE;
        // both would be inherited across exec, so reset them to a clean slate.
        sigset_t empty;
        sigemptyset(&empty);
        sigprocmask(SIG_SETMASK, &empty, NULL);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (int s = 1; s < NSIG; s++) {
            if (s == SIGKILL || s == SIGSTOP) continue;
            sigaction(s, &dfl, NULL);
        }

        if (setsid() < 0) child_fail(wfd, CSWISOR_STAGE_SETSID);

        for (int i = 0; i < cgroup_count; i++) {
            // "0" means the writing process: the child is in its cgroups before it
            // execs, so no process of the app ever runs outside them.
            if (write(cgroup_procs_fds[i], "0", 1) != 1) child_fail(wfd, CSWISOR_STAGE_CGROUP);
        }

        // Order matters when a source fd is itself 0, 1 or 2: dup the sources above 2
        // first so installing one cannot overwrite another.
        int fds[3] = { stdin_fd, stdout_fd, stderr_fd };
        for (int i = 0; i < 3; i++) {
            if (fds[i] >= 0 && fds[i] < 3 && fds[i] != i) {
                int copy = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
                if (copy < 0) child_fail(wfd, CSWISOR_STAGE_STDIO);
                fds[i] = copy;
            }
        }
        for (int i = 0; i < 3; i++) {
            if (fds[i] >= 0 && move_fd(fds[i], i) < 0) child_fail(wfd, CSWISOR_STAGE_STDIO);
        }

        if (cwd != NULL && chdir(cwd) < 0) child_fail(wfd, CSWISOR_STAGE_CHDIR);

        // Belt and braces: any descriptor the daemon forgot to mark close-on-exec must
        // not leak into the app (kernels before 5.11 lack this; then it is a no-op).
        syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);

        execve(path, argv, envp);
        child_fail(wfd, CSWISOR_STAGE_EXEC);
    }

    close(report_pipe[1]);
    int report[2];
    ssize_t n;
    do {
        n = read(report_pipe[0], report, sizeof report);
    } while (n < 0 && errno == EINTR);
    close(report_pipe[0]);

    if (n == (ssize_t)sizeof report) {
        // The child failed before exec and is exiting: reap it here so the daemon's
        // reaper never sees a pid it was not told about.
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        *err_stage = report[0];
        *err_errno = report[1];
        return -1;
    }
    return pid;
}
