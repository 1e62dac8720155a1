/* clients — N consoles' worth of load on a meltcon server, for `make bench`:
 * connects N clients to the server's socket, reads everything it sends for
 * SECONDS, and prints how many snapshots and bytes each got.
 *
 *   clients SOCKET N SECONDS
 * Exit 0 if every client got a hello and at least one snapshot a second.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "proto.h"

#define MAXC 256

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: clients SOCKET N SECONDS\n");
        return 2;
    }
    int n = atoi(argv[2]);
    double secs = atof(argv[3]);
    if (n < 1 || n > MAXC || !(secs > 0)) {
        fprintf(stderr, "clients: N 1..%d, SECONDS > 0\n", MAXC);
        return 2;
    }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(argv[1]) >= sizeof a.sun_path)
        return 2;
    memcpy(a.sun_path, argv[1], strlen(argv[1]) + 1);
    static struct pollfd pfd[MAXC];
    static long snaps[MAXC], hellos[MAXC], bytes[MAXC];
    for (int i = 0; i < n; i++) {
        pfd[i].fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        pfd[i].events = POLLIN;
        if (pfd[i].fd < 0 || connect(pfd[i].fd, (struct sockaddr *)&a, sizeof a) < 0) {
            fprintf(stderr, "clients: connect %s: %s\n", argv[1], strerror(errno));
            return 1;
        }
    }
    static char buf[PROTO_MAX_MSG + 1];
    double end = clock_mono_s() + secs;
    while (clock_mono_s() < end) {
        int r = poll(pfd, (nfds_t)n, 100);
        if (r < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLHUP)))
                continue;
            ssize_t got = recv(pfd[i].fd, buf, sizeof buf - 1, MSG_DONTWAIT);
            if (got <= 0) {
                fprintf(stderr, "clients: client %d: server closed the connection\n", i);
                return 1;
            }
            bytes[i] += got;
            if (!strncmp(buf, "snap ", 5))
                snaps[i]++;
            else if (!strncmp(buf, "hello ", 6))
                hellos[i]++;
        }
    }
    long min = -1, tot = 0, totb = 0;
    int ok = 1;
    for (int i = 0; i < n; i++) {
        if (min < 0 || snaps[i] < min)
            min = snaps[i];
        tot += snaps[i];
        totb += bytes[i];
        if (!hellos[i] || snaps[i] < (long)secs)
            ok = 0;
        close(pfd[i].fd);
    }
    printf("%d clients, %.0f s: snapshots min %ld, mean %.1f per client (%.1f/s); %.0f kB/s in "
           "all\n",
           n, secs, min, (double)tot / n, (double)tot / n / secs, totb / secs / 1000);
    return ok ? 0 : 1;
}
