/*
 * pg_sched: the scheduler's PostgreSQL store (see pg_sched.h for the transaction and lease
 * protocol). Every statement is parameterised; execution statuses appear in SQL as the
 * engine's enum values (checked at compile time below). Each statement that changes executions
 * also, in the same statement, applies the counter deltas, writes the outbox rows (notify-next
 * for things whose pending list changed, DEVICE_OTA execution events when a DEVICE_OTA
 * notification configuration exists) and reports what the scheduler's view needs.
 *
 * Parsed per-task configuration that is costly to rebuild on every tick (maintenance windows,
 * the CONTINUOUS target query) is cached by task id and configuration version.
 */
#include "store/pg_sched.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "engine/execution.h"
#include "engine/mem.h"
#include "engine/query.h"
#include "engine/window.h"
#include "store/log.h"
#include "store/pgarray.h"

_Static_assert(EXECUTION_PLANNED == 0 && EXECUTION_QUEUED == 1 && EXECUTION_IN_PROGRESS == 2 &&
                   EXECUTION_SUCCEEDED == 3 && EXECUTION_FAILED == 4 && EXECUTION_TIMED_OUT == 5 &&
                   EXECUTION_REJECTED == 6 && EXECUTION_REMOVED == 7 && EXECUTION_CANCELED == 8,
               "the SQL of pg_sched.c spells execution statuses as these numbers");

#define CACHE_SLOTS      4096
#define MEMBERSHIP_BATCH 1000

struct cache_entry {
    char id[SCHED_ID_MAX];
    int version;
    struct window_set *windows;
    struct query *query;
    int used;
};

struct pg_sched {
    char *conninfo;
    char *owner;
    int shard;
    char shard_s[16];
    double ceiling;
    int64_t batch_ms;
    PGconn *conn;
    int in_tx;
    struct cache_entry cache[CACHE_SLOTS];
    char now_s[24];
};

/* ---- plumbing ---- */

struct pg_sched *pg_sched_new(const struct pg_sched_config *cfg)
{
    struct pg_sched *ps = xcalloc(1, sizeof *ps);
    ps->conninfo = xstrdup(cfg->conninfo);
    ps->owner = xstrdup(cfg->owner);
    ps->shard = cfg->shard;
    snprintf(ps->shard_s, sizeof ps->shard_s, "%d", cfg->shard);
    ps->ceiling = cfg->ceiling > 0 ? cfg->ceiling : ROLLOUT_DEFAULT_CEILING;
    ps->batch_ms = cfg->batch_ms >= 0 ? cfg->batch_ms : ROLLOUT_DEFAULT_BATCH_MS;
    return ps;
}

static void cache_clear(struct cache_entry *e)
{
    window_set_free(e->windows);
    query_free(e->query);
    memset(e, 0, sizeof *e);
}

void pg_sched_free(struct pg_sched *ps)
{
    if (ps == NULL)
        return;
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        cache_clear(&ps->cache[i]);
    if (ps->conn != NULL)
        PQfinish(ps->conn);
    free(ps->conninfo);
    free(ps->owner);
    free(ps);
}

int pg_sched_connect(struct pg_sched *ps, struct oerr *err)
{
    if (ps->conn != NULL && PQstatus(ps->conn) == CONNECTION_OK)
        return 0;
    if (ps->conn != NULL)
        PQfinish(ps->conn);
    ps->in_tx = 0;
    ps->conn = PQconnectdb(ps->conninfo);
    if (PQstatus(ps->conn) != CONNECTION_OK) {
        oerr_set(err, OERR_UNAVAILABLE, "could not connect to postgresql: %s",
                 PQerrorMessage(ps->conn));
        PQfinish(ps->conn);
        ps->conn = NULL;
        return -1;
    }
    return 0;
}

int pg_sched_socket(const struct pg_sched *ps)
{
    return ps->conn != NULL ? PQsocket(ps->conn) : -1;
}

/* Run a statement; returns the result (caller PQclear) or NULL with *err set. */
static PGresult *run(struct pg_sched *ps, const char *sql, int n, const char *const *p,
                     struct oerr *err)
{
    if (ps->conn == NULL && pg_sched_connect(ps, err) < 0)
        return NULL;
    PGresult *res = PQexecParams(ps->conn, sql, n, NULL, p, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    enum oerr_code code = OERR_INTERNAL;
    if (PQstatus(ps->conn) != CONNECTION_OK || (state != NULL && strncmp(state, "08", 2) == 0))
        code = OERR_UNAVAILABLE;
    oerr_set(err, code, "%s", PQresultErrorMessage(res));
    PQclear(res);
    if (PQstatus(ps->conn) != CONNECTION_OK) {
        PQfinish(ps->conn);
        ps->conn = NULL;
        ps->in_tx = 0;
    }
    return NULL;
}

static int run_ok(struct pg_sched *ps, const char *sql, int n, const char *const *p,
                  struct oerr *err)
{
    PGresult *res = run(ps, sql, n, p, err);
    if (res == NULL)
        return -1;
    PQclear(res);
    return 0;
}

static void fmt_i64(char *buf, size_t len, int64_t v)
{
    snprintf(buf, len, "%" PRId64, v);
}

static int64_t col_i64(PGresult *res, int row, int col, int64_t if_null)
{
    if (PQgetisnull(res, row, col))
        return if_null;
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

int pg_sched_listen(struct pg_sched *ps, struct oerr *err)
{
    return run_ok(ps, "LISTEN otad_sched", 0, NULL, err);
}

int pg_sched_drain_notifies(struct pg_sched *ps)
{
    if (ps->conn == NULL)
        return -1;
    if (!PQconsumeInput(ps->conn))
        return -1;
    int n = 0;
    PGnotify *nt;
    while ((nt = PQnotifies(ps->conn)) != NULL) {
        PQfreemem(nt);
        n++;
    }
    return n;
}

int64_t pg_sched_earliest(struct pg_sched *ps, struct oerr *err)
{
    PGresult *res =
        run(ps, "SELECT min(next_tick_at) FROM tasks WHERE next_tick_at IS NOT NULL", 0, NULL, err);
    if (res == NULL)
        return -1;
    int64_t v = col_i64(res, 0, 0, -1);
    PQclear(res);
    return v;
}

/* ---- configuration decoding (trusted JSON written by the task API) ---- */

static double num(const cJSON *obj, const char *name, double dflt)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(it) ? it->valuedouble : dflt;
}

static void decode_push_config(const char *text, struct sched_task *t)
{
    rollout_config_default(&t->rollout);
    t->n_abort = 0;
    if (text == NULL)
        return;
    cJSON *pc = cJSON_Parse(text);
    if (pc == NULL)
        return;
    const cJSON *ro = cJSON_GetObjectItemCaseSensitive(pc, "RolloutConfig");
    if (cJSON_IsObject(ro)) {
        t->rollout.max_per_minute = num(ro, "MaximumPerMinute", 0);
        const cJSON *ex = cJSON_GetObjectItemCaseSensitive(ro, "ExponentialRolloutRate");
        if (cJSON_IsObject(ex)) {
            t->rollout.base_per_minute = num(ex, "BaseRatePerMinute", 0);
            t->rollout.increment_factor = num(ex, "IncrementFactor", 0);
            const cJSON *cr = cJSON_GetObjectItemCaseSensitive(ex, "RateIncreaseCriteria");
            t->rollout.notified_criterion = (int64_t)num(cr, "numberOfNotifiedThings", 0);
            t->rollout.succeeded_criterion = (int64_t)num(cr, "numberOfSucceededThings", 0);
        }
    }
    const cJSON *ab = cJSON_GetObjectItemCaseSensitive(pc, "AbortConfig");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(ab, "AbortConfigCriteriaList");
    const cJSON *c;
    cJSON_ArrayForEach(c, list)
    {
        if (t->n_abort >= SCHED_MAX_ABORT)
            break;
        const cJSON *ft = cJSON_GetObjectItemCaseSensitive(c, "FailureType");
        enum abort_failure f;
        if (!cJSON_IsString(ft) || abort_failure_parse(ft->valuestring, &f) < 0)
            continue;
        struct abort_criterion *a = &t->abort[t->n_abort++];
        a->failure_type = f;
        a->min_executed = (int64_t)num(c, "MinNumberOfExecutedThings", 1);
        a->threshold_pct = num(c, "ThresholdPercentage", 100);
    }
    cJSON_Delete(pc);
}

static void decode_retry(const char *text, struct retry_config *rc)
{
    memset(rc, 0, sizeof *rc);
    if (text == NULL)
        return;
    cJSON *arr = cJSON_Parse(text);
    const cJSON *c;
    cJSON_ArrayForEach(c, arr)
    {
        if (rc->n >= RETRY_MAX_CRITERIA)
            break;
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(c, "type");
        enum retry_failure f;
        if (!cJSON_IsString(ty) || retry_failure_parse(ty->valuestring, &f) < 0)
            continue;
        rc->c[rc->n].failure_type = f;
        rc->c[rc->n].retries = (int32_t)num(c, "n", 0);
        rc->n++;
    }
    cJSON_Delete(arr);
}

static struct window_set *decode_windows(const char *text, const char *task)
{
    if (text == NULL)
        return NULL;
    cJSON *arr = cJSON_Parse(text);
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) {
        cJSON_Delete(arr);
        return NULL;
    }
    struct window_set *w = window_set_new();
    const cJSON *c;
    cJSON_ArrayForEach(c, arr)
    {
        const cJSON *cron = cJSON_GetObjectItemCaseSensitive(c, "cron");
        struct oerr err;
        if (!cJSON_IsString(cron) ||
            window_set_add(w, cron->valuestring, (int64_t)num(c, "duration", 0), &err) < 0)
            log_warn("task %s: ignoring a stored maintenance window: %s", task,
                     cJSON_IsString(cron) ? err.msg : "no cron");
    }
    cJSON_Delete(arr);
    return w;
}

static size_t cache_slot(const char *id)
{
    uint32_t h = 2166136261u;
    for (const char *p = id; *p != '\0'; p++) {
        h ^= (unsigned char)*p;
        h *= 16777619u;
    }
    return h % CACHE_SLOTS;
}

/* The cached parse of a task's windows and query for this configuration version. */
static struct cache_entry *cache_get(struct pg_sched *ps, const char *id, int version,
                                     const char *windows, const char *query)
{
    struct cache_entry *e = &ps->cache[cache_slot(id)];
    if (e->used && strcmp(e->id, id) == 0 && e->version == version)
        return e;
    cache_clear(e);
    e->used = 1;
    snprintf(e->id, sizeof e->id, "%s", id);
    e->version = version;
    e->windows = decode_windows(windows, id);
    if (query != NULL) {
        struct oerr err;
        e->query = query_parse(query, &err);
        if (e->query == NULL)
            log_warn("task %s: stored target query does not parse: %s", id, err.msg);
    }
    return e;
}

/* ---- operations ---- */

static int op_lease(void *ctx, int64_t now, int64_t lease_ms, struct sched_task_ref *out,
                    size_t max, size_t *n, struct oerr *err)
{
    struct pg_sched *ps = ctx;
    char now_s[24], until_s[24], max_s[24];
    fmt_i64(now_s, sizeof now_s, now);
    fmt_i64(until_s, sizeof until_s, now + lease_ms);
    fmt_i64(max_s, sizeof max_s, (int64_t)max);
    const char *p[4] = {ps->owner, now_s, until_s, max_s};
    PGresult *res = run(ps,
                        "UPDATE tasks SET lease_owner = $1, lease_until = $3::bigint"
                        " WHERE id IN (SELECT id FROM tasks WHERE next_tick_at <= $2::bigint"
                        " AND (lease_until IS NULL OR lease_until < $2::bigint)"
                        " ORDER BY next_tick_at LIMIT $4::bigint FOR UPDATE SKIP LOCKED)"
                        " RETURNING id",
                        4, p, err);
    if (res == NULL)
        return -1;
    int rows = PQntuples(res);
    *n = 0;
    for (int i = 0; i < rows && (size_t)i < max; i++) {
        snprintf(out[i].id, sizeof out[i].id, "%s", PQgetvalue(res, i, 0));
        (*n)++;
    }
    PQclear(res);
    return 0;
}

enum load_col {
    L_STATUS = 0,
    L_TYPE,
    L_END_APPLIED,
    L_START,
    L_END,
    L_END_BEHAVIOR,
    L_WINDOWS,
    L_PUSH,
    L_RETRY,
    L_ROLLOUT,
    L_VERSION,
    L_QUERY,
    L_DEADLINE,
    L_UNDECIDED,
    L_COUNTS
};

static int op_load(void *ctx, const struct sched_task_ref *ref, int64_t now, struct sched_task *t,
                   struct oerr *err)
{
    struct pg_sched *ps = ctx;
    fmt_i64(ps->now_s, sizeof ps->now_s, now);
    if (run_ok(ps, "BEGIN", 0, NULL, err) < 0)
        return -1;
    ps->in_tx = 1;
    const char *p[2] = {ref->id, ps->owner};
    PGresult *res =
        run(ps,
            "SELECT t.status, t.ota_type, t.end_applied, t.start_at, t.end_at, t.end_behavior,"
            " t.windows::text, t.push_config::text, t.retry::text, t.rollout_state,"
            " t.config_version, t.target_query,"
            " (SELECT min(deadline) FROM executions WHERE task_id = $1 AND status = 2"
            "  AND deadline IS NOT NULL),"
            " (SELECT count(*) FROM executions WHERE task_id = $1 AND NOT decided),"
            " c.n0, c.n1, c.n2, c.n3, c.n4, c.n5, c.n6, c.n7, c.n8"
            " FROM tasks t, LATERAL (SELECT"
            "  coalesce(sum(n) FILTER (WHERE status = 0), 0) n0,"
            "  coalesce(sum(n) FILTER (WHERE status = 1), 0) n1,"
            "  coalesce(sum(n) FILTER (WHERE status = 2), 0) n2,"
            "  coalesce(sum(n) FILTER (WHERE status = 3), 0) n3,"
            "  coalesce(sum(n) FILTER (WHERE status = 4), 0) n4,"
            "  coalesce(sum(n) FILTER (WHERE status = 5), 0) n5,"
            "  coalesce(sum(n) FILTER (WHERE status = 6), 0) n6,"
            "  coalesce(sum(n) FILTER (WHERE status = 7), 0) n7,"
            "  coalesce(sum(n) FILTER (WHERE status = 8), 0) n8"
            "  FROM task_counters WHERE task_id = $1) c"
            " WHERE t.id = $1 AND t.lease_owner = $2 FOR NO KEY UPDATE OF t",
            2, p, err);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return oerr_set(err, OERR_NOT_FOUND, "task %s vanished or its lease was lost", ref->id);
    }
    t->ref = *ref;
    enum task_status st = TASK_IN_PROGRESS;
    task_status_parse(PQgetvalue(res, 0, L_STATUS), &st);
    t->status = st;
    enum task_type ty = TASK_ONE_TIME;
    task_type_parse(PQgetvalue(res, 0, L_TYPE), &ty);
    t->type = ty;
    t->end_applied = PQgetvalue(res, 0, L_END_APPLIED)[0] == 't';
    task_schedule_default(&t->schedule);
    t->schedule.start_at = col_i64(res, 0, L_START, -1);
    t->schedule.end_at = col_i64(res, 0, L_END, -1);
    enum task_end_behavior eb = TASK_END_STOP_ROLLOUT;
    task_end_behavior_parse(PQgetvalue(res, 0, L_END_BEHAVIOR), &eb);
    t->schedule.end_behavior = eb;
    struct cache_entry *ce =
        cache_get(ps, ref->id, (int)col_i64(res, 0, L_VERSION, 0),
                  PQgetisnull(res, 0, L_WINDOWS) ? NULL : PQgetvalue(res, 0, L_WINDOWS),
                  PQgetisnull(res, 0, L_QUERY) ? NULL : PQgetvalue(res, 0, L_QUERY));
    t->schedule.windows = ce->windows;
    decode_push_config(PQgetisnull(res, 0, L_PUSH) ? NULL : PQgetvalue(res, 0, L_PUSH), t);
    t->rollout.ceiling = ps->ceiling;
    t->rollout.min_batch_interval_ms = ps->batch_ms;
    decode_retry(PQgetisnull(res, 0, L_RETRY) ? NULL : PQgetvalue(res, 0, L_RETRY), &t->retry);
    rollout_state_init(&t->rollout_state);
    if (!PQgetisnull(res, 0, L_ROLLOUT)) {
        struct oerr perr;
        if (rollout_state_parse(PQgetvalue(res, 0, L_ROLLOUT), &t->rollout_state, &perr) < 0) {
            log_warn("task %s: stored rollout state unreadable (%s), restarting pacing", ref->id,
                     perr.msg);
            rollout_state_init(&t->rollout_state);
        }
    }
    t->next_deadline = col_i64(res, 0, L_DEADLINE, -1);
    t->undecided = col_i64(res, 0, L_UNDECIDED, 0);
    for (int s = 0; s < EXECUTION_STATUS_MAX; s++)
        t->counts.n[s] = col_i64(res, 0, L_COUNTS + s, 0);
    PQclear(res);
    return 0;
}

/* The counter deltas, outbox rows and DEVICE_OTA events of a set of changed executions, as
 * CTEs over a CTE named `ch` with columns (thing_id, execution_number, retry_attempt, old_s,
 * new_s, visible, notify): $1 = task id, $2 = now, $3 = shard. `visible` rows get an execution
 * event; `notify` rows a notify-next. */
#define CHANGE_EFFECTS                                                                             \
    " d AS (SELECT s, sum(v) AS v FROM ("                                                          \
    "   SELECT old_s AS s, -1 AS v FROM ch WHERE old_s IS NOT NULL"                                \
    "   UNION ALL SELECT new_s, 1 FROM ch WHERE new_s IS NOT NULL) x GROUP BY s),"                 \
    " cnt AS (INSERT INTO task_counters (task_id, status, shard, n)"                               \
    "   SELECT $1, s, $3::integer, v FROM d WHERE v <> 0"                                          \
    "   ON CONFLICT (task_id, status, shard) DO UPDATE SET n = task_counters.n + EXCLUDED.n),"     \
    " ob1 AS (INSERT INTO outbox (kind, key, payload, created_at)"                                 \
    "   SELECT DISTINCT 1, thing_id, '', $2::bigint FROM ch WHERE notify),"                        \
    " ob3 AS (INSERT INTO outbox (kind, key, payload, created_at)"                                 \
    "   SELECT 3, nc.destination_name, json_build_object('task', $1::text, 'thing', ch.thing_id,"  \
    "     'n', ch.execution_number, 's', ch.new_s, 'r', ch.retry_attempt, 'at', "                  \
    "$2::bigint)::text,"                                                                           \
    "     $2::bigint FROM ch CROSS JOIN notification_configurations nc"                            \
    "   WHERE nc.event_type = 'DEVICE_OTA' AND ch.visible AND ch.new_s IS NOT NULL)"

static int op_expire(void *ctx, struct sched_task *t, int64_t now, int64_t *n, struct oerr *err)
{
    struct pg_sched *ps = ctx;
    const char *p[3] = {t->ref.id, ps->now_s, ps->shard_s};
    PGresult *res = run(
        ps,
        "WITH ch AS (UPDATE executions SET status = 5, decided = false, updated_at = $2::bigint,"
        "   deadline = NULL WHERE task_id = $1 AND status = 2 AND deadline <= $2::bigint"
        "   RETURNING thing_id, execution_number, retry_attempt, 2::smallint AS old_s,"
        "   5::smallint AS new_s, true AS visible, true AS notify)," CHANGE_EFFECTS
        " SELECT (SELECT count(*) FROM ch),"
        " (SELECT min(deadline) FROM executions WHERE task_id = $1 AND status = 2"
        "  AND deadline > $2::bigint)",
        3, p, err);
    if (res == NULL)
        return -1;
    *n = col_i64(res, 0, 0, 0);
    t->next_deadline = col_i64(res, 0, 1, -1);
    PQclear(res);
    t->counts.n[EXECUTION_IN_PROGRESS] -= *n;
    t->counts.n[EXECUTION_TIMED_OUT] += *n;
    t->undecided += *n;
    (void)now;
    return 0;
}

static int op_cancel(void *ctx, struct sched_task *t, enum sched_cancel_scope scope, int64_t now,
                     int64_t *n, struct oerr *err)
{
    struct pg_sched *ps = ctx;
    const char *p[3] = {t->ref.id, ps->now_s, ps->shard_s};
    PGresult *res;
    (void)now;
    if (scope == SCHED_DROP_PLANNED) {
        res = run(ps,
                  "WITH ch AS (DELETE FROM executions WHERE task_id = $1 AND status = 0"
                  "   RETURNING thing_id, execution_number, retry_attempt, 0::smallint AS old_s,"
                  "   NULL::smallint AS new_s, false AS visible, false AS notify)," CHANGE_EFFECTS
                  " SELECT (SELECT count(*) FROM ch)",
                  3, p, err);
        if (res == NULL)
            return -1;
        *n = col_i64(res, 0, 0, 0);
        PQclear(res);
        t->counts.n[EXECUTION_PLANNED] -= *n;
        return 0;
    }
    /* PLANNED and QUEUED (and, forced, IN_PROGRESS) -> CANCELED; the canceled attempt becomes
       the one shown for its thing. */
    const char *sql =
        scope == SCHED_CANCEL_FORCE
            ? "WITH old AS (SELECT thing_id, execution_number, status FROM executions"
              "   WHERE task_id = $1 AND status IN (0, 1, 2) FOR UPDATE),"
              " ch AS (UPDATE executions e SET status = 8, updated_at = $2::bigint,"
              "   latest = true, decided = true, deadline = NULL,"
              "   force_canceled = (old.status = 2)"
              "   FROM old WHERE e.task_id = $1 AND e.thing_id = old.thing_id"
              "   AND e.execution_number = old.execution_number"
              "   RETURNING e.thing_id, e.execution_number, e.retry_attempt, old.status AS old_s,"
              "   8::smallint AS new_s, true AS visible, old.status <> 0 AS notify),"
              " hide AS (UPDATE executions e SET latest = false FROM ch"
              "   WHERE e.task_id = $1 AND e.thing_id = ch.thing_id"
              "   AND e.execution_number < ch.execution_number AND e.latest)," CHANGE_EFFECTS
              " SELECT"
              " (SELECT count(*) FROM ch WHERE old_s = 0), (SELECT count(*) FROM ch WHERE old_s = "
              "1),"
              " (SELECT count(*) FROM ch WHERE old_s = 2)"
            : "WITH old AS (SELECT thing_id, execution_number, status FROM executions"
              "   WHERE task_id = $1 AND status IN (0, 1) FOR UPDATE),"
              " ch AS (UPDATE executions e SET status = 8, updated_at = $2::bigint,"
              "   latest = true, decided = true"
              "   FROM old WHERE e.task_id = $1 AND e.thing_id = old.thing_id"
              "   AND e.execution_number = old.execution_number"
              "   RETURNING e.thing_id, e.execution_number, e.retry_attempt, old.status AS old_s,"
              "   8::smallint AS new_s, true AS visible, old.status <> 0 AS notify),"
              " hide AS (UPDATE executions e SET latest = false FROM ch"
              "   WHERE e.task_id = $1 AND e.thing_id = ch.thing_id"
              "   AND e.execution_number < ch.execution_number AND e.latest)," CHANGE_EFFECTS
              " SELECT"
              " (SELECT count(*) FROM ch WHERE old_s = 0), (SELECT count(*) FROM ch WHERE old_s = "
              "1),"
              " 0";
    res = run(ps, sql, 3, p, err);
    if (res == NULL)
        return -1;
    int64_t planned = col_i64(res, 0, 0, 0);
    int64_t queued = col_i64(res, 0, 1, 0);
    int64_t running = col_i64(res, 0, 2, 0);
    PQclear(res);
    t->counts.n[EXECUTION_PLANNED] -= planned;
    t->counts.n[EXECUTION_QUEUED] -= queued;
    t->counts.n[EXECUTION_IN_PROGRESS] -= running;
    t->counts.n[EXECUTION_CANCELED] += planned + queued + running;
    if (running > 0)
        t->next_deadline = -1;
    *n = planned + queued + running;
    return 0;
}

static int op_undecided(void *ctx, struct sched_task *t, struct sched_attempt *out, size_t max,
                        size_t *n, struct oerr *err)
{
    struct pg_sched *ps = ctx;
    char max_s[24];
    fmt_i64(max_s, sizeof max_s, (int64_t)max);
    const char *p[2] = {t->ref.id, max_s};
    PGresult *res = run(ps,
                        "SELECT thing_id, execution_number, status, retries_failed,"
                        " retries_timed_out FROM executions WHERE task_id = $1 AND NOT decided"
                        " ORDER BY updated_at, thing_id LIMIT $2::bigint",
                        2, p, err);
    if (res == NULL)
        return -1;
    *n = 0;
    for (int i = 0; i < PQntuples(res) && (size_t)i < max; i++) {
        struct sched_attempt *a = &out[i];
        snprintf(a->thing_id, sizeof a->thing_id, "%s", PQgetvalue(res, i, 0));
        a->execution_number = col_i64(res, i, 1, 0);
        a->status = (enum execution_status)col_i64(res, i, 2, EXECUTION_FAILED);
        a->counts.after_failed = (int32_t)col_i64(res, i, 3, 0);
        a->counts.after_timed_out = (int32_t)col_i64(res, i, 4, 0);
        (*n)++;
    }
    PQclear(res);
    return 0;
}

static int op_decide(void *ctx, struct sched_task *t, const struct sched_attempt *a,
                     const int *retry, size_t n, int64_t now, struct oerr *err)
{
    struct pg_sched *ps = ctx;
    const char **things = xcalloc(n, sizeof *things);
    int64_t *numbers = xcalloc(n, sizeof *numbers);
    int64_t *flags = xcalloc(n, sizeof *flags);
    int64_t *rf = xcalloc(n, sizeof *rf);
    int64_t *rt = xcalloc(n, sizeof *rt);
    int64_t retries = 0;
    for (size_t i = 0; i < n; i++) {
        things[i] = a[i].thing_id;
        numbers[i] = a[i].execution_number;
        flags[i] = retry[i] != 0;
        struct retry_counts c = a[i].counts;
        if (retry[i]) {
            retry_count(&c, a[i].status);
            retries++;
        }
        rf[i] = c.after_failed;
        rt[i] = c.after_timed_out;
    }
    char *things_s = pgarray_texts(things, n);
    char *numbers_s = pgarray_ints(numbers, n);
    char *flags_s = pgarray_ints(flags, n);
    char *rf_s = pgarray_ints(rf, n);
    char *rt_s = pgarray_ints(rt, n);
    const char *p[8] = {t->ref.id, ps->now_s, ps->shard_s, things_s,
                        numbers_s, flags_s,   rf_s,        rt_s};
    PGresult *res = run(
        ps,
        "WITH r AS (SELECT * FROM unnest($4::text[], $5::bigint[], $6::int[], $7::int[],"
        "   $8::int[]) AS r(thing_id, n, retry, rf, rt)),"
        " closed AS (UPDATE executions e SET decided = true FROM r"
        "   WHERE e.task_id = $1 AND e.thing_id = r.thing_id AND e.execution_number = r.n"
        "   AND NOT e.decided RETURNING e.thing_id, e.execution_number, e.seq, e.retry_attempt),"
        " ins AS (INSERT INTO executions (task_id, thing_id, execution_number, status, seq,"
        "   priority, retry_attempt, retries_failed, retries_timed_out, latest, decided,"
        "   updated_at)"
        "   SELECT $1, c.thing_id, c.execution_number + 1, 0, c.seq, 1, c.retry_attempt + 1,"
        "   r.rf, r.rt, false, true, $2::bigint FROM closed c JOIN r"
        "   ON r.thing_id = c.thing_id AND r.n = c.execution_number WHERE r.retry = 1"
        "   RETURNING 1),"
        " cnt AS (INSERT INTO task_counters (task_id, status, shard, n)"
        "   SELECT $1, 0, $3::integer, count(*) FROM ins HAVING count(*) > 0"
        "   ON CONFLICT (task_id, status, shard) DO UPDATE SET n = task_counters.n + EXCLUDED.n)"
        " SELECT (SELECT count(*) FROM closed), (SELECT count(*) FROM ins)",
        8, p, err);
    free(things);
    free(numbers);
    free(flags);
    free(rf);
    free(rt);
    free(things_s);
    free(numbers_s);
    free(flags_s);
    free(rf_s);
    free(rt_s);
    (void)now;
    if (res == NULL)
        return -1;
    int64_t closed = col_i64(res, 0, 0, 0);
    int64_t inserted = col_i64(res, 0, 1, 0);
    PQclear(res);
    (void)retries;
    t->undecided -= closed;
    t->counts.n[EXECUTION_PLANNED] += inserted;
    return 0;
}

static int op_queue(void *ctx, struct sched_task *t, int64_t k, int64_t now, int64_t *n,
                    struct oerr *err)
{
    struct pg_sched *ps = ctx;
    char k_s[24];
    fmt_i64(k_s, sizeof k_s, k);
    const char *p[4] = {t->ref.id, ps->now_s, ps->shard_s, k_s};
    (void)now;
    PGresult *res =
        run(ps,
            "WITH picked AS (SELECT thing_id, execution_number FROM executions"
            "   WHERE task_id = $1 AND status = 0 ORDER BY priority DESC, seq"
            "   LIMIT $4::bigint FOR UPDATE),"
            " ch AS (UPDATE executions e SET status = 1, queued_at = $2::bigint,"
            "   updated_at = $2::bigint, latest = true, version = 1"
            "   FROM picked p WHERE e.task_id = $1 AND e.thing_id = p.thing_id"
            "   AND e.execution_number = p.execution_number"
            "   RETURNING e.thing_id, e.execution_number, e.retry_attempt, 0::smallint AS old_s,"
            "   1::smallint AS new_s, true AS visible, true AS notify),"
            " hide AS (UPDATE executions e SET latest = false FROM ch"
            "   WHERE e.task_id = $1 AND e.thing_id = ch.thing_id"
            "   AND e.execution_number < ch.execution_number AND e.latest)," CHANGE_EFFECTS
            " SELECT count(*) FROM ch",
            4, p, err);
    if (res == NULL)
        return -1;
    *n = col_i64(res, 0, 0, 0);
    PQclear(res);
    t->counts.n[EXECUTION_PLANNED] -= *n;
    t->counts.n[EXECUTION_QUEUED] += *n;
    return 0;
}

/* ---- CONTINUOUS membership ---- */

struct thing_view {
    char *id;
    char *fields[QUERY_FIELD_MAX];
    cJSON *meta;
    const char **keys;
    const char **values;
    size_t n_meta;
    int deleted;
};

static int thing_matches(const struct query *q, struct thing_view *tv)
{
    if (q == NULL || tv->deleted)
        return 0;
    struct query_thing qt;
    memset(&qt, 0, sizeof qt);
    for (int f = 0; f < QUERY_FIELD_MAX; f++)
        qt.fields[f] = tv->fields[f];
    qt.n_meta = tv->n_meta;
    qt.meta_keys = tv->keys;
    qt.meta_values = tv->values;
    return query_match(q, &qt);
}

static void thing_view_free(struct thing_view *tv)
{
    free(tv->id);
    for (int f = 0; f < QUERY_FIELD_MAX; f++)
        free(tv->fields[f]);
    cJSON_Delete(tv->meta);
    free(tv->keys);
    free(tv->values);
}

/* Apply one batch of membership decisions: match[i] says whether things[i] is in the target. */
static int apply_membership(struct pg_sched *ps, struct sched_task *t, const char **things,
                            const int64_t *match, size_t n, int64_t cursor, struct oerr *err)
{
    char *things_s = pgarray_texts(things, n);
    char *match_s = pgarray_ints(match, n);
    char cursor_s[24];
    fmt_i64(cursor_s, sizeof cursor_s, cursor);
    const char *p[6] = {t->ref.id, ps->now_s, ps->shard_s, things_s, match_s, cursor_s};
    /* Matching things with no attempt, or whose shown attempt was REMOVED, get a new PLANNED
       attempt (retry counts reset). Things that no longer match have their PLANNED and QUEUED
       attempts REMOVED and pending retry decisions closed. */
    PGresult *res = run(
        ps,
        "WITH r AS (SELECT * FROM unnest($4::text[], $5::int[]) AS r(thing_id, m)),"
        " cur AS (SELECT r.thing_id, r.m, e.execution_number, e.status FROM r"
        "   LEFT JOIN LATERAL (SELECT execution_number, status FROM executions x"
        "   WHERE x.task_id = $1 AND x.thing_id = r.thing_id"
        "   ORDER BY execution_number DESC LIMIT 1) e ON true),"
        " ins AS (INSERT INTO executions (task_id, thing_id, execution_number, status, seq,"
        "   latest, updated_at)"
        "   SELECT $1, thing_id, coalesce(execution_number, 0) + 1, 0, nextval('executions_seq'),"
        "   true, $2::bigint FROM cur"
        "   WHERE m = 1 AND (execution_number IS NULL OR status = 7)"
        "   RETURNING thing_id, execution_number),"
        " unshow AS (UPDATE executions e SET latest = false FROM ins"
        "   WHERE e.task_id = $1 AND e.thing_id = ins.thing_id"
        "   AND e.execution_number < ins.execution_number AND e.latest),"
        " old AS (SELECT e.thing_id, e.execution_number, e.status FROM executions e JOIN r"
        "   ON r.thing_id = e.thing_id WHERE e.task_id = $1 AND r.m = 0 AND e.status IN (0, 1)"
        "   FOR UPDATE OF e),"
        " ch0 AS (UPDATE executions e SET status = 7, updated_at = $2::bigint, latest = true"
        "   FROM old WHERE e.task_id = $1 AND e.thing_id = old.thing_id"
        "   AND e.execution_number = old.execution_number"
        "   RETURNING e.thing_id, e.execution_number, e.retry_attempt, old.status AS old_s,"
        "   7::smallint AS new_s, true AS visible, old.status = 1 AS notify),"
        " ch AS (SELECT * FROM ch0 UNION ALL SELECT thing_id, execution_number, 0,"
        "   NULL::smallint, 0::smallint, false, false FROM ins),"
        " hide AS (UPDATE executions e SET latest = false FROM ch0"
        "   WHERE e.task_id = $1 AND e.thing_id = ch0.thing_id"
        "   AND e.execution_number < ch0.execution_number AND e.latest),"
        " close AS (UPDATE executions e SET decided = true FROM r WHERE e.task_id = $1"
        "   AND e.thing_id = r.thing_id AND r.m = 0 AND NOT e.decided RETURNING 1),"
        " cur2 AS (UPDATE tasks SET membership_cursor = greatest(membership_cursor, $6::bigint)"
        "   WHERE id = $1)," CHANGE_EFFECTS
        " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM ch0 WHERE old_s = 0),"
        " (SELECT count(*) FROM ch0 WHERE old_s = 1), (SELECT count(*) FROM close)",
        6, p, err);
    free(things_s);
    free(match_s);
    if (res == NULL)
        return -1;
    int64_t added = col_i64(res, 0, 0, 0);
    int64_t rm_planned = col_i64(res, 0, 1, 0);
    int64_t rm_queued = col_i64(res, 0, 2, 0);
    int64_t closed = col_i64(res, 0, 3, 0);
    PQclear(res);
    t->counts.n[EXECUTION_PLANNED] += added - rm_planned;
    t->counts.n[EXECUTION_QUEUED] -= rm_queued;
    t->counts.n[EXECUTION_REMOVED] += rm_planned + rm_queued;
    t->undecided -= closed;
    return 0;
}

static int op_sync_membership(void *ctx, struct sched_task *t, int64_t now, struct oerr *err)
{
    struct pg_sched *ps = ctx;
    (void)now;
    struct cache_entry *ce = &ps->cache[cache_slot(t->ref.id)];
    const struct query *q = (ce->used && strcmp(ce->id, t->ref.id) == 0) ? ce->query : NULL;
    for (;;) {
        char batch_s[24];
        fmt_i64(batch_s, sizeof batch_s, MEMBERSHIP_BATCH);
        const char *p[2] = {t->ref.id, batch_s};
        /* the latest event per thing in the next batch, with the thing's current fields */
        PGresult *res =
            run(ps,
                "WITH ev AS (SELECT e.id, e.thing_id FROM thing_events e, tasks t"
                "   WHERE t.id = $1 AND e.id > t.membership_cursor ORDER BY e.id"
                "   LIMIT $2::bigint),"
                " last AS (SELECT thing_id, max(id) AS id FROM ev GROUP BY thing_id)"
                " SELECT l.thing_id, (SELECT max(id) FROM ev), th.id IS NULL,"
                " th.id, th.doc ->> 'Name', th.doc ->> 'SerialNumber', th.doc ->> 'Brand',"
                " th.doc ->> 'Model', th.doc ->> 'Owner', th.doc ->> 'Role',"
                " th.doc ->> 'Classification', th.provisioning_status,"
                " th.doc ->> 'CredentialLockerId', th.doc ->> 'ParentControllerId',"
                " th.metadata::text,"
                " coalesce(l.thing_id = ANY((SELECT explicit_targets FROM tasks WHERE id = "
                "$1)::text[]),"
                " false)"
                " FROM last l LEFT JOIN things th ON th.id = l.thing_id",
                2, p, err);
        if (res == NULL)
            return -1;
        int rows = PQntuples(res);
        if (rows == 0) {
            PQclear(res);
            return 0;
        }
        int64_t cursor = col_i64(res, 0, 1, 0);
        const char **ids = xcalloc((size_t)rows, sizeof *ids);
        int64_t *match = xcalloc((size_t)rows, sizeof *match);
        struct thing_view tv;
        for (int i = 0; i < rows; i++) {
            memset(&tv, 0, sizeof tv);
            tv.id = xstrdup(PQgetvalue(res, i, 0));
            tv.deleted = PQgetvalue(res, i, 2)[0] == 't';
            static const enum query_field order[] = {QUERY_FIELD_ID,
                                                     QUERY_FIELD_NAME,
                                                     QUERY_FIELD_SERIAL_NUMBER,
                                                     QUERY_FIELD_BRAND,
                                                     QUERY_FIELD_MODEL,
                                                     QUERY_FIELD_OWNER,
                                                     QUERY_FIELD_ROLE,
                                                     QUERY_FIELD_CLASSIFICATION,
                                                     QUERY_FIELD_PROVISIONING_STATUS,
                                                     QUERY_FIELD_CREDENTIAL_LOCKER,
                                                     QUERY_FIELD_PARENT_CONTROLLER};
            for (size_t f = 0; f < sizeof order / sizeof order[0]; f++) {
                int col = 3 + (int)f;
                if (!PQgetisnull(res, i, col))
                    tv.fields[order[f]] = xstrdup(PQgetvalue(res, i, col));
            }
            if (!PQgetisnull(res, i, 14)) {
                tv.meta = cJSON_Parse(PQgetvalue(res, i, 14));
                size_t m = (size_t)cJSON_GetArraySize(tv.meta);
                tv.keys = xcalloc(m + 1, sizeof *tv.keys);
                tv.values = xcalloc(m + 1, sizeof *tv.values);
                const cJSON *e;
                cJSON_ArrayForEach(e, tv.meta)
                {
                    if (cJSON_IsString(e)) {
                        tv.keys[tv.n_meta] = e->string;
                        tv.values[tv.n_meta] = e->valuestring;
                        tv.n_meta++;
                    }
                }
            }
            /* a member: named in Target, or matching the query (never once deleted) */
            int named = PQgetvalue(res, i, 15)[0] == 't';
            match[i] = !tv.deleted && (named || thing_matches(q, &tv));
            ids[i] = PQgetvalue(res, i, 0);
            thing_view_free(&tv);
        }
        int rc = apply_membership(ps, t, ids, match, (size_t)rows, cursor, err);
        free(ids);
        free(match);
        PQclear(res);
        if (rc < 0)
            return -1;
        if (rows < MEMBERSHIP_BATCH)
            return 0;
    }
}

static int op_remove(void *ctx, struct sched_task *t, struct oerr *err)
{
    struct pg_sched *ps = ctx;
    const char *p[2] = {t->ref.id, ps->now_s};
    /* things with a pending execution learn that their pending list changed */
    return run_ok(ps,
                  "WITH pend AS (INSERT INTO outbox (kind, key, payload, created_at)"
                  "   SELECT DISTINCT 1, thing_id, '', $2::bigint FROM executions"
                  "   WHERE task_id = $1 AND status IN (1, 2)),"
                  " ev AS (INSERT INTO outbox (kind, key, payload, created_at)"
                  "   SELECT 2, nc.destination_name, json_build_object('op', 'DELETE_OTA',"
                  "   'task', t.id, 'status', t.status, 'type', t.ota_type,"
                  "   'at', $2::bigint)::text, $2::bigint"
                  "   FROM tasks t CROSS JOIN notification_configurations nc"
                  "   WHERE t.id = $1 AND nc.event_type = 'DEVICE_OTA')"
                  " DELETE FROM tasks WHERE id = $1",
                  2, p, err);
}

static int op_release(void *ctx, struct sched_task *t, const struct sched_release *r,
                      struct oerr *err)
{
    struct pg_sched *ps = ctx;
    char state[ROLLOUT_STATE_TEXT_MAX];
    char wake_s[24];
    char reason[64];
    if (rollout_state_format(r->rollout_state, state, sizeof state) < 0)
        state[0] = '\0';
    fmt_i64(wake_s, sizeof wake_s, r->next_wake);
    snprintf(reason, sizeof reason, "%s", ABORT_REASON_CODE);
    const char *p[9] = {t->ref.id,
                        ps->now_s,
                        task_status_name(r->status),
                        r->end_applied ? "true" : "false",
                        r->abort_index >= 0 ? reason : NULL,
                        r->abort_index >= 0 ? r->abort_comment : NULL,
                        state,
                        r->next_wake >= 0 ? wake_s : NULL,
                        ps->owner};
    /* A status change is an UPDATE_OTA event; SCHEDULED <-> IN_PROGRESS changes which QUEUED
       executions devices may see, so their things are notified. */
    if (run_ok(
            ps,
            "WITH old AS (SELECT status FROM tasks WHERE id = $1),"
            " upd AS (UPDATE tasks SET status = $3, end_applied = $4::boolean,"
            "   abort_reason = coalesce($5, abort_reason),"
            "   abort_comment = coalesce($6, abort_comment), rollout_state = $7,"
            "   next_tick_at = $8::bigint,"
            "   updated_at = CASE WHEN status <> $3 THEN $2::bigint ELSE updated_at END,"
            "   lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $9"
            "   RETURNING id, status, ota_type),"
            " ev AS (INSERT INTO outbox (kind, key, payload, created_at)"
            "   SELECT 2, nc.destination_name, json_build_object('op', 'UPDATE_OTA',"
            "   'task', upd.id, 'status', upd.status, 'type', upd.ota_type,"
            "   'at', $2::bigint)::text, $2::bigint FROM upd, old, notification_configurations nc"
            "   WHERE nc.event_type = 'DEVICE_OTA' AND old.status <> upd.status),"
            " vis AS (INSERT INTO outbox (kind, key, payload, created_at)"
            "   SELECT DISTINCT 1, e.thing_id, '', $2::bigint FROM executions e, upd, old"
            "   WHERE e.task_id = $1 AND e.status = 1 AND old.status <> upd.status"
            "   AND 'SCHEDULED' IN (old.status, upd.status))"
            " SELECT 1",
            9, p, err) < 0)
        return -1;
    if (run_ok(ps, "COMMIT", 0, NULL, err) < 0)
        return -1;
    ps->in_tx = 0;
    return 0;
}

static void op_abandon(void *ctx, struct sched_task *t)
{
    struct pg_sched *ps = ctx;
    struct oerr err;
    if (ps->conn != NULL && ps->in_tx)
        run_ok(ps, "ROLLBACK", 0, NULL, &err);
    ps->in_tx = 0;
    /* retry a failing task a second later rather than at once, so one broken task cannot keep
       the scheduler spinning */
    char retry_s[24];
    fmt_i64(retry_s, sizeof retry_s, strtoll(ps->now_s, NULL, 10) + 1000);
    const char *p[3] = {t->ref.id, ps->owner, retry_s};
    if (ps->conn != NULL)
        run_ok(ps,
               "UPDATE tasks SET lease_owner = NULL, lease_until = NULL,"
               " next_tick_at = greatest(next_tick_at, $3::bigint)"
               " WHERE id = $1 AND lease_owner = $2",
               3, p, &err);
}

int pg_sched_housekeeping(struct pg_sched *ps, int64_t now, struct oerr *err)
{
    char now_s[24];
    fmt_i64(now_s, sizeof now_s, now);
    const char *p[1] = {now_s};
    if (run_ok(ps, "DELETE FROM idempotency WHERE expires_at <= $1::bigint", 1, p, err) < 0)
        return -1;
    return run_ok(ps,
                  "DELETE FROM thing_events WHERE id <= coalesce((SELECT min(membership_cursor)"
                  " FROM tasks WHERE ota_type = 'CONTINUOUS'"
                  " AND status IN ('SCHEDULED', 'IN_PROGRESS')),"
                  " (SELECT max(id) FROM thing_events))",
                  0, NULL, err);
}

static const struct sched_store_ops ops = {
    .lease = op_lease,
    .load = op_load,
    .expire = op_expire,
    .sync_membership = op_sync_membership,
    .cancel = op_cancel,
    .undecided = op_undecided,
    .decide = op_decide,
    .queue = op_queue,
    .remove = op_remove,
    .release = op_release,
    .abandon = op_abandon,
};

const struct sched_store_ops *pg_sched_ops(void)
{
    return &ops;
}
