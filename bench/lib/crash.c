/* The crashing app of bench/run's crash-to-respawn phase (issue 3).
 *
 * At the very start of main it appends "start <ns>" to the log file named by argv[1]
 * (CLOCK_REALTIME, in nanoseconds), then "exit <ns>", then calls _exit(1). Each line is one
 * write(2) on a descriptor opened with O_APPEND, with no stdio buffering, so lines of
 * successive runs never mix and none is lost when the process ends. bench/lib/benchlib.py
 * (respawn-stats) takes each respawn's latency as the next "start" minus the previous
 * "exit": from the exit of one run to the exec of the next (plus the dynamic loader, when
 * the binary could not be linked statically).
 */
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void put(int fd, const char *word)
{
    struct timespec ts;
    char buf[64];
    size_t n = strlen(word);
    unsigned long long ns;
    char digits[24];
    int d = 0;

    clock_gettime(CLOCK_REALTIME, &ts);
    ns = (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
    memcpy(buf, word, n);
    buf[n++] = ' ';
    do {
        digits[d++] = (char)('0' + ns % 10);
        ns /= 10;
    } while (ns);
    while (d)
        buf[n++] = digits[--d];
    buf[n++] = '\n';
    (void)!write(fd, buf, n);
}

int main(int argc, char **argv)
{
    int fd;

    if (argc < 2)
        _exit(2);
    fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        _exit(2);
    put(fd, "start");
    put(fd, "exit");
    _exit(1);
}
