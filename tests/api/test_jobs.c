/*
 * API tests of the IoT Jobs device data plane (GetPendingJobExecutions,
 * StartNextPendingJobExecution, DescribeJobExecution, UpdateJobExecution) over HTTP against the
 * otad the harness starts (OTAD_TEST_URL), with the database (OTAD_TEST_PG) written to set up
 * tasks and executions exactly as wanted and read to prove what a request changed (and that a
 * refused one changed nothing). Things are made through CreateManagedThing. Every task is
 * leased to "test" for good, so otad's scheduler leaves it alone and the wake-ups the data plane
 * writes (next_tick_at) stay visible. Tests share one database: each makes its own things and
 * tasks.
 */
#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "engine/mem.h"
#include "tests/harness/testlib.h"

#define MINUTE INT64_C(60000)

static const char *const json_headers[] = {"Content-Type: application/json", NULL};

static struct testlib_response *call(const char *method, const char *path, const char *body)
{
    return testlib_call(method, path, body != NULL ? json_headers : NULL, body);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- memory: what a test keeps until its end (LeakSanitizer runs in CI) ---- */

static void *kept[4096];
static size_t nkept;

/* p, freed by release() at the end of the test. */
static void *keep(void *p)
{
    ck_assert(nkept < sizeof kept / sizeof kept[0]);
    kept[nkept++] = p;
    return p;
}

static void release(void)
{
    while (nkept > 0)
        free(kept[--nkept]);
}

/* ---- the test database ---- */

static PGconn *db(void)
{
    static PGconn *conn;
    if (conn == NULL) {
        conn = PQconnectdb(testlib_env("OTAD_TEST_PG"));
        ck_assert_msg(PQstatus(conn) == CONNECTION_OK, "connect: %s", PQerrorMessage(conn));
    }
    return conn;
}

/* Run q with n text parameters; the first value of the first row, malloc'd ("" for none, NULL
 * for SQL NULL). */
static char *sqlv(const char *q, int n, const char *const *p)
{
    PGresult *res = PQexecParams(db(), q, n, NULL, p, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    ck_assert_msg(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s", q,
                  PQresultErrorMessage(res));
    char *out = NULL;
    if (st == PGRES_TUPLES_OK && PQntuples(res) > 0)
        out = PQgetisnull(res, 0, 0) ? NULL : xstrdup(PQgetvalue(res, 0, 0));
    else
        out = xstrdup("");
    PQclear(res);
    return out;
}

static void sql(const char *q, const char *a, const char *b, const char *c)
{
    const char *p[3] = {a, b, c};
    free(sqlv(q, c != NULL ? 3 : b != NULL ? 2 : a != NULL ? 1 : 0, p));
}

/* A bigint value of q (-1 for NULL). */
static int64_t sql_i64(const char *q, const char *a, const char *b)
{
    const char *p[2] = {a, b};
    char *v = sqlv(q, b != NULL ? 2 : a != NULL ? 1 : 0, p);
    int64_t out = v != NULL ? strtoll(v, NULL, 10) : -1;
    free(v);
    return out;
}

/* A string unique to this test process. */
static char *unique(const char *prefix)
{
    static int n;
    return keep(testlib_strf("%s%d%lld%d", prefix, (int)getpid(),
                             (long long)(testlib_now_ms() % 100000), n++));
}

/* A managed thing made through the API; its id. */
static char *make_thing(void)
{
    struct testlib_response *r = call("POST", "/managed-things",
                                      "{\"Role\":\"DEVICE\",\"AuthenticationMaterial\":\"abc\","
                                      "\"AuthenticationMaterialType\":\"ZIGBEE_QR_BAR_CODE\"}");
    TESTLIB_ASSERT_STATUS(r, 201);
    cJSON *j = testlib_json(r);
    char *id = keep(xstrdup(cJSON_GetObjectItem(j, "Id")->valuestring));
    cJSON_Delete(j);
    testlib_response_free(r);
    return id;
}

/* A task (job id = id) with status and push_config (NULL for none), leased to the test. */
static char *make_task(const char *status, const char *push_config)
{
    char *id = unique("job");
    const char *p[3] = {id, status, push_config};
    free(sqlv(
        "INSERT INTO tasks (id, arn, job_id, spec, job_document, status, ota_type, push_config,"
        " lease_owner, lease_until, created_at, updated_at)"
        " VALUES ($1, 'arn:' || $1, $1, '{}', '{\"otaTask\":{\"taskId\":\"' || $1 || '\"}}', $2,"
        " 'ONE_TIME', $3::jsonb, 'test', 9000000000000000, 0, 0)",
        3, p));
    return id;
}

/* An execution (and its counter), queued `age_s` seconds ago; status as the engine's number. */
static void add_exec(const char *task, const char *thing, int number, int status, int age_s)
{
    int64_t at = wall_ms() - age_s * 1000;
    char *at_s = testlib_strf("%" PRId64, at);
    char *q = testlib_strf(
        "INSERT INTO executions (task_id, thing_id, execution_number, status, seq, queued_at,"
        " started_at, updated_at, latest)"
        " VALUES ($1, $2, %d, %d, nextval('executions_seq'), %s, %s, %" PRId64 ", true)",
        number, status, status == 0 ? "NULL" : at_s, status == 2 ? at_s : "NULL", at);
    free(at_s);
    sql(q, task, thing, NULL);
    free(q);
    if (number > 1)
        sql("UPDATE executions SET latest = false WHERE task_id = $1 AND thing_id = $2"
            " AND execution_number < (SELECT max(execution_number) FROM executions"
            " WHERE task_id = $1 AND thing_id = $2)",
            task, thing, NULL);
    char *s = testlib_strf("%d", status);
    sql("INSERT INTO task_counters (task_id, status, shard, n) VALUES ($1, $2::smallint, 0, 1)"
        " ON CONFLICT (task_id, status, shard) DO UPDATE SET n = task_counters.n + 1",
        task, s, NULL);
    free(s);
}

/* An execution's column as text (NULL when SQL NULL). */
static char *exec_col(const char *task, const char *thing, const char *col)
{
    char *q = testlib_strf("SELECT %s::text FROM executions WHERE task_id = $1 AND thing_id = $2"
                           " ORDER BY execution_number DESC LIMIT 1",
                           col);
    const char *p[2] = {task, thing};
    char *v = sqlv(q, 2, p);
    free(q);
    return v;
}

static int64_t exec_i64(const char *task, const char *thing, const char *col)
{
    char *v = exec_col(task, thing, col);
    int64_t out = v != NULL ? strtoll(v, NULL, 10) : -1;
    free(v);
    return out;
}

/* Every status's counter equals the number of executions with it. */
static void assert_counters(const char *task)
{
    for (int s = 0; s <= 8; s++) {
        char *st = testlib_strf("%d", s);
        int64_t rows = sql_i64("SELECT count(*) FROM executions WHERE task_id = $1"
                               " AND status = $2::smallint",
                               task, st);
        int64_t counted = sql_i64("SELECT coalesce(sum(n), 0) FROM task_counters"
                                  " WHERE task_id = $1 AND status = $2::smallint",
                                  task, st);
        ck_assert_msg(rows == counted, "task %s status %d: %lld rows, %lld counted", task, s,
                      (long long)rows, (long long)counted);
        free(st);
    }
}

/* ---- requests ---- */

static struct testlib_response *update(const char *thing, const char *job, const char *body)
{
    char *path = testlib_strf("/things/%s/jobs/%s", thing, job);
    struct testlib_response *r = call("POST", path, body);
    free(path);
    return r;
}

static struct testlib_response *start_next(const char *thing, const char *body)
{
    char *path = testlib_strf("/things/%s/jobs/$next", thing);
    struct testlib_response *r = call("PUT", path, body);
    free(path);
    return r;
}

static struct testlib_response *describe(const char *thing, const char *job, const char *query)
{
    char *path = testlib_strf("/things/%s/jobs/%s%s", thing, job, query);
    struct testlib_response *r = call("GET", path, NULL);
    free(path);
    return r;
}

static const char *message_of(const struct testlib_response *resp)
{
    static char msg[1024];
    cJSON *root = testlib_json(resp);
    const cJSON *m = testlib_json_at(root, "message");
    ck_assert_msg(cJSON_IsString(m), "no message in %s", resp->body);
    snprintf(msg, sizeof msg, "%s", m->valuestring);
    cJSON_Delete(root);
    return msg;
}

/* resp is the error code with status; its message contains want (when not NULL). */
static void assert_error(struct testlib_response *resp, int status, const char *code,
                         const char *want)
{
    TESTLIB_ASSERT_ERROR(resp, status, code);
    if (want != NULL)
        ck_assert_msg(strstr(message_of(resp), want) != NULL, "message %s lacks '%s'",
                      message_of(resp), want);
    testlib_response_free(resp);
}

/* ---- tests ---- */

START_TEST(test_pending_and_describe)
{
    char *thing = make_thing();
    char *a = make_task("IN_PROGRESS", NULL), *b = make_task("IN_PROGRESS", NULL);
    char *sched = make_task("SCHEDULED", NULL), *gone = make_task("DELETION_IN_PROGRESS", NULL);
    char *planned = make_task("IN_PROGRESS", NULL), *sched_run = make_task("SCHEDULED", NULL);
    add_exec(b, thing, 1, 1, 50);        /* QUEUED, older */
    add_exec(a, thing, 1, 2, 10);        /* IN_PROGRESS: first */
    add_exec(sched, thing, 1, 1, 100);   /* QUEUED of a SCHEDULED task: hidden */
    add_exec(gone, thing, 1, 1, 100);    /* task being deleted: hidden */
    add_exec(planned, thing, 1, 0, 100); /* PLANNED: never shown */
    add_exec(sched_run, thing, 1, 2, 5); /* IN_PROGRESS of a SCHEDULED task: shown */

    char *path = testlib_strf("/things/%s/jobs", thing);
    struct testlib_response *r = call("GET", path, NULL);
    TESTLIB_ASSERT_STATUS(r, 200);
    cJSON *j = testlib_json(r);
    TESTLIB_ASSERT_JSON_LEN(j, "inProgressJobs", 2);
    TESTLIB_ASSERT_JSON_STR(j, "inProgressJobs[0].jobId", a);
    TESTLIB_ASSERT_JSON_STR(j, "inProgressJobs[1].jobId", sched_run);
    TESTLIB_ASSERT_JSON_PRESENT(j, "inProgressJobs[0].startedAt");
    TESTLIB_ASSERT_JSON_LEN(j, "queuedJobs", 1);
    TESTLIB_ASSERT_JSON_STR(j, "queuedJobs[0].jobId", b);
    TESTLIB_ASSERT_JSON_INT(j, "queuedJobs[0].versionNumber", 1);
    TESTLIB_ASSERT_JSON_INT(j, "queuedJobs[0].executionNumber", 1);
    TESTLIB_ASSERT_JSON_ABSENT(j, "queuedJobs[0].startedAt");
    const cJSON *qa = testlib_json_at(j, "queuedJobs[0].queuedAt");
    ck_assert(cJSON_IsNumber(qa) && qa->valuedouble == (double)(int64_t)qa->valuedouble);
    ck_assert(qa->valuedouble > 1.7e9 && qa->valuedouble < 1e10); /* epoch seconds */
    cJSON_Delete(j);
    testlib_response_free(r);
    free(path);

    /* $next (as the SDKs send it, percent-encoded) is the first pending, read-only */
    r = describe(thing, "%24next", "");
    TESTLIB_ASSERT_STATUS(r, 200);
    j = testlib_json(r);
    TESTLIB_ASSERT_JSON_STR(j, "execution.jobId", a);
    TESTLIB_ASSERT_JSON_STR(j, "execution.thingName", thing);
    TESTLIB_ASSERT_JSON_STR(j, "execution.status", "IN_PROGRESS");
    TESTLIB_ASSERT_JSON_PRESENT(j, "execution.jobDocument");
    cJSON_Delete(j);
    testlib_response_free(r);

    /* by job id: the hidden QUEUED one is still described; includeJobDocument=false */
    r = describe(thing, sched, "?includeJobDocument=false");
    TESTLIB_ASSERT_STATUS(r, 200);
    j = testlib_json(r);
    TESTLIB_ASSERT_JSON_STR(j, "execution.status", "QUEUED");
    TESTLIB_ASSERT_JSON_ABSENT(j, "execution.jobDocument");
    cJSON_Delete(j);
    testlib_response_free(r);
    r = describe(thing, b, "?executionNumber=1&includeJobDocument=true&namespaceId=ns1");
    TESTLIB_ASSERT_STATUS(r, 200);
    j = testlib_json(r);
    char *doc = testlib_strf("{\"otaTask\":{\"taskId\":\"%s\"}}", b);
    TESTLIB_ASSERT_JSON_STR(j, "execution.jobDocument", doc);
    free(doc);
    cJSON_Delete(j);
    testlib_response_free(r);

    assert_error(describe(thing, planned, ""), 404, "ResourceNotFoundException", "no execution");
    assert_error(describe(thing, gone, ""), 404, "ResourceNotFoundException", "not found");
    assert_error(describe(thing, b, "?executionNumber=2"), 404, "ResourceNotFoundException",
                 "no execution 2");
    assert_error(describe(thing, "nosuchjob", ""), 404, "ResourceNotFoundException",
                 "job nosuchjob not found");
    assert_error(describe("nosuchthing", b, ""), 404, "ResourceNotFoundException",
                 "thing nosuchthing not found");
    assert_error(call("GET", "/things/nosuchthing/jobs", NULL), 404, "ResourceNotFoundException",
                 "thing nosuchthing not found");
    assert_error(describe(thing, "bad.job", ""), 400, "InvalidRequestException", "jobId");
    assert_error(describe(thing, b, "?executionNumber=x"), 400, "InvalidRequestException",
                 "executionNumber");
    assert_error(describe(thing, b, "?includeJobDocument=yes"), 400, "InvalidRequestException",
                 "includeJobDocument");
    assert_error(call("GET", "/things/bad%20thing/jobs", NULL), 400, "InvalidRequestException",
                 "thingName");
    char *long_name = xcalloc(1, 130);
    memset(long_name, 'a', 129);
    path = testlib_strf("/things/%s/jobs", long_name);
    assert_error(call("GET", path, NULL), 400, "InvalidRequestException", "thingName");
    free(path);
    free(long_name);

    /* a thing with nothing pending */
    char *idle = make_thing();
    path = testlib_strf("/things/%s/jobs", idle);
    r = call("GET", path, NULL);
    TESTLIB_ASSERT_STATUS(r, 200);
    j = testlib_json(r);
    TESTLIB_ASSERT_JSON_LEN(j, "inProgressJobs", 0);
    TESTLIB_ASSERT_JSON_LEN(j, "queuedJobs", 0);
    cJSON_Delete(j);
    testlib_response_free(r);
    free(path);
    assert_error(describe(idle, "%24next", ""), 404, "ResourceNotFoundException",
                 "no pending job execution");
    release();
}
END_TEST

START_TEST(test_start_next)
{
    char *thing = make_thing();
    char *sched = make_task("SCHEDULED", NULL);
    char *job = make_task("IN_PROGRESS", "{\"TimeoutConfig\":{\"InProgressTimeoutInMinutes\":20}}");
    add_exec(sched, thing, 1, 1, 100); /* older, but hidden */
    add_exec(job, thing, 1, 1, 10);
    int64_t before = wall_ms();
    struct testlib_response *r =
        start_next(thing, "{\"statusDetails\":{\"step\":\"download\"},\"stepTimeoutInMinutes\":7}");
    TESTLIB_ASSERT_STATUS(r, 200);
    cJSON *j = testlib_json(r);
    TESTLIB_ASSERT_JSON_STR(j, "execution.jobId", job);
    TESTLIB_ASSERT_JSON_STR(j, "execution.status", "IN_PROGRESS");
    TESTLIB_ASSERT_JSON_STR(j, "execution.statusDetails.step", "download");
    TESTLIB_ASSERT_JSON_INT(j, "execution.versionNumber", 2);
    TESTLIB_ASSERT_JSON_INT(j, "execution.executionNumber", 1);
    TESTLIB_ASSERT_JSON_PRESENT(j, "execution.startedAt");
    TESTLIB_ASSERT_JSON_PRESENT(j, "execution.jobDocument");
    const cJSON *left = testlib_json_at(j, "execution.approximateSecondsBeforeTimedOut");
    ck_assert_msg(cJSON_IsNumber(left) && left->valuedouble >= 415 && left->valuedouble <= 420,
                  "approximateSecondsBeforeTimedOut %s", r->body);
    cJSON_Delete(j);
    testlib_response_free(r);
    /* stored: started, timeout captured, step timer, deadline = min(start + 20, step + 7) */
    int64_t started = exec_i64(job, thing, "started_at");
    ck_assert(started >= before - 1000 && started <= wall_ms() + 1000);
    ck_assert_int_eq(exec_i64(job, thing, "in_progress_timeout_ms"), 20 * MINUTE);
    ck_assert_int_eq(exec_i64(job, thing, "step_set_at"), started);
    ck_assert_int_eq(exec_i64(job, thing, "step_timeout_ms"), 7 * MINUTE);
    ck_assert_int_eq(exec_i64(job, thing, "deadline"), started + 7 * MINUTE);
    /* the scheduler is told of the new deadline */
    ck_assert_int_eq(sql_i64("SELECT next_tick_at FROM tasks WHERE id = $1", job, NULL),
                     started + 7 * MINUTE);
    assert_counters(job);

    /* again: the IN_PROGRESS one comes back unchanged */
    r = start_next(thing, "{\"statusDetails\":{\"step\":\"other\"}}");
    TESTLIB_ASSERT_STATUS(r, 200);
    j = testlib_json(r);
    TESTLIB_ASSERT_JSON_STR(j, "execution.jobId", job);
    TESTLIB_ASSERT_JSON_INT(j, "execution.versionNumber", 2);
    TESTLIB_ASSERT_JSON_STR(j, "execution.statusDetails.step", "download");
    cJSON_Delete(j);
    testlib_response_free(r);

    /* done: nothing visible is pending any more (an empty body, as boto3 may send) */
    r = update(thing, job, "{\"status\":\"SUCCEEDED\"}");
    TESTLIB_ASSERT_STATUS(r, 200);
    testlib_response_free(r);
    r = start_next(thing, NULL);
    TESTLIB_ASSERT_STATUS(r, 200);
    j = testlib_json(r);
    TESTLIB_ASSERT_JSON_ABSENT(j, "execution");
    cJSON_Delete(j);
    testlib_response_free(r);
    ck_assert_int_eq(exec_i64(sched, thing, "status"), 1);
    ck_assert_int_eq(exec_i64(job, thing, "deadline"), -1);
    assert_counters(job);

    assert_error(start_next("nosuchthing", "{}"), 404, "ResourceNotFoundException",
                 "thing nosuchthing not found");
    assert_error(start_next(thing, "{\"stepTimeoutInMinutes\":-1}"), 400, "InvalidRequestException",
                 "stepTimeoutInMinutes");
    assert_error(start_next(thing, "{\"stepTimeoutInMinutes\":0}"), 400, "InvalidRequestException",
                 "stepTimeoutInMinutes");
    assert_error(start_next(thing, "{\"statusDetails\":{\"a b\":\"x\"}}"), 400,
                 "InvalidRequestException", "statusDetails");
    assert_error(start_next(thing, "[1]"), 400, "InvalidRequestException", NULL);
    release();
}
END_TEST

/* A padded string of n characters. */
static char *chars(char c, size_t n)
{
    char *s = xcalloc(1, n + 1);
    memset(s, c, n);
    return keep(s);
}

/* statusDetails with n pairs k0..k(n-1). */
static char *details_pairs(int n)
{
    char *out = xstrdup("{");
    for (int i = 0; i < n; i++) {
        char *next = testlib_strf("%s%s\"k%d\":\"v\"", out, i > 0 ? "," : "", i);
        free(out);
        out = next;
    }
    char *done = testlib_strf("%s}", out);
    free(out);
    return keep(done);
}

START_TEST(test_update_validation)
{
    char *thing = make_thing();
    char *job = make_task("IN_PROGRESS", NULL);
    add_exec(job, thing, 1, 2, 10);
    char *updated0 = exec_col(job, thing, "updated_at");
    struct {
        const char *body;
        const char *want;
    } bad[] = {
        {"{}", "status"},
        {"{\"status\":\"QUEUED\"}", "status QUEUED cannot be set by a device"},
        {"{\"status\":\"TIMED_OUT\"}", "status TIMED_OUT cannot be set by a device"},
        {"{\"status\":\"CANCELED\"}", "cannot be set by a device"},
        {"{\"status\":\"REMOVED\"}", "cannot be set by a device"},
        {"{\"status\":\"DONE\"}", "status"},
        {"{\"status\":5}", "status"},
        {"{\"status\":\"IN_PROGRESS\",\"statusDetails\":[]}", "statusDetails"},
        {"{\"status\":\"IN_PROGRESS\",\"statusDetails\":{\"k\":1}}", "statusDetails.k"},
        {"{\"status\":\"IN_PROGRESS\",\"statusDetails\":{\"k\":\"\"}}", "statusDetails.k"},
        {"{\"status\":\"IN_PROGRESS\",\"statusDetails\":{\"a/b\":\"v\"}}", "[a-zA-Z0-9:_-]"},
        {"{\"status\":\"IN_PROGRESS\",\"statusDetails\":{\"\":\"v\"}}", "empty"},
        {"{\"status\":\"IN_PROGRESS\",\"stepTimeoutInMinutes\":0}", "stepTimeoutInMinutes"},
        {"{\"status\":\"IN_PROGRESS\",\"stepTimeoutInMinutes\":10081}", "stepTimeoutInMinutes"},
        {"{\"status\":\"IN_PROGRESS\",\"stepTimeoutInMinutes\":-2}", "stepTimeoutInMinutes"},
        {"{\"status\":\"IN_PROGRESS\",\"stepTimeoutInMinutes\":1.5}", "stepTimeoutInMinutes"},
        {"{\"status\":\"IN_PROGRESS\",\"expectedVersion\":\"1\"}", "expectedVersion"},
        {"{\"status\":\"IN_PROGRESS\",\"executionNumber\":-1}", "executionNumber"},
        {"{\"status\":\"IN_PROGRESS\",\"includeJobDocument\":1}", "includeJobDocument"},
        {"not json", "JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_error(update(thing, job, bad[i].body), 400, "InvalidRequestException", bad[i].want);

    /* the limits: 10 pairs, key 128, value 1024 characters pass; one more fails */
    char *k128 = chars('k', 128), *k129 = chars('k', 129);
    char *v1024 = chars('v', 1024), *v1025 = chars('v', 1025);
    char *p10 = details_pairs(10), *p11 = details_pairs(11);
    struct {
        char *details;
        int ok;
    } limits[] = {
        {testlib_strf("%s", p10), 1},
        {testlib_strf("%s", p11), 0},
        {testlib_strf("{\"%s\":\"v\"}", k128), 1},
        {testlib_strf("{\"%s\":\"v\"}", k129), 0},
        {testlib_strf("{\"k\":\"%s\"}", v1024), 1},
        {testlib_strf("{\"k\":\"%s\"}", v1025), 0},
        {testlib_strf("{\"k:_-9\":\"\xc3\xa9t\xc3\xa9\"}"), 1},
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        char *body = testlib_strf("{\"status\":\"IN_PROGRESS\",\"statusDetails\":%s,"
                                  "\"includeJobExecutionState\":true}",
                                  limits[i].details);
        struct testlib_response *r = update(thing, job, body);
        if (limits[i].ok) {
            TESTLIB_ASSERT_STATUS(r, 200);
            testlib_response_free(r);
        } else {
            assert_error(r, 400, "InvalidRequestException", "statusDetails");
        }
        free(body);
        free(limits[i].details);
    }
    /* 4 good updates: version 5, and nothing else changed the row */
    ck_assert_int_eq(exec_i64(job, thing, "version"), 5);
    ck_assert_ptr_nonnull(updated0);
    free(updated0);

    /* 404s */
    assert_error(update("nosuchthing", job, "{\"status\":\"IN_PROGRESS\"}"), 404,
                 "ResourceNotFoundException", "thing nosuchthing not found");
    assert_error(update(thing, "nosuchjob", "{\"status\":\"IN_PROGRESS\"}"), 404,
                 "ResourceNotFoundException", "job nosuchjob not found");
    assert_error(update(thing, job, "{\"status\":\"IN_PROGRESS\",\"executionNumber\":7}"), 404,
                 "ResourceNotFoundException", "no execution 7");
    char *other = make_thing();
    assert_error(update(other, job, "{\"status\":\"IN_PROGRESS\"}"), 404,
                 "ResourceNotFoundException", "no execution");
    assert_error(update(thing, "bad$job", "{\"status\":\"IN_PROGRESS\"}"), 400,
                 "InvalidRequestException", "jobId");
    char *j65 = chars('j', 65);
    assert_error(update(thing, j65, "{\"status\":\"IN_PROGRESS\"}"), 400, "InvalidRequestException",
                 "jobId");
    ck_assert_int_eq(exec_i64(job, thing, "version"), 5);
    assert_counters(job);
    release();
}
END_TEST

START_TEST(test_transitions)
{
    static const char *const names[] = {"PLANNED",   "QUEUED",  "IN_PROGRESS",
                                        "SUCCEEDED", "FAILED",  "TIMED_OUT",
                                        "REJECTED",  "REMOVED", "CANCELED"};
    static const char *const device[] = {"IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED"};
    char *job = make_task("IN_PROGRESS", NULL);
    /* from every status to every status a device may ask for */
    for (int from = 1; from <= 8; from++) {
        for (size_t k = 0; k < 4; k++) {
            char *thing = make_thing();
            add_exec(job, thing, 1, from, 5);
            char *body = testlib_strf("{\"status\":\"%s\",\"includeJobExecutionState\":true,"
                                      "\"statusDetails\":{\"at\":\"x\"}}",
                                      device[k]);
            struct testlib_response *r = update(thing, job, body);
            int legal = from == 1 || from == 2;
            if (legal) {
                TESTLIB_ASSERT_STATUS(r, 200);
                cJSON *j = testlib_json(r);
                TESTLIB_ASSERT_JSON_STR(j, "executionState.status", device[k]);
                TESTLIB_ASSERT_JSON_INT(j, "executionState.versionNumber", 2);
                TESTLIB_ASSERT_JSON_STR(j, "executionState.statusDetails.at", "x");
                TESTLIB_ASSERT_JSON_ABSENT(j, "jobDocument");
                cJSON_Delete(j);
                testlib_response_free(r);
                /* started only through IN_PROGRESS */
                int64_t started = exec_i64(job, thing, "started_at");
                if (from == 1 && k > 0)
                    ck_assert_int_eq(started, -1);
                else
                    ck_assert(started > 0);
            } else {
                char *want = testlib_strf("is %s and cannot become %s", names[from], device[k]);
                assert_error(r, 409, "InvalidStateTransitionException", want);
                free(want);
                ck_assert_int_eq(exec_i64(job, thing, "status"), from);
                ck_assert_int_eq(exec_i64(job, thing, "version"), 1);
                char *details = exec_col(job, thing, "status_details");
                ck_assert_ptr_null(details);
            }
            free(body);
        }
    }
    /* decided is false exactly for the device's FAILED */
    ck_assert_int_eq(
        sql_i64("SELECT count(*) FROM executions WHERE task_id = $1 AND NOT decided", job, NULL),
        2);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM executions WHERE task_id = $1 AND NOT decided"
                             " AND status = 4",
                             job, NULL),
                     2);
    /* terminal transitions woke the task */
    ck_assert(sql_i64("SELECT next_tick_at FROM tasks WHERE id = $1", job, NULL) > 0);
    assert_counters(job);
    release();
}
END_TEST

START_TEST(test_version_conflict)
{
    char *thing = make_thing();
    char *job = make_task("IN_PROGRESS", NULL);
    add_exec(job, thing, 1, 2, 10);
    struct testlib_response *r =
        update(thing, job,
               "{\"status\":\"IN_PROGRESS\",\"statusDetails\":{\"p\":\"1\"},\"expectedVersion\":1,"
               "\"includeJobExecutionState\":true,\"includeJobDocument\":true}");
    TESTLIB_ASSERT_STATUS(r, 200);
    cJSON *j = testlib_json(r);
    TESTLIB_ASSERT_JSON_INT(j, "executionState.versionNumber", 2);
    TESTLIB_ASSERT_JSON_STR(j, "executionState.status", "IN_PROGRESS");
    TESTLIB_ASSERT_JSON_PRESENT(j, "jobDocument");
    cJSON_Delete(j);
    testlib_response_free(r);
    char *details = exec_col(job, thing, "status_details");
    char *updated = exec_col(job, thing, "updated_at");
    r = update(thing, job,
               "{\"status\":\"SUCCEEDED\",\"statusDetails\":{\"p\":\"2\"},\"expectedVersion\":1}");
    assert_error(r, 409, "VersionConflictException", "current version 2");
    /* nothing changed */
    ck_assert_int_eq(exec_i64(job, thing, "status"), 2);
    ck_assert_int_eq(exec_i64(job, thing, "version"), 2);
    char *details2 = exec_col(job, thing, "status_details");
    char *updated2 = exec_col(job, thing, "updated_at");
    ck_assert_str_eq(details2, details);
    ck_assert_str_eq(updated2, updated);
    free(details);
    free(updated);
    free(details2);
    free(updated2);
    /* statusDetails omitted: unchanged; the right version passes */
    r = update(thing, job,
               "{\"status\":\"SUCCEEDED\",\"expectedVersion\":2,"
               "\"includeJobExecutionState\":true}");
    TESTLIB_ASSERT_STATUS(r, 200);
    j = testlib_json(r);
    TESTLIB_ASSERT_JSON_STR(j, "executionState.status", "SUCCEEDED");
    TESTLIB_ASSERT_JSON_STR(j, "executionState.statusDetails.p", "1");
    TESTLIB_ASSERT_JSON_INT(j, "executionState.versionNumber", 3);
    cJSON_Delete(j);
    testlib_response_free(r);
    /* neither state nor document asked: {} */
    char *thing2 = make_thing();
    add_exec(job, thing2, 1, 1, 10);
    r = update(thing2, job, "{\"status\":\"IN_PROGRESS\"}");
    TESTLIB_ASSERT_STATUS(r, 200);
    ck_assert_str_eq(r->body, "{}");
    testlib_response_free(r);
    assert_counters(job);
    release();
}
END_TEST

/* SPEC section 6 / semantics.md section 4: 12:00 start with a 20 min in-progress timer; 12:05
 * step 7 => 12:12; 12:10 step 5 => 12:15; 12:13 step 9 => 12:20 (the in-progress bound). The
 * clock cannot be moved, so started_at is moved back before each step instead. */
START_TEST(test_step_timer_worked_example)
{
    char *thing = make_thing();
    char *job = make_task("IN_PROGRESS", "{\"TimeoutConfig\":{\"InProgressTimeoutInMinutes\":20}}");
    add_exec(job, thing, 1, 1, 60);
    struct testlib_response *r = start_next(thing, "{}");
    TESTLIB_ASSERT_STATUS(r, 200);
    testlib_response_free(r);
    int64_t started = exec_i64(job, thing, "started_at");
    ck_assert_int_eq(exec_i64(job, thing, "deadline"), started + 20 * MINUTE);
    ck_assert_int_eq(exec_i64(job, thing, "step_set_at"), -1);
    struct {
        int at_min, step_min, deadline_min;
    } steps[] = {{5, 7, 12}, {10, 5, 15}, {13, 9, 20}};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        /* move the start so that "now" is steps[i].at_min after it */
        char *shift = testlib_strf("%" PRId64, wall_ms() - steps[i].at_min * MINUTE);
        sql("UPDATE executions SET started_at = $3::bigint WHERE task_id = $1 AND thing_id = $2",
            job, thing, shift);
        free(shift);
        char *body = testlib_strf("{\"status\":\"IN_PROGRESS\",\"stepTimeoutInMinutes\":%d}",
                                  steps[i].step_min);
        r = update(thing, job, body);
        TESTLIB_ASSERT_STATUS(r, 200);
        testlib_response_free(r);
        free(body);
        int64_t start = exec_i64(job, thing, "started_at");
        int64_t step_at = exec_i64(job, thing, "step_set_at");
        int64_t deadline = exec_i64(job, thing, "deadline");
        /* the step was set "at" minutes after the start (within the request's second) */
        ck_assert(llabs((long long)(step_at - start - steps[i].at_min * MINUTE)) < 2000);
        int64_t want = steps[i].step_min + steps[i].at_min < 20
                           ? step_at + steps[i].step_min * MINUTE
                           : start + 20 * MINUTE;
        ck_assert_int_eq(deadline, want);
        ck_assert(llabs((long long)(deadline - start - steps[i].deadline_min * MINUTE)) < 2000);
        /* Describe shows the time left */
        r = describe(thing, job, "");
        TESTLIB_ASSERT_STATUS(r, 200);
        cJSON *j = testlib_json(r);
        const cJSON *left = testlib_json_at(j, "execution.approximateSecondsBeforeTimedOut");
        int64_t want_left = (deadline - wall_ms()) / 1000;
        ck_assert_msg(cJSON_IsNumber(left) &&
                          llabs((long long)(left->valuedouble - want_left)) <= 2,
                      "left %s, want about %lld", r->body, (long long)want_left);
        cJSON_Delete(j);
        testlib_response_free(r);
    }
    /* -1 clears the step timer: the in-progress bound remains */
    r = update(thing, job, "{\"status\":\"IN_PROGRESS\",\"stepTimeoutInMinutes\":-1}");
    TESTLIB_ASSERT_STATUS(r, 200);
    testlib_response_free(r);
    ck_assert_int_eq(exec_i64(job, thing, "step_set_at"), -1);
    ck_assert_int_eq(exec_i64(job, thing, "deadline"),
                     exec_i64(job, thing, "started_at") + 20 * MINUTE);
    /* no in-progress timeout at all: a step timer alone sets the deadline, none without it */
    char *free_job = make_task("IN_PROGRESS", NULL);
    char *thing2 = make_thing();
    add_exec(free_job, thing2, 1, 1, 60);
    r = update(thing2, free_job, "{\"status\":\"IN_PROGRESS\"}");
    TESTLIB_ASSERT_STATUS(r, 200);
    testlib_response_free(r);
    ck_assert_int_eq(exec_i64(free_job, thing2, "deadline"), -1);
    r = update(thing2, free_job, "{\"status\":\"IN_PROGRESS\",\"stepTimeoutInMinutes\":3}");
    TESTLIB_ASSERT_STATUS(r, 200);
    testlib_response_free(r);
    ck_assert_int_eq(exec_i64(free_job, thing2, "deadline"),
                     exec_i64(free_job, thing2, "step_set_at") + 3 * MINUTE);
    r = describe(thing2, free_job, "");
    cJSON *j = testlib_json(r);
    TESTLIB_ASSERT_JSON_PRESENT(j, "execution.approximateSecondsBeforeTimedOut");
    cJSON_Delete(j);
    testlib_response_free(r);
    release();
}
END_TEST

/* ---- a burst of concurrent devices ---- */

#define BURST_THINGS  320
#define BURST_THREADS 40

struct burst {
    const char *job;
    char **things;
    int first, count;
    int failures;
    char failure[1024];
};

/* One request on c; 0 if the status is want. */
static int burst_call(struct testlib_http *c, struct burst *b, const char *method, const char *path,
                      const char *body, int want)
{
    struct testlib_response *r = NULL;
    struct oerr err;
    const char *const *headers = json_headers;
    int rc = testlib_http_request(c, method, path, headers, body, SIZE_MAX, &r, &err);
    if (rc < 0 || r->status != want) {
        if (b->failures++ == 0)
            snprintf(b->failure, sizeof b->failure, "%s %.200s: %.300s", method, path,
                     rc < 0 ? err.msg : r->body);
        testlib_response_free(r);
        return -1;
    }
    testlib_response_free(r);
    return 0;
}

static void *burst_device(void *arg)
{
    struct burst *b = arg;
    struct oerr err;
    struct testlib_http *c = testlib_http_new(NULL, &err);
    if (c == NULL) {
        b->failures++;
        return NULL;
    }
    static const char *const finals[] = {"SUCCEEDED", "FAILED", "REJECTED", "SUCCEEDED"};
    for (int i = b->first; i < b->first + b->count; i++) {
        char path[256], body[256];
        snprintf(path, sizeof path, "/things/%s/jobs/$next", b->things[i]);
        if (burst_call(c, b, "PUT", path, "{\"statusDetails\":{\"s\":\"start\"}}", 200) < 0)
            continue;
        snprintf(path, sizeof path, "/things/%s/jobs/%s", b->things[i], b->job);
        for (int k = 0; k < 3; k++) {
            snprintf(body, sizeof body,
                     "{\"status\":\"IN_PROGRESS\",\"statusDetails\":{\"p\":\"%d\"},"
                     "\"expectedVersion\":%d}",
                     k, k + 2);
            burst_call(c, b, "POST", path, body, 200);
        }
        snprintf(body, sizeof body, "{\"status\":\"%s\"}", finals[i % 4]);
        burst_call(c, b, "POST", path, body, 200);
        /* a stale version after the end: refused, nothing changes */
        burst_call(c, b, "POST", path, "{\"status\":\"IN_PROGRESS\",\"expectedVersion\":2}", 409);
    }
    testlib_http_free(c);
    return NULL;
}

static int64_t metric(const char *name)
{
    struct testlib_response *r = call("GET", "/metrics", NULL);
    TESTLIB_ASSERT_STATUS(r, 200);
    int64_t v = -1;
    size_t n = strlen(name);
    for (char *line = r->body; line != NULL && *line != '\0';) {
        if (strncmp(line, name, n) == 0 && line[n] == ' ')
            v = strtoll(line + n + 1, NULL, 10);
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    testlib_response_free(r);
    return v;
}

START_TEST(test_burst_counters_and_batches)
{
    char *job = make_task("IN_PROGRESS", "{\"TimeoutConfig\":{\"InProgressTimeoutInMinutes\":60}}");
    char **things = keep(xcalloc(BURST_THINGS, sizeof *things));
    for (int i = 0; i < BURST_THINGS; i++) {
        things[i] = make_thing();
        add_exec(job, things[i], 1, 1, 30);
    }
    int64_t batches0 = metric("otad_device_batches_total");
    int64_t requests0 = metric("otad_device_batch_requests_total");
    pthread_t threads[BURST_THREADS];
    struct burst work[BURST_THREADS];
    int per = BURST_THINGS / BURST_THREADS;
    for (int t = 0; t < BURST_THREADS; t++) {
        memset(&work[t], 0, sizeof work[t]);
        work[t].job = job;
        work[t].things = things;
        work[t].first = t * per;
        work[t].count = per;
        ck_assert_int_eq(pthread_create(&threads[t], NULL, burst_device, &work[t]), 0);
    }
    for (int t = 0; t < BURST_THREADS; t++) {
        pthread_join(threads[t], NULL);
        ck_assert_msg(work[t].failures == 0, "device thread %d: %d failures, first: %s", t,
                      work[t].failures, work[t].failure);
    }
    /* every execution reached its final status, and the counters agree */
    ck_assert_int_eq(
        sql_i64("SELECT count(*) FROM executions WHERE task_id = $1 AND status = 3", job, NULL),
        BURST_THINGS / 2);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM executions WHERE task_id = $1 AND status = 4"
                             " AND NOT decided AND version = 6",
                             job, NULL),
                     BURST_THINGS / 4);
    ck_assert_int_eq(
        sql_i64("SELECT count(*) FROM executions WHERE task_id = $1 AND status = 6", job, NULL),
        BURST_THINGS / 4);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM executions WHERE task_id = $1"
                             " AND deadline IS NOT NULL",
                             job, NULL),
                     0);
    assert_counters(job);
    /* the counter deltas went to the device connections' shards (worker 0: 0 and 1) */
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM task_counters WHERE task_id = $1"
                             " AND shard NOT IN (0, 1)",
                             job, NULL),
                     0);
    /* requests were group-committed: fewer statements than requests, some batches of many */
    int64_t batches = metric("otad_device_batches_total") - batches0;
    int64_t requests = metric("otad_device_batch_requests_total") - requests0;
    ck_assert_int_eq(requests, (int64_t)BURST_THINGS * 6);
    ck_assert_msg(batches < requests, "%lld batches for %lld requests", (long long)batches,
                  (long long)requests);
    ck_assert_msg(metric("otad_device_batch_max") >= 5, "largest batch %lld",
                  (long long)metric("otad_device_batch_max"));
    fprintf(stderr, "burst: %lld requests in %lld batches (mean %.1f, largest %lld)\n",
            (long long)requests, (long long)batches, (double)requests / (double)batches,
            (long long)metric("otad_device_batch_max"));
    /* the task was woken for its terminal transitions */
    ck_assert(sql_i64("SELECT next_tick_at FROM tasks WHERE id = $1", job, NULL) > 0);
    release();
}
END_TEST

struct same {
    const char *path;
    int failures;
    char failure[1024];
};

static void *same_device(void *arg)
{
    struct same *w = arg;
    struct oerr err;
    struct testlib_http *c = testlib_http_new(NULL, &err);
    struct burst b;
    memset(&b, 0, sizeof b);
    for (int k = 0; c != NULL && k < 5; k++)
        burst_call(c, &b, "POST", w->path, "{\"status\":\"IN_PROGRESS\"}", 200);
    w->failures = c == NULL ? 1 : b.failures;
    memcpy(w->failure, b.failure, sizeof w->failure);
    testlib_http_free(c);
    return NULL;
}

/* Many devices update one execution at once: never two rows for it in one statement, every
 * update applied once, in some order. */
START_TEST(test_same_execution_concurrently)
{
    char *thing = make_thing();
    char *job = make_task("IN_PROGRESS", NULL);
    add_exec(job, thing, 1, 2, 10);
    char *path = keep(testlib_strf("/things/%s/jobs/%s", thing, job));
    pthread_t threads[16];
    struct same work[16];
    for (int t = 0; t < 16; t++) {
        memset(&work[t], 0, sizeof work[t]);
        work[t].path = path;
        ck_assert_int_eq(pthread_create(&threads[t], NULL, same_device, &work[t]), 0);
    }
    for (int t = 0; t < 16; t++) {
        pthread_join(threads[t], NULL);
        ck_assert_msg(work[t].failures == 0, "thread %d: %s", t, work[t].failure);
    }
    ck_assert_int_eq(exec_i64(job, thing, "version"), 1 + 16 * 5);
    assert_counters(job);
    release();
}
END_TEST

/* The device connections are killed under otad: the batch that meets a dead connection fails
 * with 503 (nothing applied), the connections are leased again, and updates go on. */
START_TEST(test_lost_connections)
{
    char *thing = make_thing();
    char *job = make_task("IN_PROGRESS", NULL);
    add_exec(job, thing, 1, 2, 10);
    const char *body = "{\"status\":\"IN_PROGRESS\",\"statusDetails\":{\"p\":\"x\"}}";
    struct testlib_response *r = update(thing, job, body);
    TESTLIB_ASSERT_STATUS(r, 200);
    testlib_response_free(r);
    int64_t killed = sql_i64("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                             " WHERE query LIKE '%pg_temp.devupd%' AND pid <> pg_backend_pid()",
                             NULL, NULL);
    ck_assert_int_eq(killed, 2);
    int ok = 1, unavailable = 0, streak = 0;
    int64_t until = testlib_now_ms() + 15000;
    while (streak < 5) {
        ck_assert_msg(testlib_now_ms() < until, "updates did not recover: %d ok, %d unavailable",
                      ok, unavailable);
        r = update(thing, job, body);
        if (r->status == 200) {
            ok++;
            streak++;
        } else {
            TESTLIB_ASSERT_ERROR(r, 503, "ServiceUnavailableException");
            unavailable++;
            streak = 0;
            testlib_sleep_ms(50);
        }
        testlib_response_free(r);
    }
    fprintf(stderr, "lost connections: %d updates failed with 503, %d applied\n", unavailable, ok);
    ck_assert_msg(unavailable <= 2, "%d requests failed", unavailable);
    /* exactly the answered updates were applied */
    ck_assert_int_eq(exec_i64(job, thing, "version"), 1 + ok);
    ck_assert_int_eq(sql_i64("SELECT count(*) FROM pg_stat_activity WHERE query LIKE"
                             " '%pg_temp.devupd%' AND pid <> pg_backend_pid()",
                             NULL, NULL) >= 1,
                     1);
    release();
}
END_TEST

static Suite *jobs_suite(void)
{
    Suite *s = suite_create("jobs");
    struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        {"pending_and_describe", test_pending_and_describe},
        {"start_next", test_start_next},
        {"update_validation", test_update_validation},
        {"transitions", test_transitions},
        {"version_conflict", test_version_conflict},
        {"step_timer_worked_example", test_step_timer_worked_example},
        {"burst_counters_and_batches", test_burst_counters_and_batches},
        {"same_execution_concurrently", test_same_execution_concurrently},
        {"lost_connections", test_lost_connections},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 180);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(jobs_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
