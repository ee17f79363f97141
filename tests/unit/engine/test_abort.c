/*
 * Unit tests of engine/abort: thresholds just below, at and above, the minimum number of
 * terminal executions (never firing below it), the ALL type, list order (a later criterion
 * fires only when no earlier one does), the comment text and the validation of each member.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/abort.h"
#include "engine/oerr.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- single criterion: type x counts x threshold x minimum ---- */

static const struct {
    const char *name;
    enum abort_failure type;
    int64_t min_executed;
    double threshold;
    struct abort_counts counts; /* terminal, failed, rejected, timed_out */
    int fires;
} single[] = {
    /* threshold 20% of 50 terminal = 10 */
    {"failed just below", ABORT_FAILED, 50, 20.0, {50, 9, 30, 30}, 0},
    {"failed at", ABORT_FAILED, 50, 20.0, {50, 10, 0, 0}, 1},
    {"failed above", ABORT_FAILED, 50, 20.0, {50, 11, 0, 0}, 1},
    {"rejected just below", ABORT_REJECTED, 50, 20.0, {50, 30, 9, 30}, 0},
    {"rejected at", ABORT_REJECTED, 50, 20.0, {50, 0, 10, 0}, 1},
    {"timed out just below", ABORT_TIMED_OUT, 50, 20.0, {50, 30, 30, 9}, 0},
    {"timed out at", ABORT_TIMED_OUT, 50, 20.0, {50, 0, 0, 10}, 1},
    /* ALL = FAILED + REJECTED + TIMED_OUT */
    {"all just below", ABORT_ALL, 50, 20.0, {50, 3, 3, 3}, 0},
    {"all at, mixed", ABORT_ALL, 50, 20.0, {50, 3, 3, 4}, 1},
    {"all at, one type", ABORT_ALL, 50, 20.0, {50, 0, 10, 0}, 1},
    {"all above", ABORT_ALL, 50, 20.0, {50, 5, 5, 5}, 1},
    /* the minimum number of terminal executions */
    {"below minimum, 100% failed", ABORT_FAILED, 50, 20.0, {49, 49, 0, 0}, 0},
    {"at minimum", ABORT_FAILED, 50, 20.0, {50, 50, 0, 0}, 1},
    {"minimum 1, first failure", ABORT_FAILED, 1, 100.0, {1, 1, 0, 0}, 1},
    {"minimum 1, first success", ABORT_FAILED, 1, 0.01, {1, 0, 0, 0}, 0},
    {"minimum 100, 99 terminal", ABORT_ALL, 100, 1.0, {99, 99, 0, 0}, 0},
    {"nothing terminal, threshold 0", ABORT_FAILED, 1, 0.0, {0, 0, 0, 0}, 0},
    /* fractional thresholds (two decimals) and non-terminating ratios */
    {"1 of 3 vs 33.33", ABORT_FAILED, 3, 33.33, {3, 1, 0, 0}, 1},
    {"1 of 3 vs 33.34", ABORT_FAILED, 3, 33.34, {3, 1, 0, 0}, 0},
    {"7 of 70 vs 10.00", ABORT_FAILED, 70, 10.0, {70, 7, 0, 0}, 1},
    {"7 of 71 vs 10.00", ABORT_FAILED, 70, 10.0, {71, 7, 0, 0}, 0},
    {"1099 of 10000 vs 10.99", ABORT_FAILED, 100, 10.99, {10000, 1099, 0, 0}, 1},
    {"1098 of 10000 vs 10.99", ABORT_FAILED, 100, 10.99, {10000, 1098, 0, 0}, 0},
    {"2911 of 10000 vs 29.11", ABORT_FAILED, 100, 29.11, {10000, 2911, 0, 0}, 1},
    /* 0.07 * 10000 > 700 in binary: exact comparison would not fire */
    {"7 of 10000 vs 0.07", ABORT_FAILED, 100, 0.07, {10000, 7, 0, 0}, 1},
    {"6 of 10000 vs 0.07", ABORT_FAILED, 100, 0.07, {10000, 6, 0, 0}, 0},
    {"56 of 10000 vs 0.56", ABORT_FAILED, 100, 0.56, {10000, 56, 0, 0}, 1},
    {"threshold 0 fires once evaluated", ABORT_FAILED, 5, 0.0, {5, 0, 0, 0}, 1},
    {"threshold 100, all failed", ABORT_FAILED, 5, 100.0, {5, 5, 0, 0}, 1},
    {"threshold 100, one success", ABORT_FAILED, 5, 100.0, {6, 5, 0, 0}, 0},
    /* other terminal states (SUCCEEDED, REMOVED, CANCELED) only grow the denominator */
    {"successes dilute", ABORT_FAILED, 10, 50.0, {1000, 499, 0, 0}, 0},
};

START_TEST(test_single)
{
    struct abort_criterion c = {single[_i].type, single[_i].min_executed, single[_i].threshold};
    int got = abort_check(&c, 1, &single[_i].counts);
    ck_assert_msg(got == (single[_i].fires ? 0 : -1), "%s: got %d", single[_i].name, got);
}
END_TEST

/* ---- list order ---- */

static const struct abort_criterion two[] = {
    {ABORT_FAILED, 100, 20.0},
    {ABORT_TIMED_OUT, 200, 50.0},
};

static const struct {
    const char *name;
    struct abort_counts counts;
    int want;
} order[] = {
    {"neither evaluated", {99, 99, 0, 0}, -1},
    {"first fires", {100, 20, 0, 0}, 0},
    {"first only evaluated, below", {150, 19, 0, 131}, -1},
    {"both fire, first wins", {200, 40, 0, 100}, 0},
    {"second fires when first does not", {200, 39, 0, 100}, 1},
    {"neither fires", {200, 39, 0, 99}, -1},
};

START_TEST(test_order)
{
    ck_assert_msg(abort_check(two, NELEM(two), &order[_i].counts) == order[_i].want, "%s",
                  order[_i].name);
}
END_TEST

START_TEST(test_empty_list)
{
    struct abort_counts counts = {100, 100, 0, 0};
    ck_assert_int_eq(abort_check(NULL, 0, &counts), -1);
}
END_TEST

/* The same criterion twice: the first index is reported. */
START_TEST(test_first_index)
{
    struct abort_criterion list[] = {
        {ABORT_REJECTED, 10, 90.0},
        {ABORT_ALL, 10, 10.0},
        {ABORT_ALL, 10, 10.0},
    };
    struct abort_counts counts = {10, 1, 0, 0};
    ck_assert_int_eq(abort_check(list, NELEM(list), &counts), 1);
}
END_TEST

START_TEST(test_describe)
{
    struct abort_criterion c = {ABORT_FAILED, 50, 20.0};
    struct abort_counts counts = {50, 15, 0, 0};
    char buf[128];
    ck_assert_ptr_eq(abort_describe(&c, 0, &counts, buf, sizeof buf), buf);
    ck_assert_str_eq(buf, "abort criterion 1 met: FAILED 30.00% >= 20.00% after 50 executions");
    struct abort_criterion all = {ABORT_ALL, 3, 33.33};
    struct abort_counts c3 = {3, 0, 1, 0};
    abort_describe(&all, 1, &c3, buf, sizeof buf);
    ck_assert_str_eq(buf, "abort criterion 2 met: ALL 33.33% >= 33.33% after 3 executions");
    abort_describe(&c, 0, &counts, buf, 16);
    ck_assert_str_eq(buf, "abort criterion");
}
END_TEST

static const struct {
    enum abort_failure f;
    const char *name;
} names[] = {
    {ABORT_FAILED, "FAILED"},
    {ABORT_REJECTED, "REJECTED"},
    {ABORT_TIMED_OUT, "TIMED_OUT"},
    {ABORT_ALL, "ALL"},
};

START_TEST(test_names)
{
    enum abort_failure out = ABORT_FAILURE_MAX;
    ck_assert_str_eq(abort_failure_name(names[_i].f), names[_i].name);
    ck_assert_int_eq(abort_failure_parse(names[_i].name, &out), 0);
    ck_assert_int_eq(out, names[_i].f);
}
END_TEST

START_TEST(test_names_bad)
{
    static const char *const bad[] = {"failed", "SUCCEEDED", "", "ALL ", "CANCELED"};
    enum abort_failure out;
    for (size_t i = 0; i < NELEM(bad); i++)
        ck_assert_int_eq(abort_failure_parse(bad[i], &out), -1);
    ck_assert_int_eq(abort_failure_parse(NULL, &out), -1);
}
END_TEST

/* ---- validation ---- */

static const struct {
    struct abort_criterion c;
    const char *error; /* NULL = valid */
} valid[] = {
    {{ABORT_FAILED, 1, 0.0}, NULL},
    {{ABORT_ALL, 100, 100.0}, NULL},
    {{ABORT_TIMED_OUT, 50, 10.99}, NULL},
    {{ABORT_FAILED, 0, 10.0}, "MinNumberOfExecutedThings must be between 1 and 100"},
    {{ABORT_FAILED, 101, 10.0}, "MinNumberOfExecutedThings must be between 1 and 100"},
    {{ABORT_FAILED, -1, 10.0}, "MinNumberOfExecutedThings must be between 1 and 100"},
    {{ABORT_FAILED, 10, -0.01}, "ThresholdPercentage must be between 0 and 100"},
    {{ABORT_FAILED, 10, 100.01}, "ThresholdPercentage must be between 0 and 100"},
    {{ABORT_FAILURE_MAX, 10, 10.0}, "FailureType must be one of FAILED, REJECTED, TIMED_OUT, ALL"},
};

START_TEST(test_validate)
{
    struct oerr err;
    oerr_clear(&err);
    int rc = abort_criterion_validate(&valid[_i].c, &err);
    if (valid[_i].error == NULL) {
        ck_assert_msg(rc == 0, "%s", err.msg);
    } else {
        ck_assert_int_eq(rc, -1);
        ck_assert_int_eq(err.code, OERR_INVALID);
        ck_assert_str_eq(err.msg, valid[_i].error);
    }
}
END_TEST

START_TEST(test_validate_nan)
{
    struct abort_criterion c = {ABORT_FAILED, 10, 0.0};
    c.threshold_pct = __builtin_nan("");
    ck_assert_int_eq(abort_criterion_validate(&c, NULL), -1);
}
END_TEST

static Suite *abort_suite(void)
{
    Suite *s = suite_create("abort");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_single, 0, (int)NELEM(single));
    tcase_add_loop_test(tc, test_order, 0, (int)NELEM(order));
    tcase_add_test(tc, test_empty_list);
    tcase_add_test(tc, test_first_index);
    tcase_add_test(tc, test_describe);
    tcase_add_loop_test(tc, test_names, 0, (int)NELEM(names));
    tcase_add_test(tc, test_names_bad);
    tcase_add_loop_test(tc, test_validate, 0, (int)NELEM(valid));
    tcase_add_test(tc, test_validate_nan);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(abort_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
