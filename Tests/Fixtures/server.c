/* A tiny TCP server for the reload test: every instance binds the same port with
 * SO_REUSEPORT, says READY=1 once it listens, and answers each connection with
 * "ok <pid>\n". On SIGINT/SIGTERM it serves what is already queued, then exits.
 *   server serve PORT
 *   server client PORT STOPFILE OUTFILE   connects again and again until STOPFILE
 *                                         exists; writes "ok N refused R reset M" and
 *                                         the distinct pids that answered to OUTFILE
 * A refusal means no process listened at all; a reset, a connection queued at a
 * process that closed its socket (the kernel's SO_REUSEPORT limit without
 * net.ipv4.tcp_migrate_req).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

static volatile sig_atomic_t stopping = 0;
static void on_signal(int sig) { (void)sig; stopping = 1; }

static void answer(int c) {
    char line[64];
    int n = snprintf(line, sizeof line, "ok %d\n", (int)getpid());
    (void)!write(c, line, (size_t)n);
    close(c);
}

static int serve(int port) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: accept() returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 128) < 0) {
        perror("bind/listen");
        return 1;
    }
    sd_notifyf(0, "READY=1\nSTATUS=listening on %d", port);
    while (!stopping) {
        int c = accept(s, NULL, NULL);
        if (c >= 0) answer(c);
    }
    /* Drain what the kernel already queued for this socket, then go. */
    fcntl(s, F_SETFL, O_NONBLOCK);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) break;
        answer(c);
    }
    close(s);
    return 0;
}

static int client(int port, const char *stopfile, const char *outfile) {
    long ok = 0, refused = 0, failed = 0;
    int pids[64];
    int npids = 0;
    char lastError[128] = "";
    while (access(stopfile, F_OK) != 0) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((unsigned short)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        char buf[64] = {0};
        ssize_t n = -1;
        int connected = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
        if (!connected && errno == ECONNREFUSED) {
            refused++;
            close(s);
            usleep(2000);
            continue;
        }
        if (connected) n = read(s, buf, sizeof buf - 1);
        if (n > 3 && strncmp(buf, "ok ", 3) == 0) {
            if (ok++ == 0) {
                char started[4096];
                snprintf(started, sizeof started, "%s.started", outfile);
                FILE *f = fopen(started, "w");
                if (f) fclose(f);
            }
            int pid = atoi(buf + 3);
            int seen = 0;
            for (int i = 0; i < npids; i++) seen |= pids[i] == pid;
            if (!seen && npids < 64) pids[npids++] = pid;
        } else {
            failed++;
            snprintf(lastError, sizeof lastError, "%s", n < 0 ? strerror(errno) : "short answer");
        }
        close(s);
        usleep(2000);
    }
    FILE *f = fopen(outfile, "w");
    if (!f) return 1;
    fprintf(f, "ok %ld refused %ld reset %ld\n", ok, refused, failed);
    for (int i = 0; i < npids; i++) fprintf(f, "%d\n", pids[i]);
    if (failed) fprintf(f, "last error: %s\n", lastError);
    fclose(f);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve(atoi(argv[2]));
    if (argc == 5 && strcmp(argv[1], "client") == 0) return client(atoi(argv[2]), argv[3], argv[4]);
    return 2;
}
