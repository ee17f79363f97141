/*
 * API tests of the OTA task configuration operations (CreateOtaTaskConfiguration,
 * GetOtaTaskConfiguration, ListOtaTaskConfigurations, DeleteOtaTaskConfiguration) over HTTP
 * against the otad the harness starts, reading the database (OTAD_TEST_PG) to prove that failed
 * requests store nothing. The pagination test pages through 2,500 configurations while new ones
 * are inserted between pages: keyset tokens must return each one exactly once.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "engine/mem.h"
#include "tests/harness/testlib.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define PUSH                                                                                       \
    "{\"TimeoutConfig\":{\"InProgressTimeoutInMinutes\":60},\"RolloutConfig\":"                    \
    "{\"MaximumPerMinute\":10,\"ExponentialRolloutRate\":{\"BaseRatePerMinute\":5,"                \
    "\"IncrementFactor\":1.5,\"RateIncreaseCriteria\":{\"numberOfNotifiedThings\":10}}},"          \
    "\"AbortConfig\":{\"AbortConfigCriteriaList\":[{\"Action\":\"CANCEL\",\"FailureType\":"        \
    "\"FAILED\",\"MinNumberOfExecutedThings\":10,\"ThresholdPercentage\":50.0}]}}"

static const char *const json_headers[] = {"Content-Type: application/json", NULL};

static struct testlib_response *call(const char *method, const char *path, const char *body)
{
    return testlib_call(method, path, body != NULL ? json_headers : NULL, body);
}

static long long count_configs(void)
{
    PGconn *conn = PQconnectdb(testlib_env("OTAD_TEST_PG"));
    ck_assert_msg(PQstatus(conn) == CONNECTION_OK, "connect: %s", PQerrorMessage(conn));
    PGresult *res = PQexec(conn, "SELECT count(*) FROM task_configurations");
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s", PQresultErrorMessage(res));
    long long n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    PQfinish(conn);
    return n;
}

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

/* Create a configuration from body; returns its id. */
static char *create_config(const char *body)
{
    struct testlib_response *resp = call("POST", "/ota-task-configurations", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    cJSON *o = testlib_json(resp);
    const cJSON *id = testlib_json_at(o, "TaskConfigurationId");
    ck_assert_msg(cJSON_IsString(id), "no TaskConfigurationId in %s", resp->body);
    char *out = xstrdup(id->valuestring);
    cJSON_Delete(o);
    testlib_response_free(resp);
    return out;
}

/* ---- Create, Get, Delete ---- */

START_TEST(test_lifecycle)
{
    long long before = count_configs();
    struct testlib_response *resp =
        call("POST", "/ota-task-configurations",
             "{\"Name\":\"fleet A-1_x\",\"Description\":\"nightly rollout\",\"PushConfig\":" PUSH
             ",\"Other\":true}");
    TESTLIB_ASSERT_STATUS(resp, 201);
    cJSON *o = testlib_json(resp);
    TESTLIB_ASSERT_JSON_LEN(o, "", 1);
    char *id = xstrdup(testlib_json_at(o, "TaskConfigurationId")->valuestring);
    ck_assert_uint_eq(strlen(id), 20);
    cJSON_Delete(o);
    testlib_response_free(resp);
    ck_assert_int_eq(count_configs(), before + 1);

    char *path = testlib_strf("/ota-task-configurations/%s", id);
    resp = call("GET", path, NULL);
    TESTLIB_ASSERT_STATUS(resp, 200);
    o = testlib_json(resp);
    TESTLIB_ASSERT_JSON_STR(o, "TaskConfigurationId", id);
    TESTLIB_ASSERT_JSON_STR(o, "Name", "fleet A-1_x");
    TESTLIB_ASSERT_JSON_STR(o, "Description", "nightly rollout");
    TESTLIB_ASSERT_JSON_INT(o, "PushConfig.TimeoutConfig.InProgressTimeoutInMinutes", 60);
    TESTLIB_ASSERT_JSON_INT(o, "PushConfig.RolloutConfig.MaximumPerMinute", 10);
    TESTLIB_ASSERT_JSON_INT(o, "PushConfig.RolloutConfig.ExponentialRolloutRate.BaseRatePerMinute",
                            5);
    TESTLIB_ASSERT_JSON_INT(o,
                            "PushConfig.RolloutConfig.ExponentialRolloutRate.RateIncreaseCriteria."
                            "numberOfNotifiedThings",
                            10);
    TESTLIB_ASSERT_JSON_STR(o, "PushConfig.AbortConfig.AbortConfigCriteriaList[0].FailureType",
                            "FAILED");
    TESTLIB_ASSERT_JSON_ABSENT(o, "Other");
    ck_assert(cJSON_IsNumber(testlib_json_at(o, "CreatedAt")));
    ck_assert_double_eq_tol(
        testlib_json_at(o, "PushConfig.RolloutConfig.ExponentialRolloutRate.IncrementFactor")
            ->valuedouble,
        1.5, 1e-9);
    cJSON_Delete(o);
    testlib_response_free(resp);

    /* the list shows the summary only */
    resp = call("GET", "/ota-task-configurations?MaxResults=1000", NULL);
    TESTLIB_ASSERT_STATUS(resp, 200);
    o = testlib_json(resp);
    const cJSON *it;
    int found = 0;
    cJSON_ArrayForEach(it, testlib_json_at(o, "Items"))
    {
        if (strcmp(cJSON_GetObjectItem(it, "TaskConfigurationId")->valuestring, id) != 0)
            continue;
        found++;
        ck_assert_str_eq(cJSON_GetObjectItem(it, "Name")->valuestring, "fleet A-1_x");
        ck_assert_ptr_nonnull(cJSON_GetObjectItem(it, "CreatedAt"));
        ck_assert_ptr_null(cJSON_GetObjectItem(it, "PushConfig"));
        ck_assert_ptr_null(cJSON_GetObjectItem(it, "Description"));
    }
    ck_assert_int_eq(found, 1);
    cJSON_Delete(o);
    testlib_response_free(resp);

    resp = call("DELETE", path, NULL);
    TESTLIB_ASSERT_STATUS(resp, 204);
    ck_assert_uint_eq(resp->body_len, 0);
    testlib_response_free(resp);
    ck_assert_int_eq(count_configs(), before);
    static const char *const methods[] = {"GET", "DELETE"};
    for (size_t i = 0; i < NELEM(methods); i++) {
        resp = call(methods[i], path, NULL);
        TESTLIB_ASSERT_ERROR(resp, 404, "ResourceNotFoundException");
        o = testlib_json(resp);
        TESTLIB_ASSERT_JSON_STR(o, "ResourceType", "OtaTaskConfiguration");
        TESTLIB_ASSERT_JSON_STR(o, "ResourceId", id);
        cJSON_Delete(o);
        testlib_response_free(resp);
    }
    free(path);
    free(id);
}
END_TEST

START_TEST(test_minimal_create)
{
    static const char *const bodies[] = {"{}", "", "{\"PushConfig\":{}}", "{\"Name\":null}"};
    for (size_t i = 0; i < NELEM(bodies); i++) {
        char *id = create_config(bodies[i]);
        char *path = testlib_strf("/ota-task-configurations/%s", id);
        struct testlib_response *resp = call("GET", path, NULL);
        TESTLIB_ASSERT_STATUS(resp, 200);
        cJSON *o = testlib_json(resp);
        TESTLIB_ASSERT_JSON_ABSENT(o, "Name");
        TESTLIB_ASSERT_JSON_ABSENT(o, "Description");
        cJSON_Delete(o);
        testlib_response_free(resp);
        free(path);
        free(id);
    }
}
END_TEST

static const struct {
    const char *body;
    const char *message;
} bad_creates[] = {
    {"{\"Name\":\"a.b\"}", "Name must contain only letters, digits, '-', '_' and spaces"},
    {"{\"Name\":\"\"}", "Name must be between 1 and 128 characters long"},
    {"{\"Name\":1}", "Name must be a string"},
    {"{\"Description\":\"x!\"}",
     "Description must contain only letters, digits, '_', '-' and spaces"},
    {"{\"ClientToken\":\"a+b\"}",
     "ClientToken must contain only letters, digits, '=', '_' and '-'"},
    {"{\"PushConfig\":[]}", "PushConfig must be an object"},
    {"{\"PushConfig\":{\"TimeoutConfig\":{\"InProgressTimeoutInMinutes\":10081}}}",
     "PushConfig.TimeoutConfig.InProgressTimeoutInMinutes must be between 1 and 10080"},
    {"{\"PushConfig\":{\"RolloutConfig\":{\"MaximumPerMinute\":0}}}",
     "PushConfig.RolloutConfig.MaximumPerMinute must be at least 1"},
    {"{\"PushConfig\":{\"RolloutConfig\":{\"MaximumPerMinute\":1.5}}}",
     "PushConfig.RolloutConfig.MaximumPerMinute must be an integer"},
    {"{\"PushConfig\":{\"RolloutConfig\":{\"ExponentialRolloutRate\":{\"BaseRatePerMinute\":5,"
     "\"IncrementFactor\":1.0,\"RateIncreaseCriteria\":{\"numberOfNotifiedThings\":1}}}}}",
     "PushConfig.RolloutConfig.ExponentialRolloutRate.IncrementFactor must be between 1.1 and 5"},
    {"{\"PushConfig\":{\"RolloutConfig\":{\"ExponentialRolloutRate\":{\"BaseRatePerMinute\":5,"
     "\"IncrementFactor\":2}}}}",
     "PushConfig.RolloutConfig.ExponentialRolloutRate.RateIncreaseCriteria is required"},
    {"{\"PushConfig\":{\"RolloutConfig\":{\"ExponentialRolloutRate\":{\"BaseRatePerMinute\":5,"
     "\"IncrementFactor\":2,\"RateIncreaseCriteria\":{\"numberOfSucceededThings\":101}}}}}",
     "PushConfig.RolloutConfig.ExponentialRolloutRate.RateIncreaseCriteria."
     "numberOfSucceededThings must be between 1 and 100"},
    {"{\"PushConfig\":{\"AbortConfig\":{\"AbortConfigCriteriaList\":[{\"FailureType\":\"ALL\","
     "\"ThresholdPercentage\":101}]}}}",
     "PushConfig.AbortConfig.AbortConfigCriteriaList[0].ThresholdPercentage must be between 0 "
     "and 100"},
    {"{\"PushConfig\":{\"AbortConfig\":{\"AbortConfigCriteriaList\":[{\"FailureType\":\"ALL\","
     "\"ThresholdPercentage\":10},{\"FailureType\":\"LOST\",\"ThresholdPercentage\":10}]}}}",
     "PushConfig.AbortConfig.AbortConfigCriteriaList[1].FailureType must be one of FAILED, "
     "REJECTED, TIMED_OUT, ALL"},
    {"{\"Name\":\"x\"", "the request body is not valid JSON (near byte 10)"},
    {"[{}]", "the request body must be a JSON object"},
    {"\"{}\"", "the request body must be a JSON object"},
};

START_TEST(test_create_invalid)
{
    long long before = count_configs();
    struct testlib_response *resp = call("POST", "/ota-task-configurations", bad_creates[_i].body);
    assert_invalid(resp, bad_creates[_i].message);
    testlib_response_free(resp);
    ck_assert_int_eq(count_configs(), before);
}
END_TEST

START_TEST(test_identifier_labels)
{
    static const struct {
        const char *path;
        const char *message;
    } cases[] = {
        {"/ota-task-configurations/a-b", "Identifier must contain only letters and digits"},
        {"/ota-task-configurations/a%20b", "Identifier must contain only letters and digits"},
        {"/ota-task-configurations/"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "Identifier must be between 1 and 64 characters long"},
    };
    static const char *const methods[] = {"GET", "DELETE"};
    for (size_t m = 0; m < NELEM(methods); m++) {
        for (size_t i = 0; i < NELEM(cases); i++) {
            struct testlib_response *resp = call(methods[m], cases[i].path, NULL);
            assert_invalid(resp, cases[i].message);
            testlib_response_free(resp);
        }
        struct testlib_response *resp =
            call(methods[m], "/ota-task-configurations/nosuchconfig", NULL);
        TESTLIB_ASSERT_ERROR(resp, 404, "ResourceNotFoundException");
        ck_assert_str_eq(message_of(resp), "OTA task configuration nosuchconfig not found");
        testlib_response_free(resp);
    }
}
END_TEST

/* ---- List ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#define ORIGINALS 2500
#define PAGE_SIZE 100
#define BATCH     20

/*
 * 2,500 configurations are created; then ListOtaTaskConfigurations is paged through with
 * MaxResults 100 while a batch of 20 more is inserted between every two pages. Each original
 * is returned exactly once, no id twice, and the ones inserted during the walk (which sort after
 * every cursor) are returned too.
 */
START_TEST(test_pagination_interleaved)
{
    char **orig = xcalloc(ORIGINALS, sizeof *orig);
    for (size_t i = 0; i < ORIGINALS; i++) {
        char *body = testlib_strf("{\"Name\":\"page %zu\"}", i);
        orig[i] = create_config(body);
        free(body);
    }
    qsort(orig, ORIGINALS, sizeof *orig, cmp_str);
    int *hits = xcalloc(ORIGINALS, sizeof *hits);

    size_t cap = 16384, nseen = 0, ninserted = 0, pages = 0;
    char **seen = xcalloc(cap, sizeof *seen);
    char **inserted = xcalloc(cap, sizeof *inserted);
    char *token = NULL;
    for (;;) {
        char *url = token != NULL
                        ? testlib_strf("/ota-task-configurations?MaxResults=%d&"
                                       "NextToken=%s",
                                       PAGE_SIZE, token)
                        : testlib_strf("/ota-task-configurations?MaxResults=%d", PAGE_SIZE);
        struct testlib_response *resp = call("GET", url, NULL);
        TESTLIB_ASSERT_STATUS(resp, 200);
        cJSON *o = testlib_json(resp);
        const cJSON *items = testlib_json_at(o, "Items");
        ck_assert(cJSON_IsArray(items));
        ck_assert_int_le(cJSON_GetArraySize(items), PAGE_SIZE);
        const cJSON *it;
        cJSON_ArrayForEach(it, items)
        {
            char *id = cJSON_GetObjectItem(it, "TaskConfigurationId")->valuestring;
            ck_assert_uint_lt(nseen, cap);
            seen[nseen++] = xstrdup(id);
            char **hit = bsearch(&id, orig, ORIGINALS, sizeof *orig, cmp_str);
            if (hit != NULL)
                hits[hit - orig]++;
        }
        pages++;
        free(token);
        token = NULL;
        const cJSON *next = testlib_json_at(o, "NextToken");
        if (next != NULL) {
            token = xstrdup(next->valuestring);
            ck_assert_int_eq(cJSON_GetArraySize(items), PAGE_SIZE);
        }
        cJSON_Delete(o);
        testlib_response_free(resp);
        free(url);
        if (token == NULL)
            break;
        for (int b = 0; b < BATCH; b++) {
            ck_assert_uint_lt(ninserted, cap);
            inserted[ninserted++] = create_config("{\"Name\":\"interleaved\"}");
        }
    }

    for (size_t i = 0; i < ORIGINALS; i++)
        ck_assert_msg(hits[i] == 1, "configuration %s returned %d times", orig[i], hits[i]);
    qsort(seen, nseen, sizeof *seen, cmp_str);
    for (size_t i = 1; i < nseen; i++)
        ck_assert_msg(strcmp(seen[i - 1], seen[i]) != 0, "id %s returned twice", seen[i]);
    for (size_t i = 0; i < ninserted; i++)
        ck_assert_msg(bsearch(&inserted[i], seen, nseen, sizeof *seen, cmp_str) != NULL,
                      "configuration %s inserted during the walk was not returned", inserted[i]);
    ck_assert_uint_ge(pages, ORIGINALS / PAGE_SIZE);
    ck_assert_uint_gt(ninserted, 0);

    for (size_t i = 0; i < nseen; i++)
        free(seen[i]);
    for (size_t i = 0; i < ninserted; i++)
        free(inserted[i]);
    for (size_t i = 0; i < ORIGINALS; i++)
        free(orig[i]);
    free(inserted);
    free(seen);
    free(hits);
    free(orig);
}
END_TEST

START_TEST(test_list_default_and_invalid)
{
    for (int i = 0; i < 101; i++)
        free(create_config("{}"));
    struct testlib_response *resp = call("GET", "/ota-task-configurations", NULL);
    TESTLIB_ASSERT_STATUS(resp, 200);
    cJSON *o = testlib_json(resp);
    TESTLIB_ASSERT_JSON_LEN(o, "Items", 100); /* the default page size */
    const char *token = testlib_json_at(o, "NextToken")->valuestring;
    for (const char *p = token; *p != '\0'; p++)
        ck_assert_msg((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                          (*p >= '0' && *p <= '9') || *p == '_' || *p == '-',
                      "token %s", token);

    /* a token altered in one character is refused */
    char *bad = xstrdup(token);
    bad[strlen(bad) / 2] = bad[strlen(bad) / 2] == 'A' ? 'B' : 'A';
    char *url = testlib_strf("/ota-task-configurations?NextToken=%s", bad);
    struct testlib_response *r2 = call("GET", url, NULL);
    assert_invalid(r2, "NextToken is not a valid pagination token");
    testlib_response_free(r2);
    free(url);
    free(bad);
    cJSON_Delete(o);
    testlib_response_free(resp);

    static const struct {
        const char *query;
        const char *message;
    } cases[] = {
        {"MaxResults=0", "MaxResults must be an integer between 1 and 1000"},
        {"MaxResults=1001", "MaxResults must be an integer between 1 and 1000"},
        {"MaxResults=1e2", "MaxResults must be an integer between 1 and 1000"},
        {"MaxResults=", "MaxResults must be an integer between 1 and 1000"},
        {"NextToken=%%%", "malformed percent-encoding in the query string"},
        {"NextToken=bm90IGEgdG9rZW4", "NextToken is not a valid pagination token"},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        char *path = testlib_strf("/ota-task-configurations?%s", cases[i].query);
        resp = call("GET", path, NULL);
        assert_invalid(resp, cases[i].message);
        testlib_response_free(resp);
        free(path);
    }
}
END_TEST

/* ---- ClientToken, bodies, routing ---- */

START_TEST(test_idempotency)
{
    char *body = testlib_strf("{\"ClientToken\":\"cfg-%d-%lld\",\"Name\":\"idem\",\"PushConfig\":"
                              "{\"RolloutConfig\":{\"MaximumPerMinute\":5}}}",
                              (int)getpid(), (long long)testlib_now_ms());
    long long before = count_configs();
    struct testlib_response *first = call("POST", "/ota-task-configurations", body);
    TESTLIB_ASSERT_STATUS(first, 201);
    struct testlib_response *again = call("POST", "/ota-task-configurations", body);
    TESTLIB_ASSERT_STATUS(again, 201);
    ck_assert_str_eq(again->body, first->body);
    ck_assert_int_eq(count_configs(), before + 1);

    /* the same content written differently (member order, 5 as 5.0) is the same request */
    cJSON *parsed = cJSON_Parse(body);
    char *token = xstrdup(cJSON_GetObjectItem(parsed, "ClientToken")->valuestring);
    cJSON_Delete(parsed);
    char *reordered = testlib_strf("{\"PushConfig\":{\"RolloutConfig\":{\"MaximumPerMinute\":5.0}},"
                                   "\"Name\":\"idem\",\"ClientToken\":\"%s\"}",
                                   token);
    struct testlib_response *third = call("POST", "/ota-task-configurations", reordered);
    TESTLIB_ASSERT_STATUS(third, 201);
    ck_assert_str_eq(third->body, first->body);

    char *other = testlib_strf("{\"ClientToken\":\"%s\",\"Name\":\"different\"}", token);
    struct testlib_response *conflict = call("POST", "/ota-task-configurations", other);
    TESTLIB_ASSERT_ERROR(conflict, 409, "ConflictException");
    char *want = testlib_strf("ClientToken %s was already used with a different request", token);
    ck_assert_str_eq(message_of(conflict), want);
    ck_assert_int_eq(count_configs(), before + 1);

    free(want);
    testlib_response_free(conflict);
    testlib_response_free(third);
    testlib_response_free(again);
    testlib_response_free(first);
    free(other);
    free(reordered);
    free(token);
    free(body);
}
END_TEST

START_TEST(test_body_cap)
{
    long long before = count_configs();
    size_t len = 1024 * 1024 + 1;
    char *body = xmalloc(len + 1);
    const char *head = "{\"Name\":\"big\",\"Pad\":\"";
    memcpy(body, head, strlen(head));
    memset(body + strlen(head), 'p', len - strlen(head) - 2);
    memcpy(body + len - 2, "\"}", 2);
    body[len] = '\0';
    struct testlib_response *resp = call("POST", "/ota-task-configurations", body);
    assert_invalid(resp, "the request body is larger than 1048576 bytes");
    testlib_response_free(resp);
    ck_assert_int_eq(count_configs(), before);

    /* one byte less is within the cap */
    body[len - 3] = '"';
    body[len - 2] = '}';
    body[len - 1] = '\0';
    resp = call("POST", "/ota-task-configurations", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    testlib_response_free(resp);
    ck_assert_int_eq(count_configs(), before + 1);
    free(body);
}
END_TEST

START_TEST(test_routing_errors)
{
    static const struct {
        const char *method;
        const char *path;
        int status;
        const char *code;
        const char *allow;
    } cases[] = {
        {"PUT", "/ota-task-configurations/abc", 405, "MethodNotAllowedException", "GET, DELETE"},
        {"POST", "/ota-task-configurations/abc", 405, "MethodNotAllowedException", "GET, DELETE"},
        {"DELETE", "/ota-task-configurations", 405, "MethodNotAllowedException", "POST, GET"},
        {"GET", "/ota-task-configuration", 404, "UnknownOperationException", NULL},
        {"GET", "/", 404, "UnknownOperationException", NULL},
        {"GET", "/ota-task-configurations/a/b", 404, "UnknownOperationException", NULL},
    };
    long long before = count_configs();
    for (size_t i = 0; i < NELEM(cases); i++) {
        struct testlib_response *resp = call(cases[i].method, cases[i].path, "{}");
        TESTLIB_ASSERT_ERROR(resp, cases[i].status, cases[i].code);
        if (cases[i].allow != NULL)
            TESTLIB_ASSERT_HEADER(resp, "Allow", cases[i].allow);
        testlib_response_free(resp);
    }
    ck_assert_int_eq(count_configs(), before);
}
END_TEST

static Suite *configs_suite(void)
{
    Suite *s = suite_create("configs");
    TCase *tc = tcase_create("crud");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_lifecycle);
    tcase_add_test(tc, test_minimal_create);
    tcase_add_loop_test(tc, test_create_invalid, 0, NELEM(bad_creates));
    tcase_add_test(tc, test_identifier_labels);
    suite_add_tcase(s, tc);

    tc = tcase_create("list");
    tcase_set_timeout(tc, 400);
    tcase_add_test(tc, test_pagination_interleaved);
    tcase_add_test(tc, test_list_default_and_invalid);
    suite_add_tcase(s, tc);

    tc = tcase_create("wire");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_idempotency);
    tcase_add_test(tc, test_body_cap);
    tcase_add_test(tc, test_routing_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(configs_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
