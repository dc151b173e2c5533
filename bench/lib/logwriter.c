/* The app of bench/run's logs section (issue 6): writes numbered lines to its stdout as
 * fast as the supervisor reading the pipe lets it.
 *
 *     logwriter READY GO LINES LENGTH STAMPS MODE
 *
 * It writes its pid to the file READY (so that the bench knows it is up), waits until the
 * file GO exists (so that ten writers start together, once each supervisor has them all
 * running), appends "start <CLOCK_REALTIME ns>" to STAMPS, writes LINES lines of LENGTH
 * bytes each, newline included ("000000042 xxxx...\n"), appends "end <ns>" and exits 0.
 * MODE "block": the lines go out in 4096-byte writes, as a C or Python program's stdio
 * buffer sends them into a pipe, so lines straddle writes as they do in real programs.
 * MODE "line": one write per line, as a logger that flushes every line (Node's
 * console.log, Python with -u, stderr). The bench checks afterwards that the log file
 * holds exactly these bytes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void stamp(const char *path, const char *word)
{
    struct timespec ts;
    char buf[64];
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

    if (fd < 0)
        _exit(2);
    clock_gettime(CLOCK_REALTIME, &ts);
    int n = snprintf(buf, sizeof buf, "%s %llu\n", word,
                     (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec);
    (void)!write(fd, buf, (size_t)n);
    close(fd);
}

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(1, p, n);
        if (w < 0)
            _exit(3);
        p += w;
        n -= (size_t)w;
    }
}

int main(int argc, char **argv)
{
    if (argc != 7)
        _exit(2);
    int per_line = strcmp(argv[6], "line") == 0;
    long lines = atol(argv[3]);
    long length = atol(argv[4]);
    if (lines < 1 || length < 12 || length > 4096)
        _exit(2);

    char pid[32];
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        _exit(2);
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    (void)!write(fd, pid, (size_t)n);
    close(fd);
    struct timespec ms = {0, 1000000};
    while (access(argv[2], F_OK) != 0)
        nanosleep(&ms, NULL);

    char line[4096];
    memset(line, 'x', sizeof line);
    line[length - 1] = '\n';
    char out[4096];
    size_t used = 0;

    stamp(argv[5], "start");
    for (long i = 0; i < lines; i++) {
        char digits[16];
        snprintf(digits, sizeof digits, "%09ld ", i % 1000000000L);
        memcpy(line, digits, 10);
        if (per_line) {
            write_all(line, (size_t)length);
            continue;
        }
        /* Fill the 4096-byte buffer; a line that does not fit is split across writes. */
        const char *p = line;
        size_t left = (size_t)length;
        while (left > 0) {
            size_t take = sizeof out - used < left ? sizeof out - used : left;
            memcpy(out + used, p, take);
            used += take;
            p += take;
            left -= take;
            if (used == sizeof out) {
                write_all(out, used);
                used = 0;
            }
        }
    }
    write_all(out, used);
    stamp(argv[5], "end");
    return 0;
}
