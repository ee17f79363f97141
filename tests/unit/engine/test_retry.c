/*
 * Unit tests of engine/retry: a table of configurations x sequences of ended attempts with the
 * expected decision of every step (the counts advance only on a granted retry), the invariant
 * that retries never exceed the sum of the criteria, the statuses that never retry, the
 * validation rules and the wire names.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/execution.h"
#include "engine/oerr.h"
#include "engine/retry.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define CFG0()                                                                                     \
    {                                                                                              \
        0,                                                                                         \
        {                                                                                          \
            {RETRY_FAILED, 0},                                                                     \
            {                                                                                      \
                RETRY_FAILED, 0                                                                    \
            }                                                                                      \
        }                                                                                          \
    }
#define CFG1(t, n)                                                                                 \
    {                                                                                              \
        1,                                                                                         \
        {                                                                                          \
            {t, n},                                                                                \
            {                                                                                      \
                RETRY_FAILED, 0                                                                    \
            }                                                                                      \
        }                                                                                          \
    }
#define CFG2(t1, n1, t2, n2)                                                                       \
    {                                                                                              \
        2,                                                                                         \
        {                                                                                          \
            {t1, n1},                                                                              \
            {                                                                                      \
                t2, n2                                                                             \
            }                                                                                      \
        }                                                                                          \
    }

/*
 * seq: how each attempt ended (F FAILED, T TIMED_OUT, R REJECTED, C CANCELED, M REMOVED,
 * S SUCCEEDED, Q QUEUED, I IN_PROGRESS); want: y if a retry is allowed after it, n if not.
 */
static const struct {
    const char *name;
    struct retry_config cfg;
    const char *seq;
    const char *want;
} cases[] = {
    {"F2: failures", CFG1(RETRY_FAILED, 2), "FFF", "yyn"},
    {"F2: timeouts never", CFG1(RETRY_FAILED, 2), "TTT", "nnn"},
    {"F2: mixed", CFG1(RETRY_FAILED, 2), "TFTFTF", "nynynn"},
    {"T3: timeouts", CFG1(RETRY_TIMED_OUT, 3), "TTTT", "yyyn"},
    {"T3: failures never", CFG1(RETRY_TIMED_OUT, 3), "FFF", "nnn"},
    {"T3: mixed", CFG1(RETRY_TIMED_OUT, 3), "FTFTFTT", "nynynyn"},
    {"A4: failures", CFG1(RETRY_ALL, 4), "FFFFF", "yyyyn"},
    {"A4: timeouts", CFG1(RETRY_ALL, 4), "TTTTT", "yyyyn"},
    {"A4: shared budget", CFG1(RETRY_ALL, 4), "FTFTFT", "yyyynn"},
    {"F2+A3: failures first", CFG2(RETRY_FAILED, 2, RETRY_ALL, 3), "FFFTTTT", "yynyyyn"},
    {"F2+A3: timeouts first", CFG2(RETRY_FAILED, 2, RETRY_ALL, 3), "TTTTFFF", "yyynyyn"},
    {"F2+A3: interleaved", CFG2(RETRY_FAILED, 2, RETRY_ALL, 3), "FTFTFTTF", "yyyynynn"},
    {"A3+F2: order of criteria irrelevant", CFG2(RETRY_ALL, 3, RETRY_FAILED, 2), "FFFTTTT",
     "yynyyyn"},
    {"F2+T3: failures first", CFG2(RETRY_FAILED, 2, RETRY_TIMED_OUT, 3), "FFFTTTT", "yynyyyn"},
    {"F2+T3: interleaved", CFG2(RETRY_FAILED, 2, RETRY_TIMED_OUT, 3), "FTFTFTTF", "yyyynynn"},
    {"T3+A2: failures use ALL", CFG2(RETRY_TIMED_OUT, 3, RETRY_ALL, 2), "FFFTTTT", "yynyyyn"},
    {"F0+A3: own zero, no fallback", CFG2(RETRY_FAILED, 0, RETRY_ALL, 3), "FTTTT", "nyyyn"},
    {"F10: the maximum", CFG1(RETRY_FAILED, 10), "FFFFFFFFFFF", "yyyyyyyyyyn"},
    {"A10: the maximum shared", CFG1(RETRY_ALL, 10), "FTFTFTFTFTF", "yyyyyyyyyyn"},
    {"A0", CFG1(RETRY_ALL, 0), "FT", "nn"},
    {"no criteria", CFG0(), "FT", "nn"},
    {"F2: never retried statuses", CFG1(RETRY_FAILED, 2), "RCMSQI", "nnnnnn"},
    {"A4: never retried statuses", CFG1(RETRY_ALL, 4), "RCMSQIF", "nnnnnny"},
    {"F2+A3: REJECTED never", CFG2(RETRY_FAILED, 2, RETRY_ALL, 3), "RFRTR", "nynyn"},
    {"F2+T3: REJECTED never", CFG2(RETRY_FAILED, 2, RETRY_TIMED_OUT, 3), "RRRR", "nnnn"},
};

static enum execution_status status_of(char c)
{
    switch (c) {
    case 'F':
        return EXECUTION_FAILED;
    case 'T':
        return EXECUTION_TIMED_OUT;
    case 'R':
        return EXECUTION_REJECTED;
    case 'C':
        return EXECUTION_CANCELED;
    case 'M':
        return EXECUTION_REMOVED;
    case 'S':
        return EXECUTION_SUCCEEDED;
    case 'Q':
        return EXECUTION_QUEUED;
    case 'I':
        return EXECUTION_IN_PROGRESS;
    default:
        ck_abort_msg("bad status letter %c", c);
    }
    return EXECUTION_STATUS_MAX;
}

START_TEST(test_sequence)
{
    const struct retry_config *cfg = &cases[_i].cfg;
    struct retry_counts counts = {0, 0};
    int32_t sum = 0;
    for (size_t i = 0; i < cfg->n; i++)
        sum += cfg->c[i].retries;
    ck_assert_uint_eq(strlen(cases[_i].seq), strlen(cases[_i].want));
    ck_assert_int_eq(retry_config_validate(cfg, NULL), 0);
    for (size_t i = 0; cases[_i].seq[i] != '\0'; i++) {
        enum execution_status ended = status_of(cases[_i].seq[i]);
        int allowed = retry_allowed(cfg, ended, &counts);
        ck_assert_msg(allowed == (cases[_i].want[i] == 'y'), "%s: step %zu (%c): got %d",
                      cases[_i].name, i, cases[_i].seq[i], allowed);
        if (allowed)
            retry_count(&counts, ended);
        ck_assert_int_le(counts.after_failed + counts.after_timed_out, sum);
    }
}
END_TEST

/* Exhaustive: every valid config, granting every allowed retry of a long random-ish sequence,
 * never exceeds the sum, and grants exactly the sum when both types keep failing. */
START_TEST(test_budget_invariant)
{
    static const enum retry_failure types[] = {RETRY_FAILED, RETRY_TIMED_OUT, RETRY_ALL};
    int configs = 0;
    for (size_t ta = 0; ta < 3; ta++) {
        for (size_t tb = 0; tb < 4; tb++) { /* tb == 3: one criterion only */
            for (int32_t a = 0; a <= 10; a++) {
                for (int32_t b = 0; b <= 10; b++) {
                    struct retry_config cfg = CFG2(types[ta], a, RETRY_FAILED, 0);
                    if (tb < 3) {
                        cfg.c[1].failure_type = types[tb];
                        cfg.c[1].retries = b;
                    } else {
                        cfg.n = 1;
                        if (b > 0)
                            continue;
                    }
                    if (retry_config_validate(&cfg, NULL) != 0)
                        continue;
                    configs++;
                    int32_t sum = a + (cfg.n == 2 ? b : 0);
                    int has_f = 0, has_t = 0;
                    for (size_t i = 0; i < cfg.n; i++) {
                        has_f |= cfg.c[i].failure_type == RETRY_FAILED;
                        has_t |= cfg.c[i].failure_type == RETRY_TIMED_OUT;
                    }
                    struct retry_counts counts = {0, 0};
                    unsigned x = 12345;
                    for (int step = 0; step < 100; step++) {
                        x = x * 1103515245u + 12345u;
                        enum execution_status ended =
                            (x >> 16) & 1 ? EXECUTION_FAILED : EXECUTION_TIMED_OUT;
                        if (retry_allowed(&cfg, ended, &counts))
                            retry_count(&counts, ended);
                        ck_assert_int_le(counts.after_failed + counts.after_timed_out, sum);
                    }
                    /* Both types kept failing, so every budget is used up: a type with a
                     * criterion of its own, or ALL for the types without one. */
                    int32_t reachable = 0;
                    for (size_t i = 0; i < cfg.n; i++) {
                        enum retry_failure t = cfg.c[i].failure_type;
                        if (t != RETRY_ALL || !has_f || !has_t)
                            reachable += cfg.c[i].retries;
                    }
                    ck_assert_int_eq(counts.after_failed + counts.after_timed_out, reachable);
                }
            }
        }
    }
    ck_assert_int_gt(configs, 100);
}
END_TEST

START_TEST(test_count)
{
    struct retry_counts c = {0, 0};
    retry_count(&c, EXECUTION_FAILED);
    retry_count(&c, EXECUTION_FAILED);
    retry_count(&c, EXECUTION_TIMED_OUT);
    retry_count(&c, EXECUTION_REJECTED);
    retry_count(&c, EXECUTION_CANCELED);
    ck_assert_int_eq(c.after_failed, 2);
    ck_assert_int_eq(c.after_timed_out, 1);
}
END_TEST

/* ---- validation ---- */

static const struct {
    struct retry_config cfg;
    const char *error; /* NULL = valid */
} valid[] = {
    {CFG0(), NULL},
    {CFG1(RETRY_ALL, 10), NULL},
    {CFG1(RETRY_FAILED, 0), NULL},
    {CFG2(RETRY_FAILED, 5, RETRY_TIMED_OUT, 5), NULL},
    {CFG2(RETRY_FAILED, 2, RETRY_ALL, 8), NULL},
    {CFG2(RETRY_TIMED_OUT, 0, RETRY_ALL, 10), NULL},
    {CFG2(RETRY_FAILED, 1, RETRY_FAILED, 2),
     "RetryConfigCriteria[1].FailureType FAILED appears more than once"},
    {CFG2(RETRY_ALL, 1, RETRY_ALL, 1),
     "RetryConfigCriteria[1].FailureType ALL appears more than once"},
    {CFG1(RETRY_FAILED, 11), "RetryConfigCriteria[0].MinNumberOfRetries must be between 0 and 10"},
    {CFG1(RETRY_ALL, -1), "RetryConfigCriteria[0].MinNumberOfRetries must be between 0 and 10"},
    {CFG2(RETRY_FAILED, 1, RETRY_ALL, 11),
     "RetryConfigCriteria[1].MinNumberOfRetries must be between 0 and 10"},
    {CFG2(RETRY_FAILED, 6, RETRY_TIMED_OUT, 5),
     "RetryConfigCriteria: the MinNumberOfRetries add up to 11, more than 10"},
    {CFG2(RETRY_ALL, 10, RETRY_FAILED, 10),
     "RetryConfigCriteria: the MinNumberOfRetries add up to 20, more than 10"},
    {CFG1(RETRY_FAILURE_MAX, 1),
     "RetryConfigCriteria[0].FailureType must be one of FAILED, TIMED_OUT, ALL"},
    {{3, {{RETRY_FAILED, 1}, {RETRY_ALL, 1}}}, "RetryConfigCriteria must have at most 2 entries"},
};

START_TEST(test_validate)
{
    struct oerr err;
    oerr_clear(&err);
    int rc = retry_config_validate(&valid[_i].cfg, &err);
    if (valid[_i].error == NULL) {
        ck_assert_msg(rc == 0, "%s", err.msg);
    } else {
        ck_assert_int_eq(rc, -1);
        ck_assert_int_eq(err.code, OERR_INVALID);
        ck_assert_str_eq(err.msg, valid[_i].error);
    }
}
END_TEST

START_TEST(test_names)
{
    static const struct {
        enum retry_failure f;
        const char *name;
    } names[] = {{RETRY_FAILED, "FAILED"}, {RETRY_TIMED_OUT, "TIMED_OUT"}, {RETRY_ALL, "ALL"}};
    static const char *const bad[] = {"REJECTED", "failed", "", "ALL "};
    enum retry_failure out;
    for (size_t i = 0; i < NELEM(names); i++) {
        ck_assert_str_eq(retry_failure_name(names[i].f), names[i].name);
        ck_assert_int_eq(retry_failure_parse(names[i].name, &out), 0);
        ck_assert_int_eq(out, names[i].f);
    }
    for (size_t i = 0; i < NELEM(bad); i++)
        ck_assert_int_eq(retry_failure_parse(bad[i], &out), -1);
    ck_assert_int_eq(retry_failure_parse(NULL, &out), -1);
}
END_TEST

static Suite *retry_suite(void)
{
    Suite *s = suite_create("retry");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_sequence, 0, (int)NELEM(cases));
    tcase_add_test(tc, test_budget_invariant);
    tcase_add_test(tc, test_count);
    tcase_add_loop_test(tc, test_validate, 0, (int)NELEM(valid));
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(retry_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
