/*
 * rlink: hiredis async on libevent with reconnect. hiredis 0.14 rules apply: a reply is valid
 * only inside its callback; the context is freed by hiredis after the disconnect callback (or
 * after a failed connect's connect callback); every pending callback gets a NULL reply when the
 * context goes away. Pings carry their own timeout so a hung Redis reads as "not ready".
 */
#include "store/rlink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "engine/mem.h"
#include "store/log.h"

#define RLINK_BACKOFF_MIN_MS  100
#define RLINK_BACKOFF_MAX_MS  5000
#define RLINK_PING_TIMEOUT_MS 2000

struct rlink {
    struct event_base *base;
    struct rlink_addr addr;
    redisAsyncContext *ac;
    int connected;
    int backoff_ms;
    int logged_down;
    struct event *timer;
};

struct ping {
    struct rlink *rl;
    rlink_ping_fn cb;
    void *arg;
    int answered;
    struct event *timer;
};

int rlink_parse_addr(const char *s, struct rlink_addr *out, struct oerr *err)
{
    memset(out, 0, sizeof *out);
    out->port = 6379;
    if (s == NULL || s[0] == '\0')
        return oerr_set(err, OERR_INVALID, "empty redis address");
    const char *p = s;
    if (strncmp(p, "unix://", 7) == 0) {
        p += 7;
        if (strlen(p) >= sizeof out->path)
            return oerr_set(err, OERR_INVALID, "redis socket path too long");
        memcpy(out->path, p, strlen(p) + 1);
        return 0;
    }
    if (p[0] == '/') {
        if (strlen(p) >= sizeof out->path)
            return oerr_set(err, OERR_INVALID, "redis socket path too long");
        memcpy(out->path, p, strlen(p) + 1);
        return 0;
    }
    if (strncmp(p, "redis://", 8) == 0)
        p += 8;
    const char *at = strrchr(p, '@'); /* ignore credentials: not supported */
    if (at != NULL)
        return oerr_set(err, OERR_INVALID, "redis credentials in the address are not supported");
    const char *colon = strchr(p, ':');
    const char *slash = strchr(p, '/');
    const char *host_end = colon != NULL ? colon : (slash != NULL ? slash : p + strlen(p));
    size_t hlen = (size_t)(host_end - p);
    if (hlen == 0 || hlen >= sizeof out->host)
        return oerr_set(err, OERR_INVALID, "bad redis host in '%s'", s);
    memcpy(out->host, p, hlen);
    out->host[hlen] = '\0';
    if (colon != NULL) {
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || port < 1 || port > 65535 || (*end != '\0' && *end != '/'))
            return oerr_set(err, OERR_INVALID, "bad redis port in '%s'", s);
        out->port = (int)port;
        slash = *end == '/' ? end : NULL;
    }
    if (slash != NULL && slash[1] != '\0') {
        char *end;
        long db = strtol(slash + 1, &end, 10);
        if (*end != '\0' || db < 0 || db > 1000)
            return oerr_set(err, OERR_INVALID, "bad redis database in '%s'", s);
        out->db = (int)db;
    }
    return 0;
}

static void rl_connect(struct rlink *rl);

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rl_connect(arg);
}

static void schedule_retry(struct rlink *rl)
{
    int ms = rl->backoff_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(rl->timer, &tv);
    rl->backoff_ms = ms * 2 > RLINK_BACKOFF_MAX_MS ? RLINK_BACKOFF_MAX_MS : ms * 2;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct rlink *rl = ac->data;
    if (status != REDIS_OK) {
        if (!rl->logged_down)
            log_warn("could not connect to redis: %s", ac->errstr);
        rl->logged_down = 1;
        rl->ac = NULL; /* hiredis frees it */
        rl->connected = 0;
        schedule_retry(rl);
        return;
    }
    if (rl->logged_down)
        log_info("redis connection re-established");
    rl->logged_down = 0;
    rl->connected = 1;
    rl->backoff_ms = RLINK_BACKOFF_MIN_MS;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct rlink *rl = ac->data;
    (void)status;
    rl->ac = NULL;
    if (rl->connected && rl->timer != NULL) {
        log_warn("redis connection lost");
        rl->logged_down = 1;
        rl->connected = 0;
        schedule_retry(rl);
    }
    rl->connected = 0;
}

static void rl_connect(struct rlink *rl)
{
    redisAsyncContext *ac;
    if (rl->addr.path[0] != '\0')
        ac = redisAsyncConnectUnix(rl->addr.path);
    else
        ac = redisAsyncConnect(rl->addr.host, rl->addr.port);
    if (ac == NULL)
        mem_oom(0);
    if (ac->err) {
        if (!rl->logged_down)
            log_warn("could not connect to redis: %s", ac->errstr);
        rl->logged_down = 1;
        redisAsyncFree(ac);
        schedule_retry(rl);
        return;
    }
    ac->data = rl;
    rl->ac = ac;
    redisLibeventAttach(ac, rl->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    if (rl->addr.db != 0)
        redisAsyncCommand(ac, NULL, NULL, "SELECT %d", rl->addr.db);
}

struct rlink *rlink_new(struct event_base *base, const struct rlink_addr *addr)
{
    struct rlink *rl = xcalloc(1, sizeof *rl);
    rl->base = base;
    rl->addr = *addr;
    rl->backoff_ms = RLINK_BACKOFF_MIN_MS;
    rl->timer = evtimer_new(base, on_retry, rl);
    rl_connect(rl);
    return rl;
}

void rlink_free(struct rlink *rl)
{
    if (rl == NULL)
        return;
    struct event *t = rl->timer;
    rl->timer = NULL; /* no reconnect from on_disconnect */
    if (rl->ac != NULL)
        redisAsyncFree(rl->ac);
    event_free(t);
    free(rl);
}

int rlink_connected(const struct rlink *rl)
{
    return rl->connected;
}

static void ping_answer(struct ping *p, int ok)
{
    if (p->answered)
        return;
    p->answered = 1;
    p->cb(p->arg, ok);
}

static void on_ping_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ping_answer(arg, 0);
}

static void on_pong(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct ping *p = privdata;
    redisReply *r = reply;
    (void)ac;
    ping_answer(p, r != NULL && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0);
    event_free(p->timer);
    free(p);
}

static void on_ping_fail(evutil_socket_t fd, short what, void *arg)
{
    struct ping *p = arg;
    (void)fd;
    (void)what;
    ping_answer(p, 0);
    event_free(p->timer);
    free(p);
}

void rlink_ping(struct rlink *rl, rlink_ping_fn cb, void *arg)
{
    struct ping *p = xcalloc(1, sizeof *p);
    p->rl = rl;
    p->cb = cb;
    p->arg = arg;
    if (rl->ac == NULL || !rl->connected ||
        redisAsyncCommand(rl->ac, on_pong, p, "PING") != REDIS_OK) {
        /* answer from the loop, not from inside this call */
        p->timer = evtimer_new(rl->base, on_ping_fail, p);
        struct timeval tv = {0, 0};
        evtimer_add(p->timer, &tv);
        return;
    }
    p->timer = evtimer_new(rl->base, on_ping_timeout, p);
    struct timeval tv = {RLINK_PING_TIMEOUT_MS / 1000, (RLINK_PING_TIMEOUT_MS % 1000) * 1000};
    evtimer_add(p->timer, &tv);
}
