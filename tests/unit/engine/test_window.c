/*
 * Unit tests of engine/window: a table of window sets, each evaluated at instants around its
 * edges (start inclusive, end exclusive), with merging of overlapping and touching windows,
 * endless runs, next openings across month and year boundaries, the horizon, the empty set
 * and the validation messages of window_set_add.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/timefmt.h"
#include "engine/window.h"

#define NELEM(a)    (sizeof(a) / sizeof((a)[0]))
#define MAX_WINDOWS 3

/* "none" is -1; anything else must be a valid date-time. */
static int64_t ts(const char *s)
{
    struct oerr err;
    int64_t t = 0;
    if (strcmp(s, "none") == 0)
        return -1;
    if (timefmt_parse(s, &t, &err) != 0)
        ck_abort_msg("bad time in table '%s': %s", s, err.msg);
    return t;
}

struct win {
    const char *cron;
    int64_t duration_min;
};

static struct window_set *build(const struct win *wins)
{
    struct window_set *w = window_set_new();
    struct oerr err;
    for (size_t i = 0; i < MAX_WINDOWS && wins[i].cron != NULL; i++)
        if (window_set_add(w, wins[i].cron, wins[i].duration_min, &err) != 0)
            ck_abort_msg("window '%s' %lld: %s", wins[i].cron, (long long)wins[i].duration_min,
                         err.msg);
    return w;
}

/* A set of windows and the expected state at t: open, and until ("none" = -1). */
static const struct {
    struct win wins[MAX_WINDOWS];
    const char *t;
    int open;
    const char *until;
} cases[] = {
    /* One daily window 10:00-11:00: start inclusive, end exclusive. */
    {{{"cron(0 10 * * ? *)", 60}}, "2026-11-22T09:59:59.999Z", 0, "2026-11-22T10:00:00Z"},
    {{{"cron(0 10 * * ? *)", 60}}, "2026-11-22T10:00:00Z", 1, "2026-11-22T11:00:00Z"},
    {{{"cron(0 10 * * ? *)", 60}}, "2026-11-22T10:30:00.500Z", 1, "2026-11-22T11:00:00Z"},
    {{{"cron(0 10 * * ? *)", 60}}, "2026-11-22T10:59:59.999Z", 1, "2026-11-22T11:00:00Z"},
    {{{"cron(0 10 * * ? *)", 60}}, "2026-11-22T11:00:00Z", 0, "2026-11-23T10:00:00Z"},
    /* Shortest and longest durations. */
    {{{"0 10 * * ? *", 1}}, "2026-11-22T10:00:59Z", 1, "2026-11-22T10:01:00Z"},
    {{{"0 10 * * ? *", 1}}, "2026-11-22T10:01:00Z", 0, "2026-11-23T10:00:00Z"},
    {{{"0 0 * * ? *", 1430}}, "2026-11-22T23:49:00Z", 1, "2026-11-22T23:50:00Z"},
    {{{"0 0 * * ? *", 1430}}, "2026-11-22T23:50:00Z", 0, "2026-11-23T00:00:00Z"},
    /* Two overlapping windows merge: until is the end of the union. */
    {{{"0 10 * * ? *", 60}, {"30 10 * * ? *", 60}},
     "2026-11-22T10:15:00Z",
     1,
     "2026-11-22T11:30:00Z"},
    {{{"0 10 * * ? *", 60}, {"30 10 * * ? *", 60}},
     "2026-11-22T11:15:00Z",
     1,
     "2026-11-22T11:30:00Z"},
    {{{"30 10 * * ? *", 60}, {"0 10 * * ? *", 60}},
     "2026-11-22T10:05:00Z",
     1,
     "2026-11-22T11:30:00Z"},
    {{{"0 10 * * ? *", 60}, {"30 10 * * ? *", 60}},
     "2026-11-22T11:30:00Z",
     0,
     "2026-11-23T10:00:00Z"},
    /* One window inside another. */
    {{{"0 8 * * ? *", 600}, {"0 10 * * ? *", 60}},
     "2026-11-22T10:30:00Z",
     1,
     "2026-11-22T18:00:00Z"},
    /* Touching windows merge; a one-minute gap does not. */
    {{{"0 10 * * ? *", 60}, {"0 11 * * ? *", 30}},
     "2026-11-22T10:15:00Z",
     1,
     "2026-11-22T11:30:00Z"},
    {{{"0 10 * * ? *", 60}, {"0 11 * * ? *", 30}},
     "2026-11-22T11:30:00Z",
     0,
     "2026-11-23T10:00:00Z"},
    {{{"0 10 * * ? *", 59}, {"0 11 * * ? *", 30}},
     "2026-11-22T10:15:00Z",
     1,
     "2026-11-22T10:59:00Z"},
    {{{"0 10 * * ? *", 59}, {"0 11 * * ? *", 30}},
     "2026-11-22T10:59:00Z",
     0,
     "2026-11-22T11:00:00Z"},
    /* A chain of three windows, the last one reached only through the second. */
    {{{"0 1 * * ? *", 60}, {"30 1 * * ? *", 60}, {"0 2 * * ? *", 90}},
     "2026-11-22T01:10:00Z",
     1,
     "2026-11-22T03:30:00Z"},
    /* Merging across midnight. */
    {{{"0 22 * * ? *", 180}, {"0 0 * * ? *", 120}},
     "2026-11-22T23:00:00Z",
     1,
     "2026-11-23T02:00:00Z"},
    {{{"0 22 * * ? *", 180}, {"0 0 * * ? *", 120}},
     "2026-11-23T00:30:00Z",
     1,
     "2026-11-23T02:00:00Z"},
    /* Business hours made of hourly occurrences touching each other (2026-11-23 is a
     * Monday, 2026-11-27 a Friday). */
    {{{"0 9-17 ? * MON-FRI *", 60}}, "2026-11-23T12:34:00Z", 1, "2026-11-23T18:00:00Z"},
    {{{"0 9-17 ? * MON-FRI *", 60}}, "2026-11-27T18:00:00Z", 0, "2026-11-30T09:00:00Z"},
    /* Consecutive occurrences of one cron overlapping: one endless run. */
    {{{"*/30 * * * ? *", 45}}, "2026-11-22T10:00:00Z", 1, "none"},
    {{{"*/30 * * * ? *", 45}}, "2026-11-22T10:44:59Z", 1, "none"},
    {{{"* * * * ? *", 10}}, "2026-11-22T10:00:30Z", 1, "none"},
    {{{"* * * * ? *", 1}}, "2026-11-22T10:00:30Z", 1, "none"},
    {{{"0 */2 * * ? *", 120}}, "2026-11-22T10:00:30Z", 1, "none"},
    /* Windows filling each other's gaps, hour by hour, forever (daily and weekly patterns). */
    {{{"0 0-22/2 * * ? *", 60}, {"0 1-23/2 * * ? *", 60}}, "2026-11-22T05:30:00Z", 1, "none"},
    {{{"0 0-22/2 * * ? *", 60}, {"0 1-23/2 ? * SUN-WED *", 60}, {"0 1-23/2 ? * THU-SAT *", 60}},
     "2026-11-22T05:30:00Z",
     1,
     "none"},
    /* ...or with a gap every day (23:00-24:00), every week (Saturday's odd hours), or when the
     * pattern is not periodic (odd hours on the 10th only). */
    {{{"0 0-22/2 * * ? *", 60}, {"0 1-21/2 * * ? *", 60}},
     "2026-11-22T05:30:00Z",
     1,
     "2026-11-22T23:00:00Z"},
    {{{"0 0-22/2 * * ? *", 60}, {"0 1-23/2 ? * SUN-FRI *", 60}},
     "2026-11-22T05:30:00Z",
     1,
     "2026-11-28T01:00:00Z"},
    {{{"0 0-22/2 * * ? *", 60}, {"0 1-23/2 10 * ? *", 60}},
     "2026-11-10T05:30:00Z",
     1,
     "2026-11-11T01:00:00Z"},
    /* An endless pattern ends with the year range when that is within the horizon. */
    {{{"0 0-22/2 * * ? *", 60}, {"0 1-23/2 * * ? *", 60}},
     "2199-06-01T05:30:00Z",
     1,
     "2200-01-01T00:00:00Z"},
    {{{"* * * * ? *", 10}}, "2199-06-01T05:30:00Z", 1, "2200-01-01T00:09:00Z"},
    /* ...unless a gap appears: every minute on weekdays only. */
    {{{"* * ? * MON-FRI *", 1}}, "2026-11-23T12:00:00Z", 1, "2026-11-28T00:00:00Z"},
    {{{"* * ? * MON-FRI *", 1}}, "2026-11-28T12:00:00Z", 0, "2026-11-30T00:00:00Z"},
    /* An endless run ending with its year field: from one year into the next. */
    {{{"* * * * ? 2026", 10}}, "2026-11-22T10:00:00Z", 1, "2027-01-01T00:09:00Z"},
    {{{"* * * * ? 2026-2027", 10}}, "2026-11-22T10:00:00Z", 1, "none"},
    {{{"* * * * ? 2026-2027", 10}}, "2027-06-22T10:00:00Z", 1, "2028-01-01T00:09:00Z"},
    /* Next opening across a month boundary and a year boundary. */
    {{{"0 2 1 * ? *", 60}}, "2026-11-15T00:00:00Z", 0, "2026-12-01T02:00:00Z"},
    {{{"0 2 1 * ? *", 60}}, "2026-12-01T03:00:00Z", 0, "2027-01-01T02:00:00Z"},
    /* A last-day window running into the next month. */
    {{{"0 22 L * ? *", 240}}, "2026-12-01T01:00:00Z", 1, "2026-12-01T02:00:00Z"},
    {{{"0 22 L * ? *", 240}}, "2026-12-01T02:00:00Z", 0, "2026-12-31T22:00:00Z"},
    /* The earliest of several next openings. */
    {{{"0 12 ? * FRI *", 60}, {"0 6 ? * 3#4 *", 30}},
     "2026-11-22T00:00:00Z",
     0,
     "2026-11-24T06:00:00Z"},
    /* Nothing within the horizon (400 days), and a year field exhausted. */
    {{{"0 0 1 1 ? 2030", 60}}, "2026-06-01T00:00:00Z", 0, "none"},
    {{{"0 0 1 1 ? 2026", 60}}, "2026-06-01T00:00:00Z", 0, "none"},
    {{{"0 0 1 1 ? *", 60}}, "2026-01-01T01:00:00Z", 0, "2027-01-01T00:00:00Z"},
    /* Open at the last occurrence the year field allows. */
    {{{"0 23 31 12 ? 2026", 120}}, "2026-12-31T23:30:00Z", 1, "2027-01-01T01:00:00Z"},
};

START_TEST(test_at)
{
    struct window_set *w = build(cases[_i].wins);
    struct window_state st = {-7, -7};
    char a[TIMEFMT_BUF];
    window_set_at(w, ts(cases[_i].t), &st);
    if (st.open != cases[_i].open || st.until != ts(cases[_i].until))
        ck_abort_msg("case %d at %s: got open=%d until=%s, want open=%d until=%s", _i, cases[_i].t,
                     st.open, st.until < 0 ? "none" : timefmt_format_ms(st.until, a, sizeof a),
                     cases[_i].open, cases[_i].until);
    window_set_free(w);
}
END_TEST

START_TEST(test_empty)
{
    static const char *const when[] = {"1960-01-01T00:00:00Z", "2026-11-22T10:00:00Z",
                                       "2300-01-01T00:00:00Z"};
    struct window_set *w = window_set_new();
    ck_assert_uint_eq(window_set_count(w), 0);
    for (size_t i = 0; i < NELEM(when); i++) {
        struct window_state st = {0, 0};
        window_set_at(w, ts(when[i]), &st);
        ck_assert_int_eq(st.open, 1);
        ck_assert_int_eq(st.until, -1);
    }
    window_set_free(w);
    window_set_free(NULL);
}
END_TEST

static const struct {
    const char *cron;
    int64_t duration_min;
    const char *msg;
} bad[] = {
    {"0 10 * * ? *", 0, "DurationInMinutes must be between 1 and 1430"},
    {"0 10 * * ? *", 1431, "DurationInMinutes must be between 1 and 1430"},
    {"0 10 * * ? *", -60, "DurationInMinutes must be between 1 and 1430"},
    {"0 10 * * ? *", INT64_MAX, "DurationInMinutes must be between 1 and 1430"},
    {"0 10 * * ?", 60, "StartTime: expected 6 fields, got 5"},
    {"cron(0 10 ? * 1-8 *)", 60, "StartTime: day-of-week: '8' at position 17 is out of range 1-7"},
    {"", 60, "StartTime: cron expression is empty"},
    {NULL, 60, "StartTime: cron expression is empty"},
};

START_TEST(test_bad)
{
    struct window_set *w = window_set_new();
    struct oerr err;
    ck_assert_int_eq(window_set_add(w, "0 0 * * ? *", 30, &err), 0);
    oerr_clear(&err);
    ck_assert_int_eq(window_set_add(w, bad[_i].cron, bad[_i].duration_min, &err), -1);
    ck_assert_int_eq(err.code, OERR_INVALID);
    ck_assert_str_eq(err.msg, bad[_i].msg);
    ck_assert_uint_eq(window_set_count(w), 1);
    ck_assert_int_eq(window_set_add(w, bad[_i].cron, bad[_i].duration_min, NULL), -1);
    window_set_free(w);
}
END_TEST

START_TEST(test_count)
{
    struct window_set *w = window_set_new();
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(window_set_add(w, "0 0 * * ? *", 1 + i, NULL), 0);
        ck_assert_uint_eq(window_set_count(w), (size_t)i + 1);
    }
    window_set_free(w);
}
END_TEST

/*
 * window_set_at runs on every scheduler tick: an endless run (every minute, 400 days of
 * lookahead), windows taking turns hour by hour and a closed set waiting a year must each take
 * a few cron searches, not a scan minute by minute or hour by hour. 20,000 evaluations of each
 * fit in the timeout only if so.
 */
START_TEST(test_fast)
{
    static const struct win endless[MAX_WINDOWS] = {{"* * * * ? *", 10}, {"*/30 * * * ? *", 45}};
    static const struct win yearly[MAX_WINDOWS] = {{"0 0 1 1 ? *", 60}, {"0 0 29 2 ? *", 60}};
    static const struct win alternating[MAX_WINDOWS] = {
        {"0 0-22/2 * * ? *", 60}, {"0 1-23/2 ? * SUN-WED *", 60}, {"0 1-23/2 ? * THU-SAT *", 60}};
    struct window_set *a = build(endless), *b = build(yearly), *c = build(alternating);
    int64_t t0 = ts("2026-03-01T00:00:00Z");
    for (int k = 0; k < 20000; k++) {
        struct window_state sa, sb, sc;
        int64_t t = t0 + (int64_t)k * 7 * TIMEFMT_MS_PER_MINUTE;
        window_set_at(a, t, &sa);
        window_set_at(b, t, &sb);
        window_set_at(c, t, &sc);
        if (sa.open != 1 || sa.until != -1 || sb.open != 0 || sb.until <= t || sc.open != 1 ||
            sc.until != -1)
            ck_abort_msg("at %lld: endless %d/%lld, yearly %d/%lld, alternating %d/%lld",
                         (long long)t, sa.open, (long long)sa.until, sb.open, (long long)sb.until,
                         sc.open, (long long)sc.until);
    }
    window_set_free(a);
    window_set_free(b);
    window_set_free(c);
}
END_TEST

static Suite *window_suite(void)
{
    Suite *s = suite_create("window");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_at, 0, (int)NELEM(cases));
    tcase_add_test(tc, test_empty);
    tcase_add_loop_test(tc, test_bad, 0, (int)NELEM(bad));
    tcase_add_test(tc, test_count);
    tcase_add_test(tc, test_fast);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(window_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
