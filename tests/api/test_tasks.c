/*
 * API tests of the OTA task operations (CreateOtaTask, GetOtaTask, ListOtaTasks, UpdateOtaTask,
 * DeleteOtaTask, ListOtaTaskExecutions) over HTTP against the otad the harness starts
 * (OTAD_TEST_URL), which runs the real scheduler and relay threads; the database (OTAD_TEST_PG)
 * is read directly to prove what was stored (targets in order, the scheduler's columns, the
 * counters) and that nothing is stored when a request fails. Tests share one database, so each
 * works on things, configurations and tasks it made itself; things are told apart by a MetaData
 * group unique to the test.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "engine/mem.h"
#include "tests/harness/testlib.h"

#define NELEM(a)  (sizeof(a) / sizeof((a)[0]))
#define DEADLINE  20000 /* ms to wait for the scheduler */
#define BASE      "\"S3Url\":\"s3://bucket/fw.bin\",\"OtaType\":\"ONE_TIME\""
#define MAX_THING 32

static const char *const json_headers[] = {"Content-Type: application/json", NULL};

static struct testlib_response *call(const char *method, const char *path, const char *body)
{
    return testlib_call(method, path, body != NULL ? json_headers : NULL, body);
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

/* The first value of a query with up to two text parameters, malloc'd; NULL for SQL NULL or
 * no row. */
static char *sql_str(const char *q, const char *a, const char *b)
{
    const char *p[2] = {a, b};
    int n = b != NULL ? 2 : (a != NULL ? 1 : 0);
    PGresult *res = PQexecParams(db(), q, n, NULL, p, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    ck_assert_msg(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s", q,
                  PQresultErrorMessage(res));
    char *out = NULL;
    if (st == PGRES_TUPLES_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
        out = xstrdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return out;
}

static long long sql_num(const char *q, const char *a, const char *b)
{
    char *s = sql_str(q, a, b);
    ck_assert_msg(s != NULL, "%s: no value", q);
    long long v = strtoll(s, NULL, 10);
    free(s);
    return v;
}

static void sql_exec(const char *q, const char *a, const char *b)
{
    free(sql_str(q, a, b));
}

/* What a failed request must not have changed. */
struct stored {
    long long tasks, executions, counters, tokens;
};

static struct stored stored_now(void)
{
    struct stored s;
    s.tasks = sql_num("SELECT count(*) FROM tasks", NULL, NULL);
    s.executions = sql_num("SELECT count(*) FROM executions", NULL, NULL);
    s.counters = sql_num("SELECT count(*) FROM task_counters WHERE shard = 0", NULL, NULL);
    s.tokens =
        sql_num("SELECT count(*) FROM idempotency WHERE scope = 'CreateOtaTask'", NULL, NULL);
    return s;
}

static void assert_nothing_stored(const struct stored *before)
{
    struct stored after = stored_now();
    ck_assert_int_eq(after.tasks, before->tasks);
    ck_assert_int_eq(after.executions, before->executions);
    ck_assert_int_eq(after.counters, before->counters);
    ck_assert_int_eq(after.tokens, before->tokens);
}

/* ---- helpers ---- */

/* A string unique to this test process. */
static char *unique(const char *prefix)
{
    static int n;
    return testlib_strf("%s%d%lld%d", prefix, (int)getpid(), (long long)testlib_now_ms(), n++);
}

/* The error's Message member (static copy). */
static const char *message_of(const struct testlib_response *resp)
{
    static char msg[1024];
    cJSON *root = testlib_json(resp);
    const cJSON *m = testlib_json_at(root, "Message");
    ck_assert_msg(cJSON_IsString(m), "no Message in %s", resp->body);
    snprintf(msg, sizeof msg, "%s", m->valuestring);
    cJSON_Delete(root);
    return msg;
}

static void assert_invalid(const struct testlib_response *resp, const char *want)
{
    TESTLIB_ASSERT_ERROR(resp, 400, "ValidationException");
    ck_assert_str_eq(message_of(resp), want);
}

/* Assert a 404 ResourceNotFoundException for resource type and id. */
static void assert_not_found(const struct testlib_response *resp, const char *type, const char *id)
{
    TESTLIB_ASSERT_ERROR(resp, 404, "ResourceNotFoundException");
    cJSON *root = testlib_json(resp);
    TESTLIB_ASSERT_JSON_STR(root, "ResourceType", type);
    TESTLIB_ASSERT_JSON_STR(root, "ResourceId", id);
    cJSON_Delete(root);
}

/* The string member at path of a 2xx response's JSON, malloc'd. */
static char *member_of(const struct testlib_response *resp, const char *path)
{
    cJSON *root = testlib_json(resp);
    const cJSON *it = testlib_json_at(root, path);
    ck_assert_msg(cJSON_IsString(it), "no %s in %s", path, resp->body);
    char *out = xstrdup(it->valuestring);
    cJSON_Delete(root);
    return out;
}

/* A managed thing with MetaData {"grp": group, "fw": fw}; returns its id. */
static char *create_thing(const char *group, const char *fw)
{
    char *body = testlib_strf("{\"Role\":\"DEVICE\",\"AuthenticationMaterial\":\"abc\","
                              "\"AuthenticationMaterialType\":\"ZIGBEE_QR_BAR_CODE\","
                              "\"MetaData\":{\"grp\":\"%s\",\"fw\":\"%s\"}}",
                              group, fw);
    struct testlib_response *resp = call("POST", "/managed-things", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    char *id = member_of(resp, "Id");
    testlib_response_free(resp);
    free(body);
    return id;
}

/* A task configuration with the given PushConfig JSON (or none); returns its id. */
static char *create_config(const char *push)
{
    char *body = push != NULL ? testlib_strf("{\"PushConfig\":%s}", push) : xstrdup("{}");
    struct testlib_response *resp = call("POST", "/ota-task-configurations", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    char *id = member_of(resp, "TaskConfigurationId");
    testlib_response_free(resp);
    free(body);
    return id;
}

/* CreateOtaTask with BASE plus members (may be ""); returns the task id. */
static char *create_task(const char *members)
{
    char *body = testlib_strf("{" BASE "%s%s}", members[0] != '\0' ? "," : "", members);
    struct testlib_response *resp = call("POST", "/ota-tasks", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    char *id = member_of(resp, "TaskId");
    testlib_response_free(resp);
    free(body);
    return id;
}

static struct testlib_response *get_task_resp(const char *id)
{
    char *path = testlib_strf("/ota-tasks/%s", id);
    struct testlib_response *resp = call("GET", path, NULL);
    free(path);
    return resp;
}

static cJSON *get_task(const char *id)
{
    struct testlib_response *resp = get_task_resp(id);
    TESTLIB_ASSERT_STATUS(resp, 200);
    cJSON *root = testlib_json(resp);
    testlib_response_free(resp);
    return root;
}

/* A number member of GetOtaTask (-1 when absent). */
static long long task_number(const char *id, const char *path)
{
    cJSON *root = get_task(id);
    const cJSON *it = testlib_json_at(root, path);
    long long v = cJSON_IsNumber(it) ? (long long)it->valuedouble : -1;
    cJSON_Delete(root);
    return v;
}

static int task_gone(const char *id)
{
    struct testlib_response *resp = get_task_resp(id);
    int gone = resp->status == 404;
    ck_assert_msg(gone || resp->status == 200, "GetOtaTask: %d %s", resp->status, resp->body);
    testlib_response_free(resp);
    return gone;
}

/* A string of n copies of c. */
static char *rep(char c, size_t n)
{
    char *s = xmalloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* The things of a task's executions in seq order, joined by ',' (first attempts). */
static char *targets_of(const char *task)
{
    return sql_str("SELECT coalesce(string_agg(thing_id, ',' ORDER BY seq), '') FROM executions"
                   " WHERE task_id = $1 AND execution_number = 1",
                   task, NULL);
}

/* ---- Create: everything stored and echoed ---- */

START_TEST(test_create_full)
{
    char *group = unique("full");
    char *a = create_thing(group, "1");
    char *cfg = create_config("{\"RolloutConfig\":{\"MaximumPerMinute\":50},"
                              "\"TimeoutConfig\":{\"InProgressTimeoutInMinutes\":30}}");
    char *members = testlib_strf(
        "\"Description\":\"firmware 2\",\"Protocol\":\"HTTP\",\"OtaMechanism\":\"PUSH\","
        "\"Target\":[\"arn:aws:iotmanagedintegrations:us-east-1:123456789012:managed-thing/%s\"],"
        "\"TaskConfigurationId\":\"%s\",\"Unknown\":1,"
        "\"OtaSchedulingConfig\":{\"StartTime\":\"2020-01-01T00:00:00Z\","
        "\"EndTime\":\"2099-01-01 10:00\",\"EndBehavior\":\"CANCEL\",\"Extra\":true,"
        "\"MaintenanceWindows\":[{\"StartTime\":\"cron(0 0 * * ? "
        "*)\",\"DurationInMinutes\":1430}]},"
        "\"OtaTaskExecutionRetryConfig\":{\"RetryConfigCriteria\":[{\"FailureType\":\"FAILED\","
        "\"MinNumberOfRetries\":2},{\"FailureType\":\"TIMED_OUT\",\"MinNumberOfRetries\":1}]},"
        "\"Tags\":{\"env\":\"test\",\"empty\":\"\"}",
        a, cfg);
    char *body = testlib_strf("{" BASE ",%s}", members);
    struct testlib_response *resp = call("POST", "/ota-tasks", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    cJSON *created = testlib_json(resp);
    TESTLIB_ASSERT_JSON_STR(created, "Description", "firmware 2");
    TESTLIB_ASSERT_JSON_LEN(created, "", 3);
    char *id = member_of(resp, "TaskId");
    char *arn =
        testlib_strf("arn:aws:iotmanagedintegrations:us-east-1:123456789012:ota-task/%s", id);
    TESTLIB_ASSERT_JSON_STR(created, "TaskArn", arn);
    ck_assert_uint_eq(strlen(id), 20);

    cJSON *got = get_task(id);
    TESTLIB_ASSERT_JSON_STR(got, "TaskId", id);
    TESTLIB_ASSERT_JSON_STR(got, "TaskArn", arn);
    TESTLIB_ASSERT_JSON_STR(got, "Description", "firmware 2");
    TESTLIB_ASSERT_JSON_STR(got, "S3Url", "s3://bucket/fw.bin");
    TESTLIB_ASSERT_JSON_STR(got, "Protocol", "HTTP");
    TESTLIB_ASSERT_JSON_STR(got, "OtaMechanism", "PUSH");
    TESTLIB_ASSERT_JSON_STR(got, "OtaType", "ONE_TIME");
    TESTLIB_ASSERT_JSON_STR(got, "TaskConfigurationId", cfg);
    TESTLIB_ASSERT_JSON_LEN(got, "Target", 1);
    TESTLIB_ASSERT_JSON_ABSENT(got, "OtaTargetQueryString");
    TESTLIB_ASSERT_JSON_STR(got, "OtaSchedulingConfig.StartTime", "2020-01-01T00:00:00Z");
    TESTLIB_ASSERT_JSON_STR(got, "OtaSchedulingConfig.EndTime", "2099-01-01 10:00");
    TESTLIB_ASSERT_JSON_STR(got, "OtaSchedulingConfig.EndBehavior", "CANCEL");
    TESTLIB_ASSERT_JSON_ABSENT(got, "OtaSchedulingConfig.Extra");
    TESTLIB_ASSERT_JSON_STR(got, "OtaSchedulingConfig.MaintenanceWindows[0].StartTime",
                            "cron(0 0 * * ? *)");
    TESTLIB_ASSERT_JSON_INT(got, "OtaSchedulingConfig.MaintenanceWindows[0].DurationInMinutes",
                            1430);
    TESTLIB_ASSERT_JSON_STR(got, "OtaTaskExecutionRetryConfig.RetryConfigCriteria[1].FailureType",
                            "TIMED_OUT");
    TESTLIB_ASSERT_JSON_INT(
        got, "OtaTaskExecutionRetryConfig.RetryConfigCriteria[0].MinNumberOfRetries", 2);
    TESTLIB_ASSERT_JSON_STR(got, "Tags.env", "test");
    TESTLIB_ASSERT_JSON_STR(got, "Tags.empty", "");
    TESTLIB_ASSERT_JSON_PRESENT(got, "Status");
    TESTLIB_ASSERT_JSON_ABSENT(got, "AbortDetails");
    TESTLIB_ASSERT_JSON_ABSENT(got, "Unknown");
    const cJSON *created_at = testlib_json_at(got, "CreatedAt");
    ck_assert(cJSON_IsNumber(created_at));
    long long now_s = sql_num("SELECT extract(epoch FROM now())::bigint", NULL, NULL);
    ck_assert_msg(created_at->valuedouble > (double)(now_s - 60) &&
                      created_at->valuedouble < (double)(now_s + 60),
                  "CreatedAt %f is not epoch seconds of now", created_at->valuedouble);
    TESTLIB_ASSERT_JSON_PRESENT(got, "LastUpdatedAt");
    /* every counter with the model's casing, PLANNED nowhere */
    static const char *const counters[] = {"NumberOfCanceledThings",   "NumberOfFailedThings",
                                           "NumberOfInProgressThings", "numberOfQueuedThings",
                                           "numberOfRejectedThings",   "numberOfRemovedThings",
                                           "numberOfSucceededThings",  "numberOfTimedOutThings"};
    for (size_t i = 0; i < NELEM(counters); i++) {
        char *path = testlib_strf("TaskProcessingDetails.%s", counters[i]);
        TESTLIB_ASSERT_JSON_PRESENT(got, path);
        free(path);
    }
    /* nothing else but processingTargets (present once something is queued) */
    const cJSON *member;
    cJSON_ArrayForEach(member, testlib_json_at(got, "TaskProcessingDetails"))
    {
        int known = strcmp(member->string, "processingTargets") == 0;
        for (size_t i = 0; i < NELEM(counters); i++)
            known |= strcmp(member->string, counters[i]) == 0;
        ck_assert_msg(known, "unexpected TaskProcessingDetails.%s", member->string);
    }

    /* what the scheduler reads */
    ck_assert_int_eq(sql_num("SELECT start_at FROM tasks WHERE id = $1", id, NULL),
                     1577836800000LL);
    ck_assert_int_eq(sql_num("SELECT end_at FROM tasks WHERE id = $1", id, NULL), 4070944800000LL);
    char *s = sql_str("SELECT end_behavior || ' ' || windows::text || ' ' || retry::text || ' ' ||"
                      " job_id || ' ' || ota_type FROM tasks WHERE id = $1",
                      id, NULL);
    char *want = testlib_strf("CANCEL [{\"cron\": \"cron(0 0 * * ? *)\", \"duration\": 1430}] "
                              "[{\"n\": 2, \"type\": \"FAILED\"}, {\"n\": 1, \"type\": "
                              "\"TIMED_OUT\"}] %s ONE_TIME",
                              id);
    ck_assert_str_eq(s, want);
    free(s);
    free(want);
    s = sql_str("SELECT t.push_config = c.push_config FROM tasks t, task_configurations c"
                " WHERE t.id = $1 AND c.id = $2",
                id, cfg);
    ck_assert_str_eq(s, "t");
    free(s);
    s = sql_str("SELECT job_document FROM tasks WHERE id = $1", id, NULL);
    want = testlib_strf("{\"otaTask\":{\"taskId\":\"%s\",\"taskArn\":\"%s\","
                        "\"s3Url\":\"s3://bucket/fw.bin\",\"protocol\":\"HTTP\","
                        "\"otaType\":\"ONE_TIME\"}}",
                        id, arn);
    ck_assert_str_eq(s, want);
    free(s);
    free(want);
    s = targets_of(id);
    ck_assert_str_eq(s, a);
    free(s);
    ck_assert_int_eq(sql_num("SELECT config_version FROM tasks WHERE id = $1", id, NULL), 1);

    cJSON_Delete(got);
    cJSON_Delete(created);
    testlib_response_free(resp);
    free(arn);
    free(id);
    free(body);
    free(members);
    free(cfg);
    free(a);
    free(group);
}
END_TEST

/* A ONE_TIME task with no targets is COMPLETED at once; statuses from the schedule. */
struct status_case {
    const char *members;
    const char *status;
};

static const struct status_case statuses[] = {
    {"", "COMPLETED"},
    {"\"OtaTargetQueryString\":\"attributes.grp=nothing-matches-this\"", "COMPLETED"},
    {"\"Target\":[],\"OtaSchedulingConfig\":{\"StartTime\":\"2099-01-01T00:00:00Z\"}", "COMPLETED"},
};

START_TEST(test_initial_status)
{
    char *id = create_task(statuses[_i].members);
    cJSON *got = get_task(id);
    TESTLIB_ASSERT_JSON_STR(got, "Status", statuses[_i].status);
    TESTLIB_ASSERT_JSON_ABSENT(got, "TaskProcessingDetails.processingTargets");
    cJSON_Delete(got);
    ck_assert_int_eq(sql_num("SELECT count(*) FROM executions WHERE task_id = $1", id, NULL), 0);
    free(id);
}
END_TEST

/* With targets, the status follows the schedule: future start or closed windows = SCHEDULED. */
START_TEST(test_scheduled_and_continuous_status)
{
    char *group = unique("sched");
    char *t = create_thing(group, "1");
    char *m = testlib_strf("\"Target\":[\"%s\"],\"OtaSchedulingConfig\":{\"StartTime\":"
                           "\"2099-01-01T00:00:00Z\"}",
                           t);
    char *id = create_task(m);
    cJSON *got = get_task(id);
    TESTLIB_ASSERT_JSON_STR(got, "Status", "SCHEDULED");
    cJSON_Delete(got);
    free(id);
    free(m);
    /* a CONTINUOUS task with nothing to do yet is IN_PROGRESS, not COMPLETED */
    char *body = testlib_strf("{\"S3Url\":\"s3://b/f\",\"OtaType\":\"CONTINUOUS\","
                              "\"OtaTargetQueryString\":\"attributes.grp=%s-none\"}",
                              group);
    struct testlib_response *resp = call("POST", "/ota-tasks", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    id = member_of(resp, "TaskId");
    got = get_task(id);
    TESTLIB_ASSERT_JSON_STR(got, "Status", "IN_PROGRESS");
    TESTLIB_ASSERT_JSON_STR(got, "OtaType", "CONTINUOUS");
    cJSON_Delete(got);
    testlib_response_free(resp);
    free(body);
    free(id);
    free(t);
    free(group);
}
END_TEST

/* ---- Create: validation, every nested member, nothing stored ---- */

struct bad_case {
    const char *body; /* a whole body when it starts with '{', else members added to BASE */
    const char *message;
};

#define WIN "{\"StartTime\":\"cron(0 0 * * ? *)\",\"DurationInMinutes\":60}"

static const struct bad_case bad_creates[] = {
    {"{\"OtaType\":\"ONE_TIME\"}", "S3Url is required"},
    {"{\"S3Url\":\"\",\"OtaType\":\"ONE_TIME\"}",
     "S3Url must be between 1 and 1000 characters long"},
    {"{\"S3Url\":7,\"OtaType\":\"ONE_TIME\"}", "S3Url must be a string"},
    {"{\"S3Url\":\"s3://b/f\"}", "OtaType is required"},
    {"{\"S3Url\":\"s3://b/f\",\"OtaType\":\"SNAPSHOT\"}",
     "OtaType must be one of ONE_TIME, CONTINUOUS"},
    {"\"Protocol\":\"MQTT\"", "Protocol must be one of HTTP"},
    {"\"OtaMechanism\":\"PULL\"", "OtaMechanism must be one of PUSH"},
    {"\"Description\":\"bad!\"",
     "Description must contain only letters, digits, '_', '-' and spaces"},
    {"\"Description\":\"\"", "Description must be between 1 and 256 characters long"},
    {"\"TaskConfigurationId\":\"a-b\"", "TaskConfigurationId must contain only letters and digits"},
    {"\"Target\":\"x\"", "Target must be a list"},
    {"\"Target\":[\"a\",1]", "Target[1] must be a string"},
    {"\"Target\":[\"\"]", "Target[0] must be between 1 and 1011 characters long"},
    {"\"OtaTargetQueryString\":\"owner:a AND (role:DEVICE\"",
     "OtaTargetQueryString: unclosed '(' at position 13"},
    {"\"OtaTargetQueryString\":\"owner:a )\"", "OtaTargetQueryString: unmatched ')' at position 9"},
    {"\"OtaTargetQueryString\":\"\"",
     "OtaTargetQueryString must be between 1 and 4096 characters long"},
    {"\"OtaSchedulingConfig\":[]", "OtaSchedulingConfig must be an object"},
    {"\"OtaSchedulingConfig\":{\"StartTime\":\"tomorrow\"}",
     "OtaSchedulingConfig.StartTime: invalid date-time: expected a 4-digit year at position 1, "
     "found 't'"},
    {"\"OtaSchedulingConfig\":{\"EndTime\":5}", "OtaSchedulingConfig.EndTime must be a string"},
    {"\"OtaSchedulingConfig\":{\"StartTime\":\"2099-01-02T00:00:00Z\","
     "\"EndTime\":\"2099-01-01T00:00:00Z\"}",
     "OtaSchedulingConfig.EndTime must be after StartTime"},
    {"\"OtaSchedulingConfig\":{\"EndTime\":\"2020-01-01T00:00:00Z\"}",
     "OtaSchedulingConfig.EndTime must be in the future"},
    {"\"OtaSchedulingConfig\":{\"EndBehavior\":\"STOP\"}",
     "OtaSchedulingConfig.EndBehavior must be one of STOP_ROLLOUT, CANCEL, FORCE_CANCEL"},
    {"\"OtaSchedulingConfig\":{\"MaintenanceWindows\":{}}",
     "OtaSchedulingConfig.MaintenanceWindows must be a list"},
    {"\"OtaSchedulingConfig\":{\"MaintenanceWindows\":[7]}",
     "OtaSchedulingConfig.MaintenanceWindows[0] must be an object"},
    {"\"OtaSchedulingConfig\":{\"MaintenanceWindows\":[{\"StartTime\":\"cron(0 0 * * 8 *)\","
     "\"DurationInMinutes\":10}]}",
     "OtaSchedulingConfig.MaintenanceWindows[0].StartTime: day-of-week: '8' at position 14 is "
     "out of range 1-7"},
    {"\"OtaSchedulingConfig\":{\"MaintenanceWindows\":[" WIN ",{\"StartTime\":\"cron(0 0 * * "
     "? *)\",\"DurationInMinutes\":1431}]}",
     "OtaSchedulingConfig.MaintenanceWindows[1].DurationInMinutes must be between 1 and 1430"},
    {"\"OtaSchedulingConfig\":{\"MaintenanceWindows\":[" WIN ",{\"DurationInMinutes\":60}]}",
     "OtaSchedulingConfig.MaintenanceWindows[1].StartTime is required"},
    {"\"OtaSchedulingConfig\":{\"MaintenanceWindows\":[{\"StartTime\":\"cron(0 0 * * ? *)\"}]}",
     "OtaSchedulingConfig.MaintenanceWindows[0].DurationInMinutes is required"},
    {"\"OtaTaskExecutionRetryConfig\":true", "OtaTaskExecutionRetryConfig must be an object"},
    {"\"OtaTaskExecutionRetryConfig\":{\"RetryConfigCriteria\":[{\"FailureType\":\"FAILED\","
     "\"MinNumberOfRetries\":1},{\"FailureType\":\"FAILED\",\"MinNumberOfRetries\":1}]}",
     "OtaTaskExecutionRetryConfig.RetryConfigCriteria[1].FailureType FAILED appears more than "
     "once"},
    {"\"OtaTaskExecutionRetryConfig\":{\"RetryConfigCriteria\":[{\"FailureType\":\"FAILED\","
     "\"MinNumberOfRetries\":1},{\"FailureType\":\"ALL\",\"MinNumberOfRetries\":1},"
     "{\"FailureType\":\"TIMED_OUT\",\"MinNumberOfRetries\":1}]}",
     "OtaTaskExecutionRetryConfig.RetryConfigCriteria must have between 0 and 2 entries"},
    {"\"OtaTaskExecutionRetryConfig\":{\"RetryConfigCriteria\":[{\"FailureType\":\"FAILED\","
     "\"MinNumberOfRetries\":11}]}",
     "OtaTaskExecutionRetryConfig.RetryConfigCriteria[0].MinNumberOfRetries must be between 0 "
     "and 10"},
    {"\"OtaTaskExecutionRetryConfig\":{\"RetryConfigCriteria\":[{\"FailureType\":\"FAILED\","
     "\"MinNumberOfRetries\":6},{\"FailureType\":\"ALL\",\"MinNumberOfRetries\":5}]}",
     "OtaTaskExecutionRetryConfig.RetryConfigCriteria: the MinNumberOfRetries add up to 11, more "
     "than 10"},
    {"\"OtaTaskExecutionRetryConfig\":{\"RetryConfigCriteria\":[{\"FailureType\":\"REJECTED\","
     "\"MinNumberOfRetries\":1}]}",
     "OtaTaskExecutionRetryConfig.RetryConfigCriteria[0].FailureType must be one of FAILED, "
     "TIMED_OUT, ALL"},
    {"\"OtaTaskExecutionRetryConfig\":{\"RetryConfigCriteria\":[{\"MinNumberOfRetries\":1}]}",
     "OtaTaskExecutionRetryConfig.RetryConfigCriteria[0].FailureType is required"},
    {"\"Tags\":{}", "Tags must have between 1 and 50 entries"},
    {"\"Tags\":{\"k\":1}", "Tags.k must be a string"},
    {"\"Tags\":{\"\":\"v\"}", "Tags key '' must be between 1 and 128 characters long"},
    {"\"ClientToken\":\"a b\"", "ClientToken must contain only letters, digits, '=', '_' and '-'"},
    {"[1]", "the request body must be a JSON object"},
};

START_TEST(test_create_invalid)
{
    const struct bad_case *bc = &bad_creates[_i];
    struct stored before = stored_now();
    char *body;
    if (bc->body[0] == '{' || bc->body[0] == '[')
        body = xstrdup(bc->body);
    else if (strstr(bc->body, "ClientToken") != NULL)
        body = testlib_strf("{" BASE ",%s}", bc->body);
    else /* with a token: no idempotency record may stay behind either */
        body = testlib_strf("{" BASE ",%s,\"ClientToken\":\"inv%d\"}", bc->body, (int)getpid());
    struct testlib_response *resp = call("POST", "/ota-tasks", body);
    assert_invalid(resp, bc->message);
    assert_nothing_stored(&before);
    testlib_response_free(resp);
    free(body);
}
END_TEST

/* Lengths at and beyond each bound: the first is accepted, the second refused. */
struct length_case {
    const char *before, *after; /* the body around the filled value */
    char fill;
    size_t ok, bad;
    const char *message;
};

static const struct length_case lengths[] = {
    {"{\"S3Url\":\"", "\",\"OtaType\":\"ONE_TIME\"}", 's', 1000, 1001,
     "S3Url must be between 1 and 1000 characters long"},
    {"{" BASE ",\"Description\":\"", "\"}", 'd', 256, 257,
     "Description must be between 1 and 256 characters long"},
    {"{" BASE ",\"Tags\":{\"", "\":\"v\"}}", 'k', 128, 129,
     "Tags key "
     "'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
     "kkkkkkkkkkkkkkkk' must be between 1 and 128 characters long"},
    {"{" BASE ",\"Tags\":{\"k\":\"", "\"}}", 'v', 256, 257,
     "Tags.k must be between 0 and 256 characters long"},
    {"{" BASE ",\"ClientToken\":\"", "\"}", 't', 64, 65,
     "ClientToken must be between 1 and 64 characters long"},
};

START_TEST(test_create_lengths)
{
    const struct length_case *lc = &lengths[_i];
    for (int pass = 0; pass < 2; pass++) {
        char *fill = rep(lc->fill, pass == 0 ? lc->ok : lc->bad);
        char *body = testlib_strf("%s%s%s", lc->before, fill, lc->after);
        struct stored before = stored_now();
        struct testlib_response *resp = call("POST", "/ota-tasks", body);
        if (pass == 0) {
            TESTLIB_ASSERT_STATUS(resp, 201);
        } else {
            assert_invalid(resp, lc->message);
            assert_nothing_stored(&before);
        }
        testlib_response_free(resp);
        free(body);
        free(fill);
    }
}
END_TEST

/* Tags: 50 entries accepted, 51 refused. */
START_TEST(test_create_tag_count)
{
    for (int n = 50; n <= 51; n++) {
        char *tags = xstrdup("");
        for (int i = 0; i < n; i++) {
            char *next = testlib_strf("%s%s\"k%d\":\"v\"", tags, i > 0 ? "," : "", i);
            free(tags);
            tags = next;
        }
        char *body = testlib_strf("{" BASE ",\"Tags\":{%s}}", tags);
        struct testlib_response *resp = call("POST", "/ota-tasks", body);
        if (n == 50)
            TESTLIB_ASSERT_STATUS(resp, 201);
        else
            assert_invalid(resp, "Tags must have between 1 and 50 entries");
        testlib_response_free(resp);
        free(body);
        free(tags);
    }
}
END_TEST

/* An unknown configuration is 404 (OtaTaskConfiguration); unknown targets are a
 * ValidationException naming them (the first 10); nothing is stored either way. */
START_TEST(test_create_unknown_references)
{
    char *group = unique("ref");
    char *t = create_thing(group, "1");
    struct stored before = stored_now();
    char *m = testlib_strf("{" BASE ",\"Target\":[\"%s\"],\"TaskConfigurationId\":\"nosuchcfg\","
                           "\"ClientToken\":\"ref-%s\"}",
                           t, group);
    struct testlib_response *resp = call("POST", "/ota-tasks", m);
    assert_not_found(resp, "OtaTaskConfiguration", "nosuchcfg");
    assert_nothing_stored(&before);
    testlib_response_free(resp);
    free(m);

    m = testlib_strf("{" BASE ",\"Target\":[\"%s\",\"ghost1\",\"arn:aws:iotmanagedintegrations:"
                     "us-east-1:123456789012:managed-thing/ghost2\",\"ghost1\"]}",
                     t);
    resp = call("POST", "/ota-tasks", m);
    assert_invalid(resp, "Target: unknown managed things: ghost1, ghost2");
    assert_nothing_stored(&before);
    testlib_response_free(resp);
    free(m);

    char *list = xstrdup("");
    for (int i = 0; i < 12; i++) {
        char *next = testlib_strf("%s,\"g%02d\"", list, i);
        free(list);
        list = next;
    }
    m = testlib_strf("{" BASE ",\"Target\":[\"%s\"%s]}", t, list);
    resp = call("POST", "/ota-tasks", m);
    assert_invalid(resp, "Target: 12 managed things do not exist, the first 10: g00, g01, g02, "
                         "g03, g04, g05, g06, g07, g08, g09");
    assert_nothing_stored(&before);
    testlib_response_free(resp);
    free(m);
    free(list);

    m = testlib_strf("{" BASE ",\"Target\":[\"ghost3\"]}");
    resp = call("POST", "/ota-tasks", m);
    assert_invalid(resp, "Target: unknown managed thing: ghost3");
    testlib_response_free(resp);
    free(m);
    free(t);
    free(group);
}
END_TEST

/* ---- targets: Target ∪ query, in order, once each ---- */

START_TEST(test_one_time_union)
{
    char *group = unique("union");
    char *t[6];
    static const char *const fw[6] = {"1", "2", "1", "2", "1", "3"};
    for (int i = 0; i < 6; i++)
        t[i] = create_thing(group, fw[i]);
    /* explicit: t3 (as an ARN), t0, t3 again, t5; the query matches t0, t2, t4 */
    char *m = testlib_strf(
        "\"Target\":[\"arn:aws:iotmanagedintegrations:us-east-1:123456789012:managed-thing/%s\","
        "\"%s\",\"%s\",\"%s\"],\"OtaTargetQueryString\":\"attributes.grp=%s AND attributes.fw=1\"",
        t[3], t[0], t[3], t[5], group);
    char *id = create_task(m);
    char *got = targets_of(id);
    char *want = testlib_strf("%s,%s,%s,%s,%s", t[3], t[0], t[5], t[2], t[4]);
    ck_assert_str_eq(got, want);
    ck_assert_int_eq(sql_num("SELECT count(*) FROM executions WHERE task_id = $1", id, NULL), 5);
    ck_assert_int_eq(
        sql_num("SELECT sum(n) FROM task_counters WHERE task_id = $1 AND shard = 0", id, NULL), 5);
    cJSON *task = get_task(id);
    char *q = testlib_strf("attributes.grp=%s AND attributes.fw=1", group);
    TESTLIB_ASSERT_JSON_STR(task, "OtaTargetQueryString", q);
    TESTLIB_ASSERT_JSON_LEN(task, "Target", 4);
    free(q);
    cJSON_Delete(task);
    free(want);
    free(got);
    free(id);
    free(m);
    for (int i = 0; i < 6; i++)
        free(t[i]);
    free(group);
}
END_TEST

/* Many explicit targets in an order unrelated to creation: seq follows the request. */
START_TEST(test_target_order)
{
    char *group = unique("order");
    char *t[MAX_THING];
    for (int i = 0; i < MAX_THING; i++)
        t[i] = create_thing(group, "1");
    char *list = xstrdup(""), *want = xstrdup("");
    for (int k = 0; k < MAX_THING; k++) {
        int i = (k * 7 + 3) % MAX_THING; /* a permutation */
        char *l = testlib_strf("%s%s\"%s\"", list, k > 0 ? "," : "", t[i]);
        char *w = testlib_strf("%s%s%s", want, k > 0 ? "," : "", t[i]);
        free(list);
        free(want);
        list = l;
        want = w;
    }
    char *m = testlib_strf("\"Target\":[%s]", list);
    char *id = create_task(m);
    char *got = targets_of(id);
    ck_assert_str_eq(got, want);
    free(got);
    free(id);
    free(m);
    free(list);
    free(want);
    for (int i = 0; i < MAX_THING; i++)
        free(t[i]);
    free(group);
}
END_TEST

/* CONTINUOUS: the current matches, and the membership cursor of the same snapshot. */
START_TEST(test_continuous_current_matches)
{
    char *group = unique("cont");
    char *a = create_thing(group, "7");
    char *b = create_thing(group, "8");
    char *c = create_thing(group, "7");
    char *body = testlib_strf("{\"S3Url\":\"s3://b/f\",\"OtaType\":\"CONTINUOUS\","
                              "\"OtaTargetQueryString\":\"attributes.grp=%s attributes.fw=7\"}",
                              group);
    struct testlib_response *resp = call("POST", "/ota-tasks", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    char *id = member_of(resp, "TaskId");
    char *got = targets_of(id);
    char *want = testlib_strf("%s,%s", a, c);
    ck_assert_str_eq(got, want);
    /* nothing changed things since: the cursor is the newest event */
    ck_assert_int_eq(sql_num("SELECT membership_cursor FROM tasks WHERE id = $1", id, NULL),
                     sql_num("SELECT coalesce(max(id), 0) FROM thing_events", NULL, NULL));
    char *q = sql_str("SELECT target_query FROM tasks WHERE id = $1", id, NULL);
    char *wq = testlib_strf("attributes.grp=%s attributes.fw=7", group);
    ck_assert_str_eq(q, wq);
    free(q);
    free(wq);
    free(want);
    free(got);
    free(id);
    testlib_response_free(resp);
    free(body);
    free(a);
    free(b);
    free(c);
    free(group);
}
END_TEST

/* ---- counters after the scheduler queued the targets ---- */

static long long queued(const char *id)
{
    return task_number(id, "TaskProcessingDetails.numberOfQueuedThings");
}

START_TEST(test_counters_after_queue)
{
    char *group = unique("cnt");
    char *list = xstrdup("");
    char *t[5];
    for (int i = 0; i < 5; i++) {
        t[i] = create_thing(group, "1");
        char *l = testlib_strf("%s%s\"%s\"", list, i > 0 ? "," : "", t[i]);
        free(list);
        list = l;
    }
    char *m = testlib_strf("\"Target\":[%s]", list);
    char *id = create_task(m);
    TESTLIB_WAIT_UNTIL(queued(id) == 5, DEADLINE);
    cJSON *got = get_task(id);
    static const struct {
        const char *name;
        int status;
    } map[] = {{"numberOfQueuedThings", 1},    {"NumberOfInProgressThings", 2},
               {"numberOfSucceededThings", 3}, {"NumberOfFailedThings", 4},
               {"numberOfTimedOutThings", 5},  {"numberOfRejectedThings", 6},
               {"numberOfRemovedThings", 7},   {"NumberOfCanceledThings", 8}};
    for (size_t i = 0; i < NELEM(map); i++) {
        char s[8], *path = testlib_strf("TaskProcessingDetails.%s", map[i].name);
        snprintf(s, sizeof s, "%d", map[i].status);
        long long rows = sql_num("SELECT count(*) FROM executions WHERE task_id = $1"
                                 " AND status = $2::smallint",
                                 id, s);
        TESTLIB_ASSERT_JSON_INT(got, path, rows);
        free(path);
    }
    /* processingTargets: the five things, in target order */
    TESTLIB_ASSERT_JSON_LEN(got, "TaskProcessingDetails.processingTargets", 5);
    for (int i = 0; i < 5; i++) {
        char *path = testlib_strf("TaskProcessingDetails.processingTargets[%d]", i);
        TESTLIB_ASSERT_JSON_STR(got, path, t[i]);
        free(path);
    }
    TESTLIB_ASSERT_JSON_STR(got, "Status", "IN_PROGRESS");
    cJSON_Delete(got);

    /* the executions listing agrees: five QUEUED first attempts, unset members omitted */
    char *path = testlib_strf("/ota-tasks/%s/devices", id);
    struct testlib_response *resp = call("GET", path, NULL);
    TESTLIB_ASSERT_STATUS(resp, 200);
    cJSON *list_json = testlib_json(resp);
    TESTLIB_ASSERT_JSON_LEN(list_json, "ExecutionSummaries", 5);
    TESTLIB_ASSERT_JSON_ABSENT(list_json, "NextToken");
    for (int i = 0; i < 5; i++) {
        char *p = testlib_strf("ExecutionSummaries[%d].ManagedThingId", i);
        TESTLIB_ASSERT_JSON_STR(list_json, p, t[i]);
        free(p);
        p = testlib_strf("ExecutionSummaries[%d].TaskExecutionSummary", i);
        char *q = testlib_strf("%s.Status", p);
        TESTLIB_ASSERT_JSON_STR(list_json, q, "QUEUED");
        free(q);
        q = testlib_strf("%s.ExecutionNumber", p);
        TESTLIB_ASSERT_JSON_INT(list_json, q, 1);
        free(q);
        q = testlib_strf("%s.RetryAttempt", p);
        TESTLIB_ASSERT_JSON_INT(list_json, q, 0);
        free(q);
        q = testlib_strf("%s.QueuedAt", p);
        TESTLIB_ASSERT_JSON_PRESENT(list_json, q);
        free(q);
        q = testlib_strf("%s.LastUpdatedAt", p);
        TESTLIB_ASSERT_JSON_PRESENT(list_json, q);
        free(q);
        q = testlib_strf("%s.StartedAt", p);
        TESTLIB_ASSERT_JSON_ABSENT(list_json, q);
        free(q);
        free(p);
    }
    cJSON_Delete(list_json);
    testlib_response_free(resp);
    free(path);
    free(id);
    free(m);
    free(list);
    for (int i = 0; i < 5; i++)
        free(t[i]);
    free(group);
}
END_TEST

/* PLANNED executions are never shown; pages of the executions listing. */
START_TEST(test_executions_planned_and_pages)
{
    char *group = unique("page");
    char *cfg = create_config("{\"RolloutConfig\":{\"MaximumPerMinute\":1}}");
    char *t[5], *list = xstrdup("");
    for (int i = 0; i < 5; i++) {
        t[i] = create_thing(group, "1");
        char *l = testlib_strf("%s%s\"%s\"", list, i > 0 ? "," : "", t[i]);
        free(list);
        list = l;
    }
    char *m = testlib_strf("\"Target\":[%s],\"TaskConfigurationId\":\"%s\"", list, cfg);
    char *id = create_task(m);
    /* one per minute: the first is queued at once, the others stay PLANNED */
    TESTLIB_WAIT_UNTIL(queued(id) == 1, DEADLINE);
    char *path = testlib_strf("/ota-tasks/%s/devices", id);
    struct testlib_response *resp = call("GET", path, NULL);
    TESTLIB_ASSERT_STATUS(resp, 200);
    cJSON *root = testlib_json(resp);
    TESTLIB_ASSERT_JSON_LEN(root, "ExecutionSummaries", 1);
    TESTLIB_ASSERT_JSON_STR(root, "ExecutionSummaries[0].ManagedThingId", t[0]);
    cJSON_Delete(root);
    testlib_response_free(resp);
    ck_assert_int_eq(
        sql_num("SELECT count(*) FROM executions WHERE task_id = $1 AND status = 0", id, NULL), 4);

    /* make them all visible (as the scheduler would) and page through two at a time */
    sql_exec("UPDATE executions SET status = 1, queued_at = updated_at WHERE task_id = $1", id,
             NULL);
    char *token = NULL;
    int seen = 0, pages = 0;
    do {
        char *p = token != NULL ? testlib_strf("%s?MaxResults=2&NextToken=%s", path, token)
                                : testlib_strf("%s?MaxResults=2", path);
        resp = call("GET", p, NULL);
        TESTLIB_ASSERT_STATUS(resp, 200);
        root = testlib_json(resp);
        const cJSON *items = testlib_json_at(root, "ExecutionSummaries");
        const cJSON *e;
        cJSON_ArrayForEach(e, items)
        {
            const cJSON *thing = cJSON_GetObjectItemCaseSensitive(e, "ManagedThingId");
            ck_assert_int_lt(seen, 5);
            ck_assert_str_eq(thing->valuestring, t[seen]);
            seen++;
        }
        free(token);
        const cJSON *next = testlib_json_at(root, "NextToken");
        token = cJSON_IsString(next) ? xstrdup(next->valuestring) : NULL;
        cJSON_Delete(root);
        testlib_response_free(resp);
        free(p);
        pages++;
    } while (token != NULL);
    ck_assert_int_eq(seen, 5);
    ck_assert_int_eq(pages, 3);
    free(path);
    free(id);
    free(m);
    free(list);
    free(cfg);
    for (int i = 0; i < 5; i++)
        free(t[i]);
    free(group);
}
END_TEST

/* ---- Get, Update, Delete, ListExecutions of unknown tasks; bad identifiers ---- */

struct by_id {
    const char *method;
    const char *suffix; /* path after /ota-tasks/<id> */
    const char *body;
};

static const struct by_id by_id_ops[] = {
    {"GET", "", NULL},
    {"PUT", "", "{\"Description\":\"x\"}"},
    {"DELETE", "", NULL},
    {"GET", "/devices", NULL},
};

START_TEST(test_unknown_task)
{
    const struct by_id *op = &by_id_ops[_i];
    char *path = testlib_strf("/ota-tasks/nosuchtask0%s", op->suffix);
    struct testlib_response *resp = call(op->method, path, op->body);
    assert_not_found(resp, "OtaTask", "nosuchtask0");
    ck_assert_str_eq(message_of(resp), "OTA task nosuchtask0 not found");
    testlib_response_free(resp);
    free(path);

    path = testlib_strf("/ota-tasks/bad-id%s", op->suffix);
    resp = call(op->method, path, op->body);
    assert_invalid(resp, "Identifier must contain only letters and digits");
    testlib_response_free(resp);
    free(path);

    char *longid = rep('a', 201);
    path = testlib_strf("/ota-tasks/%s%s", longid, op->suffix);
    resp = call(op->method, path, op->body);
    assert_invalid(resp, "Identifier must be between 1 and 200 characters long");
    testlib_response_free(resp);
    free(path);
    free(longid);
}
END_TEST

/* ---- Update ---- */

START_TEST(test_update)
{
    char *c1 = create_config("{\"RolloutConfig\":{\"MaximumPerMinute\":5}}");
    char *c2 = create_config("{\"RolloutConfig\":{\"MaximumPerMinute\":7},"
                             "\"TimeoutConfig\":{\"InProgressTimeoutInMinutes\":9}}");
    char *m = testlib_strf("\"Description\":\"one\",\"TaskConfigurationId\":\"%s\"", c1);
    char *id = create_task(m);
    char *path = testlib_strf("/ota-tasks/%s", id);

    struct testlib_response *resp = call("PUT", path, "{\"Description\":\"two\"}");
    TESTLIB_ASSERT_STATUS(resp, 204);
    ck_assert_uint_eq(resp->body_len, 0);
    testlib_response_free(resp);
    cJSON *got = get_task(id);
    TESTLIB_ASSERT_JSON_STR(got, "Description", "two");
    TESTLIB_ASSERT_JSON_STR(got, "TaskConfigurationId", c1);
    cJSON_Delete(got);
    ck_assert_int_eq(sql_num("SELECT config_version FROM tasks WHERE id = $1", id, NULL), 1);

    char *body = testlib_strf("{\"TaskConfigurationId\":\"%s\"}", c2);
    resp = call("PUT", path, body);
    TESTLIB_ASSERT_STATUS(resp, 204);
    testlib_response_free(resp);
    free(body);
    got = get_task(id);
    TESTLIB_ASSERT_JSON_STR(got, "Description", "two");
    TESTLIB_ASSERT_JSON_STR(got, "TaskConfigurationId", c2);
    cJSON_Delete(got);
    ck_assert_int_eq(sql_num("SELECT config_version FROM tasks WHERE id = $1", id, NULL), 2);
    char *same = sql_str("SELECT t.push_config = c.push_config FROM tasks t,"
                         " task_configurations c WHERE t.id = $1 AND c.id = $2",
                         id, c2);
    ck_assert_str_eq(same, "t");
    free(same);

    /* refused updates change nothing */
    static const struct {
        const char *body;
        int status;
        const char *message;
    } bad[] = {
        {"{\"TaskConfigurationId\":\"nosuchcfg\",\"Description\":\"three\"}", 404,
         "OTA task configuration nosuchcfg not found"},
        {"{\"Description\":\"thr!ee\"}", 400,
         "Description must contain only letters, digits, '_', '-' and spaces"},
        {"{\"TaskConfigurationId\":\"\"}", 400,
         "TaskConfigurationId must be between 1 and 64 characters long"},
        {"{\"Description\":[]}", 400, "Description must be a string"},
        {"[]", 400, "the request body must be a JSON object"},
    };
    for (size_t i = 0; i < NELEM(bad); i++) {
        resp = call("PUT", path, bad[i].body);
        ck_assert_int_eq(resp->status, bad[i].status);
        ck_assert_str_eq(message_of(resp), bad[i].message);
        if (bad[i].status == 404)
            assert_not_found(resp, "OtaTaskConfiguration", "nosuchcfg");
        testlib_response_free(resp);
    }
    got = get_task(id);
    TESTLIB_ASSERT_JSON_STR(got, "Description", "two");
    TESTLIB_ASSERT_JSON_STR(got, "TaskConfigurationId", c2);
    cJSON_Delete(got);
    ck_assert_int_eq(sql_num("SELECT config_version FROM tasks WHERE id = $1", id, NULL), 2);

    free(path);
    free(id);
    free(m);
    free(c1);
    free(c2);
}
END_TEST

/* ---- Delete ---- */

START_TEST(test_delete)
{
    char *group = unique("del");
    char *t = create_thing(group, "1");
    char *m = testlib_strf("\"Target\":[\"%s\"]", t);
    char *id = create_task(m);
    char *path = testlib_strf("/ota-tasks/%s", id);
    struct testlib_response *resp = call("DELETE", path, NULL);
    TESTLIB_ASSERT_STATUS(resp, 200);
    ck_assert_uint_eq(resp->body_len, 0);
    testlib_response_free(resp);
    TESTLIB_WAIT_UNTIL(task_gone(id), DEADLINE);
    ck_assert_int_eq(sql_num("SELECT count(*) FROM executions WHERE task_id = $1", id, NULL), 0);
    resp = call("DELETE", path, NULL);
    assert_not_found(resp, "OtaTask", id);
    testlib_response_free(resp);
    free(path);
    free(id);
    free(m);
    free(t);
    free(group);
}
END_TEST

/* A task already being deleted: Get shows it, Update is 404, Delete is 200 again. */
START_TEST(test_delete_while_deleting)
{
    char *id = create_task("");
    sql_exec("UPDATE tasks SET status = 'DELETION_IN_PROGRESS', next_tick_at = NULL"
             " WHERE id = $1",
             id, NULL);
    cJSON *got = get_task(id);
    TESTLIB_ASSERT_JSON_STR(got, "Status", "DELETION_IN_PROGRESS");
    cJSON_Delete(got);
    char *path = testlib_strf("/ota-tasks/%s", id);
    struct testlib_response *resp = call("PUT", path, "{\"Description\":\"late\"}");
    assert_not_found(resp, "OtaTask", id);
    testlib_response_free(resp);
    resp = call("DELETE", path, NULL);
    TESTLIB_ASSERT_STATUS(resp, 200);
    testlib_response_free(resp);
    TESTLIB_WAIT_UNTIL(task_gone(id), DEADLINE);
    free(path);
    free(id);
}
END_TEST

/* AbortDetails appears only when the task was aborted (SPEC section 5). */
START_TEST(test_abort_details)
{
    char *id = create_task("");
    cJSON *got = get_task(id);
    TESTLIB_ASSERT_JSON_ABSENT(got, "AbortDetails");
    cJSON_Delete(got);
    sql_exec("UPDATE tasks SET status = 'CANCELED', abort_reason = 'ABORT_CRITERIA_MET',"
             " abort_comment = $2 WHERE id = $1",
             id, "FAILED 50% after 10");
    got = get_task(id);
    TESTLIB_ASSERT_JSON_STR(got, "AbortDetails.ReasonCode", "ABORT_CRITERIA_MET");
    TESTLIB_ASSERT_JSON_STR(got, "AbortDetails.Comment", "FAILED 50% after 10");
    TESTLIB_ASSERT_JSON_STR(got, "Status", "CANCELED");
    cJSON_Delete(got);
    free(id);
}
END_TEST

/* ---- List ---- */

START_TEST(test_list_pagination)
{
    char *cfg = create_config(NULL);
    char *ids[7];
    for (int i = 0; i < 7; i++) {
        char *m = i == 3 ? testlib_strf("\"TaskConfigurationId\":\"%s\"", cfg) : xstrdup("");
        ids[i] = create_task(m);
        free(m);
    }
    int found = 0, short_pages = 0;
    char *token = NULL;
    do {
        char *p = token != NULL ? testlib_strf("/ota-tasks?MaxResults=3&NextToken=%s", token)
                                : xstrdup("/ota-tasks?MaxResults=3");
        struct testlib_response *resp = call("GET", p, NULL);
        TESTLIB_ASSERT_STATUS(resp, 200);
        cJSON *root = testlib_json(resp);
        const cJSON *items = testlib_json_at(root, "Tasks"), *e;
        /* only the last page may be short */
        ck_assert_int_eq(short_pages, 0);
        ck_assert_int_le(cJSON_GetArraySize(items), 3);
        short_pages += cJSON_GetArraySize(items) < 3;
        cJSON_ArrayForEach(e, items)
        {
            const char *tid = cJSON_GetObjectItemCaseSensitive(e, "TaskId")->valuestring;
            if (found < 7 && strcmp(tid, ids[found]) == 0) {
                TESTLIB_ASSERT_JSON_PRESENT(e, "TaskArn");
                TESTLIB_ASSERT_JSON_PRESENT(e, "CreatedAt");
                TESTLIB_ASSERT_JSON_PRESENT(e, "LastUpdatedAt");
                TESTLIB_ASSERT_JSON_STR(e, "Status", "COMPLETED");
                if (found == 3)
                    TESTLIB_ASSERT_JSON_STR(e, "TaskConfigurationId", cfg);
                else
                    TESTLIB_ASSERT_JSON_ABSENT(e, "TaskConfigurationId");
                found++;
            }
        }
        free(token);
        const cJSON *next = testlib_json_at(root, "NextToken");
        token = cJSON_IsString(next) ? xstrdup(next->valuestring) : NULL;
        cJSON_Delete(root);
        testlib_response_free(resp);
        free(p);
    } while (token != NULL);
    ck_assert_int_eq(found, 7);
    for (int i = 0; i < 7; i++)
        free(ids[i]);
    free(cfg);
}
END_TEST

struct bad_list {
    int of_task;       /* 1: the executions of a task, 0: the tasks */
    const char *query; /* the query string */
    const char *message;
};

static const struct bad_list bad_lists[] = {
    {0, "MaxResults=0", "MaxResults must be an integer between 1 and 1000"},
    {0, "MaxResults=1001", "MaxResults must be an integer between 1 and 1000"},
    {0, "MaxResults=ten", "MaxResults must be an integer between 1 and 1000"},
    {0, "NextToken=garbage", "NextToken is not a valid pagination token"},
    {1, "MaxResults=0", "MaxResults must be an integer between 1 and 1000"},
    {1, "MaxResults=1001", "MaxResults must be an integer between 1 and 1000"},
    {1, "NextToken=garbage", "NextToken is not a valid pagination token"},
};

START_TEST(test_list_invalid)
{
    char *id = create_task("");
    const struct bad_list *bl = &bad_lists[_i];
    char *path = bl->of_task ? testlib_strf("/ota-tasks/%s/devices?%s", id, bl->query)
                             : testlib_strf("/ota-tasks?%s", bl->query);
    struct testlib_response *resp = call("GET", path, NULL);
    assert_invalid(resp, bad_lists[_i].message);
    testlib_response_free(resp);
    free(path);
    free(id);
}
END_TEST

/* A token of one listing is refused by the other. */
START_TEST(test_list_foreign_token)
{
    struct testlib_response *resp = call("GET", "/ota-tasks?MaxResults=1", NULL);
    TESTLIB_ASSERT_STATUS(resp, 200);
    char *token = member_of(resp, "NextToken");
    testlib_response_free(resp);
    char *id = create_task("");
    char *path = testlib_strf("/ota-tasks/%s/devices?NextToken=%s", id, token);
    resp = call("GET", path, NULL);
    assert_invalid(resp, "NextToken is not a valid pagination token");
    testlib_response_free(resp);
    free(path);
    path = testlib_strf("/ota-task-configurations?NextToken=%s", token);
    resp = call("GET", path, NULL);
    assert_invalid(resp, "NextToken is not a valid pagination token");
    testlib_response_free(resp);
    free(path);
    free(id);
    free(token);
}
END_TEST

/* ---- ClientToken ---- */

START_TEST(test_idempotency)
{
    char *token = unique("tok");
    char *body = testlib_strf("{" BASE ",\"Description\":\"idem\",\"ClientToken\":\"%s\"}", token);
    struct testlib_response *first = call("POST", "/ota-tasks", body);
    TESTLIB_ASSERT_STATUS(first, 201);
    long long tasks = sql_num("SELECT count(*) FROM tasks", NULL, NULL);
    /* the same request, members in another order: the same response, nothing new */
    char *again = testlib_strf("{\"ClientToken\":\"%s\",\"Description\":\"idem\",\"OtaType\":"
                               "\"ONE_TIME\",\"S3Url\":\"s3://bucket/fw.bin\"}",
                               token);
    struct testlib_response *second = call("POST", "/ota-tasks", again);
    TESTLIB_ASSERT_STATUS(second, 201);
    ck_assert_str_eq(second->body, first->body);
    ck_assert_int_eq(sql_num("SELECT count(*) FROM tasks", NULL, NULL), tasks);
    /* a different request with the token: 409 */
    char *other =
        testlib_strf("{" BASE ",\"Description\":\"other\",\"ClientToken\":\"%s\"}", token);
    struct testlib_response *third = call("POST", "/ota-tasks", other);
    TESTLIB_ASSERT_ERROR(third, 409, "ConflictException");
    ck_assert_int_eq(sql_num("SELECT count(*) FROM tasks", NULL, NULL), tasks);
    testlib_response_free(first);
    testlib_response_free(second);
    testlib_response_free(third);
    free(other);
    free(again);
    free(body);
    free(token);
}
END_TEST

static Suite *tasks_suite(void)
{
    Suite *s = suite_create("tasks");
    TCase *tc = tcase_create("create");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_create_full);
    tcase_add_loop_test(tc, test_initial_status, 0, NELEM(statuses));
    tcase_add_test(tc, test_scheduled_and_continuous_status);
    tcase_add_loop_test(tc, test_create_invalid, 0, NELEM(bad_creates));
    tcase_add_loop_test(tc, test_create_lengths, 0, NELEM(lengths));
    tcase_add_test(tc, test_create_tag_count);
    tcase_add_test(tc, test_create_unknown_references);
    suite_add_tcase(s, tc);

    tc = tcase_create("targets");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_one_time_union);
    tcase_add_test(tc, test_target_order);
    tcase_add_test(tc, test_continuous_current_matches);
    tcase_add_test(tc, test_counters_after_queue);
    tcase_add_test(tc, test_executions_planned_and_pages);
    suite_add_tcase(s, tc);

    tc = tcase_create("by_id");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_unknown_task, 0, NELEM(by_id_ops));
    tcase_add_test(tc, test_update);
    tcase_add_test(tc, test_delete);
    tcase_add_test(tc, test_delete_while_deleting);
    tcase_add_test(tc, test_abort_details);
    suite_add_tcase(s, tc);

    tc = tcase_create("list");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_list_pagination);
    tcase_add_loop_test(tc, test_list_invalid, 0, NELEM(bad_lists));
    tcase_add_test(tc, test_list_foreign_token);
    tcase_add_test(tc, test_idempotency);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tasks_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
