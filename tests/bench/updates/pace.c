/*
 * pace: an open-loop HTTP load generator for tests/bench/updates.sh (wrk2 is not in Debian).
 * Sends UpdateJobExecution IN_PROGRESS requests at a fixed rate over keep-alive connections,
 * request k due at start + k / rate, and measures each latency from the time it was due, so
 * queueing in the client counts (no coordinated omission). Prints the achieved rate and the
 * latency percentiles; with PACE_SERIES set, also the worst latency of every second (stderr).
 *
 *   pace PORT RATE SECONDS CONNS NTHINGS
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS   512
#define MAX_SAMPLES (1 << 22)
#define BUF         8192

struct conn {
    int fd;
    int busy;
    int64_t due_ns; /* when the request in flight was due */
    char in[BUF];
    size_t len;
};

static struct conn conns[MAX_CONNS];
static int64_t samples[MAX_SAMPLES];
static size_t nsamples;
static long long non200;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long arg(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0') {
        fprintf(stderr, "pace: bad number %s\n", s);
        exit(2);
    }
    return v;
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("pace: connect");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static void send_request(struct conn *c, long thing, long seq)
{
    char body[128], req[512];
    int bl = snprintf(body, sizeof body,
                      "{\"status\":\"IN_PROGRESS\",\"statusDetails\":{\"progress\":\"%ld\"}}", seq);
    int rl = snprintf(req, sizeof req,
                      "POST /things/thing-%ld/jobs/bench HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                      thing, bl, body);
    if (write(c->fd, req, (size_t)rl) != rl) {
        perror("pace: write");
        exit(1);
    }
    c->busy = 1;
    c->len = 0;
}

/* 1 when c->in holds a whole response (headers and Content-Length body). */
static int response_done(struct conn *c, int *status)
{
    c->in[c->len < BUF ? c->len : BUF - 1] = '\0';
    char *end = strstr(c->in, "\r\n\r\n");
    if (end == NULL)
        return 0;
    size_t body = 0;
    char *cl = strstr(c->in, "Content-Length:");
    if (cl == NULL)
        cl = strstr(c->in, "content-length:");
    if (cl != NULL && cl < end)
        body = (size_t)strtol(cl + 15, NULL, 10);
    if (c->len < (size_t)(end + 4 - c->in) + body)
        return 0;
    *status = (int)strtol(c->in + 9, NULL, 10);
    return 1;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(double p)
{
    if (nsamples == 0)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)(nsamples - 1) + 0.5);
    return (double)samples[i] / 1e6;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: pace PORT RATE SECONDS CONNS NTHINGS\n");
        return 2;
    }
    int port = (int)arg(argv[1]);
    double rate = (double)arg(argv[2]);
    int64_t seconds = arg(argv[3]);
    int nconns = (int)arg(argv[4]);
    long nthings = arg(argv[5]);
    if (nconns < 1 || nconns > MAX_CONNS || rate <= 0 || nthings < 1) {
        fprintf(stderr, "pace: bad arguments\n");
        return 2;
    }
    int series = getenv("PACE_SERIES") != NULL; /* the worst latency of every second */
    int series_sec = -1;
    int64_t series_max = 0;
    int ep = epoll_create1(0);
    for (int i = 0; i < nconns; i++) {
        conns[i].fd = dial(port);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    }
    int64_t start = now_ns(), stop = start + seconds * 1000000000;
    int64_t interval = (int64_t)(1e9 / rate);
    long sent = 0, inflight = 0;
    int next_conn = 0;
    for (;;) {
        int64_t t = now_ns();
        int all_busy = 0;
        /* send every request that is due, on idle connections */
        while (start + sent * interval <= t && start + sent * interval < stop) {
            int found = -1;
            for (int k = 0; k < nconns; k++) {
                int i = (next_conn + k) % nconns;
                if (!conns[i].busy) {
                    found = i;
                    break;
                }
            }
            if (found < 0) {
                all_busy = 1;
                break;
            } /* all busy: the request waits, its latency counts from when it was due */
            next_conn = (found + 1) % nconns;
            conns[found].due_ns = start + sent * interval;
            send_request(&conns[found], sent % nthings + 1, sent);
            sent++;
            inflight++;
        }
        if (start + sent * interval >= stop && inflight == 0)
            break;
        int64_t wait_ns = start + sent * interval - now_ns();
        if (wait_ns < 0)
            wait_ns = 0;
        if (start + sent * interval >= stop || all_busy)
            wait_ns = 100000000; /* only a response can let anything happen now */
        struct timespec ts = {wait_ns / 1000000000, wait_ns % 1000000000};
        struct epoll_event evs[64];
        int n = epoll_pwait2(ep, evs, 64, &ts, NULL);
        for (int e = 0; e < n; e++) {
            struct conn *c = &conns[evs[e].data.u32];
            ssize_t r = read(c->fd, c->in + c->len, BUF - 1 - c->len);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN)
                    continue;
                fprintf(stderr, "pace: connection closed\n");
                return 1;
            }
            c->len += (size_t)r;
            int status;
            if (c->busy && response_done(c, &status)) {
                if (status != 200)
                    non200++;
                int64_t lat = now_ns() - c->due_ns;
                if (nsamples < MAX_SAMPLES)
                    samples[nsamples++] = lat;
                if (series) {
                    int sec = (int)((c->due_ns - start) / 1000000000);
                    if (sec != series_sec) {
                        if (series_sec >= 0)
                            fprintf(stderr, "second %d: max %.1f ms\n", series_sec,
                                    (double)series_max / 1e6);
                        series_sec = sec;
                        series_max = 0;
                    }
                    if (lat > series_max)
                        series_max = lat;
                }
                c->busy = 0;
                inflight--;
            }
        }
        if (now_ns() > stop + 30 * (int64_t)1000000000) {
            fprintf(stderr, "pace: responses still missing 30 s after the end\n");
            return 1;
        }
    }
    double secs = (double)(now_ns() - start) / 1e9;
    qsort(samples, nsamples, sizeof samples[0], cmp64);
    printf("requests %zu in %.1f s = %.0f/s (target %.0f/s), non-200 %lld\n", nsamples, secs,
           (double)nsamples / secs, rate, non200);
    printf("latency ms: p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f\n", pct(50), pct(90),
           pct(99), pct(99.9), pct(100));
    return 0;
}
