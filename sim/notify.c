/*
 * notify: the notify-stream reader (see notify.h). Set-up and tear-down (XGROUP CREATE and
 * DESTROY) use a blocking hiredis context; reading uses an async context attached to the
 * libevent loop with exactly one XREADGROUP outstanding at a time. A lost connection is
 * re-established after a short pause; the group keeps its position, so nothing written in
 * between is missed (entries already delivered are not redelivered: NOACK).
 */
#include "sim/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "engine/mem.h"

#define READ_COUNT        "1000"
#define READ_BLOCK_MS     "1000"
#define RECONNECT_MS      200
#define CONNECT_TIMEOUT_S 5

struct notify {
    struct event_base *base;
    char host[256], path[256];
    int port, db, shards;
    char *prefix, *group;
    char **streams;    /* shards names */
    const char **argv; /* the XREADGROUP command */
    size_t *argvlen;
    int argc;
    redisAsyncContext *ac;
    struct event *retry;
    int closing;
    int created; /* groups created (destroyed by notify_free) */
    notify_fn fn;
    void *arg;
    int64_t received, misrouted, errors;
};

unsigned notify_shard(const char *thing, int shards)
{
    /* README "Redis contract" (written by store/relay.c): FNV-1a 32-bit, then mod shards */
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)thing; *p != '\0'; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return shards > 0 ? h % (unsigned)shards : 0;
}

/* The rlink address forms: unix://PATH, /PATH, [redis://]HOST[:PORT][/DB]. */
static int parse_addr(struct notify *n, const char *s, struct oerr *err)
{
    n->port = 6379;
    if (s == NULL || s[0] == '\0')
        return oerr_set(err, OERR_INVALID, "--redis: empty address");
    const char *p = strncmp(s, "unix://", 7) == 0 ? s + 7 : s;
    if (p[0] == '/') {
        if (strlen(p) >= sizeof n->path)
            return oerr_set(err, OERR_INVALID, "--redis: socket path too long");
        memcpy(n->path, p, strlen(p) + 1);
        return 0;
    }
    if (strncmp(p, "redis://", 8) == 0)
        p += 8;
    size_t hlen = strcspn(p, ":/");
    if (hlen == 0 || hlen >= sizeof n->host)
        return oerr_set(err, OERR_INVALID, "--redis: bad host in '%s'", s);
    memcpy(n->host, p, hlen);
    n->host[hlen] = '\0';
    p += hlen;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535 || (*end != '\0' && *end != '/'))
            return oerr_set(err, OERR_INVALID, "--redis: bad port in '%s'", s);
        n->port = (int)port;
        p = end;
    }
    if (*p == '/' && p[1] != '\0') {
        char *end;
        long db = strtol(p + 1, &end, 10);
        if (end == p + 1 || *end != '\0' || db < 0 || db > 1000)
            return oerr_set(err, OERR_INVALID, "--redis: bad database in '%s'", s);
        n->db = (int)db;
    }
    return 0;
}

static redisContext *connect_sync(const struct notify *n, struct oerr *err)
{
    struct timeval tv = {CONNECT_TIMEOUT_S, 0};
    redisContext *c = n->path[0] != '\0' ? redisConnectUnixWithTimeout(n->path, tv)
                                         : redisConnectWithTimeout(n->host, n->port, tv);
    if (c == NULL || c->err) {
        oerr_set(err, OERR_UNAVAILABLE, "could not connect to redis at %s: %s",
                 n->path[0] != '\0' ? n->path : n->host, c != NULL ? c->errstr : "no memory");
        if (c != NULL)
            redisFree(c);
        return NULL;
    }
    if (n->db > 0) {
        redisReply *r = redisCommand(c, "SELECT %d", n->db);
        int bad = r == NULL || r->type == REDIS_REPLY_ERROR;
        if (r != NULL)
            freeReplyObject(r);
        if (bad) {
            oerr_set(err, OERR_UNAVAILABLE, "redis: SELECT %d failed", n->db);
            redisFree(c);
            return NULL;
        }
    }
    return c;
}

static void read_next(struct notify *n);

static void dispatch(struct notify *n, const redisReply *streams)
{
    for (size_t s = 0; s < streams->elements; s++) {
        const redisReply *st = streams->element[s];
        if (st->type != REDIS_REPLY_ARRAY || st->elements != 2 ||
            st->element[0]->type != REDIS_REPLY_STRING || st->element[1]->type != REDIS_REPLY_ARRAY)
            continue;
        const char *name = st->element[0]->str;
        size_t plen = strlen(n->prefix) + strlen("notify:");
        long shard = strlen(name) > plen ? strtol(name + plen, NULL, 10) : -1;
        const redisReply *entries = st->element[1];
        for (size_t e = 0; e < entries->elements; e++) {
            const redisReply *en = entries->element[e];
            if (en->type != REDIS_REPLY_ARRAY || en->elements != 2 ||
                en->element[1]->type != REDIS_REPLY_ARRAY)
                continue;
            const redisReply *f = en->element[1];
            const char *thing = NULL, *payload = NULL;
            size_t len = 0;
            for (size_t i = 0; i + 1 < f->elements; i += 2) {
                if (f->element[i]->type != REDIS_REPLY_STRING ||
                    f->element[i + 1]->type != REDIS_REPLY_STRING)
                    continue;
                if (strcmp(f->element[i]->str, "thing") == 0)
                    thing = f->element[i + 1]->str;
                else if (strcmp(f->element[i]->str, "payload") == 0) {
                    payload = f->element[i + 1]->str;
                    len = f->element[i + 1]->len;
                }
            }
            if (thing == NULL || payload == NULL)
                continue;
            n->received++;
            if ((long)notify_shard(thing, n->shards) != shard)
                n->misrouted++;
            n->fn(n->arg, thing, payload, len);
        }
    }
}

static void on_read(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    struct notify *n = privdata;
    const redisReply *r = reply;
    if (n->closing || r == NULL)
        return; /* disconnected: on_disconnect schedules the reconnection */
    if (r->type == REDIS_REPLY_ERROR) {
        n->errors++;
        fprintf(stderr, "otasim load: redis: %s\n", r->str);
    } else if (r->type == REDIS_REPLY_ARRAY) {
        dispatch(n, r);
    }
    read_next(n);
}

static void read_next(struct notify *n)
{
    if (n->ac == NULL || n->closing)
        return;
    redisAsyncCommandArgv(n->ac, on_read, n, n->argc, n->argv, n->argvlen);
}

static void start_async(struct notify *n);

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    start_async(arg);
}

static void schedule_retry(struct notify *n)
{
    struct timeval tv = {0, RECONNECT_MS * 1000};
    if (!n->closing)
        evtimer_add(n->retry, &tv);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct notify *n = ac->data;
    (void)status;
    n->ac = NULL; /* hiredis frees the context after this callback */
    if (n->closing)
        return;
    n->errors++;
    schedule_retry(n);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct notify *n = ac->data;
    if (status != REDIS_OK) {
        n->ac = NULL; /* freed by hiredis */
        n->errors++;
        schedule_retry(n);
    }
}

static void start_async(struct notify *n)
{
    redisAsyncContext *ac =
        n->path[0] != '\0' ? redisAsyncConnectUnix(n->path) : redisAsyncConnect(n->host, n->port);
    if (ac == NULL || ac->err) {
        if (ac != NULL)
            redisAsyncFree(ac);
        n->errors++;
        schedule_retry(n);
        return;
    }
    ac->data = n;
    n->ac = ac;
    redisLibeventAttach(ac, n->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    if (n->db > 0) {
        char db[16];
        snprintf(db, sizeof db, "%d", n->db);
        const char *argv[] = {"SELECT", db};
        redisAsyncCommandArgv(ac, NULL, NULL, 2, argv, NULL);
    }
    read_next(n);
}

struct notify *notify_new(struct event_base *base, const struct notify_config *cfg, notify_fn fn,
                          void *arg, struct oerr *err)
{
    struct notify *n = xcalloc(1, sizeof *n);
    redisContext *c = NULL;
    n->base = base;
    n->fn = fn;
    n->arg = arg;
    if (parse_addr(n, cfg->redis, err) < 0)
        goto fail;
    if (cfg->shards < 1 || cfg->shards > NOTIFY_MAX_SHARDS) {
        oerr_set(err, OERR_INVALID, "notify shards must be from 1 to %d", NOTIFY_MAX_SHARDS);
        goto fail;
    }
    n->shards = cfg->shards;
    n->prefix = xstrdup(cfg->prefix);
    n->group = xstrdup(cfg->group);
    n->streams = xcalloc((size_t)n->shards, sizeof *n->streams);
    for (int i = 0; i < n->shards; i++) {
        char s[512];
        snprintf(s, sizeof s, "%snotify:%d", n->prefix, i);
        n->streams[i] = xstrdup(s);
    }
    c = connect_sync(n, err);
    if (c == NULL)
        goto fail;
    for (int i = 0; i < n->shards; i++) {
        redisReply *r = redisCommand(c, "XGROUP CREATE %s %s $ MKSTREAM", n->streams[i], n->group);
        if (r == NULL || r->type == REDIS_REPLY_ERROR) {
            oerr_set(err, OERR_UNAVAILABLE, "redis: XGROUP CREATE %s %s: %s", n->streams[i],
                     n->group, r != NULL ? r->str : c->errstr);
            if (r != NULL)
                freeReplyObject(r);
            goto fail;
        }
        freeReplyObject(r);
        n->created++;
    }
    redisFree(c);
    c = NULL;
    /* XREADGROUP GROUP g c COUNT k BLOCK ms NOACK STREAMS s... >... */
    n->argc = 10 + 2 * n->shards;
    n->argv = xcalloc((size_t)n->argc, sizeof *n->argv);
    n->argvlen = xcalloc((size_t)n->argc, sizeof *n->argvlen);
    const char *head[] = {"XREADGROUP", "GROUP", n->group,      "otasim", "COUNT",
                          READ_COUNT,   "BLOCK", READ_BLOCK_MS, "NOACK",  "STREAMS"};
    for (int i = 0; i < 10; i++)
        n->argv[i] = head[i];
    for (int i = 0; i < n->shards; i++) {
        n->argv[10 + i] = n->streams[i];
        n->argv[10 + n->shards + i] = ">";
    }
    for (int i = 0; i < n->argc; i++)
        n->argvlen[i] = strlen(n->argv[i]);
    n->retry = evtimer_new(base, on_retry, n);
    return n;
fail:
    if (c != NULL)
        redisFree(c);
    notify_free(n);
    return NULL;
}

void notify_start(struct notify *n)
{
    if (n->ac == NULL && !n->closing)
        start_async(n);
}

void notify_free(struct notify *n)
{
    if (n == NULL)
        return;
    n->closing = 1;
    if (n->retry != NULL)
        event_free(n->retry);
    if (n->ac != NULL)
        redisAsyncFree(n->ac); /* pending callbacks see NULL replies and n->closing */
    n->ac = NULL;
    if (n->created > 0) {
        struct oerr err;
        redisContext *c = connect_sync(n, &err);
        for (int i = 0; c != NULL && i < n->created; i++) {
            redisReply *r = redisCommand(c, "XGROUP DESTROY %s %s", n->streams[i], n->group);
            if (r != NULL)
                freeReplyObject(r);
        }
        if (c != NULL)
            redisFree(c);
    }
    for (int i = 0; n->streams != NULL && i < n->shards; i++)
        free(n->streams[i]);
    free(n->streams);
    free(n->argv);
    free(n->argvlen);
    free(n->prefix);
    free(n->group);
    free(n);
}

int64_t notify_received(const struct notify *n)
{
    return n->received;
}

int64_t notify_misrouted(const struct notify *n)
{
    return n->misrouted;
}

int64_t notify_errors(const struct notify *n)
{
    return n->errors;
}
