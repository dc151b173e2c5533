/* The app of bench/run's stop section (issue 4): a tree of 50 processes, some of which
 * escape their process group and session, run the same way under every supervisor.
 *
 *   tree MODE PIDFILE
 *
 * MODE is "cooperating" (every process exits at once, with code 0, on SIGTERM, SIGINT or
 * SIGHUP) or "stubborn" (every process ignores those three, so only SIGKILL ends it).
 * The dispositions are set at the very start of main, before any fork, and every process
 * is a fork of this one with no exec, so all 50 behave the same.
 *
 * The tree (50 long-lived processes):
 *   - the main process (1);
 *   - CHILDREN plain children of it (12), in its process group and session;
 *   - GRANDCHILDREN (12): the first GRAND_PARENTS (6) children fork GRAND_PER (2) each,
 *     also in the main process's process group and session;
 *   - ESCAPES escaped sessions (5) of ESCAPE_SIZE processes each (25): the main process
 *     forks an intermediate process, which calls setsid() (a new session and process
 *     group) and forks the escaped leader, then exits at once (the main process reaps
 *     it): the leader is re-parented to the nearest child subreaper, or to init. Each
 *     leader then forks ESCAPE_SIZE - 1 (4) children of its own, in its new session.
 *   A process-group kill of the main process's group (supervisord's stopasgroup and
 *   killasgroup) reaches the first 25 and none of the escaped 25.
 *
 * Each of the 50 appends one line "ROLE PID STARTTIME PGID SID" to PIDFILE, with a single
 * write(2) on a descriptor opened with O_APPEND (one per line, so lines never mix), once
 * it is in its final place: STARTTIME is field 22 of /proc/self/stat (clock ticks since
 * boot), so a reused pid is never taken for a survivor. The main process truncates
 * PIDFILE first. Then each process waits in pause() for a signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILDREN 12
#define GRAND_PARENTS 6
#define GRAND_PER 2
#define ESCAPES 5
#define ESCAPE_SIZE 5

static int fd = -1;

static void on_signal(int sig)
{
    (void)sig;
    _exit(0);
}

/* Field 22 of /proc/self/stat (starttime), or 0. */
static unsigned long long starttime(void)
{
    char buf[1024];
    int f = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    ssize_t n;
    char *p;
    int field;
    if (f < 0)
        return 0;
    n = read(f, buf, sizeof buf - 1);
    close(f);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    p = strrchr(buf, ')');
    if (!p)
        return 0;
    p += 2; /* field 3, the state */
    for (field = 3; field < 22 && *p; p++)
        if (*p == ' ')
            field++;
    return strtoull(p, NULL, 10);
}

static void record(const char *role)
{
    char line[160];
    int n = snprintf(line, sizeof line, "%s %ld %llu %ld %ld\n", role, (long)getpid(),
                     starttime(), (long)getpgrp(), (long)getsid(0));
    if (n > 0 && write(fd, line, (size_t)n) != n)
        _exit(3);
}

static void rest(void)
{
    for (;;)
        pause();
}

/* Forks a process that records ROLE and rests; returns in the parent only. */
static void spawn(const char *role)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("tree: fork");
        exit(2);
    }
    if (pid == 0) {
        record(role);
        rest();
    }
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    int i, j, cooperating;

    if (argc != 3 || (strcmp(argv[1], "cooperating") && strcmp(argv[1], "stubborn"))) {
        fprintf(stderr, "usage: tree cooperating|stubborn PIDFILE\n");
        return 2;
    }
    cooperating = !strcmp(argv[1], "cooperating");
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = cooperating ? on_signal : SIG_IGN;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        perror("tree: open");
        return 2;
    }
    record("main");

    for (i = 0; i < CHILDREN; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("tree: fork");
            return 2;
        }
        if (pid == 0) {
            if (i < GRAND_PARENTS)
                for (j = 0; j < GRAND_PER; j++)
                    spawn("grandchild");
            record("child");
            rest();
        }
    }

    for (i = 0; i < ESCAPES; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("tree: fork");
            return 2;
        }
        if (pid == 0) {
            /* The intermediate process: a new session, then the leader, then exit. */
            pid_t leader;
            if (setsid() < 0)
                _exit(4);
            leader = fork();
            if (leader < 0)
                _exit(4);
            if (leader == 0) {
                for (j = 1; j < ESCAPE_SIZE; j++)
                    spawn("escaped-child");
                record("escaped");
                rest();
            }
            _exit(0);
        }
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }

    rest();
    return 0;
}
