/* mbtool — a tiny Modbus TCP client and helper for the shell tests, so they
 * need nothing but what the project builds (any standard Modbus tool would
 * do the same).
 *
 *   mbtool freeport                       print a free TCP port on 127.0.0.1
 *   mbtool read PORT ir|hr|di|co ADDR N   print N values, space separated
 *   mbtool write PORT ADDR V...           write holding registers (FC16)
 *   mbtool garbage PORT                   send junk and a half frame, then hang up
 * Exit 0, or 1 with the error (a Modbus exception prints "exception N").
 */
#include <errno.h>
#include <modbus.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int freeport(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &l) < 0)
        return 1;
    printf("%d\n", ntohs(a.sin_port));
    close(fd);
    return 0;
}

static int garbage(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        return 1;
    const char junk[] = "GET / HTTP/1.0\r\n\r\n\x00\x01\x00\x00\x00\x06\x01";
    ssize_t n = send(fd, junk, sizeof junk - 1, MSG_NOSIGNAL);
    close(fd);
    return n > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "freeport"))
        return freeport();
    if (argc < 3) {
        fprintf(stderr, "usage: mbtool freeport | read PORT TABLE ADDR N | write PORT ADDR V... | "
                        "garbage PORT\n");
        return 2;
    }
    int port = atoi(argv[2]);
    if (!strcmp(argv[1], "garbage"))
        return garbage(port);
    modbus_t *mb = modbus_new_tcp("127.0.0.1", port);
    if (!mb || modbus_connect(mb) < 0) {
        fprintf(stderr, "mbtool: connect %d: %s\n", port, modbus_strerror(errno));
        return 1;
    }
    modbus_set_response_timeout(mb, 1, 0);
    int rc = -1;
    if (!strcmp(argv[1], "read") && argc == 6) {
        int addr = atoi(argv[4]), n = atoi(argv[5]);
        uint16_t r[125];
        uint8_t b[2000];
        if (n < 1 || n > 125)
            n = 1;
        const char *t = argv[3];
        if (!strcmp(t, "ir"))
            rc = modbus_read_input_registers(mb, addr, n, r);
        else if (!strcmp(t, "hr"))
            rc = modbus_read_registers(mb, addr, n, r);
        else if (!strcmp(t, "di"))
            rc = modbus_read_input_bits(mb, addr, n, b);
        else if (!strcmp(t, "co"))
            rc = modbus_read_bits(mb, addr, n, b);
        for (int i = 0; rc > 0 && i < n; i++)
            printf("%s%d", i ? " " : "", t[1] == 'r' ? (int)r[i] : (int)b[i]);
        if (rc > 0)
            printf("\n");
    } else if (!strcmp(argv[1], "write") && argc >= 5) {
        uint16_t v[120];
        int n = 0;
        for (int i = 4; i < argc && n < 120; i++)
            v[n++] = (uint16_t)atoi(argv[i]);
        rc = modbus_write_registers(mb, atoi(argv[3]), n, v);
    } else {
        fprintf(stderr, "mbtool: bad arguments\n");
        modbus_free(mb);
        return 2;
    }
    if (rc < 0) {
        if (errno > MODBUS_ENOBASE)
            printf("exception %d\n", errno - MODBUS_ENOBASE);
        fprintf(stderr, "mbtool: %s\n", modbus_strerror(errno));
    }
    modbus_close(mb);
    modbus_free(mb);
    return rc < 0 ? 1 : 0;
}
