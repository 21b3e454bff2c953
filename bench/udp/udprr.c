/*
 * UDP request/response for compare.sh, in C so that the load side is not what limits the rate:
 *   udprr echo HOST PORT...                                   echo every datagram back, until killed
 *   udprr client HOST:PORT SOCKETS WINDOW SIZE WARMUP SECONDS   windowed closed loop: each socket keeps
 *       WINDOW (at most 64) datagrams of SIZE bytes in flight, received and sent with recvmmsg/sendmmsg;
 *       prints "ops seconds p50 p90 p99 p999 max errors" (µs) for the measured window after WARMUP seconds. A datagram unanswered for 1 s counts as an error
 *       and is replaced, so a lossy proxy cannot stall the window.
 * Single-threaded, epoll, non-blocking sockets. On this machine (one core for client and echo) direct
 * reaches ~210k replies/s with 16 sockets x 4, against the Netty loadgen's ~40k.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_US 1000000
#define BATCH 64

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t) t.tv_sec * 1000000000u + t.tv_nsec;
}

static int udp_socket(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) { perror("socket"); exit(1); }
    return fd;
}

static void addr(const char *host, int port, struct sockaddr_in *a) {
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) { fprintf(stderr, "bad address %s\n", host); exit(2); }
}

static int echo(const char *host, int nports, char **ports) {
    int ep = epoll_create1(0);
    for (int i = 0; i < nports; i++) {
        struct sockaddr_in a;
        addr(host, atoi(ports[i]), &a);
        int fd = udp_socket();
        if (bind(fd, (struct sockaddr *) &a, sizeof a) < 0) { perror("bind"); return 1; }
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    printf("udp echo ready\n");
    fflush(stdout);
    static char bufs[BATCH][2048];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_in from[BATCH];
    for (;;) {
        struct epoll_event evs[16];
        int n = epoll_wait(ep, evs, 16, -1);
        for (int e = 0; e < n; e++) {
            int fd = evs[e].data.fd;
            for (;;) {
                for (int i = 0; i < BATCH; i++) {
                    iov[i] = (struct iovec) {bufs[i], sizeof bufs[i]};
                    msgs[i].msg_hdr = (struct msghdr) {.msg_name = &from[i], .msg_namelen = sizeof from[i],
                                                       .msg_iov = &iov[i], .msg_iovlen = 1};
                }
                int got = recvmmsg(fd, msgs, BATCH, 0, NULL);
                if (got <= 0) break;
                for (int i = 0; i < got; i++) iov[i].iov_len = msgs[i].msg_len;
                sendmmsg(fd, msgs, got, 0);
            }
        }
    }
}

static uint32_t hist[MAX_US + 1];

static long pct(uint64_t total, double p) {
    uint64_t want = (uint64_t) (total * p / 100.0), seen = 0;
    for (long us = 0; us <= MAX_US; us++) {
        seen += hist[us];
        if (seen > want) return us;
    }
    return MAX_US;
}

static int client(char *target, int sockets, int window, int size, double warmup, double seconds) {
    char *colon = strrchr(target, ':');
    if (!colon) { fprintf(stderr, "target must be HOST:PORT\n"); return 2; }
    *colon = 0;
    struct sockaddr_in a;
    addr(target, atoi(colon + 1), &a);
    int ep = epoll_create1(0);
    int *fds = calloc(sockets, sizeof *fds);
    /* per socket and slot: the send time; the slot number travels in the datagram's first bytes */
    uint64_t *sent = calloc((size_t) sockets * window, sizeof *sent);
    char buf[2048];
    memset(buf, 'x', sizeof buf);
    if (size < 8) size = 8;
    if (window > BATCH) window = BATCH;
    static char bufs[BATCH][2048];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    memset(bufs, 'x', sizeof bufs);
    for (int i = 0; i < BATCH; i++) {
        iov[i] = (struct iovec) {bufs[i], sizeof bufs[i]};
        msgs[i].msg_hdr = (struct msghdr) {.msg_iov = &iov[i], .msg_iovlen = 1};
    }
    for (int s = 0; s < sockets; s++) {
        fds[s] = udp_socket();
        if (connect(fds[s], (struct sockaddr *) &a, sizeof a) < 0) { perror("connect"); return 1; }
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = s};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[s], &ev);
        for (uint32_t w = 0; w < (uint32_t) window; w++) {
            memcpy(buf, &w, 4);
            sent[(size_t) s * window + w] = now_ns();
            send(fds[s], buf, size, 0);
        }
    }
    uint64_t start = now_ns();
    uint64_t measure_from = start + (uint64_t) (warmup * 1e9);
    uint64_t end = measure_from + (uint64_t) (seconds * 1e9);
    uint64_t ops = 0, errors = 0, max_us = 0, last_sweep = start;
    for (;;) {
        uint64_t t = now_ns();
        if (t >= end) break;
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 100);
        for (int e = 0; e < n; e++) {
            int s = evs[e].data.u32;
            for (;;) {
                /* at most WINDOW replies are due on a socket: take them, and send their successors, in one call each */
                int got = recvmmsg(fds[s], msgs, window, 0, NULL);
                if (got <= 0) break;
                uint64_t t2 = now_ns();
                int out = 0;
                for (int i = 0; i < got; i++) {
                    uint32_t w;
                    if (msgs[i].msg_len < 4) continue;
                    memcpy(&w, bufs[i], 4);
                    if (w >= (uint32_t) window) continue;
                    uint64_t *slot = &sent[(size_t) s * window + w];
                    if (*slot && t2 >= measure_from && t2 < end) {
                        uint64_t us = (t2 - *slot) / 1000;
                        if (us > MAX_US) us = MAX_US;
                        if (us > max_us) max_us = us;
                        hist[us]++;
                        ops++;
                    }
                    *slot = t2;
                    memcpy(bufs[out], &w, 4);
                    iov[out].iov_len = size;
                    out++;
                }
                sendmmsg(fds[s], msgs, out, 0);
                for (int i = 0; i < window; i++) iov[i].iov_len = sizeof bufs[i];
            }
        }
        t = now_ns();
        if (t - last_sweep > 100000000u) { /* resend what a second has not answered */
            last_sweep = t;
            for (int s = 0; s < sockets; s++) {
                for (uint32_t w = 0; w < (uint32_t) window; w++) {
                    uint64_t *slot = &sent[(size_t) s * window + w];
                    if (t - *slot > 1000000000u) {
                        if (t >= measure_from) errors++;
                        memcpy(buf, &w, 4);
                        *slot = t;
                        send(fds[s], buf, size, 0);
                    }
                }
            }
        }
    }
    printf("%lu %.3f %ld %ld %ld %ld %lu %lu\n", (unsigned long) ops, seconds, pct(ops, 50), pct(ops, 90),
           pct(ops, 99), pct(ops, 99.9), (unsigned long) max_us, (unsigned long) errors);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "echo") == 0) return echo(argv[2], argc - 3, argv + 3);
    if (argc == 8 && strcmp(argv[1], "client") == 0)
        return client(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atof(argv[6]), atof(argv[7]));
    fprintf(stderr, "usage: udprr echo HOST PORT... | udprr client HOST:PORT SOCKETS WINDOW SIZE WARMUP SECONDS\n");
    return 2;
}
