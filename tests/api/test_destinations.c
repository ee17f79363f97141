/*
 * API tests of destinations (CreateDestination, GetDestination, ListDestinations,
 * UpdateDestination, DeleteDestination) and notification configurations
 * (Create/Get/List/Update/DeleteNotificationConfiguration) over HTTP against the otad the
 * harness starts, reading the database (OTAD_TEST_PG) to prove that failed requests store
 * nothing. Destinations are named per test; notification configurations are keyed by the 11
 * event types, so each test removes the ones it made.
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

#define ARN  "arn:aws:kinesis:us-east-1:123456789012:stream/otad-events"
#define ROLE "arn:aws:iam::123456789012:role/otad"
#define MEMBERS                                                                                    \
    "\"DeliveryDestinationArn\":\"" ARN "\",\"DeliveryDestinationType\":\"KINESIS\","              \
    "\"RoleArn\":\"" ROLE "\""

static const char *const event_types[] = {"DEVICE_COMMAND",
                                          "DEVICE_COMMAND_REQUEST",
                                          "DEVICE_DISCOVERY_STATUS",
                                          "DEVICE_EVENT",
                                          "DEVICE_LIFE_CYCLE",
                                          "DEVICE_STATE",
                                          "DEVICE_OTA",
                                          "DEVICE_WSS",
                                          "CONNECTOR_ASSOCIATION",
                                          "ACCOUNT_ASSOCIATION",
                                          "CONNECTOR_ERROR_REPORT"};

#define EVENT_TYPE_LIST                                                                            \
    "DEVICE_COMMAND, DEVICE_COMMAND_REQUEST, DEVICE_DISCOVERY_STATUS, DEVICE_EVENT, "              \
    "DEVICE_LIFE_CYCLE, DEVICE_STATE, DEVICE_OTA, DEVICE_WSS, CONNECTOR_ASSOCIATION, "             \
    "ACCOUNT_ASSOCIATION, CONNECTOR_ERROR_REPORT"

static const char *const json_headers[] = {"Content-Type: application/json", NULL};

static struct testlib_response *call(const char *method, const char *path, const char *body)
{
    return testlib_call(method, path, body != NULL ? json_headers : NULL, body);
}

static long long sql_count(const char *sql)
{
    PGconn *conn = PQconnectdb(testlib_env("OTAD_TEST_PG"));
    ck_assert_msg(PQstatus(conn) == CONNECTION_OK, "connect: %s", PQerrorMessage(conn));
    PGresult *res = PQexec(conn, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(res));
    long long n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    PQfinish(conn);
    return n;
}

static long long count_destinations(void)
{
    return sql_count("SELECT count(*) FROM destinations");
}

static long long count_configs(void)
{
    return sql_count("SELECT count(*) FROM notification_configurations");
}

/* A destination name unique to this test process. */
static char *unique(const char *prefix)
{
    static int n;
    return testlib_strf("%s-%d-%lld-%d", prefix, (int)getpid(), (long long)testlib_now_ms(), n++);
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

/* Create destination name with MEMBERS plus extra (may be ""). */
static void create_destination(const char *name, const char *extra)
{
    char *body =
        testlib_strf("{\"Name\":\"%s\"," MEMBERS "%s%s}", name, extra[0] ? "," : "", extra);
    struct testlib_response *resp = call("POST", "/destinations", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    testlib_response_free(resp);
    free(body);
}

static cJSON *get_ok(const char *path)
{
    struct testlib_response *resp = call("GET", path, NULL);
    TESTLIB_ASSERT_STATUS(resp, 200);
    cJSON *o = testlib_json(resp);
    testlib_response_free(resp);
    return o;
}

static char *rep(char c, size_t n)
{
    char *s = xmalloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ==== destinations ==== */

START_TEST(test_destination_lifecycle)
{
    /* a Unicode name with spaces travels percent-encoded in the path */
    const char *name = "Ziel \xc3\xbc 1.a_b-c";
    const char *path = "/destinations/Ziel%20%C3%BC%201.a_b-c";
    long long before = count_destinations();
    char *body = testlib_strf("{\"Name\":\"%s\"," MEMBERS ",\"Description\":\"first one\","
                              "\"Tags\":{\"env\":\"test\"},\"Other\":1}",
                              name);
    struct testlib_response *resp = call("POST", "/destinations", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    cJSON *o = testlib_json(resp);
    TESTLIB_ASSERT_JSON_LEN(o, "", 1);
    TESTLIB_ASSERT_JSON_STR(o, "Name", name);
    cJSON_Delete(o);
    testlib_response_free(resp);
    ck_assert_int_eq(count_destinations(), before + 1);

    o = get_ok(path);
    TESTLIB_ASSERT_JSON_STR(o, "Name", name);
    TESTLIB_ASSERT_JSON_STR(o, "DeliveryDestinationArn", ARN);
    TESTLIB_ASSERT_JSON_STR(o, "DeliveryDestinationType", "KINESIS");
    TESTLIB_ASSERT_JSON_STR(o, "RoleArn", ROLE);
    TESTLIB_ASSERT_JSON_STR(o, "Description", "first one");
    TESTLIB_ASSERT_JSON_STR(o, "Tags.env", "test");
    TESTLIB_ASSERT_JSON_ABSENT(o, "Other");
    ck_assert(cJSON_IsNumber(testlib_json_at(o, "CreatedAt")));
    double created = testlib_json_at(o, "CreatedAt")->valuedouble;
    ck_assert_double_eq(testlib_json_at(o, "UpdatedAt")->valuedouble, created);
    cJSON_Delete(o);

    /* Update: 201 with no body; members given replace, others stay; Name and Tags are not
     * Update members */
    testlib_sleep_ms(5);
    resp = call("PUT", path,
                "{\"Description\":\"second\",\"RoleArn\":\"r2\",\"Name\":\"other\","
                "\"Tags\":{\"x\":\"y\"}}");
    TESTLIB_ASSERT_STATUS(resp, 201);
    ck_assert_uint_eq(resp->body_len, 0);
    testlib_response_free(resp);
    o = get_ok(path);
    TESTLIB_ASSERT_JSON_STR(o, "Name", name);
    TESTLIB_ASSERT_JSON_STR(o, "Description", "second");
    TESTLIB_ASSERT_JSON_STR(o, "RoleArn", "r2");
    TESTLIB_ASSERT_JSON_STR(o, "DeliveryDestinationArn", ARN);
    TESTLIB_ASSERT_JSON_LEN(o, "Tags", 1);
    TESTLIB_ASSERT_JSON_STR(o, "Tags.env", "test");
    ck_assert_double_eq(testlib_json_at(o, "CreatedAt")->valuedouble, created);
    ck_assert_double_gt(testlib_json_at(o, "UpdatedAt")->valuedouble, created);
    cJSON_Delete(o);

    resp = call("PUT", path,
                "{\"DeliveryDestinationArn\":\"arn:aws:kinesis:eu-west-1:1:stream/s2\","
                "\"DeliveryDestinationType\":\"KINESIS\"}");
    TESTLIB_ASSERT_STATUS(resp, 201);
    testlib_response_free(resp);
    o = get_ok(path);
    TESTLIB_ASSERT_JSON_STR(o, "DeliveryDestinationArn", "arn:aws:kinesis:eu-west-1:1:stream/s2");
    cJSON_Delete(o);

    /* Delete: 200 with no body; then gone */
    resp = call("DELETE", path, NULL);
    TESTLIB_ASSERT_STATUS(resp, 200);
    ck_assert_uint_eq(resp->body_len, 0);
    testlib_response_free(resp);
    ck_assert_int_eq(count_destinations(), before);
    static const char *const methods[] = {"GET", "PUT", "DELETE"};
    for (size_t i = 0; i < NELEM(methods); i++) {
        resp = call(methods[i], path, methods[i][0] == 'P' ? "{}" : NULL);
        TESTLIB_ASSERT_ERROR(resp, 404, "ResourceNotFoundException");
        o = testlib_json(resp);
        TESTLIB_ASSERT_JSON_STR(o, "ResourceType", "Destination");
        TESTLIB_ASSERT_JSON_STR(o, "ResourceId", name);
        cJSON_Delete(o);
        testlib_response_free(resp);
    }
    free(body);
}
END_TEST

START_TEST(test_destination_conflict)
{
    char *name = unique("dup");
    create_destination(name, "\"Description\":\"original\"");
    long long before = count_destinations();
    char *body = testlib_strf("{\"Name\":\"%s\"," MEMBERS ",\"Description\":\"second\"}", name);
    struct testlib_response *resp = call("POST", "/destinations", body);
    TESTLIB_ASSERT_ERROR(resp, 409, "ConflictException");
    char *want = testlib_strf("destination %s already exists", name);
    ck_assert_str_eq(message_of(resp), want);
    testlib_response_free(resp);
    ck_assert_int_eq(count_destinations(), before);
    char *path = testlib_strf("/destinations/%s", name);
    cJSON *o = get_ok(path);
    TESTLIB_ASSERT_JSON_STR(o, "Description", "original");
    cJSON_Delete(o);
    free(path);
    free(want);
    free(body);
    free(name);
}
END_TEST

static const struct {
    const char *body;
    const char *message;
} bad_destinations[] = {
    {"{" MEMBERS "}", "Name is required"},
    {"{\"Name\":\"a/b\"," MEMBERS "}",
     "Name must contain only letters, digits, spaces, '.', '_' and '-'"},
    {"{\"Name\":\"\"," MEMBERS "}", "Name must be between 1 and 128 characters long"},
    {"{\"Name\":[]," MEMBERS "}", "Name must be a string"},
    {"{\"Name\":\"n\",\"DeliveryDestinationType\":\"KINESIS\",\"RoleArn\":\"r\"}",
     "DeliveryDestinationArn is required"},
    {"{\"Name\":\"n\",\"DeliveryDestinationArn\":\"arn:aws:k:r:1:t/n\"," MEMBERS "}",
     "DeliveryDestinationArn must be between 20 and 2048 characters long"},
    {"{\"Name\":\"n\",\"DeliveryDestinationArn\":\"arn:aws:kinesis:us-east-1:1234:stream\","
     "\"DeliveryDestinationType\":\"KINESIS\",\"RoleArn\":\"r\"}",
     "DeliveryDestinationArn must be an ARN like "
     "arn:aws:<service>:<region>:<account>:<type>/<name>"},
    {"{\"Name\":\"n\",\"DeliveryDestinationArn\":\"arn:aws-cn:kinesis:us-east-1:1:stream/s\","
     "\"DeliveryDestinationType\":\"KINESIS\",\"RoleArn\":\"r\"}",
     "DeliveryDestinationArn must be an ARN like "
     "arn:aws:<service>:<region>:<account>:<type>/<name>"},
    {"{\"Name\":\"n\",\"DeliveryDestinationArn\":\"arn:aws:kinesis:us-east-1:12a:stream/s\","
     "\"DeliveryDestinationType\":\"KINESIS\",\"RoleArn\":\"r\"}",
     "DeliveryDestinationArn must be an ARN like "
     "arn:aws:<service>:<region>:<account>:<type>/<name>"},
    {"{\"Name\":\"n\",\"DeliveryDestinationArn\":\"arn:aws:kinesis:us_east:1:stream/sss\","
     "\"DeliveryDestinationType\":\"KINESIS\",\"RoleArn\":\"r\"}",
     "DeliveryDestinationArn must be an ARN like "
     "arn:aws:<service>:<region>:<account>:<type>/<name>"},
    {"{\"Name\":\"n\",\"DeliveryDestinationArn\":\"arn:aws:kinesis:us-east-1:1:stream/s!\","
     "\"DeliveryDestinationType\":\"KINESIS\",\"RoleArn\":\"r\"}",
     "DeliveryDestinationArn must be an ARN like "
     "arn:aws:<service>:<region>:<account>:<type>/<name>"},
    {"{\"Name\":\"n\",\"DeliveryDestinationArn\":\"arn:aws:kinesis:us-east-1:1:stream/a/b\","
     "\"DeliveryDestinationType\":\"KINESIS\",\"RoleArn\":\"r\"}",
     "DeliveryDestinationArn must be an ARN like "
     "arn:aws:<service>:<region>:<account>:<type>/<name>"},
    {"{\"Name\":\"n\",\"DeliveryDestinationArn\":\"arn:aws::us-east-1:1:stream/abcdef\","
     "\"DeliveryDestinationType\":\"KINESIS\",\"RoleArn\":\"r\"}",
     "DeliveryDestinationArn must be an ARN like "
     "arn:aws:<service>:<region>:<account>:<type>/<name>"},
    {"{\"Name\":\"n\",\"DeliveryDestinationArn\":\"" ARN "\",\"RoleArn\":\"r\"}",
     "DeliveryDestinationType is required"},
    {"{\"Name\":\"n\",\"DeliveryDestinationType\":\"SQS\"," MEMBERS "}",
     "DeliveryDestinationType must be one of KINESIS"},
    {"{\"Name\":\"n\",\"DeliveryDestinationArn\":\"" ARN "\","
     "\"DeliveryDestinationType\":\"KINESIS\"}",
     "RoleArn is required"},
    {"{\"Name\":\"n\",\"RoleArn\":5," MEMBERS "}", "RoleArn must be a string"},
    {"{\"Name\":\"n\",\"Description\":\"a.b\"," MEMBERS "}",
     "Description must contain only letters, digits, '_', '-' and spaces"},
    {"{\"Name\":\"n\",\"Tags\":{}," MEMBERS "}", "Tags must have between 1 and 50 entries"},
    {"{\"Name\":\"n\",\"Tags\":{\"\":\"v\"}," MEMBERS "}",
     "Tags key '' must be between 1 and 128 characters long"},
    {"{\"Name\":\"n\",\"ClientToken\":\"a b\"," MEMBERS "}",
     "ClientToken must contain only letters, digits, '=', '_' and '-'"},
    {"{\"Name\":\"n\"," MEMBERS, "the request body is not valid JSON (near byte 166)"},
    {"[\"Name\"]", "the request body must be a JSON object"},
    {"", "Name is required"},
};

START_TEST(test_destination_create_invalid)
{
    long long before = count_destinations();
    struct testlib_response *resp = call("POST", "/destinations", bad_destinations[_i].body);
    TESTLIB_ASSERT_ERROR(resp, 400, "ValidationException");
    /* a truncated body's error position depends on its length: compare the prefix only */
    const char *want = bad_destinations[_i].message;
    if (strstr(want, "near byte") != NULL)
        ck_assert_msg(strncmp(message_of(resp), want, 34) == 0, "%s", message_of(resp));
    else
        ck_assert_str_eq(message_of(resp), want);
    testlib_response_free(resp);
    ck_assert_int_eq(count_destinations(), before);
}
END_TEST

START_TEST(test_destination_lengths)
{
    long long before = count_destinations();
    /* Name: 128 code points (2-byte each) is fine, 129 is not */
    char name[129 * 2 + 1];
    for (int i = 0; i < 129; i++)
        memcpy(name + 2 * i, "\xc3\xa9", 2);
    name[129 * 2] = '\0';
    char *body = testlib_strf("{\"Name\":\"%s\"," MEMBERS "}", name);
    struct testlib_response *resp = call("POST", "/destinations", body);
    assert_invalid(resp, "Name must be between 1 and 128 characters long");
    testlib_response_free(resp);
    free(body);
    ck_assert_int_eq(count_destinations(), before);

    char *desc = rep('d', 257);
    body = testlib_strf("{\"Name\":\"long-desc\",\"Description\":\"%s\"," MEMBERS "}", desc);
    resp = call("POST", "/destinations", body);
    assert_invalid(resp, "Description must be between 1 and 256 characters long");
    testlib_response_free(resp);
    free(body);

    char *stream = rep('s', 2048 - strlen("arn:aws:kinesis:us-east-1:1:stream/") + 1);
    body = testlib_strf("{\"Name\":\"long-arn\",\"DeliveryDestinationArn\":\"arn:aws:kinesis:"
                        "us-east-1:1:stream/%s\"," MEMBERS "}",
                        stream);
    resp = call("POST", "/destinations", body);
    assert_invalid(resp, "DeliveryDestinationArn must be between 20 and 2048 characters long");
    testlib_response_free(resp);
    free(body);
    ck_assert_int_eq(count_destinations(), before);

    /* at the limits */
    name[128 * 2] = '\0';
    desc[256] = '\0';
    stream[strlen(stream) - 1] = '\0';
    body = testlib_strf("{\"Name\":\"%s\",\"Description\":\"%s\",\"DeliveryDestinationArn\":"
                        "\"arn:aws:kinesis:us-east-1:1:stream/%s\","
                        "\"DeliveryDestinationType\":\"KINESIS\",\"RoleArn\":\"\"}",
                        name, desc, stream);
    resp = call("POST", "/destinations", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    testlib_response_free(resp);
    ck_assert_int_eq(count_destinations(), before + 1);
    free(body);
    free(stream);
    free(desc);
}
END_TEST

static const struct {
    const char *body;
    const char *message;
} bad_updates[] = {
    {"{\"DeliveryDestinationArn\":\"not-an-arn-at-all-really\"}",
     "DeliveryDestinationArn must be an ARN like "
     "arn:aws:<service>:<region>:<account>:<type>/<name>"},
    {"{\"Description\":\"ok\",\"DeliveryDestinationType\":\"FIREHOSE\"}",
     "DeliveryDestinationType must be one of KINESIS"},
    {"{\"Description\":\"\"}", "Description must be between 1 and 256 characters long"},
    {"{\"RoleArn\":null,\"Description\":7}", "Description must be a string"},
    {"7", "the request body must be a JSON object"},
};

START_TEST(test_destination_update_invalid)
{
    char *name = unique("upd");
    create_destination(name, "\"Description\":\"keep\"");
    char *path = testlib_strf("/destinations/%s", name);
    struct testlib_response *before = call("GET", path, NULL);
    struct testlib_response *resp = call("PUT", path, bad_updates[_i].body);
    assert_invalid(resp, bad_updates[_i].message);
    struct testlib_response *after = call("GET", path, NULL);
    ck_assert_str_eq(after->body, before->body);
    testlib_response_free(after);
    testlib_response_free(resp);
    testlib_response_free(before);
    free(path);
    free(name);
}
END_TEST

START_TEST(test_destination_labels)
{
    static const char *const methods[] = {"GET", "PUT", "DELETE"};
    for (size_t i = 0; i < NELEM(methods); i++) {
        const char *body = methods[i][0] == 'P' ? "{}" : NULL;
        struct testlib_response *resp = call(methods[i], "/destinations/bad%21name", body);
        assert_invalid(resp, "Name must contain only letters, digits, spaces, '.', '_' and '-'");
        testlib_response_free(resp);
        /* "%2F" stays inside the label: a slash, which a name may not contain */
        resp = call(methods[i], "/destinations/a%2Fb", body);
        assert_invalid(resp, "Name must contain only letters, digits, spaces, '.', '_' and '-'");
        testlib_response_free(resp);
        resp = call(methods[i], "/destinations/no%20such%20destination", body);
        TESTLIB_ASSERT_ERROR(resp, 404, "ResourceNotFoundException");
        ck_assert_str_eq(message_of(resp), "destination no such destination not found");
        testlib_response_free(resp);
    }
}
END_TEST

/* Every name of the pages of /destinations?MaxResults=page_size that starts with prefix. */
static size_t list_destinations(const char *prefix, int page_size, char **names, size_t cap,
                                size_t *total)
{
    size_t n = 0;
    char *token = NULL;
    *total = 0;
    for (;;) {
        char *url = token != NULL
                        ? testlib_strf("/destinations?MaxResults=%d&NextToken=%s", page_size, token)
                        : testlib_strf("/destinations?MaxResults=%d", page_size);
        cJSON *o = get_ok(url);
        const cJSON *items = testlib_json_at(o, "DestinationList");
        ck_assert(cJSON_IsArray(items));
        ck_assert_int_le(cJSON_GetArraySize(items), page_size);
        const cJSON *it;
        cJSON_ArrayForEach(it, items)
        {
            const char *name = cJSON_GetObjectItem(it, "Name")->valuestring;
            ck_assert_ptr_nonnull(cJSON_GetObjectItem(it, "DeliveryDestinationArn"));
            ck_assert_ptr_null(cJSON_GetObjectItem(it, "CreatedAt"));
            (*total)++;
            if (strncmp(name, prefix, strlen(prefix)) != 0)
                continue;
            ck_assert_uint_lt(n, cap);
            names[n++] = xstrdup(name);
        }
        free(token);
        token = NULL;
        const cJSON *next = testlib_json_at(o, "NextToken");
        if (next != NULL)
            token = xstrdup(next->valuestring);
        cJSON_Delete(o);
        free(url);
        if (token == NULL)
            break;
    }
    return n;
}

START_TEST(test_destination_list)
{
    char *prefix = unique("list");
    char *made[12];
    for (size_t i = 0; i < NELEM(made); i++) {
        made[i] = testlib_strf("%s-%02zu", prefix, i);
        create_destination(made[i], "");
    }
    char *seen[32];
    size_t total;
    size_t n = list_destinations(prefix, 5, seen, NELEM(seen), &total);
    ck_assert_uint_eq(n, NELEM(made));
    ck_assert_uint_eq(total, (size_t)count_destinations());
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(seen[i], made[i]);
        free(seen[i]);
        free(made[i]);
    }

    static const struct {
        const char *query;
        const char *message;
    } bad[] = {
        {"MaxResults=0", "MaxResults must be an integer between 1 and 1000"},
        {"MaxResults=1001", "MaxResults must be an integer between 1 and 1000"},
        {"MaxResults=-1", "MaxResults must be an integer between 1 and 1000"},
        {"NextToken=abc", "NextToken is not a valid pagination token"},
        {"NextToken=djE6eHh4OjE6MDAwMDAwMDA", "NextToken is not a valid pagination token"},
    };
    for (size_t i = 0; i < NELEM(bad); i++) {
        char *path = testlib_strf("/destinations?%s", bad[i].query);
        struct testlib_response *resp = call("GET", path, NULL);
        assert_invalid(resp, bad[i].message);
        testlib_response_free(resp);
        free(path);
    }
    free(prefix);
}
END_TEST

START_TEST(test_destination_idempotency)
{
    char *name = unique("idem");
    char *token = unique("tok");
    char *body = testlib_strf("{\"ClientToken\":\"%s\",\"Name\":\"%s\"," MEMBERS "}", token, name);
    long long before = count_destinations();
    struct testlib_response *first = call("POST", "/destinations", body);
    TESTLIB_ASSERT_STATUS(first, 201);
    /* a retry with the same token is answered like the first call, not as a conflict */
    struct testlib_response *again = call("POST", "/destinations", body);
    TESTLIB_ASSERT_STATUS(again, 201);
    ck_assert_str_eq(again->body, first->body);
    ck_assert_int_eq(count_destinations(), before + 1);

    char *other = unique("idem-other");
    char *body2 =
        testlib_strf("{\"ClientToken\":\"%s\",\"Name\":\"%s\"," MEMBERS "}", token, other);
    struct testlib_response *conflict = call("POST", "/destinations", body2);
    TESTLIB_ASSERT_ERROR(conflict, 409, "ConflictException");
    ck_assert_int_eq(count_destinations(), before + 1);

    /* a name conflict under a fresh token records nothing for that token */
    char *token2 = unique("tok");
    char *body3 =
        testlib_strf("{\"ClientToken\":\"%s\",\"Name\":\"%s\"," MEMBERS "}", token2, name);
    struct testlib_response *taken = call("POST", "/destinations", body3);
    TESTLIB_ASSERT_ERROR(taken, 409, "ConflictException");
    char *sql = testlib_strf("SELECT count(*) FROM idempotency WHERE token = '%s'", token2);
    ck_assert_int_eq(sql_count(sql), 0);
    free(sql);

    testlib_response_free(taken);
    testlib_response_free(conflict);
    testlib_response_free(again);
    testlib_response_free(first);
    free(body3);
    free(token2);
    free(body2);
    free(other);
    free(body);
    free(token);
    free(name);
}
END_TEST

/* ==== notification configurations ==== */

/* Remove every notification configuration (tests share the 11 keys). */
static void delete_all_configs(void)
{
    for (size_t i = 0; i < NELEM(event_types); i++) {
        char *path = testlib_strf("/notification-configurations/%s", event_types[i]);
        struct testlib_response *resp = call("DELETE", path, NULL);
        ck_assert_msg(resp->status == 200 || resp->status == 404, "%s: %d", path, resp->status);
        testlib_response_free(resp);
        free(path);
    }
    ck_assert_int_eq(count_configs(), 0);
}

static void create_config(const char *type, const char *destination)
{
    char *body =
        testlib_strf("{\"EventType\":\"%s\",\"DestinationName\":\"%s\"}", type, destination);
    struct testlib_response *resp = call("POST", "/notification-configurations", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    cJSON *o = testlib_json(resp);
    TESTLIB_ASSERT_JSON_LEN(o, "", 1);
    TESTLIB_ASSERT_JSON_STR(o, "EventType", type);
    cJSON_Delete(o);
    testlib_response_free(resp);
    free(body);
}

START_TEST(test_config_lifecycle)
{
    delete_all_configs();
    char *d1 = unique("dest one");
    char *d2 = unique("dest two");
    create_destination(d1, "");
    create_destination(d2, "");

    char *body = testlib_strf("{\"EventType\":\"DEVICE_OTA\",\"DestinationName\":\"%s\","
                              "\"Tags\":{\"team\":\"fw\"}}",
                              d1);
    struct testlib_response *resp = call("POST", "/notification-configurations", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    ck_assert_str_eq(resp->body, "{\"EventType\":\"DEVICE_OTA\"}");
    testlib_response_free(resp);
    ck_assert_int_eq(count_configs(), 1);

    cJSON *o = get_ok("/notification-configurations/DEVICE_OTA");
    TESTLIB_ASSERT_JSON_STR(o, "EventType", "DEVICE_OTA");
    TESTLIB_ASSERT_JSON_STR(o, "DestinationName", d1);
    TESTLIB_ASSERT_JSON_STR(o, "Tags.team", "fw");
    double created = testlib_json_at(o, "CreatedAt")->valuedouble;
    ck_assert_double_eq(testlib_json_at(o, "UpdatedAt")->valuedouble, created);
    cJSON_Delete(o);

    o = get_ok("/notification-configurations");
    TESTLIB_ASSERT_JSON_LEN(o, "NotificationConfigurationList", 1);
    TESTLIB_ASSERT_JSON_STR(o, "NotificationConfigurationList[0].EventType", "DEVICE_OTA");
    TESTLIB_ASSERT_JSON_STR(o, "NotificationConfigurationList[0].DestinationName", d1);
    TESTLIB_ASSERT_JSON_ABSENT(o, "NotificationConfigurationList[0].Tags");
    TESTLIB_ASSERT_JSON_ABSENT(o, "NextToken");
    cJSON_Delete(o);

    /* Update: 201, no body */
    testlib_sleep_ms(5);
    char *upd = testlib_strf("{\"DestinationName\":\"%s\",\"EventType\":\"DEVICE_STATE\"}", d2);
    resp = call("PUT", "/notification-configurations/DEVICE_OTA", upd);
    TESTLIB_ASSERT_STATUS(resp, 201);
    ck_assert_uint_eq(resp->body_len, 0);
    testlib_response_free(resp);
    o = get_ok("/notification-configurations/DEVICE_OTA");
    TESTLIB_ASSERT_JSON_STR(o, "DestinationName", d2);
    TESTLIB_ASSERT_JSON_STR(o, "Tags.team", "fw");
    ck_assert_double_gt(testlib_json_at(o, "UpdatedAt")->valuedouble, created);
    cJSON_Delete(o);
    resp = call("GET", "/notification-configurations/DEVICE_STATE", NULL);
    TESTLIB_ASSERT_ERROR(resp, 404, "ResourceNotFoundException");
    testlib_response_free(resp);

    /* Delete: 200, no body; then 404 everywhere */
    resp = call("DELETE", "/notification-configurations/DEVICE_OTA", NULL);
    TESTLIB_ASSERT_STATUS(resp, 200);
    ck_assert_uint_eq(resp->body_len, 0);
    testlib_response_free(resp);
    ck_assert_int_eq(count_configs(), 0);
    static const char *const methods[] = {"GET", "PUT", "DELETE"};
    for (size_t i = 0; i < NELEM(methods); i++) {
        resp = call(methods[i], "/notification-configurations/DEVICE_OTA",
                    methods[i][0] == 'P' ? upd : NULL);
        TESTLIB_ASSERT_ERROR(resp, 404, "ResourceNotFoundException");
        o = testlib_json(resp);
        TESTLIB_ASSERT_JSON_STR(o, "ResourceType", "NotificationConfiguration");
        TESTLIB_ASSERT_JSON_STR(o, "ResourceId", "DEVICE_OTA");
        TESTLIB_ASSERT_JSON_STR(o, "Message",
                                "notification configuration for DEVICE_OTA not found");
        cJSON_Delete(o);
        testlib_response_free(resp);
    }
    ck_assert_int_eq(count_configs(), 0);
    free(upd);
    free(body);
    free(d2);
    free(d1);
}
END_TEST

START_TEST(test_config_every_event_type)
{
    delete_all_configs();
    char *d = unique("all");
    create_destination(d, "");
    for (size_t i = 0; i < NELEM(event_types); i++)
        create_config(event_types[i], d);
    ck_assert_int_eq(count_configs(), (long long)NELEM(event_types));

    /* paging: 4 + 4 + 3, each type exactly once, in creation order */
    char *token = NULL;
    size_t n = 0, pages = 0;
    do {
        char *url =
            token != NULL
                ? testlib_strf("/notification-configurations?MaxResults=4&NextToken=%s", token)
                : testlib_strf("/notification-configurations?MaxResults=4");
        cJSON *o = get_ok(url);
        const cJSON *it;
        cJSON_ArrayForEach(it, testlib_json_at(o, "NotificationConfigurationList"))
        {
            ck_assert_uint_lt(n, NELEM(event_types));
            ck_assert_str_eq(cJSON_GetObjectItem(it, "EventType")->valuestring, event_types[n]);
            n++;
        }
        pages++;
        free(token);
        const cJSON *next = testlib_json_at(o, "NextToken");
        token = next != NULL ? xstrdup(next->valuestring) : NULL;
        cJSON_Delete(o);
        free(url);
    } while (token != NULL);
    ck_assert_uint_eq(n, NELEM(event_types));
    ck_assert_uint_eq(pages, 3);

    /* a destinations token is not a notification configurations token */
    create_destination("tok-a", "");
    create_destination("tok-b", "");
    cJSON *o = get_ok("/destinations?MaxResults=1");
    char *url = testlib_strf("/notification-configurations?NextToken=%s",
                             testlib_json_at(o, "NextToken")->valuestring);
    struct testlib_response *resp = call("GET", url, NULL);
    assert_invalid(resp, "NextToken is not a valid pagination token");
    testlib_response_free(resp);
    free(url);
    cJSON_Delete(o);
    resp = call("GET", "/notification-configurations?MaxResults=1001", NULL);
    assert_invalid(resp, "MaxResults must be an integer between 1 and 1000");
    testlib_response_free(resp);

    delete_all_configs();
    free(d);
}
END_TEST

START_TEST(test_config_conflict_and_missing_destination)
{
    delete_all_configs();
    char *d = unique("conf");
    create_destination(d, "");
    create_config("DEVICE_EVENT", d);

    char *body = testlib_strf("{\"EventType\":\"DEVICE_EVENT\",\"DestinationName\":\"%s\"}", d);
    struct testlib_response *resp = call("POST", "/notification-configurations", body);
    TESTLIB_ASSERT_ERROR(resp, 409, "ConflictException");
    ck_assert_str_eq(message_of(resp),
                     "a notification configuration for DEVICE_EVENT already exists");
    testlib_response_free(resp);
    ck_assert_int_eq(count_configs(), 1);

    /* a destination that does not exist: ValidationException naming it, nothing stored */
    resp = call("POST", "/notification-configurations",
                "{\"EventType\":\"DEVICE_STATE\",\"DestinationName\":\"no such dest\"}");
    assert_invalid(resp, "DestinationName no such dest is not an existing destination");
    testlib_response_free(resp);
    ck_assert_int_eq(count_configs(), 1);

    /* ... also on Update, which leaves the configuration as it was */
    resp = call("PUT", "/notification-configurations/DEVICE_EVENT",
                "{\"DestinationName\":\"no such dest\"}");
    assert_invalid(resp, "DestinationName no such dest is not an existing destination");
    testlib_response_free(resp);
    cJSON *o = get_ok("/notification-configurations/DEVICE_EVENT");
    TESTLIB_ASSERT_JSON_STR(o, "DestinationName", d);
    cJSON_Delete(o);

    /* an unknown configuration is 404 even when the destination is missing too */
    resp = call("PUT", "/notification-configurations/DEVICE_WSS",
                "{\"DestinationName\":\"no such dest\"}");
    TESTLIB_ASSERT_ERROR(resp, 404, "ResourceNotFoundException");
    testlib_response_free(resp);
    ck_assert_int_eq(count_configs(), 1);

    delete_all_configs();
    free(body);
    free(d);
}
END_TEST

static const struct {
    const char *body;
    const char *message;
} bad_configs[] = {
    {"{\"DestinationName\":\"d\"}", "EventType is required"},
    {"{\"EventType\":\"device_ota\",\"DestinationName\":\"d\"}",
     "EventType must be one of " EVENT_TYPE_LIST},
    {"{\"EventType\":\"DEVICE_OTA\"}", "DestinationName is required"},
    {"{\"EventType\":\"DEVICE_OTA\",\"DestinationName\":\"a:b\"}",
     "DestinationName must contain only letters, digits, spaces, '.', '_' and '-'"},
    {"{\"EventType\":\"DEVICE_OTA\",\"DestinationName\":\"\"}",
     "DestinationName must be between 1 and 128 characters long"},
    {"{\"EventType\":\"DEVICE_OTA\",\"DestinationName\":\"d\",\"Tags\":{}}",
     "Tags must have between 1 and 50 entries"},
    {"{\"EventType\":\"DEVICE_OTA\",\"DestinationName\":\"d\",\"Tags\":{\"k\":[]}}",
     "Tags.k must be a string"},
    {"{\"EventType\":\"DEVICE_OTA\",\"DestinationName\":\"d\",\"ClientToken\":\"\"}",
     "ClientToken must be between 1 and 64 characters long"},
    {"{\"EventType\":\"DEVICE_OTA\"", "the request body is not valid JSON (near byte 24)"},
    {"true", "the request body must be a JSON object"},
};

START_TEST(test_config_create_invalid)
{
    long long before = count_configs();
    struct testlib_response *resp =
        call("POST", "/notification-configurations", bad_configs[_i].body);
    assert_invalid(resp, bad_configs[_i].message);
    testlib_response_free(resp);
    ck_assert_int_eq(count_configs(), before);
}
END_TEST

START_TEST(test_config_labels)
{
    static const char *const methods[] = {"GET", "PUT", "DELETE"};
    static const char *const labels[] = {"NOT_A_TYPE", "device_ota", "DEVICE_OTA%20",
                                         "DEVICE%2FOTA"};
    for (size_t i = 0; i < NELEM(methods); i++) {
        for (size_t j = 0; j < NELEM(labels); j++) {
            char *path = testlib_strf("/notification-configurations/%s", labels[j]);
            struct testlib_response *resp =
                call(methods[i], path, methods[i][0] == 'P' ? "{\"DestinationName\":\"d\"}" : NULL);
            assert_invalid(resp, "EventType must be one of " EVENT_TYPE_LIST);
            testlib_response_free(resp);
            free(path);
        }
    }
    /* Update needs DestinationName */
    struct testlib_response *resp = call("PUT", "/notification-configurations/DEVICE_OTA", "{}");
    assert_invalid(resp, "DestinationName is required");
    testlib_response_free(resp);
}
END_TEST

START_TEST(test_config_idempotency)
{
    delete_all_configs();
    char *d = unique("idem-cfg");
    create_destination(d, "");
    char *body = testlib_strf("{\"ClientToken\":\"cfg-token-%d\",\"EventType\":"
                              "\"DEVICE_LIFE_CYCLE\",\"DestinationName\":\"%s\"}",
                              (int)getpid(), d);
    struct testlib_response *first = call("POST", "/notification-configurations", body);
    TESTLIB_ASSERT_STATUS(first, 201);
    struct testlib_response *again = call("POST", "/notification-configurations", body);
    TESTLIB_ASSERT_STATUS(again, 201);
    ck_assert_str_eq(again->body, first->body);
    ck_assert_int_eq(count_configs(), 1);

    char *other = testlib_strf("{\"ClientToken\":\"cfg-token-%d\",\"EventType\":"
                               "\"DEVICE_STATE\",\"DestinationName\":\"%s\"}",
                               (int)getpid(), d);
    struct testlib_response *conflict = call("POST", "/notification-configurations", other);
    TESTLIB_ASSERT_ERROR(conflict, 409, "ConflictException");
    ck_assert_int_eq(count_configs(), 1);
    testlib_response_free(conflict);
    testlib_response_free(again);
    testlib_response_free(first);
    delete_all_configs();
    free(other);
    free(body);
    free(d);
}
END_TEST

/* ==== transport-level errors for both families ==== */

START_TEST(test_body_cap)
{
    static const char *const paths[] = {"/destinations", "/notification-configurations"};
    long long dests = count_destinations(), configs = count_configs();
    for (size_t p = 0; p < NELEM(paths); p++) {
        size_t len = 1024 * 1024 + 1;
        char *body = xmalloc(len + 1);
        const char *head = "{\"Name\":\"capped\",\"Pad\":\"";
        memcpy(body, head, strlen(head));
        memset(body + strlen(head), 'p', len - strlen(head) - 2);
        memcpy(body + len - 2, "\"}", 2);
        body[len] = '\0';
        struct testlib_response *resp = call("POST", paths[p], body);
        assert_invalid(resp, "the request body is larger than 1048576 bytes");
        testlib_response_free(resp);
        free(body);
    }
    ck_assert_int_eq(count_destinations(), dests);
    ck_assert_int_eq(count_configs(), configs);
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
        {"PATCH", "/destinations/x", 405, "MethodNotAllowedException", "GET, PUT, DELETE"},
        {"POST", "/destinations/x", 405, "MethodNotAllowedException", "GET, PUT, DELETE"},
        {"DELETE", "/destinations", 405, "MethodNotAllowedException", "POST, GET"},
        {"PATCH", "/notification-configurations/DEVICE_OTA", 405, "MethodNotAllowedException",
         "GET, PUT, DELETE"},
        {"PUT", "/notification-configurations", 405, "MethodNotAllowedException", "POST, GET"},
        {"GET", "/destination", 404, "UnknownOperationException", NULL},
        {"GET", "/notification-configuration/DEVICE_OTA", 404, "UnknownOperationException", NULL},
        {"GET", "/destinations/a/b", 404, "UnknownOperationException", NULL},
    };
    long long dests = count_destinations(), configs = count_configs();
    for (size_t i = 0; i < NELEM(cases); i++) {
        struct testlib_response *resp = call(cases[i].method, cases[i].path, "{}");
        TESTLIB_ASSERT_ERROR(resp, cases[i].status, cases[i].code);
        if (cases[i].allow != NULL)
            TESTLIB_ASSERT_HEADER(resp, "Allow", cases[i].allow);
        testlib_response_free(resp);
    }
    ck_assert_int_eq(count_destinations(), dests);
    ck_assert_int_eq(count_configs(), configs);
}
END_TEST

static Suite *destinations_suite(void)
{
    Suite *s = suite_create("destinations");
    TCase *tc = tcase_create("destinations");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_destination_lifecycle);
    tcase_add_test(tc, test_destination_conflict);
    tcase_add_loop_test(tc, test_destination_create_invalid, 0, NELEM(bad_destinations));
    tcase_add_test(tc, test_destination_lengths);
    tcase_add_loop_test(tc, test_destination_update_invalid, 0, NELEM(bad_updates));
    tcase_add_test(tc, test_destination_labels);
    tcase_add_test(tc, test_destination_list);
    tcase_add_test(tc, test_destination_idempotency);
    suite_add_tcase(s, tc);

    tc = tcase_create("notification_configurations");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_config_lifecycle);
    tcase_add_test(tc, test_config_every_event_type);
    tcase_add_test(tc, test_config_conflict_and_missing_destination);
    tcase_add_loop_test(tc, test_config_create_invalid, 0, NELEM(bad_configs));
    tcase_add_test(tc, test_config_labels);
    tcase_add_test(tc, test_config_idempotency);
    suite_add_tcase(s, tc);

    tc = tcase_create("wire");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_body_cap);
    tcase_add_test(tc, test_routing_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(destinations_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
