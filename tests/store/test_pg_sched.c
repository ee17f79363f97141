/*
 * test_pg_sched: engine/scheduler.c over store/pg_sched.c against the harness's PostgreSQL.
 * Tasks and executions are created with SQL as the task API writes them; devices are played
 * with SQL updates; the scheduler runs passes at chosen service times. Each test uses its own
 * task ids, so tests share one database.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <libpq-fe.h>

#include "engine/mem.h"
#include "engine/scheduler.h"
#include "store/migrate.h"
#include "store/pg_sched.h"

#define T0 INT64_C(1800000000000) /* 2027-01-15T08:00:00Z */

static PGconn *conn;

static const char *conninfo(void)
{
    const char *c = getenv("OTAD_TEST_PG");
    return c != NULL ? c : "dbname=otad";
}

static void setup(void)
{
    struct oerr err;
    ck_assert_msg(migrate_apply(conninfo(), NULL, &err) == 0, "migrate: %s", err.msg);
    conn = PQconnectdb(conninfo());
    ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
}

static void teardown(void)
{
    PQfinish(conn);
}

/* Run SQL with parameters; returns the result, which the caller clears. */
static PGresult *sql(const char *q, int n, const char *const *p)
{
    PGresult *r = PQexecParams(conn, q, n, NULL, p, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    ck_assert_msg(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s", q,
                  PQresultErrorMessage(r));
    return r;
}

static void exec1(const char *q, const char *a, const char *b)
{
    const char *p[2] = {a, b};
    int n = b != NULL ? 2 : (a != NULL ? 1 : 0);
    PQclear(sql(q, n, p));
}

static int64_t val(const char *q, const char *a, const char *b)
{
    const char *p[2] = {a, b};
    int n = b != NULL ? 2 : (a != NULL ? 1 : 0);
    PGresult *r = sql(q, n, p);
    ck_assert_int_eq(PQntuples(r), 1);
    int64_t v = PQgetisnull(r, 0, 0) ? -1 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

static char *text(const char *q, const char *a)
{
    const char *p[1] = {a};
    PGresult *r = sql(q, a != NULL ? 1 : 0, p);
    ck_assert_int_eq(PQntuples(r), 1);
    char *s = xstrdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return s;
}

/* A task as the task API creates it: things <id>-0 .. <id>-(n-1) PLANNED in order. */
static void make_task(const char *id, const char *type, int n, const char *push_config,
                      const char *retry, const char *query)
{
    char nbuf[16], t0[24];
    snprintf(nbuf, sizeof nbuf, "%d", n);
    snprintf(t0, sizeof t0, "%" PRId64, T0);
    const char *p[6] = {id, type, push_config, retry, query, t0};
    PQclear(sql("INSERT INTO tasks (id, arn, job_id, spec, job_document, status, ota_type,"
                " target_query, push_config, retry, next_tick_at, created_at, updated_at)"
                " VALUES ($1, 'arn:' || $1, $1, '{}', '{}', 'IN_PROGRESS', $2, $5, $3::jsonb,"
                " $4::jsonb, $6::bigint, $6::bigint, $6::bigint)",
                6, p));
    PQclear(sql("INSERT INTO executions (task_id, thing_id, execution_number, status, seq,"
                " updated_at) SELECT $1, $1 || '-' || i, 1, 0, nextval('executions_seq'),"
                " $2::bigint FROM generate_series(0, $3::int - 1) i",
                3, (const char *const[]){id, t0, nbuf}));
    PQclear(sql("INSERT INTO task_counters (task_id, status, shard, n)"
                " SELECT $1, 0, 0, $2::bigint WHERE $2::bigint > 0",
                2, (const char *const[]){id, nbuf}));
}

static int64_t count_status(const char *task, int status)
{
    char s[8];
    snprintf(s, sizeof s, "%d", status);
    return val("SELECT count(*) FROM executions WHERE task_id = $1 AND status = $2::smallint", task,
               s);
}

static int64_t counter(const char *task, int status)
{
    char s[8];
    snprintf(s, sizeof s, "%d", status);
    return val("SELECT coalesce(sum(n), 0) FROM task_counters WHERE task_id = $1"
               " AND status = $2::smallint",
               task, s);
}

/* Counters must always equal the executions' statuses. */
static void check_counters(const char *task)
{
    for (int s = 0; s < EXECUTION_STATUS_MAX; s++)
        ck_assert_msg(counter(task, s) == count_status(task, s),
                      "task %s status %d: %" PRId64 " counted, %" PRId64 " rows", task, s,
                      counter(task, s), count_status(task, s));
}

struct rig {
    struct pg_sched *ps;
    struct scheduler *s;
};

static void rig_init(struct rig *g, const char *owner)
{
    struct pg_sched_config c = {conninfo(), owner, 7, 1000.0, 1000};
    g->ps = pg_sched_new(&c);
    struct scheduler_config sc;
    scheduler_config_default(&sc);
    g->s = scheduler_new(pg_sched_ops(), g->ps, &sc);
}

static void rig_free(struct rig *g)
{
    scheduler_free(g->s);
    pg_sched_free(g->ps);
}

static void pass(struct rig *g, int64_t at)
{
    struct oerr err;
    ck_assert_msg(scheduler_run_once(g->s, at, &err) >= 0, "pass: %s", err.msg);
    ck_assert_int_eq(scheduler_stats(g->s)->failures, 0);
}

START_TEST(test_queue_paced_with_notifications)
{
    struct rig g;
    rig_init(&g, "t1");
    make_task("pq1", "ONE_TIME", 10, NULL, NULL, NULL);
    pass(&g, T0);
    ck_assert_int_eq(count_status("pq1", 1), 1); /* slot 0 at once */
    pass(&g, T0 + 500);                          /* batches are >= 1 s apart */
    ck_assert_int_eq(count_status("pq1", 1), 1);
    pass(&g, T0 + 1000);
    ck_assert_int_eq(count_status("pq1", 1), 10);
    ck_assert_int_eq(
        val("SELECT count(*) FROM outbox WHERE kind = 1 AND key LIKE 'pq1-%'", NULL, NULL), 10);
    ck_assert_int_eq(val("SELECT count(*) FROM executions WHERE task_id = 'pq1'"
                         " AND queued_at IS NOT NULL AND latest",
                         NULL, NULL),
                     10);
    check_counters("pq1");
    /* nothing left to queue, nothing in progress: the task completes only when all are
       terminal */
    char *st = text("SELECT status FROM tasks WHERE id = $1", "pq1");
    ck_assert_str_eq(st, "IN_PROGRESS");
    free(st);
    exec1("UPDATE executions SET status = 3 WHERE task_id = $1", "pq1", NULL);
    exec1("UPDATE task_counters SET n = 0 WHERE task_id = $1", "pq1", NULL);
    exec1("INSERT INTO task_counters VALUES ($1, 3, 0, 10)", "pq1", NULL);
    exec1("UPDATE tasks SET next_tick_at = $2::bigint WHERE id = $1", "pq1", "1800000002000");
    pass(&g, T0 + 2000);
    st = text("SELECT status FROM tasks WHERE id = $1", "pq1");
    ck_assert_str_eq(st, "COMPLETED");
    free(st);
    rig_free(&g);
}
END_TEST

START_TEST(test_retry_and_timeout)
{
    struct rig g;
    rig_init(&g, "t2");
    make_task("rt1", "ONE_TIME", 2, "{\"TimeoutConfig\":{\"InProgressTimeoutInMinutes\":1}}",
              "[{\"type\":\"FAILED\",\"n\":1},{\"type\":\"TIMED_OUT\",\"n\":1}]", NULL);
    pass(&g, T0);
    pass(&g, T0 + 1000);
    ck_assert_int_eq(count_status("rt1", 1), 2);
    /* thing 0 fails (as a device batch would record it); thing 1 starts with a deadline */
    exec1("UPDATE executions SET status = 4, decided = false WHERE task_id = $1"
          " AND thing_id = 'rt1-0'",
          "rt1", NULL);
    exec1("UPDATE executions SET status = 2, started_at = $2::bigint, deadline = $2::bigint +"
          " 60000 WHERE task_id = $1 AND thing_id = 'rt1-1'",
          "rt1", "1800000001000");
    exec1("INSERT INTO task_counters VALUES ($1, 1, 0, -2), ($1, 4, 0, 1), ($1, 2, 0, 1)", "rt1",
          NULL);
    exec1("UPDATE tasks SET next_tick_at = $2::bigint WHERE id = $1", "rt1", "1800000002000");
    pass(&g, T0 + 2000);
    /* the retry was created and, paced, queued as execution 2 / retry attempt 1 */
    ck_assert_int_eq(val("SELECT count(*) FROM executions WHERE task_id = 'rt1' AND thing_id ="
                         " 'rt1-0' AND execution_number = 2 AND retry_attempt = 1"
                         " AND retries_failed = 1",
                         NULL, NULL),
                     1);
    ck_assert_int_eq(val("SELECT status FROM executions WHERE task_id = 'rt1' AND thing_id ="
                         " 'rt1-0' AND latest",
                         NULL, NULL),
                     1);
    /* the scheduler wakes at the deadline and times thing 1 out */
    int64_t wake = val("SELECT next_tick_at FROM tasks WHERE id = $1", "rt1", NULL);
    ck_assert_int_le(wake, T0 + 61000);
    pass(&g, T0 + 61000);
    ck_assert_int_eq(val("SELECT count(*) FROM executions WHERE task_id = 'rt1' AND thing_id ="
                         " 'rt1-1' AND status = 5",
                         NULL, NULL),
                     1);
    /* ...and retries it (TIMED_OUT:1) on the next pass */
    pass(&g, T0 + 62000);
    ck_assert_int_eq(val("SELECT count(*) FROM executions WHERE task_id = 'rt1' AND thing_id ="
                         " 'rt1-1' AND execution_number = 2 AND retries_timed_out = 1",
                         NULL, NULL),
                     1);
    ck_assert_int_eq(val("SELECT count(*) FROM executions WHERE task_id = 'rt1'"
                         " AND NOT decided",
                         NULL, NULL),
                     0);
    check_counters("rt1");
    rig_free(&g);
}
END_TEST

START_TEST(test_abort_cancels_queued)
{
    struct rig g;
    rig_init(&g, "t3");
    make_task("ab1", "ONE_TIME", 20,
              "{\"AbortConfig\":{\"AbortConfigCriteriaList\":[{\"Action\":\"CANCEL\","
              "\"FailureType\":\"FAILED\",\"MinNumberOfExecutedThings\":4,"
              "\"ThresholdPercentage\":50}]},\"RolloutConfig\":{\"MaximumPerMinute\":600}}",
              NULL, NULL);
    pass(&g, T0);
    pass(&g, T0 + 1000); /* 600/min: 1 + 10 */
    ck_assert_int_eq(count_status("ab1", 1), 11);
    /* 4 terminal: 2 failed, 1 succeeded, 1 rejected (50% FAILED); 1 in progress */
    exec1("UPDATE executions SET status = CASE thing_id WHEN 'ab1-0' THEN 4 WHEN 'ab1-1' THEN 4"
          " WHEN 'ab1-2' THEN 3 WHEN 'ab1-3' THEN 6 ELSE 2 END, decided = thing_id NOT IN"
          " ('ab1-0', 'ab1-1') WHERE task_id = $1 AND thing_id IN ('ab1-0', 'ab1-1', 'ab1-2',"
          " 'ab1-3', 'ab1-4')",
          "ab1", NULL);
    exec1("INSERT INTO task_counters VALUES ($1, 1, 0, -5), ($1, 4, 0, 2), ($1, 3, 0, 1),"
          " ($1, 6, 0, 1), ($1, 2, 0, 1)",
          "ab1", NULL);
    exec1("UPDATE tasks SET next_tick_at = $2::bigint WHERE id = $1", "ab1", "1800000001500");
    pass(&g, T0 + 1500);
    char *st = text("SELECT status || ':' || abort_reason FROM tasks WHERE id = $1", "ab1");
    ck_assert_str_eq(st, "CANCELED:ABORT_CRITERIA_MET");
    free(st);
    ck_assert_int_eq(count_status("ab1", 0), 0);
    ck_assert_int_eq(count_status("ab1", 1), 0);
    ck_assert_int_eq(count_status("ab1", 2), 1); /* in progress continues */
    ck_assert_int_eq(count_status("ab1", 8), 15);
    /* no retry after an abort */
    ck_assert_int_eq(val("SELECT count(*) FROM executions WHERE task_id = 'ab1'"
                         " AND execution_number > 1",
                         NULL, NULL),
                     0);
    check_counters("ab1");
    rig_free(&g);
}
END_TEST

START_TEST(test_delete_removes_task)
{
    struct rig g;
    rig_init(&g, "t4");
    make_task("dl1", "ONE_TIME", 3, NULL, NULL, NULL);
    pass(&g, T0);
    exec1("UPDATE tasks SET status = 'DELETION_IN_PROGRESS', next_tick_at = $2::bigint"
          " WHERE id = $1",
          "dl1", "1800000000100");
    pass(&g, T0 + 100);
    ck_assert_int_eq(val("SELECT count(*) FROM tasks WHERE id = 'dl1'", NULL, NULL), 0);
    ck_assert_int_eq(val("SELECT count(*) FROM executions WHERE task_id = 'dl1'", NULL, NULL), 0);
    rig_free(&g);
}
END_TEST

START_TEST(test_continuous_membership)
{
    struct rig g;
    rig_init(&g, "t5");
    exec1("INSERT INTO things (id, arn, doc, provisioning_status, created_at, updated_at)"
          " SELECT 'cm-' || i, 'arn', jsonb_build_object('Role', 'DEVICE', 'Name', 'lamp' || i,"
          " 'MetaData', jsonb_build_object('site', CASE WHEN i < 2 THEN 'a' ELSE 'b' END)),"
          " 'PRE_ASSOCIATED', 0, 0 FROM generate_series(0, 3) i",
          NULL, NULL);
    make_task("ct1", "CONTINUOUS", 0, NULL, NULL, "attributes.site=a");
    exec1("UPDATE tasks SET membership_cursor = (SELECT coalesce(max(id), 0) FROM thing_events)"
          " WHERE id = $1",
          "ct1", NULL);
    exec1("INSERT INTO thing_events (thing_id, at) SELECT 'cm-' || i, 0"
          " FROM generate_series(0, 3) i",
          NULL, NULL);
    pass(&g, T0);
    ck_assert_int_eq(val("SELECT count(*) FROM executions WHERE task_id = 'ct1'", NULL, NULL), 2);
    pass(&g, T0 + 1000);
    ck_assert_int_eq(count_status("ct1", 1), 2);
    /* cm-1 stops matching: its QUEUED execution is REMOVED */
    exec1("UPDATE things SET doc = jsonb_set(doc, '{MetaData,site}', '\"b\"') WHERE id = $1",
          "cm-1", NULL);
    exec1("INSERT INTO thing_events (thing_id, at) VALUES ($1, 0)", "cm-1", NULL);
    exec1("UPDATE tasks SET next_tick_at = $2::bigint WHERE id = $1", "ct1", "1800000002000");
    pass(&g, T0 + 2000);
    ck_assert_int_eq(val("SELECT status FROM executions WHERE task_id = 'ct1' AND thing_id ="
                         " 'cm-1' AND latest",
                         NULL, NULL),
                     7);
    /* it matches again: a new attempt, counts reset */
    exec1("UPDATE things SET doc = jsonb_set(doc, '{MetaData,site}', '\"a\"') WHERE id = $1",
          "cm-1", NULL);
    exec1("INSERT INTO thing_events (thing_id, at) VALUES ($1, 0)", "cm-1", NULL);
    exec1("UPDATE tasks SET next_tick_at = $2::bigint WHERE id = $1", "ct1", "1800000003000");
    pass(&g, T0 + 3000);
    ck_assert_int_eq(val("SELECT execution_number FROM executions WHERE task_id = 'ct1' AND"
                         " thing_id = 'cm-1' AND latest",
                         NULL, NULL),
                     2);
    ck_assert_int_eq(val("SELECT retry_attempt FROM executions WHERE task_id = 'ct1' AND"
                         " thing_id = 'cm-1' AND latest",
                         NULL, NULL),
                     0);
    /* cm-3 is deleted: nothing to remove (it never matched); cm-0 deleted: REMOVED */
    exec1("DELETE FROM things WHERE id = $1", "cm-0", NULL);
    exec1("INSERT INTO thing_events (thing_id, deleted, at) VALUES ($1, true, 0)", "cm-0", NULL);
    exec1("UPDATE executions SET status = 1 WHERE task_id = 'ct1' AND thing_id = 'cm-0'", NULL,
          NULL);
    exec1("UPDATE tasks SET next_tick_at = $2::bigint WHERE id = $1", "ct1", "1800000004000");
    pass(&g, T0 + 4000);
    ck_assert_int_eq(val("SELECT status FROM executions WHERE task_id = 'ct1' AND thing_id ="
                         " 'cm-0' AND latest",
                         NULL, NULL),
                     7);
    char *st = text("SELECT status FROM tasks WHERE id = $1", "ct1");
    ck_assert_str_eq(st, "IN_PROGRESS"); /* CONTINUOUS never completes on its own */
    free(st);
    rig_free(&g);
}
END_TEST

START_TEST(test_continuous_explicit_targets_stay)
{
    struct rig g;
    rig_init(&g, "t6");
    exec1("INSERT INTO things (id, arn, doc, provisioning_status, created_at, updated_at)"
          " VALUES ('ce-0', 'arn', '{\"Role\": \"DEVICE\"}', 'PRE_ASSOCIATED', 0, 0)",
          NULL, NULL);
    make_task("ct2", "CONTINUOUS", 0, NULL, NULL, "attributes.site=zzz");
    exec1("UPDATE tasks SET explicit_targets = ARRAY['ce-0'], membership_cursor = (SELECT"
          " coalesce(max(id), 0) FROM thing_events) WHERE id = $1",
          "ct2", NULL);
    exec1("INSERT INTO executions (task_id, thing_id, execution_number, status, seq, updated_at)"
          " VALUES ($1, 'ce-0', 1, 0, nextval('executions_seq'), 0)",
          "ct2", NULL);
    exec1("INSERT INTO task_counters VALUES ($1, 0, 0, 1)", "ct2", NULL);
    pass(&g, T0);
    ck_assert_int_eq(count_status("ct2", 1), 1);
    /* the named thing changes and still does not match the query: it stays a member */
    exec1("UPDATE things SET doc = jsonb_set(doc, '{Name}', '\"renamed\"') WHERE id = $1", "ce-0",
          NULL);
    exec1("INSERT INTO thing_events (thing_id, at) VALUES ($1, 0)", "ce-0", NULL);
    exec1("UPDATE tasks SET next_tick_at = $2::bigint WHERE id = $1", "ct2", "1800000001000");
    pass(&g, T0 + 1000);
    ck_assert_int_eq(count_status("ct2", 1), 1);
    ck_assert_int_eq(count_status("ct2", 7), 0);
    /* deleted: REMOVED even though named */
    exec1("DELETE FROM things WHERE id = $1", "ce-0", NULL);
    exec1("INSERT INTO thing_events (thing_id, deleted, at) VALUES ($1, true, 0)", "ce-0", NULL);
    exec1("UPDATE tasks SET next_tick_at = $2::bigint WHERE id = $1", "ct2", "1800000002000");
    pass(&g, T0 + 2000);
    ck_assert_int_eq(count_status("ct2", 7), 1);
    check_counters("ct2");
    rig_free(&g);
}
END_TEST

START_TEST(test_lease_is_exclusive)
{
    struct rig a, b;
    rig_init(&a, "owner-a");
    rig_init(&b, "owner-b");
    make_task("ls1", "ONE_TIME", 1, NULL, NULL, NULL);
    struct sched_task_ref ra[8], rb[8];
    size_t na = 0, nb = 0;
    struct oerr err;
    ck_assert_int_eq(pg_sched_ops()->lease(a.ps, T0, 30000, ra, 8, &na, &err), 0);
    ck_assert_int_eq(pg_sched_ops()->lease(b.ps, T0, 30000, rb, 8, &nb, &err), 0);
    int in_a = 0, in_b = 0;
    for (size_t i = 0; i < na; i++)
        in_a += strcmp(ra[i].id, "ls1") == 0;
    for (size_t i = 0; i < nb; i++)
        in_b += strcmp(rb[i].id, "ls1") == 0;
    ck_assert_int_eq(in_a + in_b, 1);
    /* an expired lease is taken over */
    ck_assert_int_eq(pg_sched_ops()->lease(in_a ? b.ps : a.ps, T0 + 31000, 30000, rb, 8, &nb, &err),
                     0);
    int taken = 0;
    for (size_t i = 0; i < nb; i++)
        taken += strcmp(rb[i].id, "ls1") == 0;
    ck_assert_int_eq(taken, 1);
    rig_free(&a);
    rig_free(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("pg_sched");
    TCase *tc = tcase_create("scheduler over postgresql");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_queue_paced_with_notifications);
    tcase_add_test(tc, test_retry_and_timeout);
    tcase_add_test(tc, test_abort_cancels_queued);
    tcase_add_test(tc, test_delete_removes_task);
    tcase_add_test(tc, test_continuous_membership);
    tcase_add_test(tc, test_continuous_explicit_targets_stay);
    tcase_add_test(tc, test_lease_is_exclusive);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
