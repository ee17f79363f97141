/*
 * Unit tests of engine/execution: every (from, to, actor, force) combination against the
 * transition table of SPEC.md section 2 written out below, the device from-masks, the device
 * status check, the statusDetails limits (counted in code points), the step-timeout range and
 * the deadline of the AWS worked example (DG-CFG: 20-minute in-progress timer started 12:00).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/execution.h"
#include "engine/mem.h"
#include "engine/oerr.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Expected transitions, one matrix per actor: row = from, column = to, both in enum order
 * PLANNED QUEUED IN_PROGRESS SUCCEEDED FAILED TIMED_OUT REJECTED REMOVED CANCELED.
 * 'Y' legal, 'F' legal only with force, '.' illegal.
 */
static const char *const expected[EXECUTION_ACTOR_MAX][EXECUTION_STATUS_MAX] = {
    [EXECUTION_ACTOR_DEVICE] = {
        /*        PQISFTJRC */
        /* PLN */ ".........",
        /* QUE */ "..YYY.Y..",
        /* INP */ "..YYY.Y..",
        /* SUC */ ".........",
        /* FAI */ ".........",
        /* TMO */ ".........",
        /* REJ */ ".........",
        /* REM */ ".........",
        /* CAN */ ".........",
    },
    [EXECUTION_ACTOR_SCHEDULER] = {
        /*        PQISFTJRC */
        /* PLN */ ".Y.....YY",
        /* QUE */ ".......YY",
        /* INP */ ".....Y..F",
        /* SUC */ ".........",
        /* FAI */ ".........",
        /* TMO */ ".........",
        /* REJ */ ".........",
        /* REM */ ".........",
        /* CAN */ ".........",
    },
    [EXECUTION_ACTOR_USER] = {
        /*        PQISFTJRC */
        /* PLN */ "........Y",
        /* QUE */ "........Y",
        /* INP */ "........F",
        /* SUC */ ".........",
        /* FAI */ ".........",
        /* TMO */ ".........",
        /* REJ */ ".........",
        /* REM */ ".........",
        /* CAN */ ".........",
    },
};

/* One loop index per (actor, from, to, force): 3 * 9 * 9 * 2 = 486 rows. */
START_TEST(test_transition)
{
    int force = _i % 2;
    int to = (_i / 2) % EXECUTION_STATUS_MAX;
    int from = (_i / 2 / EXECUTION_STATUS_MAX) % EXECUTION_STATUS_MAX;
    int actor = _i / 2 / EXECUTION_STATUS_MAX / EXECUTION_STATUS_MAX;
    char c = expected[actor][from][to];
    int want = c == 'Y' || (c == 'F' && force);
    int got = execution_transition_legal((enum execution_status)from, (enum execution_status)to,
                                         (enum execution_actor)actor, force);
    ck_assert_msg(got == want, "actor %d %s -> %s force %d: got %d want %d", actor,
                  execution_status_name((enum execution_status)from),
                  execution_status_name((enum execution_status)to), force, got, want);
    /* Nothing ever leaves a terminal state, whoever asks. */
    if (execution_is_terminal((enum execution_status)from))
        ck_assert_int_eq(got, 0);
}
END_TEST

START_TEST(test_transition_out_of_range)
{
    ck_assert_int_eq(execution_transition_legal(EXECUTION_STATUS_MAX, EXECUTION_QUEUED,
                                                EXECUTION_ACTOR_SCHEDULER, 0),
                     0);
    ck_assert_int_eq(execution_transition_legal(EXECUTION_PLANNED, EXECUTION_STATUS_MAX,
                                                EXECUTION_ACTOR_SCHEDULER, 0),
                     0);
    ck_assert_int_eq(
        execution_transition_legal(EXECUTION_PLANNED, EXECUTION_QUEUED, EXECUTION_ACTOR_MAX, 0), 0);
}
END_TEST

static const struct {
    enum execution_status s;
    const char *name;
    int terminal;
    int parses;
} names[] = {
    {EXECUTION_PLANNED, "PLANNED", 0, 0},         {EXECUTION_QUEUED, "QUEUED", 0, 1},
    {EXECUTION_IN_PROGRESS, "IN_PROGRESS", 0, 1}, {EXECUTION_SUCCEEDED, "SUCCEEDED", 1, 1},
    {EXECUTION_FAILED, "FAILED", 1, 1},           {EXECUTION_TIMED_OUT, "TIMED_OUT", 1, 1},
    {EXECUTION_REJECTED, "REJECTED", 1, 1},       {EXECUTION_REMOVED, "REMOVED", 1, 1},
    {EXECUTION_CANCELED, "CANCELED", 1, 1},
};

START_TEST(test_names)
{
    enum execution_status out = EXECUTION_STATUS_MAX;
    ck_assert_str_eq(execution_status_name(names[_i].s), names[_i].name);
    ck_assert_int_eq(execution_is_terminal(names[_i].s), names[_i].terminal);
    ck_assert_int_eq(execution_status_parse(names[_i].name, &out), names[_i].parses ? 0 : -1);
    if (names[_i].parses)
        ck_assert_int_eq(out, names[_i].s);
}
END_TEST

START_TEST(test_names_bad)
{
    static const char *const bad[] = {"queued", "SUCCESS", "", " QUEUED", "QUEUED ", "CANCELLED"};
    enum execution_status out;
    for (size_t i = 0; i < NELEM(bad); i++)
        ck_assert_int_eq(execution_status_parse(bad[i], &out), -1);
    ck_assert_int_eq(execution_status_parse(NULL, &out), -1);
    ck_assert_int_eq(execution_is_terminal(EXECUTION_STATUS_MAX), 0);
}
END_TEST

#define QI ((1u << EXECUTION_QUEUED) | (1u << EXECUTION_IN_PROGRESS))

static const struct {
    enum execution_status to;
    unsigned mask;
    const char *error; /* of execution_check_device_status, NULL = accepted */
} device[] = {
    {EXECUTION_PLANNED, 0, "status PLANNED cannot be set by a device"},
    {EXECUTION_QUEUED, 0, "status QUEUED cannot be set by a device"},
    {EXECUTION_IN_PROGRESS, QI, NULL},
    {EXECUTION_SUCCEEDED, QI, NULL},
    {EXECUTION_FAILED, QI, NULL},
    {EXECUTION_TIMED_OUT, 0, "status TIMED_OUT cannot be set by a device"},
    {EXECUTION_REJECTED, QI, NULL},
    {EXECUTION_REMOVED, 0, "status REMOVED cannot be set by a device"},
    {EXECUTION_CANCELED, 0, "status CANCELED cannot be set by a device"},
};

START_TEST(test_device)
{
    struct oerr err;
    oerr_clear(&err);
    ck_assert_uint_eq(execution_device_from_mask(device[_i].to), device[_i].mask);
    int rc = execution_check_device_status(device[_i].to, &err);
    if (device[_i].error == NULL) {
        ck_assert_int_eq(rc, 0);
    } else {
        ck_assert_int_eq(rc, -1);
        ck_assert_int_eq(err.code, OERR_INVALID);
        ck_assert_str_eq(err.msg, device[_i].error);
    }
}
END_TEST

START_TEST(test_device_out_of_range)
{
    struct oerr err;
    ck_assert_uint_eq(execution_device_from_mask(EXECUTION_STATUS_MAX), 0);
    ck_assert_int_eq(execution_check_device_status(EXECUTION_STATUS_MAX, &err), -1);
    ck_assert_int_eq(err.code, OERR_INVALID);
    ck_assert_int_eq(execution_check_device_status(EXECUTION_QUEUED, NULL), -1);
}
END_TEST

/* ---- statusDetails ---- */

/* A string of n copies of unit (caller frees). */
static char *repeat(const char *unit, size_t n)
{
    size_t len = strlen(unit);
    char *s = xmalloc(len * n + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * len, unit, len);
    s[len * n] = '\0';
    return s;
}

enum { KEY_PLAIN, KEY_128, KEY_129 };

static const struct {
    const char *name;
    size_t pairs; /* pairs "k0".."kN" = "v" */
    int key;      /* KEY_PLAIN: keys[0] = key_text; KEY_128/129: a key of that length */
    const char *key_text;
    const char *unit; /* values[0] = unit repeated count times (NULL: "v") */
    size_t count;
    const char *error; /* NULL = accepted, else the exact message */
} details[] = {
    {"no pairs", 0, KEY_PLAIN, "k", NULL, 0, NULL},
    {"10 pairs", 10, KEY_PLAIN, "k", NULL, 0, NULL},
    {"11 pairs", 11, KEY_PLAIN, "k", NULL, 0, "statusDetails: 11 pairs, at most 10 allowed"},
    {"key all classes", 1, KEY_PLAIN, "aZ09:_-", NULL, 0, NULL},
    {"key 128", 1, KEY_128, NULL, NULL, 0, NULL},
    {"key 129", 1, KEY_129, NULL, NULL, 0, "statusDetails: key 1 is longer than 128"},
    {"empty key", 1, KEY_PLAIN, "", NULL, 0, "statusDetails: key 1 is empty"},
    {"key space", 1, KEY_PLAIN, "a b", NULL, 0,
     "statusDetails: key 1 has a character outside [a-zA-Z0-9:_-] at position 2"},
    {"key dot", 1, KEY_PLAIN, "a.b", NULL, 0,
     "statusDetails: key 1 has a character outside [a-zA-Z0-9:_-] at position 2"},
    {"key slash", 1, KEY_PLAIN, "/", NULL, 0,
     "statusDetails: key 1 has a character outside [a-zA-Z0-9:_-] at position 1"},
    {"key non-ascii", 1, KEY_PLAIN, "k\xc3\xa9", NULL, 0,
     "statusDetails: key 1 has a character outside [a-zA-Z0-9:_-] at position 2"},
    {"value 1", 1, KEY_PLAIN, "k", "x", 1, NULL},
    {"value 1024 ascii", 1, KEY_PLAIN, "k", "x", 1024, NULL},
    {"value 1025 ascii", 1, KEY_PLAIN, "k", "x", 1025, "statusDetails.k: value longer than 1024"},
    {"value 1024 two-byte", 1, KEY_PLAIN, "k", "\xc3\xa9", 1024, NULL},
    {"value 1025 two-byte", 1, KEY_PLAIN, "k", "\xc3\xa9", 1025,
     "statusDetails.k: value longer than 1024"},
    {"value 1024 three-byte", 1, KEY_PLAIN, "k", "\xe2\x82\xac", 1024, NULL},
    {"value 1024 four-byte", 1, KEY_PLAIN, "k", "\xf0\x9f\x98\x80", 1024, NULL},
    {"value 1025 four-byte", 1, KEY_PLAIN, "k", "\xf0\x9f\x98\x80", 1025,
     "statusDetails.k: value longer than 1024"},
    {"empty value", 1, KEY_PLAIN, "k", "", 1, "statusDetails.k: empty value"},
    {"tab", 1, KEY_PLAIN, "k", "a\tb", 1,
     "statusDetails.k: value contains control character U+0009 at character 2"},
    {"newline", 1, KEY_PLAIN, "k", "\n", 1,
     "statusDetails.k: value contains control character U+000A at character 1"},
    {"DEL", 1, KEY_PLAIN, "k", "a\x7f", 1,
     "statusDetails.k: value contains control character U+007F at character 2"},
    {"C1 control", 1, KEY_PLAIN, "k", "\xc2\x85", 1,
     "statusDetails.k: value contains control character U+0085 at character 1"},
    {"NBSP is not a control", 1, KEY_PLAIN, "k", "\xc2\xa0", 1, NULL},
    {"lone continuation", 1, KEY_PLAIN, "k", "a\x80", 1,
     "statusDetails.k: value is not valid UTF-8 at byte 1"},
    {"overlong", 1, KEY_PLAIN, "k", "\xc0\xaf", 1,
     "statusDetails.k: value is not valid UTF-8 at byte 0"},
    {"truncated", 1, KEY_PLAIN, "k", "ab\xe2\x82", 1,
     "statusDetails.k: value is not valid UTF-8 at byte 2"},
    {"surrogate", 1, KEY_PLAIN, "k", "\xed\xa0\x80", 1,
     "statusDetails.k: value is not valid UTF-8 at byte 0"},
    {"above U+10FFFF", 1, KEY_PLAIN, "k", "\xf4\x90\x80\x80", 1,
     "statusDetails.k: value is not valid UTF-8 at byte 0"},
    {"overlong three-byte", 1, KEY_PLAIN, "k", "\xe0\x80\xaf", 1,
     "statusDetails.k: value is not valid UTF-8 at byte 0"},
};

START_TEST(test_details)
{
    const char *keys[16];
    const char *values[16];
    char names_buf[16][8];
    char *key = NULL;
    char *value = NULL;
    struct oerr err;
    oerr_clear(&err);
    for (size_t i = 0; i < details[_i].pairs; i++) {
        snprintf(names_buf[i], sizeof names_buf[i], "k%zu", i);
        keys[i] = names_buf[i];
        values[i] = "v";
    }
    if (details[_i].pairs > 0) {
        if (details[_i].key == KEY_PLAIN)
            keys[0] = details[_i].key_text;
        else
            keys[0] = key = repeat("a", details[_i].key == KEY_128 ? 128 : 129);
        if (details[_i].unit != NULL)
            values[0] = value = repeat(details[_i].unit, details[_i].count);
    }
    int rc = execution_check_status_details(keys, values, details[_i].pairs, &err);
    if (details[_i].error == NULL) {
        ck_assert_msg(rc == 0, "%s: %s", details[_i].name, err.msg);
    } else {
        ck_assert_msg(rc == -1, "%s accepted", details[_i].name);
        ck_assert_int_eq(err.code, OERR_INVALID);
        ck_assert_str_eq(err.msg, details[_i].error);
    }
    free(key);
    free(value);
}
END_TEST

/* ---- step timeouts ---- */

static const struct {
    int64_t minutes;
    int allow_clear;
    int ok;
} steps[] = {
    {1, 0, 1},     {10080, 0, 1},     {0, 0, 0},         {10081, 0, 0}, {-1, 0, 0},
    {-1, 1, 1},    {1, 1, 1},         {10080, 1, 1},     {0, 1, 0},     {-2, 1, 0},
    {10081, 1, 0}, {INT64_MAX, 1, 0}, {INT64_MIN, 1, 0},
};

START_TEST(test_step_timeout)
{
    struct oerr err;
    oerr_clear(&err);
    int rc = execution_check_step_timeout(steps[_i].minutes, steps[_i].allow_clear, &err);
    ck_assert_int_eq(rc, steps[_i].ok ? 0 : -1);
    if (!steps[_i].ok) {
        ck_assert_int_eq(err.code, OERR_INVALID);
        ck_assert_str_eq(err.msg, steps[_i].allow_clear
                                      ? "stepTimeoutInMinutes must be between 1 and 10080, or "
                                        "-1 to clear"
                                      : "stepTimeoutInMinutes must be between 1 and 10080");
    }
}
END_TEST

/* ---- deadlines: the AWS worked example and the degenerate cases ---- */

#define MIN_MS   INT64_C(60000)
#define AT(h, m) (INT64_C(1780000000000) + ((h)*60 + (m)) * MIN_MS)

static const struct {
    const char *name;
    int64_t started_at, in_progress_ms, step_set_at, step_ms, deadline;
} deadlines[] = {
    {"in-progress only", AT(12, 0), 20 * MIN_MS, -1, 0, AT(12, 20)},
    {"step 7 at 12:05", AT(12, 0), 20 * MIN_MS, AT(12, 5), 7 * MIN_MS, AT(12, 12)},
    {"step 5 at 12:10", AT(12, 0), 20 * MIN_MS, AT(12, 10), 5 * MIN_MS, AT(12, 15)},
    {"step 9 at 12:13 clamped", AT(12, 0), 20 * MIN_MS, AT(12, 13), 9 * MIN_MS, AT(12, 20)},
    {"step cleared", AT(12, 0), 20 * MIN_MS, -1, -1, AT(12, 20)},
    {"step cleared, set-at kept", AT(12, 0), 20 * MIN_MS, AT(12, 13), 0, AT(12, 20)},
    {"no timeouts", AT(12, 0), 0, -1, 0, -1},
    {"no timeouts, step set-at only", AT(12, 0), 0, AT(12, 5), 0, -1},
    {"step only", AT(12, 0), 0, AT(12, 5), 7 * MIN_MS, AT(12, 12)},
    {"step only, not started", -1, 20 * MIN_MS, AT(12, 5), 7 * MIN_MS, AT(12, 12)},
    {"not started", -1, 20 * MIN_MS, -1, 0, -1},
    {"step equal to in-progress", AT(12, 0), 20 * MIN_MS, AT(12, 10), 10 * MIN_MS, AT(12, 20)},
    {"saturates", INT64_MAX - 5, 20 * MIN_MS, -1, 0, INT64_MAX},
};

START_TEST(test_deadline)
{
    int64_t got = execution_deadline(deadlines[_i].started_at, deadlines[_i].in_progress_ms,
                                     deadlines[_i].step_set_at, deadlines[_i].step_ms);
    ck_assert_msg(got == deadlines[_i].deadline, "%s: got %lld want %lld", deadlines[_i].name,
                  (long long)got, (long long)deadlines[_i].deadline);
}
END_TEST

static Suite *execution_suite(void)
{
    Suite *s = suite_create("execution");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_transition, 0,
                        EXECUTION_ACTOR_MAX * EXECUTION_STATUS_MAX * EXECUTION_STATUS_MAX * 2);
    tcase_add_test(tc, test_transition_out_of_range);
    tcase_add_loop_test(tc, test_names, 0, (int)NELEM(names));
    tcase_add_test(tc, test_names_bad);
    tcase_add_loop_test(tc, test_device, 0, (int)NELEM(device));
    tcase_add_test(tc, test_device_out_of_range);
    tcase_add_loop_test(tc, test_details, 0, (int)NELEM(details));
    tcase_add_loop_test(tc, test_step_timeout, 0, (int)NELEM(steps));
    tcase_add_loop_test(tc, test_deadline, 0, (int)NELEM(deadlines));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(execution_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
