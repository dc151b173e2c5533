/* An app that speaks systemd's notify protocol through libsystemd, for the readiness
 * tests (Tests/SwisorIntegrationTests/ReadinessTests.swift).
 *   notifier ready-on FILE   READY=1 (and a STATUS=) once FILE exists, then runs on
 *   notifier watchdog FILE   READY=1, then WATCHDOG=1 every 50 ms until FILE exists,
 *                            then hangs (runs on without pinging)
 *   notifier never           never says anything
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

static int exists(const char *path) { return access(path, F_OK) == 0; }

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (strcmp(argv[1], "ready-on") == 0 && argc == 3) {
        sd_notify(0, "STATUS=waiting for the trigger");
        while (!exists(argv[2])) usleep(10000);
        sd_notifyf(0, "READY=1\nSTATUS=serving as pid %d", (int)getpid());
    } else if (strcmp(argv[1], "watchdog") == 0 && argc == 3) {
        sd_notify(0, "READY=1");
        while (!exists(argv[2])) {
            sd_notify(0, "WATCHDOG=1");
            usleep(50000);
        }
        sd_notify(0, "STATUS=hung");
    } else if (strcmp(argv[1], "never") != 0) {
        return 2;
    }
    for (;;) pause();
}
