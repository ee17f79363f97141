/*
 * API tests of the managed-thing operations (CreateManagedThing, GetManagedThing,
 * ListManagedThings, UpdateManagedThing, DeleteManagedThing) over HTTP against the otad the
 * harness starts (OTAD_TEST_URL), with the database (OTAD_TEST_PG) read directly to prove that
 * nothing is stored when a request fails. Tests share one database, so each works on things it
 * made itself (unique owners) and compares counts before and after.
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

/* The members every valid create needs. */
#define BASE                                                                                       \
    "\"Role\":\"DEVICE\",\"AuthenticationMaterial\":\"abc\","                                      \
    "\"AuthenticationMaterialType\":\"ZIGBEE_QR_BAR_CODE\""

static const char *const json_headers[] = {"Content-Type: application/json", NULL};

static struct testlib_response *call(const char *method, const char *path, const char *body)
{
    return testlib_call(method, path, body != NULL ? json_headers : NULL, body);
}

/* One number from the test database. */
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

static long long count_things(void)
{
    return sql_count("SELECT count(*) FROM things");
}

/* A string unique to this test process, usable in owners and serial numbers. */
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

/* Assert resp is a 400 ValidationException with exactly want as its message. */
static void assert_invalid(const struct testlib_response *resp, const char *want)
{
    TESTLIB_ASSERT_ERROR(resp, 400, "ValidationException");
    ck_assert_str_eq(message_of(resp), want);
}

/* Create a thing with BASE plus members (a JSON member list, may be ""); returns its id. */
static char *create_thing(const char *members)
{
    char *body = testlib_strf("{%s%s" BASE "}", members, members[0] != '\0' ? "," : "");
    struct testlib_response *resp = call("POST", "/managed-things", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    cJSON *root = testlib_json(resp);
    const cJSON *id = testlib_json_at(root, "Id");
    ck_assert_msg(cJSON_IsString(id), "no Id in %s", resp->body);
    char *out = xstrdup(id->valuestring);
    cJSON_Delete(root);
    testlib_response_free(resp);
    free(body);
    return out;
}

static cJSON *get_thing(const char *id)
{
    char *path = testlib_strf("/managed-things/%s", id);
    struct testlib_response *resp = call("GET", path, NULL);
    TESTLIB_ASSERT_STATUS(resp, 200);
    cJSON *root = testlib_json(resp);
    testlib_response_free(resp);
    free(path);
    return root;
}

/* A string of n copies of c. */
static char *rep(char c, size_t n)
{
    char *s = xmalloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---- Create and Get ---- */

#define FULL_REPORT                                                                                \
    "{\"version\":\"1.0.0\",\"nodeId\":\"node-1/a\",\"endpoints\":[{\"id\":\"ep1\","               \
    "\"deviceTypes\":[\"light bulb\"],\"capabilities\":[{\"id\":\"matter.OnOff@1.4\","             \
    "\"name\":\"On/Off\",\"version\":\"1\",\"properties\":[\"OnOff\"],\"actions\":[\"Toggle\"],"   \
    "\"events\":[],\"extra\":1}]}]}"

START_TEST(test_create_get_every_member)
{
    const char *members =
        "\"Owner\":\"owner@example.com\",\"CredentialLockerId\":\"locker1\","
        "\"WiFiSimpleSetupConfiguration\":{\"EnableAsProvisioner\":true,"
        "\"EnableAsProvisionee\":false,\"TimeoutInMinutes\":10},"
        "\"SerialNumber\":\"SN-0001\",\"Brand\":\"Acme\",\"Model\":\"Bulb 2\","
        "\"Name\":\"K\\u00fcche \\u65e5 1\",\"CapabilityReport\":" FULL_REPORT ","
        "\"CapabilitySchemas\":[{\"Format\":\"ZCL\",\"CapabilityId\":\"matter.OnOff@$latest\","
        "\"ExtrinsicId\":\"0x0006\",\"ExtrinsicVersion\":1,\"Schema\":{\"type\":\"object\"}}],"
        "\"Capabilities\":\"{\\\"a\\\": [1, 2]}\",\"Classification\":\"light\","
        "\"Tags\":{\"env\":\"test\",\"empty\":\"\"},"
        "\"MetaData\":{\"fw\":\"1.0\",\"region\":\"eu-west\",\"#\":\"\"},"
        "\"HubNetworkMode\":\"NOT_A_CREATE_MEMBER\",\"Unknown\":{\"x\":1}";
    long long before = count_things();
    char *id = create_thing(members);
    ck_assert_int_eq(count_things(), before + 1);

    ck_assert_uint_eq(strlen(id), 20);
    for (const char *p = id; *p != '\0'; p++)
        ck_assert_msg((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'), "id %s", id);

    cJSON *o = get_thing(id);
    char *arn = testlib_strf("arn:aws:iotmanagedintegrations:us-east-1:123456789012:"
                             "managed-thing/%s",
                             id);
    TESTLIB_ASSERT_JSON_STR(o, "Id", id);
    TESTLIB_ASSERT_JSON_STR(o, "Arn", arn);
    TESTLIB_ASSERT_JSON_STR(o, "Role", "DEVICE");
    TESTLIB_ASSERT_JSON_STR(o, "ProvisioningStatus", "PRE_ASSOCIATED");
    TESTLIB_ASSERT_JSON_STR(o, "Owner", "owner@example.com");
    TESTLIB_ASSERT_JSON_STR(o, "CredentialLockerId", "locker1");
    TESTLIB_ASSERT_JSON_BOOL(o, "WiFiSimpleSetupConfiguration.EnableAsProvisioner", 1);
    TESTLIB_ASSERT_JSON_BOOL(o, "WiFiSimpleSetupConfiguration.EnableAsProvisionee", 0);
    TESTLIB_ASSERT_JSON_INT(o, "WiFiSimpleSetupConfiguration.TimeoutInMinutes", 10);
    TESTLIB_ASSERT_JSON_STR(o, "SerialNumber", "SN-0001");
    TESTLIB_ASSERT_JSON_STR(o, "Brand", "Acme");
    TESTLIB_ASSERT_JSON_STR(o, "Model", "Bulb 2");
    TESTLIB_ASSERT_JSON_STR(o, "Name",
                            "K\xc3\xbc"
                            "che \xe6\x97\xa5 1");
    TESTLIB_ASSERT_JSON_STR(o, "CapabilityReport.version", "1.0.0");
    TESTLIB_ASSERT_JSON_STR(o, "CapabilityReport.nodeId", "node-1/a");
    TESTLIB_ASSERT_JSON_STR(o, "CapabilityReport.endpoints[0].deviceTypes[0]", "light bulb");
    TESTLIB_ASSERT_JSON_STR(o, "CapabilityReport.endpoints[0].capabilities[0].id",
                            "matter.OnOff@1.4");
    TESTLIB_ASSERT_JSON_STR(o, "CapabilityReport.endpoints[0].capabilities[0].actions[0]",
                            "Toggle");
    TESTLIB_ASSERT_JSON_LEN(o, "CapabilityReport.endpoints[0].capabilities[0].events", 0);
    /* normalised: members outside the model are not kept */
    TESTLIB_ASSERT_JSON_ABSENT(o, "CapabilityReport.endpoints[0].capabilities[0].extra");
    TESTLIB_ASSERT_JSON_STR(o, "CapabilitySchemas[0].Format", "ZCL");
    TESTLIB_ASSERT_JSON_STR(o, "CapabilitySchemas[0].CapabilityId", "matter.OnOff@$latest");
    TESTLIB_ASSERT_JSON_STR(o, "CapabilitySchemas[0].ExtrinsicId", "0x0006");
    TESTLIB_ASSERT_JSON_INT(o, "CapabilitySchemas[0].ExtrinsicVersion", 1);
    TESTLIB_ASSERT_JSON_STR(o, "CapabilitySchemas[0].Schema.type", "object");
    TESTLIB_ASSERT_JSON_STR(o, "Capabilities", "{\"a\": [1, 2]}");
    TESTLIB_ASSERT_JSON_STR(o, "Classification", "light");
    TESTLIB_ASSERT_JSON_LEN(o, "Tags", 2);
    TESTLIB_ASSERT_JSON_STR(o, "Tags.env", "test");
    TESTLIB_ASSERT_JSON_STR(o, "Tags.empty", "");
    TESTLIB_ASSERT_JSON_LEN(o, "MetaData", 3);
    TESTLIB_ASSERT_JSON_STR(o, "MetaData.fw", "1.0");
    TESTLIB_ASSERT_JSON_STR(o, "MetaData.#", "");
    TESTLIB_ASSERT_JSON_PRESENT(o, "CreatedAt");
    TESTLIB_ASSERT_JSON_PRESENT(o, "UpdatedAt");
    TESTLIB_ASSERT_JSON_ABSENT(o, "ActivatedAt");
    /* sensitive input is not echoed; members Create does not take are ignored */
    TESTLIB_ASSERT_JSON_ABSENT(o, "AuthenticationMaterial");
    TESTLIB_ASSERT_JSON_ABSENT(o, "HubNetworkMode");
    TESTLIB_ASSERT_JSON_ABSENT(o, "Unknown");
    ck_assert(cJSON_IsNumber(testlib_json_at(o, "CreatedAt")));
    ck_assert_double_eq(testlib_json_at(o, "CreatedAt")->valuedouble,
                        testlib_json_at(o, "UpdatedAt")->valuedouble);

    /* the metadata generated column is what OTA target queries read */
    char *sql = testlib_strf("SELECT count(*) FROM things WHERE id = '%s' AND metadata @> "
                             "'{\"region\":\"eu-west\"}'",
                             id);
    ck_assert_int_eq(sql_count(sql), 1);
    free(sql);
    cJSON_Delete(o);
    free(arn);
    free(id);
}
END_TEST

START_TEST(test_create_response_shape)
{
    struct testlib_response *resp = call("POST", "/managed-things", "{" BASE "}");
    TESTLIB_ASSERT_STATUS(resp, 201);
    TESTLIB_ASSERT_HEADER(resp, "Content-Type", "application/json");
    cJSON *o = testlib_json(resp);
    TESTLIB_ASSERT_JSON_LEN(o, "", 3);
    TESTLIB_ASSERT_JSON_PRESENT(o, "Id");
    TESTLIB_ASSERT_JSON_PRESENT(o, "Arn");
    ck_assert(cJSON_IsNumber(testlib_json_at(o, "CreatedAt")));
    ck_assert_double_gt(testlib_json_at(o, "CreatedAt")->valuedouble, 1.0e9);

    /* every valid enum value */
    static const char *const types[] = {"CUSTOM_PROTOCOL_QR_BAR_CODE", "WIFI_SETUP_QR_BAR_CODE",
                                        "ZWAVE_QR_BAR_CODE", "DISCOVERED_DEVICE",
                                        "PRE_ONBOARDED_CLOUD"};
    for (size_t i = 0; i < NELEM(types); i++) {
        char *body =
            testlib_strf("{\"Role\":\"CONTROLLER\",\"AuthenticationMaterial\":"
                         "\"a{b}:c d\\\\e\\\"f`~|^\",\"AuthenticationMaterialType\":\"%s\"}",
                         types[i]);
        struct testlib_response *r2 = call("POST", "/managed-things", body);
        TESTLIB_ASSERT_STATUS(r2, 201);
        testlib_response_free(r2);
        free(body);
    }
    cJSON_Delete(o);
    testlib_response_free(resp);
}
END_TEST

/* Invalid create bodies: each names the field path; none stores anything. */
static const struct {
    const char *body;
    const char *message;
} bad_creates[] = {
    {"{\"AuthenticationMaterial\":\"abc\",\"AuthenticationMaterialType\":\"ZIGBEE_QR_BAR_CODE\"}",
     "Role is required"},
    {"{\"Role\":null," BASE "}", "Role is required"},
    {"{\"Role\":\"device\"," BASE "}", "Role must be one of CONTROLLER, DEVICE"},
    {"{\"Role\":1," BASE "}", "Role must be one of CONTROLLER, DEVICE"},
    {"{\"Role\":\"DEVICE\",\"AuthenticationMaterialType\":\"ZIGBEE_QR_BAR_CODE\"}",
     "AuthenticationMaterial is required"},
    {"{\"AuthenticationMaterial\":\"\"," BASE "}",
     "AuthenticationMaterial must be between 1 and 512 characters long"},
    {"{\"AuthenticationMaterial\":\"a.b\"," BASE "}",
     "AuthenticationMaterial must contain only letters, digits, spaces and the characters "
     "!#$%&()*+-;<=>?@^_`{|}~/:{},\\\""},
    {"{\"AuthenticationMaterial\":\"a\\nb\"," BASE "}",
     "AuthenticationMaterial must contain only letters, digits, spaces and the characters "
     "!#$%&()*+-;<=>?@^_`{|}~/:{},\\\""},
    {"{\"Role\":\"DEVICE\",\"AuthenticationMaterial\":\"abc\"}",
     "AuthenticationMaterialType is required"},
    {"{\"AuthenticationMaterialType\":\"QR\"," BASE "}",
     "AuthenticationMaterialType must be one of CUSTOM_PROTOCOL_QR_BAR_CODE, "
     "WIFI_SETUP_QR_BAR_CODE, ZWAVE_QR_BAR_CODE, ZIGBEE_QR_BAR_CODE, DISCOVERED_DEVICE, "
     "PRE_ONBOARDED_CLOUD"},
    {"{\"Owner\":\"a b\"," BASE "}",
     "Owner must contain only letters, digits, '_', '.', ',', '@' and '-'"},
    {"{\"Owner\":\"\"," BASE "}", "Owner must be between 1 and 64 characters long"},
    {"{\"Owner\":7," BASE "}", "Owner must be a string"},
    {"{\"CredentialLockerId\":\"a-b\"," BASE "}",
     "CredentialLockerId must contain only letters and digits"},
    {"{\"WiFiSimpleSetupConfiguration\":[]," BASE "}",
     "WiFiSimpleSetupConfiguration must be an object"},
    {"{\"WiFiSimpleSetupConfiguration\":{\"TimeoutInMinutes\":4}," BASE "}",
     "WiFiSimpleSetupConfiguration.TimeoutInMinutes must be between 5 and 15"},
    {"{\"WiFiSimpleSetupConfiguration\":{\"TimeoutInMinutes\":16}," BASE "}",
     "WiFiSimpleSetupConfiguration.TimeoutInMinutes must be between 5 and 15"},
    {"{\"WiFiSimpleSetupConfiguration\":{\"TimeoutInMinutes\":5.5}," BASE "}",
     "WiFiSimpleSetupConfiguration.TimeoutInMinutes must be an integer"},
    {"{\"WiFiSimpleSetupConfiguration\":{\"EnableAsProvisioner\":\"yes\"}," BASE "}",
     "WiFiSimpleSetupConfiguration.EnableAsProvisioner must be a boolean"},
    {"{\"SerialNumber\":\"SN.1\"," BASE "}",
     "SerialNumber must contain only letters, digits, '-', '_' and spaces"},
    {"{\"Brand\":\"A&B\"," BASE "}",
     "Brand must contain only letters, digits, '-', '_' and spaces"},
    {"{\"Model\":\"\"," BASE "}", "Model must be between 1 and 128 characters long"},
    {"{\"Name\":\"bad!name\"," BASE "}",
     "Name must contain only letters, digits, spaces, '.', '_' and '-'"},
    {"{\"Name\":\"tab\\tname\"," BASE "}",
     "Name must contain only letters, digits, spaces, '.', '_' and '-'"},
    {"{\"CapabilityReport\":{\"endpoints\":[]}," BASE "}", "CapabilityReport.version is required"},
    {"{\"CapabilityReport\":{\"version\":\"1.0.1\",\"endpoints\":[]}," BASE "}",
     "CapabilityReport.version must be 1.0.0"},
    {"{\"CapabilityReport\":{\"version\":\"1.0.0\"}," BASE "}",
     "CapabilityReport.endpoints is required"},
    {"{\"CapabilityReport\":{\"version\":\"1.0.0\",\"nodeId\":\"a b\",\"endpoints\":[]}," BASE "}",
     "CapabilityReport.nodeId must contain only letters, digits and the characters =_.,@+-/"},
    {"{\"CapabilityReport\":{\"version\":\"1.0.0\",\"endpoints\":[1]}," BASE "}",
     "CapabilityReport.endpoints[0] must be an object"},
    {"{\"CapabilityReport\":{\"version\":\"1.0.0\",\"endpoints\":[{\"id\":\"e-1\","
     "\"deviceTypes\":[],\"capabilities\":[]}]}," BASE "}",
     "CapabilityReport.endpoints[0].id must contain only letters and digits"},
    {"{\"CapabilityReport\":{\"version\":\"1.0.0\",\"endpoints\":[{\"id\":\"e1\","
     "\"capabilities\":[]}]}," BASE "}",
     "CapabilityReport.endpoints[0].deviceTypes is required"},
    {"{\"CapabilityReport\":{\"version\":\"1.0.0\",\"endpoints\":[{\"id\":\"e1\","
     "\"deviceTypes\":[\"ok\",\"\"],\"capabilities\":[]}]}," BASE "}",
     "CapabilityReport.endpoints[0].deviceTypes[1] must be between 1 and 256 characters long"},
    {"{\"CapabilityReport\":{\"version\":\"1.0.0\",\"endpoints\":[{\"id\":\"e1\","
     "\"deviceTypes\":[],\"capabilities\":[{\"id\":\"matter.OnOff\",\"name\":\"n\","
     "\"version\":\"1\",\"properties\":[],\"actions\":[],\"events\":[]}]}]}," BASE "}",
     "CapabilityReport.endpoints[0].capabilities[0].id must be "
     "<name>@<major>.<minor>[.<patch>] or <name>@$latest"},
    {"{\"CapabilityReport\":{\"version\":\"1.0.0\",\"endpoints\":[{\"id\":\"e1\","
     "\"deviceTypes\":[],\"capabilities\":[{\"id\":\"x@1.2.3.4\",\"name\":\"n\","
     "\"version\":\"1\",\"properties\":[],\"actions\":[],\"events\":[]}]}]}," BASE "}",
     "CapabilityReport.endpoints[0].capabilities[0].id must be "
     "<name>@<major>.<minor>[.<patch>] or <name>@$latest"},
    {"{\"CapabilityReport\":{\"version\":\"1.0.0\",\"endpoints\":[{\"id\":\"e1\","
     "\"deviceTypes\":[],\"capabilities\":[{\"id\":\"x@1\",\"name\":\"n\","
     "\"version\":\"1\",\"properties\":[],\"actions\":[],\"events\":[]}]}]}," BASE "}",
     "CapabilityReport.endpoints[0].capabilities[0].id must be between 7 and 128 characters "
     "long"},
    {"{\"CapabilityReport\":{\"version\":\"1.0.0\",\"endpoints\":[{\"id\":\"e1\","
     "\"deviceTypes\":[],\"capabilities\":[{\"id\":\"a.b@1.2\",\"name\":\"n!\","
     "\"version\":\"1\",\"properties\":[],\"actions\":[],\"events\":[]}]}]}," BASE "}",
     "CapabilityReport.endpoints[0].capabilities[0].name must contain only letters, digits, "
     "spaces and the characters /._-"},
    {"{\"CapabilityReport\":{\"version\":\"1.0.0\",\"endpoints\":[{\"id\":\"e1\","
     "\"deviceTypes\":[],\"capabilities\":[{\"id\":\"a.b@1.2\",\"name\":\"n\","
     "\"version\":\"01\",\"properties\":[],\"actions\":[],\"events\":[]}]}]}," BASE "}",
     "CapabilityReport.endpoints[0].capabilities[0].version must be a decimal number without "
     "leading zeros"},
    {"{\"CapabilityReport\":{\"version\":\"1.0.0\",\"endpoints\":[{\"id\":\"e1\","
     "\"deviceTypes\":[],\"capabilities\":[{\"id\":\"a.b@1.2\",\"name\":\"n\","
     "\"version\":\"0\",\"actions\":[],\"events\":[]}]}]}," BASE "}",
     "CapabilityReport.endpoints[0].capabilities[0].properties is required"},
    {"{\"CapabilityReport\":{\"version\":\"1.0.0\",\"endpoints\":[{\"id\":\"e1\","
     "\"deviceTypes\":[],\"capabilities\":[{\"id\":\"a.b@1.2\",\"name\":\"n\","
     "\"version\":\"0\",\"properties\":[],\"actions\":[\"\"],\"events\":[]}]}]}," BASE "}",
     "CapabilityReport.endpoints[0].capabilities[0].actions[0] must be between 1 and 128 "
     "characters long"},
    {"{\"CapabilitySchemas\":{}," BASE "}", "CapabilitySchemas must be a list"},
    {"{\"CapabilitySchemas\":[{\"Format\":\"XML\"}]," BASE "}",
     "CapabilitySchemas[0].Format must be one of AWS, ZCL, CONNECTOR"},
    {"{\"CapabilitySchemas\":[{\"Format\":\"AWS\",\"CapabilityId\":\"a.b@1.2\","
     "\"ExtrinsicId\":\"0x\",\"ExtrinsicVersion\":1,\"Schema\":{}}]," BASE "}",
     "CapabilitySchemas[0].ExtrinsicId must be a decimal number or a hexadecimal number "
     "starting with 0x"},
    {"{\"CapabilitySchemas\":[{\"Format\":\"AWS\",\"CapabilityId\":\"a.b@1.2\","
     "\"ExtrinsicId\":\"12a\",\"ExtrinsicVersion\":1,\"Schema\":{}}]," BASE "}",
     "CapabilitySchemas[0].ExtrinsicId must be a decimal number or a hexadecimal number "
     "starting with 0x"},
    {"{\"CapabilitySchemas\":[{\"Format\":\"AWS\",\"CapabilityId\":\"a.b@1.2\","
     "\"ExtrinsicId\":\"6\",\"ExtrinsicVersion\":11,\"Schema\":{}}]," BASE "}",
     "CapabilitySchemas[0].ExtrinsicVersion must be between 1 and 10"},
    {"{\"CapabilitySchemas\":[{\"Format\":\"AWS\",\"CapabilityId\":\"a.b@1.2\","
     "\"ExtrinsicId\":\"6\",\"ExtrinsicVersion\":1}]," BASE "}",
     "CapabilitySchemas[0].Schema is required"},
    {"{\"CapabilitySchemas\":[{\"Format\":\"AWS\",\"CapabilityId\":\"a.b@latest\","
     "\"ExtrinsicId\":\"6\",\"ExtrinsicVersion\":1,\"Schema\":1}]," BASE "}",
     "CapabilitySchemas[0].CapabilityId must be <name>@<major>.<minor>[.<patch>] or "
     "<name>@$latest"},
    {"{\"Capabilities\":\"a|b\"," BASE "}",
     "Capabilities must contain only letters, digits, white space and the characters "
     "'\",.:\\/{$}[]=_-+"},
    {"{\"Classification\":\"\"," BASE "}",
     "Classification must be between 1 and 64 characters long"},
    {"{\"ClientToken\":\"a.b\"," BASE "}",
     "ClientToken must contain only letters, digits, '=', '_' and '-'"},
    {"{\"Tags\":{}," BASE "}", "Tags must have between 1 and 50 entries"},
    {"{\"Tags\":{\"\":\"v\"}," BASE "}", "Tags key '' must be between 1 and 128 characters long"},
    {"{\"Tags\":{\"k\":1}," BASE "}", "Tags.k must be a string"},
    {"{\"MetaData\":{}," BASE "}", "MetaData must have between 1 and 50 entries"},
    {"{\"MetaData\":[]," BASE "}", "MetaData must be a map of strings"},
    {"{\"MetaData\":{\"!!\":\"v\"}," BASE "}",
     "MetaData key '!!' must contain a letter, a digit or one of '_', '.', ',', '@', '/', ':', "
     "'#', '-'"},
    {"{\"MetaData\":{\"\":\"v\"}," BASE "}",
     "MetaData key '' must contain a letter, a digit or one of '_', '.', ',', '@', '/', ':', "
     "'#', '-'"},
    {"{\"MetaData\":{\"k\":null}," BASE "}", "MetaData.k must be a string"},
};

START_TEST(test_create_invalid)
{
    long long before = count_things();
    struct testlib_response *resp = call("POST", "/managed-things", bad_creates[_i].body);
    assert_invalid(resp, bad_creates[_i].message);
    ck_assert_int_eq(count_things(), before);
    testlib_response_free(resp);
}
END_TEST

/* Length limits, counted in code points: {member, unit, unit bytes, valid max, message}. */
static const struct {
    const char *member;
    const char *unit;
    size_t max;
    const char *message;
} lengths[] = {
    {"Owner", "a", 64, "Owner must be between 1 and 64 characters long"},
    {"CredentialLockerId", "a", 64, "CredentialLockerId must be between 1 and 64 characters long"},
    {"AuthenticationMaterial", "a", 512,
     "AuthenticationMaterial must be between 1 and 512 characters long"},
    {"SerialNumber", "a", 128, "SerialNumber must be between 1 and 128 characters long"},
    {"Brand", "a", 128, "Brand must be between 1 and 128 characters long"},
    {"Model", "a", 128, "Model must be between 1 and 128 characters long"},
    {"Name", "\xc3\xa9", 128, "Name must be between 1 and 128 characters long"},
    {"Name", "\xe6\x97\xa5", 128, "Name must be between 1 and 128 characters long"},
    {"Classification", "\xf0\x9f\x98\x80", 64,
     "Classification must be between 1 and 64 characters long"},
    {"Capabilities", "a", 65535, "Capabilities must be between 1 and 65535 characters long"},
};

/* n copies of unit. */
static char *rep_str(const char *unit, size_t n)
{
    size_t ul = strlen(unit);
    char *s = xmalloc(ul * n + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * ul, unit, ul);
    s[ul * n] = '\0';
    return s;
}

START_TEST(test_create_lengths)
{
    long long before = count_things();
    char *ok = rep_str(lengths[_i].unit, lengths[_i].max);
    char *over = rep_str(lengths[_i].unit, lengths[_i].max + 1);
    char *body = testlib_strf("{\"%s\":\"%s\"," BASE "}", lengths[_i].member, over);
    struct testlib_response *resp = call("POST", "/managed-things", body);
    assert_invalid(resp, lengths[_i].message);
    ck_assert_int_eq(count_things(), before);
    testlib_response_free(resp);
    free(body);

    body = testlib_strf("{\"%s\":\"%s\"," BASE "}", lengths[_i].member, ok);
    resp = call("POST", "/managed-things", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    ck_assert_int_eq(count_things(), before + 1);
    testlib_response_free(resp);
    free(body);
    free(ok);
    free(over);
}
END_TEST

/* Map and list sizes at and over their limits. */
static char *map_of(size_t n, size_t key_len, size_t value_len)
{
    char *value = rep('v', value_len);
    size_t cap = n * (key_len + value_len + 32) + 3;
    char *s = xmalloc(cap);
    size_t pos = 0;
    s[pos++] = '{';
    for (size_t i = 0; i < n; i++) {
        char key[256];
        snprintf(key, sizeof key, "%0*zu", (int)key_len, i);
        pos +=
            (size_t)snprintf(s + pos, cap - pos, "%s\"%s\":\"%s\"", i > 0 ? "," : "", key, value);
    }
    s[pos++] = '}';
    s[pos] = '\0';
    free(value);
    return s;
}

static const struct {
    const char *member;
    size_t n, key_len, value_len;
    int ok;
    const char *message;
} maps[] = {
    {"MetaData", 50, 3, 800, 1, NULL},
    {"MetaData", 51, 3, 1, 0, "MetaData must have between 1 and 50 entries"},
    {"MetaData", 1, 128, 0, 1, NULL},
    {"MetaData", 1, 129, 0, 0, "must be between 0 and 128 characters long"},
    {"MetaData", 1, 3, 801, 0, "MetaData.000 must be between 0 and 800 characters long"},
    {"Tags", 50, 3, 256, 1, NULL},
    {"Tags", 51, 3, 1, 0, "Tags must have between 1 and 50 entries"},
    {"Tags", 1, 129, 1, 0, "must be between 1 and 128 characters long"},
    {"Tags", 1, 3, 257, 0, "Tags.000 must be between 0 and 256 characters long"},
};

START_TEST(test_create_map_limits)
{
    long long before = count_things();
    char *map = map_of(maps[_i].n, maps[_i].key_len, maps[_i].value_len);
    char *body = testlib_strf("{\"%s\":%s," BASE "}", maps[_i].member, map);
    struct testlib_response *resp = call("POST", "/managed-things", body);
    if (maps[_i].ok) {
        TESTLIB_ASSERT_STATUS(resp, 201);
        ck_assert_int_eq(count_things(), before + 1);
    } else {
        TESTLIB_ASSERT_ERROR(resp, 400, "ValidationException");
        const char *msg = message_of(resp);
        if (maps[_i].key_len <= 100) {
            ck_assert_str_eq(msg, maps[_i].message);
        } else {
            /* a key is quoted with at most 100 characters */
            char *key = rep('0', 100);
            char *want = testlib_strf("%s key '%s' %s", maps[_i].member, key, maps[_i].message);
            ck_assert_str_eq(msg, want);
            free(want);
            free(key);
        }
        ck_assert_int_eq(count_things(), before);
    }
    testlib_response_free(resp);
    free(body);
    free(map);
}
END_TEST

/* List sizes: CapabilitySchemas 0..40, endpoints 0..40, deviceTypes 0..50, properties 0..100. */
static char *repeat_item(const char *item, size_t n)
{
    size_t il = strlen(item);
    char *s = xmalloc(n * (il + 1) + 3);
    size_t pos = 0;
    s[pos++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            s[pos++] = ',';
        memcpy(s + pos, item, il);
        pos += il;
    }
    s[pos++] = ']';
    s[pos] = '\0';
    return s;
}

static const struct {
    const char *pre, *post; /* the member around the list */
    const char *item;
    size_t max;
    const char *message;
} lists[] = {
    {"\"CapabilitySchemas\":", "",
     "{\"Format\":\"AWS\",\"CapabilityId\":\"a.b@1.2\",\"ExtrinsicId\":\"1\","
     "\"ExtrinsicVersion\":1,\"Schema\":{}}",
     40, "CapabilitySchemas must have between 0 and 40 entries"},
    {"\"CapabilityReport\":{\"version\":\"1.0.0\",\"endpoints\":", "}",
     "{\"id\":\"e\",\"deviceTypes\":[],\"capabilities\":[]}", 40,
     "CapabilityReport.endpoints must have between 0 and 40 entries"},
    {"\"CapabilityReport\":{\"version\":\"1.0.0\",\"endpoints\":[{\"id\":\"e\","
     "\"deviceTypes\":",
     ",\"capabilities\":[]}]}", "\"t\"", 50,
     "CapabilityReport.endpoints[0].deviceTypes must have between 0 and 50 entries"},
    {"\"CapabilityReport\":{\"version\":\"1.0.0\",\"endpoints\":[{\"id\":\"e\","
     "\"deviceTypes\":[],\"capabilities\":",
     "}]}",
     "{\"id\":\"a.b@1.2\",\"name\":\"n\",\"version\":\"1\",\"properties\":[],\"actions\":[],"
     "\"events\":[]}",
     40, "CapabilityReport.endpoints[0].capabilities must have between 0 and 40 entries"},
    {"\"CapabilityReport\":{\"version\":\"1.0.0\",\"endpoints\":[{\"id\":\"e\","
     "\"deviceTypes\":[],\"capabilities\":[{\"id\":\"a.b@1.2\",\"name\":\"n\",\"version\":\"1\","
     "\"properties\":",
     ",\"actions\":[],\"events\":[]}]}]}", "\"p\"", 100,
     "CapabilityReport.endpoints[0].capabilities[0].properties must have between 0 and 100 "
     "entries"},
};

START_TEST(test_create_list_limits)
{
    long long before = count_things();
    for (int over = 0; over <= 1; over++) {
        char *list = repeat_item(lists[_i].item, lists[_i].max + (size_t)over);
        char *member = testlib_strf("%s%s%s", lists[_i].pre, list, lists[_i].post);
        char *body = testlib_strf("{%s," BASE "}", member);
        struct testlib_response *resp = call("POST", "/managed-things", body);
        if (over) {
            assert_invalid(resp, lists[_i].message);
            ck_assert_int_eq(count_things(), before + 1);
        } else {
            TESTLIB_ASSERT_STATUS(resp, 201);
            ck_assert_int_eq(count_things(), before + 1);
        }
        testlib_response_free(resp);
        free(body);
        free(member);
        free(list);
    }
}
END_TEST

/* ---- Update ---- */

START_TEST(test_update_partial)
{
    char *id = create_thing("\"Owner\":\"o1\",\"Name\":\"first\",\"Brand\":\"B1\","
                            "\"Tags\":{\"t\":\"1\"},\"MetaData\":{\"a\":\"1\",\"b\":\"2\"},"
                            "\"WiFiSimpleSetupConfiguration\":{\"TimeoutInMinutes\":5}");
    cJSON *before = get_thing(id);
    testlib_sleep_ms(5);
    char *path = testlib_strf("/managed-things/%s", id);
    struct testlib_response *resp =
        call("PUT", path,
             "{\"Name\":\"second\",\"MetaData\":{\"c\":\"3\"},\"HubNetworkMode\":"
             "\"NETWORK_WIDE_EXCLUSION\",\"WiFiSimpleSetupConfiguration\":"
             "{\"EnableAsProvisionee\":true},\"Role\":\"CONTROLLER\",\"Tags\":{\"x\":\"y\"},"
             "\"AuthenticationMaterial\":\"zzz\"}");
    TESTLIB_ASSERT_STATUS(resp, 204);
    ck_assert_uint_eq(resp->body_len, 0);
    testlib_response_free(resp);

    cJSON *o = get_thing(id);
    TESTLIB_ASSERT_JSON_STR(o, "Name", "second");
    TESTLIB_ASSERT_JSON_STR(o, "Owner", "o1");
    TESTLIB_ASSERT_JSON_STR(o, "Brand", "B1");
    TESTLIB_ASSERT_JSON_STR(o, "HubNetworkMode", "NETWORK_WIDE_EXCLUSION");
    /* MetaData given replaces the whole map */
    TESTLIB_ASSERT_JSON_LEN(o, "MetaData", 1);
    TESTLIB_ASSERT_JSON_STR(o, "MetaData.c", "3");
    /* a structure given replaces the stored one whole */
    TESTLIB_ASSERT_JSON_LEN(o, "WiFiSimpleSetupConfiguration", 1);
    TESTLIB_ASSERT_JSON_BOOL(o, "WiFiSimpleSetupConfiguration.EnableAsProvisionee", 1);
    /* members Update does not take are ignored */
    TESTLIB_ASSERT_JSON_STR(o, "Role", "DEVICE");
    TESTLIB_ASSERT_JSON_LEN(o, "Tags", 1);
    TESTLIB_ASSERT_JSON_STR(o, "Tags.t", "1");
    TESTLIB_ASSERT_JSON_STR(o, "ProvisioningStatus", "PRE_ASSOCIATED");
    ck_assert_double_eq(testlib_json_at(o, "CreatedAt")->valuedouble,
                        testlib_json_at(before, "CreatedAt")->valuedouble);
    ck_assert_double_gt(testlib_json_at(o, "UpdatedAt")->valuedouble,
                        testlib_json_at(before, "UpdatedAt")->valuedouble);

    char *sql = testlib_strf("SELECT count(*) FROM things WHERE id = '%s' AND metadata = "
                             "'{\"c\":\"3\"}' AND doc->>'AuthenticationMaterial' = 'abc'",
                             id);
    ck_assert_int_eq(sql_count(sql), 1);

    /* an empty update changes nothing but the time */
    resp = call("PUT", path, "{}");
    TESTLIB_ASSERT_STATUS(resp, 204);
    testlib_response_free(resp);
    cJSON *again = get_thing(id);
    TESTLIB_ASSERT_JSON_STR(again, "Name", "second");

    /* every member Update takes */
    resp = call("PUT", path,
                "{\"Owner\":\"o2\",\"CredentialLockerId\":\"L2\",\"SerialNumber\":\"S2\","
                "\"Brand\":\"B2\",\"Model\":\"M2\",\"CapabilityReport\":{\"version\":\"1.0.0\","
                "\"endpoints\":[]},\"CapabilitySchemas\":[],\"Capabilities\":\"c2\","
                "\"Classification\":\"k2\",\"HubNetworkMode\":\"STANDARD\"}");
    TESTLIB_ASSERT_STATUS(resp, 204);
    testlib_response_free(resp);
    cJSON *all = get_thing(id);
    TESTLIB_ASSERT_JSON_STR(all, "Owner", "o2");
    TESTLIB_ASSERT_JSON_STR(all, "CredentialLockerId", "L2");
    TESTLIB_ASSERT_JSON_STR(all, "SerialNumber", "S2");
    TESTLIB_ASSERT_JSON_STR(all, "Brand", "B2");
    TESTLIB_ASSERT_JSON_STR(all, "Model", "M2");
    TESTLIB_ASSERT_JSON_LEN(all, "CapabilityReport.endpoints", 0);
    TESTLIB_ASSERT_JSON_LEN(all, "CapabilitySchemas", 0);
    TESTLIB_ASSERT_JSON_STR(all, "Capabilities", "c2");
    TESTLIB_ASSERT_JSON_STR(all, "Classification", "k2");
    TESTLIB_ASSERT_JSON_STR(all, "HubNetworkMode", "STANDARD");
    cJSON_Delete(all);
    cJSON_Delete(again);
    cJSON_Delete(o);
    cJSON_Delete(before);
    free(sql);
    free(path);
    free(id);
}
END_TEST

static const struct {
    const char *body;
    const char *message;
} bad_updates[] = {
    {"{\"Name\":\"ok\",\"HubNetworkMode\":\"FAST\"}",
     "HubNetworkMode must be one of STANDARD, NETWORK_WIDE_EXCLUSION"},
    {"{\"Owner\":\"x y\"}", "Owner must contain only letters, digits, '_', '.', ',', '@' and '-'"},
    {"{\"Name\":\"new\",\"MetaData\":{}}", "MetaData must have between 1 and 50 entries"},
    {"{\"Name\":\"new\",\"MetaData\":{\"~~~\":\"x\"}}",
     "MetaData key '~~~' must contain a letter, a digit or one of '_', '.', ',', '@', '/', ':', "
     "'#', '-'"},
    {"{\"WiFiSimpleSetupConfiguration\":{\"TimeoutInMinutes\":20}}",
     "WiFiSimpleSetupConfiguration.TimeoutInMinutes must be between 5 and 15"},
    {"{\"CapabilityReport\":{\"version\":\"2.0.0\",\"endpoints\":[]}}",
     "CapabilityReport.version must be 1.0.0"},
    {"{\"CapabilitySchemas\":[{}]}", "CapabilitySchemas[0].Format is required"},
    {"{\"Classification\":3}", "Classification must be a string"},
    {"[1,2]", "the request body must be a JSON object"},
    {"{\"Name\":", "the request body is not valid JSON (near byte 7)"},
};

START_TEST(test_update_invalid)
{
    char *id = create_thing("\"Owner\":\"keep\",\"Name\":\"keep\",\"MetaData\":{\"k\":\"v\"}");
    char *path = testlib_strf("/managed-things/%s", id);
    struct testlib_response *before = call("GET", path, NULL);
    struct testlib_response *resp = call("PUT", path, bad_updates[_i].body);
    assert_invalid(resp, bad_updates[_i].message);
    struct testlib_response *after = call("GET", path, NULL);
    TESTLIB_ASSERT_STATUS(after, 200);
    ck_assert_str_eq(after->body, before->body);
    testlib_response_free(after);
    testlib_response_free(resp);
    testlib_response_free(before);
    free(path);
    free(id);
}
END_TEST

/* ---- Identifier labels, 404, Delete ---- */

static const struct {
    const char *method;
    const char *body;
} by_id_ops[] = {{"GET", NULL}, {"PUT", "{\"Name\":\"x\"}"}, {"DELETE", NULL}};

START_TEST(test_unknown_and_bad_identifier)
{
    long long before = count_things();
    struct testlib_response *resp =
        call(by_id_ops[_i].method, "/managed-things/nosuchthing0000000000", by_id_ops[_i].body);
    TESTLIB_ASSERT_ERROR(resp, 404, "ResourceNotFoundException");
    cJSON *o = testlib_json(resp);
    TESTLIB_ASSERT_JSON_STR(o, "ResourceId", "nosuchthing0000000000");
    TESTLIB_ASSERT_JSON_STR(o, "ResourceType", "ManagedThing");
    TESTLIB_ASSERT_JSON_STR(o, "Message", "managed thing nosuchthing0000000000 not found");
    cJSON_Delete(o);
    testlib_response_free(resp);

    /* labels are decoded before they are checked: "a%2Eb" is "a.b" */
    resp = call(by_id_ops[_i].method, "/managed-things/a%2Eb", by_id_ops[_i].body);
    assert_invalid(resp, "Identifier must contain only letters, digits, ':', '_' and '-'");
    testlib_response_free(resp);

    char *long_id = rep('a', 65);
    char *path = testlib_strf("/managed-things/%s", long_id);
    resp = call(by_id_ops[_i].method, path, by_id_ops[_i].body);
    assert_invalid(resp, "Identifier must be between 1 and 64 characters long");
    testlib_response_free(resp);
    ck_assert_int_eq(count_things(), before);
    free(path);
    free(long_id);
}
END_TEST

START_TEST(test_delete)
{
    char *id = create_thing("");
    char *path = testlib_strf("/managed-things/%s", id);
    long long before = count_things();

    char *bad = testlib_strf("%s?Force=yes", path);
    struct testlib_response *resp = call("DELETE", bad, NULL);
    assert_invalid(resp, "Force must be true or false");
    testlib_response_free(resp);
    ck_assert_int_eq(count_things(), before);

    static const char *const suffixes[] = {"?Force=true", "", "?Force=false"};
    char *del = testlib_strf("%s%s", path, suffixes[_i]);
    resp = call("DELETE", del, NULL);
    TESTLIB_ASSERT_STATUS(resp, 204);
    ck_assert_uint_eq(resp->body_len, 0);
    testlib_response_free(resp);
    ck_assert_int_eq(count_things(), before - 1);

    resp = call("GET", path, NULL);
    TESTLIB_ASSERT_ERROR(resp, 404, "ResourceNotFoundException");
    testlib_response_free(resp);
    resp = call("DELETE", del, NULL);
    TESTLIB_ASSERT_ERROR(resp, 404, "ResourceNotFoundException");
    testlib_response_free(resp);
    resp = call("PUT", path, "{\"Name\":\"gone\"}");
    TESTLIB_ASSERT_ERROR(resp, 404, "ResourceNotFoundException");
    testlib_response_free(resp);
    free(del);
    free(bad);
    free(path);
    free(id);
}
END_TEST

/* ---- List ---- */

/* Every Id of the pages of path (a query string ending in '&' or '?'), checking that none
 * repeats; returns the count and fills ids (caller frees each). */
static size_t list_all(const char *path, char **ids, size_t cap, size_t *pages)
{
    size_t n = 0;
    char *token = NULL;
    *pages = 0;
    for (;;) {
        char *url =
            token != NULL ? testlib_strf("%sNextToken=%s", path, token) : testlib_strf("%s", path);
        struct testlib_response *resp = call("GET", url, NULL);
        TESTLIB_ASSERT_STATUS(resp, 200);
        cJSON *o = testlib_json(resp);
        const cJSON *items = testlib_json_at(o, "Items");
        ck_assert_msg(cJSON_IsArray(items), "no Items in %s", resp->body);
        const cJSON *it;
        cJSON_ArrayForEach(it, items)
        {
            const char *id = cJSON_GetObjectItem(it, "Id")->valuestring;
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(strcmp(ids[i], id) != 0, "id %s listed twice", id);
            ck_assert_uint_lt(n, cap);
            ids[n++] = xstrdup(id);
        }
        (*pages)++;
        free(token);
        token = NULL;
        const cJSON *next = testlib_json_at(o, "NextToken");
        if (next != NULL)
            token = xstrdup(next->valuestring);
        cJSON_Delete(o);
        testlib_response_free(resp);
        free(url);
        if (token == NULL)
            break;
        for (const char *p = token; *p != '\0'; p++)
            ck_assert_msg((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                              (*p >= '0' && *p <= '9') || *p == '_' || *p == '-',
                          "token %s", token);
    }
    return n;
}

START_TEST(test_list_pagination)
{
    char *owner = unique("pg");
    char *members = testlib_strf("\"Owner\":\"%s\"", owner);
    char *made[25];
    for (size_t i = 0; i < NELEM(made); i++)
        made[i] = create_thing(members);

    char *path = testlib_strf("/managed-things?OwnerFilter=%s&MaxResults=7&", owner);
    char *seen[64];
    size_t pages;
    size_t n = list_all(path, seen, NELEM(seen), &pages);
    ck_assert_uint_eq(n, NELEM(made));
    ck_assert_uint_eq(pages, 4);
    for (size_t i = 0; i < NELEM(made); i++) {
        ck_assert_str_eq(seen[i], made[i]); /* creation order */
        free(seen[i]);
        free(made[i]);
    }

    /* summary shape */
    char *one = testlib_strf("/managed-things?OwnerFilter=%s&MaxResults=1", owner);
    struct testlib_response *resp = call("GET", one, NULL);
    cJSON *o = testlib_json(resp);
    TESTLIB_ASSERT_JSON_LEN(o, "Items", 1);
    TESTLIB_ASSERT_JSON_STR(o, "Items[0].Owner", owner);
    TESTLIB_ASSERT_JSON_STR(o, "Items[0].Role", "DEVICE");
    TESTLIB_ASSERT_JSON_STR(o, "Items[0].ProvisioningStatus", "PRE_ASSOCIATED");
    TESTLIB_ASSERT_JSON_PRESENT(o, "Items[0].Arn");
    TESTLIB_ASSERT_JSON_PRESENT(o, "Items[0].CreatedAt");
    TESTLIB_ASSERT_JSON_PRESENT(o, "NextToken");
    cJSON_Delete(o);
    testlib_response_free(resp);
    free(one);
    free(path);
    free(members);
    free(owner);
}
END_TEST

START_TEST(test_list_filters)
{
    char *owner = unique("fo");
    char *serial = unique("SN");
    char *m1 = testlib_strf("\"Owner\":\"%s\",\"SerialNumber\":\"%s\",\"CredentialLockerId\":"
                            "\"Lk1\"",
                            owner, serial);
    char *m2 = testlib_strf("\"Owner\":\"%s\",\"CredentialLockerId\":\"Lk2\"", owner);
    char *a = create_thing(m1);
    char *b = create_thing(m2);
    char *body = testlib_strf("{\"Owner\":\"%s\",\"Role\":\"CONTROLLER\","
                              "\"AuthenticationMaterial\":\"x\","
                              "\"AuthenticationMaterialType\":\"DISCOVERED_DEVICE\"}",
                              owner);
    struct testlib_response *resp = call("POST", "/managed-things", body);
    TESTLIB_ASSERT_STATUS(resp, 201);
    testlib_response_free(resp);

    const struct {
        const char *query;
        size_t want;
    } cases[] = {
        {"", 3},
        {"&RoleFilter=DEVICE", 2},
        {"&RoleFilter=CONTROLLER", 1},
        {"&CredentialLockerFilter=Lk1", 1},
        {"&CredentialLockerFilter=Lk2&RoleFilter=DEVICE", 1},
        {"&CredentialLockerFilter=Lk2&RoleFilter=CONTROLLER", 0},
        {"&ProvisioningStatusFilter=PRE_ASSOCIATED", 3},
        {"&ProvisioningStatusFilter=ACTIVATED", 0},
        {"&ParentControllerIdentifierFilter=abc", 0},
        {"&ConnectorPolicyIdFilter=p-1", 0},
        {"&ConnectorDestinationIdFilter=d_1", 0},
        {"&ConnectorDeviceIdFilter=dev@1", 0},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        char *path = testlib_strf("/managed-things?OwnerFilter=%s%s", owner, cases[i].query);
        resp = call("GET", path, NULL);
        TESTLIB_ASSERT_STATUS(resp, 200);
        cJSON *o = testlib_json(resp);
        ck_assert_msg(cJSON_GetArraySize(testlib_json_at(o, "Items")) == (int)cases[i].want,
                      "%s: %s", path, resp->body);
        cJSON_Delete(o);
        testlib_response_free(resp);
        free(path);
    }

    char *path = testlib_strf("/managed-things?SerialNumberFilter=%s", serial);
    resp = call("GET", path, NULL);
    cJSON *o = testlib_json(resp);
    TESTLIB_ASSERT_JSON_LEN(o, "Items", 1);
    TESTLIB_ASSERT_JSON_STR(o, "Items[0].Id", a);
    TESTLIB_ASSERT_JSON_STR(o, "Items[0].SerialNumber", serial);
    cJSON_Delete(o);
    testlib_response_free(resp);

    /* a filter value is percent-decoded: "%40" is '@' */
    char *owner2 = testlib_strf("%s@x", owner);
    char *m3 = testlib_strf("\"Owner\":\"%s\"", owner2);
    char *c = create_thing(m3);
    char *path2 = testlib_strf("/managed-things?OwnerFilter=%s%%40x", owner);
    resp = call("GET", path2, NULL);
    o = testlib_json(resp);
    TESTLIB_ASSERT_JSON_LEN(o, "Items", 1);
    TESTLIB_ASSERT_JSON_STR(o, "Items[0].Id", c);
    cJSON_Delete(o);
    testlib_response_free(resp);
    free(path2);
    free(c);
    free(m3);
    free(owner2);
    free(path);
    free(body);
    free(b);
    free(a);
    free(m2);
    free(m1);
    free(serial);
    free(owner);
}
END_TEST

static const struct {
    const char *query;
    const char *message;
} bad_lists[] = {
    {"RoleFilter=device", "RoleFilter must be one of CONTROLLER, DEVICE"},
    {"ProvisioningStatusFilter=NEW",
     "ProvisioningStatusFilter must be one of UNASSOCIATED, PRE_ASSOCIATED, DISCOVERED, "
     "ACTIVATED, DELETION_FAILED, DELETE_IN_PROGRESS, ISOLATED, DELETED"},
    {"OwnerFilter=a%20b",
     "OwnerFilter must contain only letters, digits, '_', '.', ',', '@' and '-'"},
    {"OwnerFilter=", "OwnerFilter must be between 1 and 64 characters long"},
    {"CredentialLockerFilter=a-b", "CredentialLockerFilter must contain only letters and digits"},
    {"ParentControllerIdentifierFilter=a_b",
     "ParentControllerIdentifierFilter must contain only letters and digits"},
    {"ConnectorPolicyIdFilter=a.b", "ConnectorPolicyIdFilter must contain only letters, digits, "
                                    "'-' and '_'"},
    {"ConnectorDestinationIdFilter=a%2Fb",
     "ConnectorDestinationIdFilter must contain only letters, digits, '-' and '_'"},
    {"ConnectorDeviceIdFilter=a:b",
     "ConnectorDeviceIdFilter must contain only letters, digits, '_', '.', ',', '@' and '-'"},
    {"SerialNumberFilter=a.b", "SerialNumberFilter must contain only letters, digits, '-', '_' and "
                               "spaces"},
    {"MaxResults=0", "MaxResults must be an integer between 1 and 1000"},
    {"MaxResults=1001", "MaxResults must be an integer between 1 and 1000"},
    {"MaxResults=ten", "MaxResults must be an integer between 1 and 1000"},
    {"NextToken=garbage", "NextToken is not a valid pagination token"},
    {"NextToken=", "NextToken is not a valid pagination token"},
};

START_TEST(test_list_invalid)
{
    char *path = testlib_strf("/managed-things?%s", bad_lists[_i].query);
    struct testlib_response *resp = call("GET", path, NULL);
    assert_invalid(resp, bad_lists[_i].message);
    testlib_response_free(resp);
    free(path);
}
END_TEST

/* A token of another listing (ListOtaTaskConfigurations) is refused here. */
START_TEST(test_list_foreign_token)
{
    for (int i = 0; i < 2; i++) {
        struct testlib_response *resp = call("POST", "/ota-task-configurations", "{}");
        TESTLIB_ASSERT_STATUS(resp, 201);
        testlib_response_free(resp);
    }
    struct testlib_response *resp = call("GET", "/ota-task-configurations?MaxResults=1", NULL);
    TESTLIB_ASSERT_STATUS(resp, 200);
    cJSON *o = testlib_json(resp);
    const cJSON *token = testlib_json_at(o, "NextToken");
    ck_assert_msg(cJSON_IsString(token), "no NextToken in %s", resp->body);
    char *path = testlib_strf("/managed-things?NextToken=%s", token->valuestring);
    struct testlib_response *mine = call("GET", path, NULL);
    assert_invalid(mine, "NextToken is not a valid pagination token");
    testlib_response_free(mine);
    free(path);
    cJSON_Delete(o);
    testlib_response_free(resp);
}
END_TEST

/* ---- ClientToken ---- */

START_TEST(test_idempotency)
{
    char *token = unique("tok-");
    char *owner = unique("idem");
    char *body = testlib_strf("{\"ClientToken\":\"%s\",\"Owner\":\"%s\",\"MetaData\":{\"a\":\"1\","
                              "\"b\":\"2\"}," BASE "}",
                              token, owner);
    long long before = count_things();
    struct testlib_response *first = call("POST", "/managed-things", body);
    TESTLIB_ASSERT_STATUS(first, 201);
    ck_assert_int_eq(count_things(), before + 1);

    /* the same request again: the same response, nothing new */
    struct testlib_response *again = call("POST", "/managed-things", body);
    TESTLIB_ASSERT_STATUS(again, 201);
    ck_assert_str_eq(again->body, first->body);
    ck_assert_int_eq(count_things(), before + 1);

    /* the same request with members (and map keys) in another order is the same request */
    char *reordered = testlib_strf("{" BASE ",\"MetaData\":{\"b\":\"2\",\"a\":\"1\"},"
                                   "\"Owner\":\"%s\",\"ClientToken\":\"%s\"}",
                                   owner, token);
    struct testlib_response *third = call("POST", "/managed-things", reordered);
    TESTLIB_ASSERT_STATUS(third, 201);
    ck_assert_str_eq(third->body, first->body);
    ck_assert_int_eq(count_things(), before + 1);

    /* the same token with a different request: 409, nothing stored */
    char *other =
        testlib_strf("{\"ClientToken\":\"%s\",\"Owner\":\"someone-else\"," BASE "}", token);
    struct testlib_response *conflict = call("POST", "/managed-things", other);
    TESTLIB_ASSERT_ERROR(conflict, 409, "ConflictException");
    ck_assert_int_eq(count_things(), before + 1);

    /* a failed validation with a used token is still a validation error */
    char *invalid =
        testlib_strf("{\"ClientToken\":\"%s\",\"Owner\":\"bad owner\"," BASE "}", token);
    struct testlib_response *bad = call("POST", "/managed-things", invalid);
    TESTLIB_ASSERT_ERROR(bad, 400, "ValidationException");
    ck_assert_int_eq(count_things(), before + 1);

    testlib_response_free(bad);
    testlib_response_free(conflict);
    testlib_response_free(third);
    testlib_response_free(again);
    testlib_response_free(first);
    free(invalid);
    free(other);
    free(reordered);
    free(body);
    free(owner);
    free(token);
}
END_TEST

/* ---- transport-level errors ---- */

START_TEST(test_bad_bodies)
{
    static const struct {
        const char *body;
        const char *message;
    } cases[] = {
        {"{\"Role\":\"DEVICE\"", "the request body is not valid JSON (near byte 15)"},
        {"{\"Role\":\"DEVICE\"} x", "the request body is not valid JSON (near byte 18)"},
        {"[]", "the request body must be a JSON object"},
        {"\"thing\"", "the request body must be a JSON object"},
        {"42", "the request body must be a JSON object"},
        {"null", "the request body must be a JSON object"},
        {"", "Role is required"},
    };
    long long before = count_things();
    for (size_t i = 0; i < NELEM(cases); i++) {
        struct testlib_response *resp = call("POST", "/managed-things", cases[i].body);
        assert_invalid(resp, cases[i].message);
        testlib_response_free(resp);
    }
    ck_assert_int_eq(count_things(), before);
}
END_TEST

START_TEST(test_body_cap)
{
    const size_t cap = 1024 * 1024;
    long long before = count_things();
    /* a valid create padded with an unknown member to exactly the cap, then one byte over */
    const char *head = "{" BASE ",\"Pad\":\"";
    const char *tail = "\"}";
    for (int over = 0; over <= 1; over++) {
        size_t len = cap + (size_t)over;
        char *body = xmalloc(len + 1);
        size_t hl = strlen(head), tl = strlen(tail);
        memcpy(body, head, hl);
        memset(body + hl, 'p', len - hl - tl);
        memcpy(body + len - tl, tail, tl);
        body[len] = '\0';
        struct testlib_response *resp = call("POST", "/managed-things", body);
        if (over) {
            assert_invalid(resp, "the request body is larger than 1048576 bytes");
            ck_assert_int_eq(count_things(), before + 1);
        } else {
            TESTLIB_ASSERT_STATUS(resp, 201);
            ck_assert_int_eq(count_things(), before + 1);
        }
        testlib_response_free(resp);
        free(body);
    }
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
        {"PATCH", "/managed-things/abc", 405, "MethodNotAllowedException", "GET, PUT, DELETE"},
        {"POST", "/managed-things/abc", 405, "MethodNotAllowedException", "GET, PUT, DELETE"},
        {"DELETE", "/managed-things", 405, "MethodNotAllowedException", "POST, GET"},
        {"PUT", "/managed-things", 405, "MethodNotAllowedException", "POST, GET"},
        {"GET", "/managed-thing", 404, "UnknownOperationException", NULL},
        {"GET", "/managed-things/abc/extra", 404, "UnknownOperationException", NULL},
        {"GET", "/managed-things/a%zzb", 404, "UnknownOperationException", NULL},
    };
    long long before = count_things();
    for (size_t i = 0; i < NELEM(cases); i++) {
        struct testlib_response *resp = call(cases[i].method, cases[i].path, "{}");
        TESTLIB_ASSERT_ERROR(resp, cases[i].status, cases[i].code);
        if (cases[i].allow != NULL)
            TESTLIB_ASSERT_HEADER(resp, "Allow", cases[i].allow);
        testlib_response_free(resp);
    }
    ck_assert_int_eq(count_things(), before);
}
END_TEST

static Suite *things_suite(void)
{
    Suite *s = suite_create("things");
    TCase *tc = tcase_create("create");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_create_get_every_member);
    tcase_add_test(tc, test_create_response_shape);
    tcase_add_loop_test(tc, test_create_invalid, 0, NELEM(bad_creates));
    tcase_add_loop_test(tc, test_create_lengths, 0, NELEM(lengths));
    tcase_add_loop_test(tc, test_create_map_limits, 0, NELEM(maps));
    tcase_add_loop_test(tc, test_create_list_limits, 0, NELEM(lists));
    suite_add_tcase(s, tc);

    tc = tcase_create("update_delete");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_update_partial);
    tcase_add_loop_test(tc, test_update_invalid, 0, NELEM(bad_updates));
    tcase_add_loop_test(tc, test_unknown_and_bad_identifier, 0, NELEM(by_id_ops));
    tcase_add_loop_test(tc, test_delete, 0, 3);
    suite_add_tcase(s, tc);

    tc = tcase_create("list");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_list_pagination);
    tcase_add_test(tc, test_list_filters);
    tcase_add_loop_test(tc, test_list_invalid, 0, NELEM(bad_lists));
    tcase_add_test(tc, test_list_foreign_token);
    suite_add_tcase(s, tc);

    tc = tcase_create("wire");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_idempotency);
    tcase_add_test(tc, test_bad_bodies);
    tcase_add_test(tc, test_body_cap);
    tcase_add_test(tc, test_routing_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(things_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
