/*
 * Unit tests of api/router: matching on (method, percent-decoded path) over a local route table
 * shaped like the real one (reference/wire.md section 6.0): labels are decoded after the split
 * on '/', so "%2F" stays inside a label; literal segments win over labels whatever the table
 * order; a path known only under other methods is a 405 with the allowed methods; malformed
 * escapes, empty labels and unknown paths match nothing.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api/router.h"
#include "engine/arena.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void handler(struct req *r)
{
    (void)r;
}

static const struct route table[] = {
    {"GET", "/healthz", "Healthz", API_SVC_INTERNAL, handler},
    {"GET", "/ota-tasks", "ListOtaTasks", API_SVC_MI, handler},
    {"POST", "/ota-tasks", "CreateOtaTask", API_SVC_MI, handler},
    {"GET", "/ota-tasks/{Identifier}", "GetOtaTask", API_SVC_MI, handler},
    {"PUT", "/ota-tasks/{Identifier}", "UpdateOtaTask", API_SVC_MI, handler},
    {"DELETE", "/ota-tasks/{Identifier}", "DeleteOtaTask", API_SVC_MI, handler},
    {"GET", "/ota-tasks/{Identifier}/devices", "ListOtaTaskExecutions", API_SVC_MI, handler},
    {"POST", "/things/{thingName}/jobs/{jobId}", "UpdateJobExecution", API_SVC_JOBS, handler},
    {"GET", "/things/{thingName}/jobs/{jobId}", "DescribeJobExecution", API_SVC_JOBS, handler},
    {"PUT", "/things/{thingName}/jobs/$next", "StartNextPendingJobExecution", API_SVC_JOBS,
     handler},
    {"GET", "/things/{thingName}/jobs", "GetPendingJobExecutions", API_SVC_JOBS, handler},
    {"PATCH", "/fuota-tasks/{Id}", "UpdateFuotaTask", API_SVC_WIRELESS, handler},
    {"PUT", "/fuota-tasks/{Id}", "StartFuotaTask", API_SVC_WIRELESS, handler},
    {"PUT", "/fuota-tasks/{Id}/wireless-device", "AssociateWirelessDeviceWithFuotaTask",
     API_SVC_WIRELESS, handler},
    {"DELETE", "/fuota-tasks/{Id}/wireless-devices/{WirelessDeviceId}",
     "DisassociateWirelessDeviceFromFuotaTask", API_SVC_WIRELESS, handler},
};

/* The decoded value of label name in m, or NULL. */
static const char *label(const struct router_match *m, const char *name)
{
    for (int i = 0; i < m->nlabels; i++)
        if (strcmp(m->names[i], name) == 0)
            return m->values[i];
    return NULL;
}

static const struct {
    const char *method;
    const char *path;
    const char *op; /* NULL: no route */
    const char *label_name;
    const char *label_value;
    const char *label2_name;
    const char *label2_value;
} matches[] = {
    {"GET", "/healthz", "Healthz", NULL, NULL, NULL, NULL},
    {"GET", "/ota-tasks", "ListOtaTasks", NULL, NULL, NULL, NULL},
    {"POST", "/ota-tasks", "CreateOtaTask", NULL, NULL, NULL, NULL},
    {"GET", "/ota-tasks/abc", "GetOtaTask", "Identifier", "abc", NULL, NULL},
    {"DELETE", "/ota-tasks/abc", "DeleteOtaTask", "Identifier", "abc", NULL, NULL},
    /* percent-decoding of labels */
    {"GET", "/ota-tasks/a%20b%3Ac", "GetOtaTask", "Identifier", "a b:c", NULL, NULL},
    {"GET", "/ota-tasks/%C3%BCber", "GetOtaTask", "Identifier",
     "\xc3\xbc"
     "ber",
     NULL, NULL},
    {"GET", "/ota-tasks/a+b", "GetOtaTask", "Identifier", "a+b", NULL, NULL},
    {"GET", "/ota-tasks/%41%62", "GetOtaTask", "Identifier", "Ab", NULL, NULL},
    /* %2F stays inside its label: one segment, not two */
    {"GET", "/ota-tasks/a%2Fb", "GetOtaTask", "Identifier", "a/b", NULL, NULL},
    {"GET", "/ota-tasks/a%2fb/devices", "ListOtaTaskExecutions", "Identifier", "a/b", NULL, NULL},
    {"GET", "/ota-tasks/x/devices", "ListOtaTaskExecutions", "Identifier", "x", NULL, NULL},
    /* two labels */
    {"POST", "/things/dev1/jobs/job-1", "UpdateJobExecution", "thingName", "dev1", "jobId",
     "job-1"},
    {"GET", "/things/dev%201/jobs/j%2F2", "DescribeJobExecution", "thingName", "dev 1", "jobId",
     "j/2"},
    /* the literal $next (raw) and the label $next (encoded, another method) */
    {"PUT", "/things/dev1/jobs/$next", "StartNextPendingJobExecution", "thingName", "dev1", NULL,
     NULL},
    {"GET", "/things/dev1/jobs/%24next", "DescribeJobExecution", "thingName", "dev1", "jobId",
     "$next"},
    {"GET", "/things/dev1/jobs", "GetPendingJobExecutions", "thingName", "dev1", NULL, NULL},
    /* same path, method decides */
    {"PATCH", "/fuota-tasks/f1", "UpdateFuotaTask", "Id", "f1", NULL, NULL},
    {"PUT", "/fuota-tasks/f1", "StartFuotaTask", "Id", "f1", NULL, NULL},
    {"PUT", "/fuota-tasks/f1/wireless-device", "AssociateWirelessDeviceWithFuotaTask", "Id", "f1",
     NULL, NULL},
    {"DELETE", "/fuota-tasks/f1/wireless-devices/w%3A1", "DisassociateWirelessDeviceFromFuotaTask",
     "Id", "f1", "WirelessDeviceId", "w:1"},
    /* nothing */
    {"GET", "/", NULL, NULL, NULL, NULL, NULL},
    {"GET", "", NULL, NULL, NULL, NULL, NULL},
    {"GET", "ota-tasks", NULL, NULL, NULL, NULL, NULL},
    {"GET", "/ota-task", NULL, NULL, NULL, NULL, NULL},
    {"GET", "/OTA-TASKS", NULL, NULL, NULL, NULL, NULL},
    {"GET", "/ota-tasks/", NULL, NULL, NULL, NULL, NULL},
    {"GET", "/ota-tasks//devices", NULL, NULL, NULL, NULL, NULL},
    {"GET", "/ota-tasks/a/b", NULL, NULL, NULL, NULL, NULL},
    {"GET", "/ota-tasks/a%zzb", NULL, NULL, NULL, NULL, NULL},
    {"GET", "/ota-tasks/a%2", NULL, NULL, NULL, NULL, NULL},
    {"GET", "/ota-tasks/%", NULL, NULL, NULL, NULL, NULL},
    {"GET", "/healthz/", NULL, NULL, NULL, NULL, NULL},
    {"GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", NULL, NULL, NULL, NULL, NULL},
    {"get", "/ota-tasks", NULL, NULL, NULL, NULL, NULL},
};

START_TEST(test_match)
{
    struct router *rt = router_new(table, NELEM(table));
    struct arena *a = arena_new(1024);
    struct router_match m;
    ck_assert_int_eq(router_match(rt, matches[_i].method, matches[_i].path, a, &m), 0);
    if (matches[_i].op == NULL) {
        ck_assert_msg(m.route == NULL, "%s %s matched %s", matches[_i].method, matches[_i].path,
                      m.route != NULL ? m.route->op : "");
    } else {
        ck_assert_msg(m.route != NULL, "%s %s matched nothing", matches[_i].method,
                      matches[_i].path);
        ck_assert_str_eq(m.route->op, matches[_i].op);
        ck_assert_int_eq(m.method_mismatch, 0);
        int want = (matches[_i].label_name != NULL) + (matches[_i].label2_name != NULL);
        ck_assert_int_eq(m.nlabels, want);
        if (matches[_i].label_name != NULL)
            ck_assert_str_eq(label(&m, matches[_i].label_name), matches[_i].label_value);
        if (matches[_i].label2_name != NULL)
            ck_assert_str_eq(label(&m, matches[_i].label2_name), matches[_i].label2_value);
    }
    arena_free(a);
    router_free(rt);
}
END_TEST

/* Paths that exist only under other methods: 405 with the allowed methods in table order. */
static const struct {
    const char *method;
    const char *path;
    const char *allow;
} mismatches[] = {
    {"DELETE", "/ota-tasks", "GET, POST"},
    {"POST", "/ota-tasks/abc", "GET, PUT, DELETE"},
    {"PATCH", "/ota-tasks/a%2Fb", "GET, PUT, DELETE"},
    {"POST", "/ota-tasks/abc/devices", "GET"},
    {"GET", "/fuota-tasks/f1", "PATCH, PUT"},
    {"DELETE", "/things/t/jobs/j", "POST, GET"},
    {"POST", "/healthz", "GET"},
    /* the literal $next exists only for PUT, the {jobId} routes for POST and GET */
    {"DELETE", "/things/t/jobs/$next", "POST, GET, PUT"},
};

START_TEST(test_method_mismatch)
{
    struct router *rt = router_new(table, NELEM(table));
    struct arena *a = arena_new(1024);
    struct router_match m;
    router_match(rt, mismatches[_i].method, mismatches[_i].path, a, &m);
    ck_assert_ptr_null(m.route);
    ck_assert_int_eq(m.method_mismatch, 1);
    ck_assert_str_eq(m.allow, mismatches[_i].allow);
    arena_free(a);
    router_free(rt);
}
END_TEST

START_TEST(test_no_route_is_not_a_mismatch)
{
    static const char *const paths[] = {"/nope", "/ota-tasks/a/b", "/ota-tasks/a%zz"};
    struct router *rt = router_new(table, NELEM(table));
    struct arena *a = arena_new(1024);
    for (size_t i = 0; i < NELEM(paths); i++) {
        struct router_match m;
        router_match(rt, "GET", paths[i], a, &m);
        ck_assert_ptr_null(m.route);
        ck_assert_int_eq(m.method_mismatch, 0);
        ck_assert_str_eq(m.allow, "");
    }
    arena_free(a);
    router_free(rt);
}
END_TEST

/*
 * Literal over label, whatever the table order: "/a/b" over "/a/{x}", and an earlier literal
 * segment outranks a later one ("/a/{y}" over "/{x}/b" for "/a/b" when "/a/b" is absent).
 */
static void precedence(const struct route *t, size_t n, const char *path, const char *want)
{
    struct router *rt = router_new(t, n);
    struct arena *a = arena_new(512);
    struct router_match m;
    router_match(rt, "GET", path, a, &m);
    ck_assert_msg(m.route != NULL, "%s matched nothing", path);
    ck_assert_str_eq(m.route->op, want);
    arena_free(a);
    router_free(rt);
}

START_TEST(test_literal_over_label)
{
    const struct route forward[] = {
        {"GET", "/a/{x}", "Label", API_SVC_MI, handler},
        {"GET", "/a/b", "Literal", API_SVC_MI, handler},
        {"GET", "/{x}/c", "LateLiteral", API_SVC_MI, handler},
        {"GET", "/d/{y}", "EarlyLiteral", API_SVC_MI, handler},
    };
    struct route backward[NELEM(forward)];
    for (size_t i = 0; i < NELEM(forward); i++)
        backward[i] = forward[NELEM(forward) - 1 - i];
    const struct route *tables[] = {forward, backward};
    for (size_t t = 0; t < NELEM(tables); t++) {
        precedence(tables[t], NELEM(forward), "/a/b", "Literal");
        precedence(tables[t], NELEM(forward), "/a/%62", "Literal"); /* decoded before compare */
        precedence(tables[t], NELEM(forward), "/a/z", "Label");
        precedence(tables[t], NELEM(forward), "/d/c", "EarlyLiteral");
        precedence(tables[t], NELEM(forward), "/e/c", "LateLiteral");
    }
}
END_TEST

START_TEST(test_decode)
{
    static const struct {
        const char *in;
        const char *out; /* NULL: malformed */
    } cases[] = {
        {"", ""},         {"abc", "abc"},       {"a%20b", "a b"},
        {"%2F%2f", "//"}, {"%41%4a%4A", "AJJ"}, {"+", "+"},
        {"%", NULL},      {"%4", NULL},         {"%g0", NULL},
        {"a%0", NULL},    {"%%41", NULL},       {"%C3%A9", "\xc3\xa9"},
    };
    struct arena *a = arena_new(256);
    for (size_t i = 0; i < NELEM(cases); i++) {
        char *got = router_decode(a, cases[i].in, strlen(cases[i].in));
        if (cases[i].out == NULL)
            ck_assert_msg(got == NULL, "%s decoded to %s", cases[i].in, got);
        else
            ck_assert_str_eq(got, cases[i].out);
    }
    /* only len bytes are read */
    ck_assert_str_eq(router_decode(a, "ab%41", 2), "ab");
    arena_free(a);
}
END_TEST

START_TEST(test_service_names)
{
    ck_assert_str_eq(router_service_name(API_SVC_MI), "iotmanagedintegrations");
    ck_assert_str_eq(router_service_name(API_SVC_IOT), "iot");
    ck_assert_str_eq(router_service_name(API_SVC_WIRELESS), "iotwireless");
    ck_assert_str_eq(router_service_name(API_SVC_JOBS), "iot-jobs-data");
    ck_assert_str_eq(router_service_name(API_SVC_INTERNAL), "");
}
END_TEST

static Suite *router_suite(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("router");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_match, 0, NELEM(matches));
    tcase_add_loop_test(tc, test_method_mismatch, 0, NELEM(mismatches));
    tcase_add_test(tc, test_no_route_is_not_a_mismatch);
    tcase_add_test(tc, test_literal_over_label);
    tcase_add_test(tc, test_decode);
    tcase_add_test(tc, test_service_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(router_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
