/*
 * relay: one batch is
 *
 *   BEGIN; SELECT ... FROM outbox ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED;
 *   (notify rows) read the things' next pending executions now;
 *   pipeline one XADD per row; read every reply;
 *   all acknowledged -> DELETE the rows; COMMIT        otherwise -> ROLLBACK, back off
 *
 * The thread sleeps on its PostgreSQL socket (LISTEN otad_outbox, NOTIFYed by the outbox insert
 * trigger) or one second. hiredis is used blocking, with timeouts, on this thread only.
 */
#include "store/relay.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include "engine/execution.h"
#include "engine/mem.h"
#include "engine/timefmt.h"
#include "store/clock.h"
#include "store/log.h"
#include "store/pgarray.h"

#define RELAY_BATCH          1000
#define RELAY_WAIT_MS        1000
#define RELAY_BACKOFF_MAX_MS 5000
#define REDIS_TIMEOUT_MS     5000

struct relay {
    pthread_t thread;
    int pipe[2];
    char *conninfo, *prefix, *region, *account;
    struct rlink_addr redis_addr;
    int64_t maxlen;
    int shards;
    pthread_mutex_t lock;
    struct relay_stats stats;
    int stop;
    /* thread state */
    PGconn *pg;
    redisContext *rc;
    int listening;
};

unsigned relay_notify_shard(const char *thing_id, int shards)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)thing_id; *p != '\0'; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return shards > 0 ? h % (unsigned)shards : 0;
}

static int stopping(struct relay *r)
{
    pthread_mutex_lock(&r->lock);
    int s = r->stop;
    pthread_mutex_unlock(&r->lock);
    return s;
}

static void wait_for(struct relay *r, int fd, int64_t ms)
{
    struct pollfd p[2] = {{r->pipe[0], POLLIN, 0}, {fd, POLLIN, 0}};
    poll(p, fd >= 0 ? 2 : 1, (int)ms);
}

/* ---- connections ---- */

static int pg_ready(struct relay *r)
{
    if (r->pg != NULL && PQstatus(r->pg) == CONNECTION_OK)
        return 0;
    if (r->pg != NULL)
        PQfinish(r->pg);
    r->listening = 0;
    r->pg = PQconnectdb(r->conninfo);
    if (PQstatus(r->pg) != CONNECTION_OK) {
        PQfinish(r->pg);
        r->pg = NULL;
        return -1;
    }
    PGresult *res = PQexec(r->pg, "LISTEN otad_outbox");
    r->listening = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return 0;
}

static int redis_ready(struct relay *r)
{
    if (r->rc != NULL && r->rc->err == 0)
        return 0;
    if (r->rc != NULL)
        redisFree(r->rc);
    struct timeval tv = {REDIS_TIMEOUT_MS / 1000, (REDIS_TIMEOUT_MS % 1000) * 1000};
    if (r->redis_addr.path[0] != '\0')
        r->rc = redisConnectUnixWithTimeout(r->redis_addr.path, tv);
    else
        r->rc = redisConnectWithTimeout(r->redis_addr.host, r->redis_addr.port, tv);
    if (r->rc == NULL)
        mem_oom(0);
    if (r->rc->err != 0) {
        redisFree(r->rc);
        r->rc = NULL;
        return -1;
    }
    redisSetTimeout(r->rc, tv);
    if (r->redis_addr.db != 0) {
        redisReply *rep = redisCommand(r->rc, "SELECT %d", r->redis_addr.db);
        int ok = rep != NULL && rep->type != REDIS_REPLY_ERROR;
        if (rep != NULL)
            freeReplyObject(rep);
        if (!ok) {
            redisFree(r->rc);
            r->rc = NULL;
            return -1;
        }
    }
    return 0;
}

/* ---- message building ---- */

static void message_id(char out[33])
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        memset(b, 0, sizeof b);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[32] = '\0';
}

static char *arn(struct relay *r, const char *resource, const char *id)
{
    size_t n = strlen(r->region) + strlen(r->account) + strlen(resource) + strlen(id) + 64;
    char *s = xmalloc(n);
    snprintf(s, n, "arn:aws:iotmanagedintegrations:%s:%s:%s/%s", r->region, r->account, resource,
             id);
    return s;
}

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(it) ? it->valuedouble : 0;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(it) ? it->valuestring : "";
}

/* The DEVICE_OTA envelope for a task (kind 2) or execution (kind 3) event; caller frees. */
static char *event_json(struct relay *r, int kind, const char *facts_text)
{
    cJSON *facts = cJSON_Parse(facts_text);
    if (facts == NULL)
        return NULL;
    char mid[33], ts[TIMEFMT_BUF];
    message_id(mid);
    timefmt_format_ns((int64_t)jnum(facts, "at"), 0, ts, sizeof ts);
    const char *task = jstr(facts, "task");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "version", "1.0.0");
    cJSON_AddStringToObject(o, "messageId", mid);
    cJSON_AddStringToObject(o, "messageType", "DEVICE_OTA");
    cJSON_AddStringToObject(o, "source", "aws.iotmanagedintegrations");
    cJSON_AddStringToObject(o, "customerAccountId", r->account);
    cJSON_AddStringToObject(o, "timestamp", ts);
    cJSON_AddStringToObject(o, "region", r->region);
    cJSON *res = cJSON_AddArrayToObject(o, "resources");
    char *a = arn(r, "ota-task", task);
    cJSON_AddItemToArray(res, cJSON_CreateString(a));
    free(a);
    cJSON *p = cJSON_AddObjectToObject(o, "payload");
    if (kind == 2) {
        cJSON_AddStringToObject(p, "operation", jstr(facts, "op"));
        cJSON_AddStringToObject(p, "otaTaskId", task);
        cJSON_AddStringToObject(p, "status", jstr(facts, "status"));
        cJSON_AddStringToObject(p, "otaType", jstr(facts, "type"));
    } else {
        const char *thing = jstr(facts, "thing");
        a = arn(r, "managed-thing", thing);
        cJSON_AddItemToArray(res, cJSON_CreateString(a));
        free(a);
        int s = (int)jnum(facts, "s");
        cJSON_AddStringToObject(p, "operation", "OTA_EXECUTION_STATUS");
        cJSON_AddStringToObject(p, "otaTaskId", task);
        cJSON_AddStringToObject(p, "managedThingId", thing);
        cJSON_AddNumberToObject(p, "executionNumber", jnum(facts, "n"));
        cJSON_AddStringToObject(p, "status",
                                s >= 0 && s < EXECUTION_STATUS_MAX
                                    ? execution_status_name((enum execution_status)s)
                                    : "UNKNOWN");
        cJSON_AddNumberToObject(p, "retryAttempt", jnum(facts, "r"));
    }
    cJSON_Delete(facts);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

/* Notify-next payloads for the notify rows of a batch: the current next pending execution of
   each thing (IN_PROGRESS first, then QUEUED by queued_at; QUEUED of SCHEDULED tasks hidden). */
struct pending {
    char *thing;
    char *json;
};

static int load_pending(struct relay *r, PGresult *batch, int64_t now, struct pending **out,
                        int *nout)
{
    int rows = PQntuples(batch);
    struct pgarray *things = pgarray_new();
    int n = 0;
    for (int i = 0; i < rows; i++) {
        if (strcmp(PQgetvalue(batch, i, 1), "1") == 0) {
            pgarray_text(things, PQgetvalue(batch, i, 2));
            n++;
        }
    }
    *out = NULL;
    *nout = 0;
    if (n == 0) {
        pgarray_free(things);
        return 0;
    }
    const char *arr = pgarray_str(things);
    const char *p[1] = {arr};
    PGresult *res = PQexecParams(
        r->pg,
        /* per thing, its first pending execution only (the executions_pending index) */
        "SELECT r.thing_id, x.job_id, x.status, x.queued_at, x.started_at, x.updated_at,"
        " x.version, x.execution_number"
        " FROM (SELECT DISTINCT thing_id FROM unnest($1::text[]) AS u(thing_id)) r"
        " CROSS JOIN LATERAL (SELECT t.job_id, e.status, e.queued_at, e.started_at,"
        " e.updated_at, e.version, e.execution_number"
        " FROM executions e JOIN tasks t ON t.id = e.task_id"
        " WHERE e.thing_id = r.thing_id AND e.status IN (1, 2)"
        " AND (e.status = 2 OR t.status <> 'SCHEDULED')"
        " ORDER BY (e.status = 2) DESC, e.queued_at, e.task_id LIMIT 1) x",
        1, NULL, p, NULL, NULL, 0);
    pgarray_free(things);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_warn("relay could not read pending executions: %s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    int m = PQntuples(res);
    struct pending *pd = xcalloc((size_t)m + 1, sizeof *pd);
    for (int i = 0; i < m; i++) {
        cJSON *msg = cJSON_CreateObject();
        cJSON_AddNumberToObject(msg, "timestamp", (double)(now / 1000));
        cJSON *ex = cJSON_AddObjectToObject(msg, "execution");
        cJSON_AddStringToObject(ex, "jobId", PQgetvalue(res, i, 1));
        int s = (int)strtol(PQgetvalue(res, i, 2), NULL, 10);
        cJSON_AddStringToObject(ex, "status", execution_status_name((enum execution_status)s));
        cJSON_AddNumberToObject(ex, "queuedAt",
                                (double)(strtoll(PQgetvalue(res, i, 3), NULL, 10) / 1000));
        if (!PQgetisnull(res, i, 4))
            cJSON_AddNumberToObject(ex, "startedAt",
                                    (double)(strtoll(PQgetvalue(res, i, 4), NULL, 10) / 1000));
        cJSON_AddNumberToObject(ex, "lastUpdatedAt",
                                (double)(strtoll(PQgetvalue(res, i, 5), NULL, 10) / 1000));
        cJSON_AddNumberToObject(ex, "versionNumber",
                                (double)strtoll(PQgetvalue(res, i, 6), NULL, 10));
        cJSON_AddNumberToObject(ex, "executionNumber",
                                (double)strtoll(PQgetvalue(res, i, 7), NULL, 10));
        pd[i].thing = xstrdup(PQgetvalue(res, i, 0));
        pd[i].json = cJSON_PrintUnformatted(msg);
        cJSON_Delete(msg);
    }
    PQclear(res);
    *out = pd;
    *nout = m;
    return 0;
}

static const char *pending_for(struct pending *pd, int n, const char *thing)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(pd[i].thing, thing) == 0)
            return pd[i].json;
    }
    return NULL;
}

static void pending_free(struct pending *pd, int n)
{
    for (int i = 0; i < n; i++) {
        free(pd[i].thing);
        cJSON_free(pd[i].json);
    }
    free(pd);
}

static void pg_exec(struct relay *r, const char *sql)
{
    PGresult *res = PQexec(r->pg, sql);
    PQclear(res);
}

/* Relay one batch: 1 when rows were relayed, 0 when the outbox was empty, -1 on failure. */
static int relay_batch(struct relay *r)
{
    int64_t now = clock_now_ms();
    char lim[16];
    snprintf(lim, sizeof lim, "%d", RELAY_BATCH);
    pg_exec(r, "BEGIN");
    const char *p[1] = {lim};
    PGresult *batch = PQexecParams(r->pg,
                                   "SELECT id, kind, key, payload FROM outbox ORDER BY id"
                                   " LIMIT $1::int FOR UPDATE SKIP LOCKED",
                                   1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(batch) != PGRES_TUPLES_OK) {
        log_warn("relay could not read the outbox: %s", PQresultErrorMessage(batch));
        PQclear(batch);
        pg_exec(r, "ROLLBACK");
        return -1;
    }
    int rows = PQntuples(batch);
    if (rows == 0) {
        PQclear(batch);
        pg_exec(r, "COMMIT");
        return 0;
    }
    struct pending *pd = NULL;
    int npd = 0;
    if (load_pending(r, batch, now, &pd, &npd) < 0) {
        PQclear(batch);
        pg_exec(r, "ROLLBACK");
        return -1;
    }

    char maxlen[24], stream[512];
    snprintf(maxlen, sizeof maxlen, "%" PRId64, r->maxlen);
    char empty[64];
    snprintf(empty, sizeof empty, "{\"timestamp\":%" PRId64 "}", now / 1000);
    int appended = 0, ok = 1;
    char **owned = xcalloc((size_t)rows, sizeof *owned);
    for (int i = 0; i < rows && ok; i++) {
        int kind = (int)strtol(PQgetvalue(batch, i, 1), NULL, 10);
        const char *key = PQgetvalue(batch, i, 2);
        const char *argv[10]; /* up to 9 arguments and the payload */
        size_t argl[10];
        int argc;
        if (kind == 1) {
            snprintf(stream, sizeof stream, "%snotify:%u", r->prefix,
                     relay_notify_shard(key, r->shards));
            const char *a[] = {"XADD", stream, "MAXLEN", "~", maxlen, "*", "thing", key, "payload"};
            argc = 9;
            memcpy(argv, a, sizeof a);
        } else {
            owned[i] = event_json(r, kind, PQgetvalue(batch, i, 3));
            if (owned[i] == NULL) {
                log_warn("relay dropped malformed outbox row %s", PQgetvalue(batch, i, 0));
                continue;
            }
            snprintf(stream, sizeof stream, "%sevents:%s", r->prefix, key);
            const char *a[] = {"XADD", stream, "MAXLEN", "~", maxlen, "*", "payload"};
            argc = 7;
            memcpy(argv, a, sizeof a);
        }
        for (int k = 0; k < argc; k++)
            argl[k] = strlen(argv[k]);
        const char *payload = kind == 1 ? pending_for(pd, npd, key) : owned[i];
        if (payload == NULL)
            payload = empty;
        argv[argc] = payload;
        argl[argc] = strlen(payload);
        if (redisAppendCommandArgv(r->rc, argc + 1, argv, argl) != REDIS_OK)
            ok = 0;
        else
            appended++;
    }
    /* Read the reply of every command appended, even after an error reply (WRONGTYPE, LOADING
       after a restart...): a reply left unread would be taken by the next batch as its own,
       and the pipeline would stay out of step for good. Only a lost connection stops early. */
    int refused = 0, linked = 1;
    for (int i = 0; i < appended; i++) {
        redisReply *rep = NULL;
        if (redisGetReply(r->rc, (void **)&rep) != REDIS_OK || rep == NULL) {
            linked = 0;
            break;
        }
        if (rep->type == REDIS_REPLY_ERROR) {
            if (refused == 0)
                log_warn("redis refused an XADD: %s", rep->str);
            refused++;
        }
        freeReplyObject(rep);
    }
    if (!ok || !linked) {
        /* an append failed or the link broke mid-pipeline: what is buffered on either side is
           unknown, so start over on a new connection */
        if (r->rc->err != 0)
            log_warn("redis connection lost while relaying: %s", r->rc->errstr);
        redisFree(r->rc);
        r->rc = NULL;
        ok = 0;
    }
    if (refused > 0)
        ok = 0;
    for (int i = 0; i < rows; i++)
        cJSON_free(owned[i]);
    free(owned);
    pending_free(pd, npd);
    if (!ok) {
        PQclear(batch);
        pg_exec(r, "ROLLBACK");
        return -1;
    }

    /* every row relayed: delete them */
    struct pgarray *idarr = pgarray_new();
    for (int i = 0; i < rows; i++)
        pgarray_int(idarr, strtoll(PQgetvalue(batch, i, 0), NULL, 10));
    const char *ids = pgarray_str(idarr);
    PQclear(batch);
    const char *dp[1] = {ids};
    PGresult *del = PQexecParams(r->pg, "DELETE FROM outbox WHERE id = ANY($1::bigint[])", 1, NULL,
                                 dp, NULL, NULL, 0);
    pgarray_free(idarr);
    int dok = PQresultStatus(del) == PGRES_COMMAND_OK;
    PQclear(del);
    if (!dok) {
        pg_exec(r, "ROLLBACK");
        return -1;
    }
    PGresult *c = PQexec(r->pg, "COMMIT");
    dok = PQresultStatus(c) == PGRES_COMMAND_OK;
    PQclear(c);
    if (!dok)
        return -1;
    pthread_mutex_lock(&r->lock);
    r->stats.relayed += rows;
    r->stats.batches++;
    pthread_mutex_unlock(&r->lock);
    return 1;
}

static void set_redis_up(struct relay *r, int up)
{
    pthread_mutex_lock(&r->lock);
    r->stats.redis_up = up;
    if (!up)
        r->stats.failures++;
    pthread_mutex_unlock(&r->lock);
}

static void *run(void *arg)
{
    struct relay *r = arg;
    log_set_thread("relay");
    int64_t backoff = 100;
    int pg_down = 0, redis_down = 0;
    while (!stopping(r)) {
        if (pg_ready(r) < 0) {
            if (!pg_down)
                log_warn("relay waiting for postgresql");
            pg_down = 1;
            wait_for(r, -1, backoff);
            backoff = backoff * 2 > RELAY_BACKOFF_MAX_MS ? RELAY_BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        pg_down = 0;
        if (redis_ready(r) < 0) {
            if (!redis_down)
                log_warn("relay waiting for redis; messages stay in the outbox");
            redis_down = 1;
            set_redis_up(r, 0);
            wait_for(r, -1, backoff);
            backoff = backoff * 2 > RELAY_BACKOFF_MAX_MS ? RELAY_BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        if (redis_down)
            log_info("relay connected to redis");
        redis_down = 0;
        set_redis_up(r, 1);
        int rc = relay_batch(r);
        if (rc > 0) {
            backoff = 100;
            continue; /* more may be waiting */
        }
        if (rc < 0) {
            set_redis_up(r, r->rc != NULL && r->rc->err == 0);
            wait_for(r, -1, backoff);
            backoff = backoff * 2 > RELAY_BACKOFF_MAX_MS ? RELAY_BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        backoff = 100;
        wait_for(r, r->listening ? PQsocket(r->pg) : -1, RELAY_WAIT_MS);
        if (r->pg != NULL && PQconsumeInput(r->pg)) {
            PGnotify *n;
            while ((n = PQnotifies(r->pg)) != NULL)
                PQfreemem(n);
        }
    }
    if (r->rc != NULL)
        redisFree(r->rc);
    if (r->pg != NULL)
        PQfinish(r->pg);
    return NULL;
}

struct relay *relay_start(const struct relay_config *cfg, struct oerr *err)
{
    struct relay *r = xcalloc(1, sizeof *r);
    r->conninfo = xstrdup(cfg->conninfo);
    r->prefix = xstrdup(cfg->prefix);
    r->region = xstrdup(cfg->region);
    r->account = xstrdup(cfg->account_id);
    r->redis_addr = cfg->redis;
    r->maxlen = cfg->maxlen;
    r->shards = cfg->shards > 0 ? cfg->shards : 16;
    pthread_mutex_init(&r->lock, NULL);
    if (pipe(r->pipe) < 0) {
        oerr_set(err, OERR_INTERNAL, "could not create a pipe: %s", strerror(errno));
        goto fail;
    }
    int rc = pthread_create(&r->thread, NULL, run, r);
    if (rc != 0) {
        oerr_set(err, OERR_INTERNAL, "could not start the relay thread: %s", strerror(rc));
        close(r->pipe[0]);
        close(r->pipe[1]);
        goto fail;
    }
    return r;
fail:
    pthread_mutex_destroy(&r->lock);
    free(r->conninfo);
    free(r->prefix);
    free(r->region);
    free(r->account);
    free(r);
    return NULL;
}

void relay_stop(struct relay *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = 1;
    pthread_mutex_unlock(&r->lock);
    ssize_t w = write(r->pipe[1], "x", 1);
    (void)w;
    pthread_join(r->thread, NULL);
    close(r->pipe[0]);
    close(r->pipe[1]);
    pthread_mutex_destroy(&r->lock);
    free(r->conninfo);
    free(r->prefix);
    free(r->region);
    free(r->account);
    free(r);
}

void relay_stats(struct relay *r, struct relay_stats *out)
{
    pthread_mutex_lock(&r->lock);
    *out = r->stats;
    pthread_mutex_unlock(&r->lock);
}
