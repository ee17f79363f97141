/*
 * tasks: parameterised SQL for OTA tasks. Execution statuses appear as the engine's enum values
 * (checked at compile time below). The create statement is one fixed text around the target
 * query's translation (store/querysql.c), which holds only column names, operators and $n.
 */
#include "store/tasks.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/execution.h"
#include "engine/mem.h"
#include "store/pgarray.h"
#include "store/querysql.h"

_Static_assert(EXECUTION_PLANNED == 0 && EXECUTION_QUEUED == 1 && EXECUTION_IN_PROGRESS == 2 &&
                   EXECUTION_CANCELED == 8 && EXECUTION_STATUS_MAX == 9,
               "the SQL of tasks.c spells execution statuses as these numbers");

#define COLUMNS                                                                                    \
    "t.id, t.arn, t.spec::text, t.description, t.status, t.ota_type, t.config_id,"                 \
    " t.abort_reason, t.abort_comment, t.created_at, t.updated_at, t.seq"

/* The create statement, split around the query expression (or "false" without a query).
 * $1 id, $2 arn, $3 spec, $4 job_document, $5 description, $6 ota_type, $7 target_query,
 * $8 config_id, $9 start_at, $10 end_at, $11 end_behavior, $12 windows, $13 retry,
 * $14 status with no targets, $15 status with targets, $16 explicit targets text[],
 * $17 max targets, $18 now; the query's parameters follow from $19. */
#define N_FIXED 18
_Static_assert(TASKS_QUERY_FIRST_PARAM == N_FIXED + 1, "the query's parameters follow the fixed");

static const char create_head[] =
    "WITH cfg AS (SELECT push_config FROM task_configurations WHERE id = $8),"
    " req AS (SELECT r.id, min(r.ord) AS ord"
    "   FROM unnest($16::text[]) WITH ORDINALITY AS r(id, ord) GROUP BY r.id),"
    " unknown AS (SELECT req.id, req.ord FROM req"
    "   WHERE NOT EXISTS (SELECT 1 FROM things th WHERE th.id = req.id)),"
    " matched AS (SELECT th.id, th.seq FROM things th WHERE ";

/* Everything below reads one snapshot: the matches and max(thing_events.id) agree, so the
 * scheduler's membership sync resumes exactly after what the matches saw. The executions are
 * inserted in target order with nextval() evaluated after the sort (PostgreSQL postpones
 * volatile target-list expressions past ORDER BY). */
static const char create_tail[] =
    "),"
    " tgt AS (SELECT coalesce(req.id, matched.id) AS id, req.ord, matched.seq"
    "   FROM req FULL JOIN matched ON matched.id = req.id),"
    " cnt AS (SELECT count(*) AS n FROM tgt),"
    " ok AS (SELECT CASE WHEN cnt.n = 0 THEN $14 ELSE $15 END AS status, cnt.n FROM cnt"
    "   WHERE ($8::text IS NULL OR EXISTS (SELECT 1 FROM cfg))"
    "   AND NOT EXISTS (SELECT 1 FROM unknown) AND cnt.n <= $17::bigint),"
    " task AS (INSERT INTO tasks (id, arn, job_id, spec, job_document, description, status,"
    "   ota_type, target_query, config_id, push_config, start_at, end_at, end_behavior,"
    "   windows, retry, membership_cursor, next_tick_at, created_at, updated_at,"
    "   explicit_targets)"
    "   SELECT $1, $2, $1, $3::jsonb, $4, $5, ok.status, $6, $7, $8,"
    "   (SELECT push_config FROM cfg), $9::bigint, $10::bigint, $11, $12::jsonb, $13::jsonb,"
    "   (SELECT coalesce(max(id), 0) FROM thing_events), $18::bigint, $18::bigint, $18::bigint,"
    "   $16::text[] FROM ok RETURNING id, status),"
    " ex AS (INSERT INTO executions (task_id, thing_id, execution_number, status, seq, latest,"
    "   updated_at)"
    "   SELECT $1, tgt.id, 1, 0, nextval('executions_seq'), true, $18::bigint FROM tgt"
    "   WHERE EXISTS (SELECT 1 FROM task) ORDER BY tgt.ord NULLS LAST, tgt.seq, tgt.id),"
    " counters AS (INSERT INTO task_counters (task_id, status, shard, n)"
    "   SELECT task.id, 0, 0, ok.n FROM task, ok WHERE ok.n > 0),"
    " ev AS (INSERT INTO outbox (kind, key, payload, created_at)"
    "   SELECT 2, nc.destination_name, json_build_object('op', 'CREATE_OTA', 'task', task.id,"
    "   'status', task.status, 'type', $6::text, 'at', $18::bigint)::text, $18::bigint"
    "   FROM task CROSS JOIN notification_configurations nc WHERE nc.event_type = 'DEVICE_OTA'),"
    " wake AS (SELECT pg_notify('otad_sched', '') FROM task)"
    " SELECT $8::text IS NULL OR EXISTS (SELECT 1 FROM cfg),"
    " (SELECT coalesce(json_agg(u.id ORDER BY u.ord), '[]')::text"
    "   FROM (SELECT id, ord FROM unknown ORDER BY ord LIMIT 10) u),"
    " (SELECT count(*) FROM unknown),"
    " (SELECT n FROM cnt), (SELECT status FROM task), (SELECT count(*) FROM wake)";

static void fmt_i64(char *buf, size_t len, int64_t v)
{
    snprintf(buf, len, "%" PRId64, v);
}

void tasks_create(struct dbconn *c, const struct tasks_new *t, db_result_fn cb, void *arg)
{
    char start[24], end[24], max[24], now[24];
    fmt_i64(start, sizeof start, t->start_at);
    fmt_i64(end, sizeof end, t->end_at);
    fmt_i64(max, sizeof max, t->max_targets);
    fmt_i64(now, sizeof now, t->now);
    const char *expr = t->query != NULL ? t->query->sql : "false";
    size_t nq = t->query != NULL ? t->query->nparams : 0;
    size_t len = sizeof create_head + strlen(expr) + sizeof create_tail;
    char *sql = xmalloc(len);
    snprintf(sql, len, "%s%s%s", create_head, expr, create_tail);
    char *targets = pgarray_texts(t->targets, t->n_targets);
    const char **p = xcalloc(N_FIXED + nq, sizeof *p);
    const char *fixed[N_FIXED] = {t->id,
                                  t->arn,
                                  t->spec,
                                  t->job_document,
                                  t->description,
                                  t->ota_type,
                                  t->target_query,
                                  t->config_id,
                                  t->start_at >= 0 ? start : NULL,
                                  t->end_at >= 0 ? end : NULL,
                                  t->end_behavior,
                                  t->windows,
                                  t->retry,
                                  t->status_empty,
                                  t->status_targets,
                                  targets,
                                  max,
                                  now};
    memcpy(p, fixed, sizeof fixed);
    for (size_t i = 0; i < nq; i++)
        p[N_FIXED + i] = t->query->params[i];
    /* dbconn_query copies the SQL and the parameters */
    dbconn_query(c, sql, (int)(N_FIXED + nq), p, cb, arg);
    free(p);
    free(targets);
    free(sql);
}

void tasks_get(struct db *db, const char *id, db_result_fn cb, void *arg)
{
    const char *p[1] = {id};
    db_query(db,
             "SELECT " COLUMNS ", c.n0, c.n1, c.n2, c.n3, c.n4, c.n5, c.n6, c.n7, c.n8,"
             " (SELECT json_agg(x.thing_id ORDER BY x.seq)::text FROM (SELECT thing_id, seq"
             "   FROM executions WHERE task_id = t.id AND status IN (1, 2)"
             "   ORDER BY seq LIMIT 100) x)"
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
             "  FROM task_counters WHERE task_id = t.id) c"
             " WHERE t.id = $1",
             1, p, cb, arg);
}

void tasks_list(struct db *db, int64_t after, int64_t limit, db_result_fn cb, void *arg)
{
    char a[24], l[24];
    fmt_i64(a, sizeof a, after);
    fmt_i64(l, sizeof l, limit);
    const char *p[2] = {a, l};
    db_query(db,
             "SELECT " COLUMNS " FROM tasks t WHERE t.seq > $1::bigint"
             " ORDER BY t.seq LIMIT $2::bigint",
             2, p, cb, arg);
}

void tasks_update(struct db *db, const char *id, const char *description, const char *config_id,
                  int64_t now, db_result_fn cb, void *arg)
{
    char at[24];
    fmt_i64(at, sizeof at, now);
    const char *p[4] = {id, description, config_id, at};
    db_query(
        db,
        "WITH cur AS (SELECT id FROM tasks WHERE id = $1 AND status <> 'DELETION_IN_PROGRESS'),"
        " cfg AS (SELECT push_config FROM task_configurations WHERE id = $3),"
        " upd AS (UPDATE tasks SET description = coalesce($2, description),"
        "   config_id = coalesce($3, config_id),"
        "   push_config = CASE WHEN $3::text IS NULL THEN push_config"
        "     ELSE (SELECT push_config FROM cfg) END,"
        "   config_version = config_version + CASE WHEN $3::text IS NULL THEN 0 ELSE 1 END,"
        "   next_tick_at = CASE WHEN $3::text IS NOT NULL"
        "     AND (next_tick_at IS NULL OR next_tick_at > $4::bigint) THEN $4::bigint"
        "     ELSE next_tick_at END,"
        "   updated_at = $4::bigint"
        "   WHERE id = $1 AND status <> 'DELETION_IN_PROGRESS'"
        "   AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM cfg)) RETURNING id),"
        " wake AS (SELECT pg_notify('otad_sched', '') FROM upd WHERE $3::text IS NOT NULL)"
        " SELECT EXISTS (SELECT 1 FROM cur), $3::text IS NULL OR EXISTS (SELECT 1 FROM cfg),"
        " EXISTS (SELECT 1 FROM upd), (SELECT count(*) FROM wake)",
        4, p, cb, arg);
}

void tasks_delete(struct db *db, const char *id, int64_t now, db_result_fn cb, void *arg)
{
    char at[24];
    fmt_i64(at, sizeof at, now);
    const char *p[2] = {id, at};
    db_query(db,
             "WITH upd AS (UPDATE tasks SET status = 'DELETION_IN_PROGRESS',"
             "   updated_at = CASE WHEN status <> 'DELETION_IN_PROGRESS' THEN $2::bigint"
             "     ELSE updated_at END,"
             "   next_tick_at = CASE WHEN next_tick_at IS NULL OR next_tick_at > $2::bigint"
             "     THEN $2::bigint ELSE next_tick_at END"
             "   WHERE id = $1 RETURNING id),"
             " wake AS (SELECT pg_notify('otad_sched', '') FROM upd)"
             " SELECT id, (SELECT count(*) FROM wake) FROM upd",
             2, p, cb, arg);
}

void tasks_executions(struct db *db, const char *id, int64_t after, int64_t limit, db_result_fn cb,
                      void *arg)
{
    char a[24], l[24];
    fmt_i64(a, sizeof a, after);
    fmt_i64(l, sizeof l, limit);
    const char *p[3] = {id, a, l};
    db_query(db,
             "SELECT e.thing_id, e.execution_number, e.status, e.retry_attempt, e.queued_at,"
             " e.started_at, e.updated_at, e.seq"
             " FROM tasks t LEFT JOIN LATERAL (SELECT * FROM executions x"
             "   WHERE x.task_id = t.id AND x.latest AND x.status <> 0 AND x.seq > $2::bigint"
             "   ORDER BY x.seq LIMIT $3::bigint) e ON true"
             " WHERE t.id = $1 ORDER BY e.seq",
             3, p, cb, arg);
}
