/*
 * Unit tests of engine/task: wire names both ways (SNAPSHOT accepted as ONE_TIME), final
 * statuses, the OtaSchedulingConfig validation table and the initial status table (start
 * times, maintenance windows from engine/window.c, zero targets).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/oerr.h"
#include "engine/task.h"
#include "engine/window.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define MIN_MS  INT64_C(60000)
#define HOUR_MS (60 * MIN_MS)
/* 2026-11-22T00:00:00Z */
#define DAY      INT64_C(1795305600000)
#define AT(h, m) (DAY + (h)*HOUR_MS + (m)*MIN_MS)

/* ---- names ---- */

START_TEST(test_status_names)
{
    static const char *const want[TASK_STATUS_MAX] = {"SCHEDULED", "IN_PROGRESS", "COMPLETED",
                                                      "CANCELED", "DELETION_IN_PROGRESS"};
    static const int final[TASK_STATUS_MAX] = {0, 0, 1, 1, 0};
    for (int i = 0; i < TASK_STATUS_MAX; i++) {
        enum task_status out = TASK_STATUS_MAX;
        ck_assert_str_eq(task_status_name((enum task_status)i), want[i]);
        ck_assert_int_eq(task_status_parse(want[i], &out), 0);
        ck_assert_int_eq(out, i);
        ck_assert_int_eq(task_is_final((enum task_status)i), final[i]);
    }
    ck_assert_str_eq(task_status_name(TASK_STATUS_MAX), "UNKNOWN");
}
END_TEST

START_TEST(test_type_names)
{
    enum task_type out = TASK_TYPE_MAX;
    ck_assert_str_eq(task_type_name(TASK_ONE_TIME), "ONE_TIME");
    ck_assert_str_eq(task_type_name(TASK_CONTINUOUS), "CONTINUOUS");
    ck_assert_str_eq(task_type_name(TASK_TYPE_MAX), "UNKNOWN");
    ck_assert_int_eq(task_type_parse("ONE_TIME", &out), 0);
    ck_assert_int_eq(out, TASK_ONE_TIME);
    ck_assert_int_eq(task_type_parse("CONTINUOUS", &out), 0);
    ck_assert_int_eq(out, TASK_CONTINUOUS);
    out = TASK_CONTINUOUS;
    ck_assert_int_eq(task_type_parse("SNAPSHOT", &out), 0);
    ck_assert_int_eq(out, TASK_ONE_TIME);
}
END_TEST

START_TEST(test_end_names)
{
    static const char *const want[TASK_END_BEHAVIOR_MAX] = {"STOP_ROLLOUT", "CANCEL",
                                                            "FORCE_CANCEL"};
    for (int i = 0; i < TASK_END_BEHAVIOR_MAX; i++) {
        enum task_end_behavior out = TASK_END_BEHAVIOR_MAX;
        ck_assert_str_eq(task_end_behavior_name((enum task_end_behavior)i), want[i]);
        ck_assert_int_eq(task_end_behavior_parse(want[i], &out), 0);
        ck_assert_int_eq(out, i);
    }
    ck_assert_str_eq(task_end_behavior_name(TASK_END_BEHAVIOR_MAX), "UNKNOWN");
}
END_TEST

START_TEST(test_names_bad)
{
    static const char *const bad[] = {"",         "scheduled", "IN PROGRESS", "SNAPSHOT ",
                                      "snapshot", "STOP",      "CANCELLED",   "COMPLETE"};
    enum task_status s;
    enum task_type t;
    enum task_end_behavior b;
    for (size_t i = 0; i < NELEM(bad); i++) {
        ck_assert_int_eq(task_status_parse(bad[i], &s), -1);
        ck_assert_int_eq(task_type_parse(bad[i], &t), -1);
        ck_assert_int_eq(task_end_behavior_parse(bad[i], &b), -1);
    }
    ck_assert_int_eq(task_status_parse(NULL, &s), -1);
    ck_assert_int_eq(task_type_parse(NULL, &t), -1);
    ck_assert_int_eq(task_end_behavior_parse(NULL, &b), -1);
    /* SNAPSHOT is a type alias only */
    ck_assert_int_eq(task_status_parse("SNAPSHOT", &s), -1);
}
END_TEST

/* ---- schedule validation ---- */

static const struct {
    const char *name;
    int64_t start, end;
    enum task_end_behavior behavior;
    const char *error; /* NULL = valid */
} sched[] = {
    {"nothing", -1, -1, TASK_END_STOP_ROLLOUT, NULL},
    {"start in the future", AT(12, 0), -1, TASK_END_STOP_ROLLOUT, NULL},
    {"start in the past", AT(8, 0), -1, TASK_END_CANCEL, NULL},
    {"end in the future", -1, AT(11, 0), TASK_END_FORCE_CANCEL, NULL},
    {"end 1 ms after now", -1, AT(10, 0) + 1, TASK_END_STOP_ROLLOUT, NULL},
    {"end at now", -1, AT(10, 0), TASK_END_STOP_ROLLOUT,
     "OtaSchedulingConfig.EndTime must be in the future"},
    {"end in the past", -1, AT(9, 0), TASK_END_STOP_ROLLOUT,
     "OtaSchedulingConfig.EndTime must be in the future"},
    {"start and end in the future", AT(11, 0), AT(12, 0), TASK_END_CANCEL, NULL},
    {"end 1 ms after start", AT(11, 0), AT(11, 0) + 1, TASK_END_CANCEL, NULL},
    {"end at start", AT(11, 0), AT(11, 0), TASK_END_CANCEL,
     "OtaSchedulingConfig.EndTime must be after StartTime"},
    {"end before start", AT(12, 0), AT(11, 0), TASK_END_CANCEL,
     "OtaSchedulingConfig.EndTime must be after StartTime"},
    {"start in the past, end in the future", AT(8, 0), AT(11, 0), TASK_END_CANCEL, NULL},
    {"start and end in the past", AT(8, 0), AT(9, 0), TASK_END_CANCEL,
     "OtaSchedulingConfig.EndTime must be in the future"},
    {"end before start, both past", AT(9, 0), AT(8, 0), TASK_END_CANCEL,
     "OtaSchedulingConfig.EndTime must be after StartTime"},
    {"bad end behaviour", -1, -1, TASK_END_BEHAVIOR_MAX,
     "OtaSchedulingConfig.EndBehavior must be one of STOP_ROLLOUT, CANCEL, FORCE_CANCEL"},
};

START_TEST(test_schedule_validate)
{
    struct task_schedule s;
    struct oerr err;
    oerr_clear(&err);
    task_schedule_default(&s);
    s.start_at = sched[_i].start;
    s.end_at = sched[_i].end;
    s.end_behavior = sched[_i].behavior;
    int rc = task_schedule_validate(&s, AT(10, 0), &err);
    if (sched[_i].error == NULL) {
        ck_assert_msg(rc == 0, "%s: %s", sched[_i].name, err.msg);
    } else {
        ck_assert_msg(rc == -1, "%s accepted", sched[_i].name);
        ck_assert_int_eq(err.code, OERR_INVALID);
        ck_assert_str_eq(err.msg, sched[_i].error);
    }
}
END_TEST

START_TEST(test_schedule_default)
{
    struct task_schedule s;
    memset(&s, 0x5a, sizeof s);
    task_schedule_default(&s);
    ck_assert_int_eq(s.start_at, -1);
    ck_assert_int_eq(s.end_at, -1);
    ck_assert_int_eq(s.end_behavior, TASK_END_STOP_ROLLOUT);
    ck_assert_ptr_null(s.windows);
    ck_assert_int_eq(task_schedule_validate(&s, AT(10, 0), NULL), 0);
}
END_TEST

/* ---- initial status ---- */

enum { W_NULL, W_EMPTY, W_DAILY_2AM, W_TWO };

static const struct {
    const char *name;
    enum task_type type;
    int has_schedule;
    int64_t start;
    int windows;
    int64_t targets;
    int64_t now;
    enum task_status want;
} initial[] = {
    {"one-time, no targets", TASK_ONE_TIME, 0, -1, W_NULL, 0, AT(10, 0), TASK_COMPLETED},
    {"one-time, no targets, future start", TASK_ONE_TIME, 1, AT(12, 0), W_NULL, 0, AT(10, 0),
     TASK_COMPLETED},
    {"one-time, no targets, windows closed", TASK_ONE_TIME, 1, -1, W_DAILY_2AM, 0, AT(10, 0),
     TASK_COMPLETED},
    {"continuous, no targets", TASK_CONTINUOUS, 0, -1, W_NULL, 0, AT(10, 0), TASK_IN_PROGRESS},
    {"continuous, no targets, future start", TASK_CONTINUOUS, 1, AT(12, 0), W_NULL, 0, AT(10, 0),
     TASK_SCHEDULED},
    {"no scheduling config", TASK_ONE_TIME, 0, -1, W_NULL, 5, AT(10, 0), TASK_IN_PROGRESS},
    {"default schedule", TASK_ONE_TIME, 1, -1, W_NULL, 5, AT(10, 0), TASK_IN_PROGRESS},
    {"start in the past", TASK_ONE_TIME, 1, AT(9, 0), W_NULL, 5, AT(10, 0), TASK_IN_PROGRESS},
    {"start now", TASK_ONE_TIME, 1, AT(10, 0), W_NULL, 5, AT(10, 0), TASK_IN_PROGRESS},
    {"start 1 ms ahead", TASK_ONE_TIME, 1, AT(10, 0) + 1, W_NULL, 5, AT(10, 0), TASK_SCHEDULED},
    {"empty window set", TASK_ONE_TIME, 1, -1, W_EMPTY, 5, AT(10, 0), TASK_IN_PROGRESS},
    {"window open", TASK_ONE_TIME, 1, -1, W_DAILY_2AM, 5, AT(2, 30), TASK_IN_PROGRESS},
    {"window opens now", TASK_ONE_TIME, 1, -1, W_DAILY_2AM, 5, AT(2, 0), TASK_IN_PROGRESS},
    {"window 1 ms before opening", TASK_ONE_TIME, 1, -1, W_DAILY_2AM, 5, AT(2, 0) - 1,
     TASK_SCHEDULED},
    {"window last ms", TASK_ONE_TIME, 1, -1, W_DAILY_2AM, 5, AT(3, 0) - 1, TASK_IN_PROGRESS},
    {"window closed at its end", TASK_ONE_TIME, 1, -1, W_DAILY_2AM, 5, AT(3, 0), TASK_SCHEDULED},
    {"window closed", TASK_ONE_TIME, 1, -1, W_DAILY_2AM, 5, AT(10, 0), TASK_SCHEDULED},
    {"continuous, window closed", TASK_CONTINUOUS, 1, -1, W_DAILY_2AM, 0, AT(10, 0),
     TASK_SCHEDULED},
    {"window open, start ahead", TASK_ONE_TIME, 1, AT(2, 45), W_DAILY_2AM, 5, AT(2, 30),
     TASK_SCHEDULED},
    {"window open, start past", TASK_ONE_TIME, 1, AT(1, 0), W_DAILY_2AM, 5, AT(2, 30),
     TASK_IN_PROGRESS},
    {"second window open", TASK_ONE_TIME, 1, -1, W_TWO, 5, AT(14, 10), TASK_IN_PROGRESS},
    {"between two windows", TASK_ONE_TIME, 1, -1, W_TWO, 5, AT(10, 0), TASK_SCHEDULED},
};

START_TEST(test_initial_status)
{
    struct task_schedule s;
    struct window_set *w = NULL;
    struct oerr err;
    task_schedule_default(&s);
    s.start_at = initial[_i].start;
    if (initial[_i].windows != W_NULL) {
        w = window_set_new();
        if (initial[_i].windows == W_DAILY_2AM || initial[_i].windows == W_TWO)
            ck_assert_int_eq(window_set_add(w, "cron(0 2 * * ? *)", 60, &err), 0);
        if (initial[_i].windows == W_TWO)
            ck_assert_int_eq(window_set_add(w, "0 14 ? * * *", 30, &err), 0);
        s.windows = w;
    }
    enum task_status got =
        task_initial_status(initial[_i].type, initial[_i].has_schedule ? &s : NULL,
                            initial[_i].targets, initial[_i].now);
    ck_assert_msg(got == initial[_i].want, "%s: got %s want %s", initial[_i].name,
                  task_status_name(got), task_status_name(initial[_i].want));
    window_set_free(w);
}
END_TEST

static Suite *task_suite(void)
{
    Suite *s = suite_create("task");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_status_names);
    tcase_add_test(tc, test_type_names);
    tcase_add_test(tc, test_end_names);
    tcase_add_test(tc, test_names_bad);
    tcase_add_loop_test(tc, test_schedule_validate, 0, (int)NELEM(sched));
    tcase_add_test(tc, test_schedule_default);
    tcase_add_loop_test(tc, test_initial_status, 0, (int)NELEM(initial));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(task_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
