/*
 * Unit tests of engine/cron: a table of expressions with a start time and their next
 * occurrences (each checked from just after the previous one), cron_prev, cron_cover_end, the
 * message of every kind of parse error, and properties tying next and prev together. The
 * expected times were computed with an independent brute-force evaluator (day by day, in
 * Python) and the day-field cases checked against a calendar by hand.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cron.h"
#include "engine/timefmt.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

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

static struct cron *must_parse(const char *expr)
{
    struct oerr err;
    struct cron *c = cron_parse(expr, &err);
    if (c == NULL)
        ck_abort_msg("'%s': %s", expr, err.msg);
    return c;
}

static const char *show(int64_t t, char *buf)
{
    if (t < 0)
        return "none";
    return timefmt_format_ms(t, buf, TIMEFMT_BUF);
}

/* ---- cron_next ---- */

/* The occurrences of expr from start: next[0] = cron_next(start), next[k] = cron_next of 1 ms
 * after next[k-1] (a time inside a minute); NULL ends the list. */
static const struct {
    const char *expr, *start, *next[3];
} nexts[] = {
    {"0 10 * * ? *",
     "2026-11-22T09:00:00Z",
     {"2026-11-22T10:00:00Z", "2026-11-23T10:00:00Z", "2026-11-24T10:00:00Z"}},
    {"30 * * * ? *",
     "2026-11-22T10:31:00Z",
     {"2026-11-22T11:30:00Z", "2026-11-22T12:30:00Z", NULL}},
    {"0,15,45 10 * * ? *",
     "2026-11-22T10:10:00Z",
     {"2026-11-22T10:15:00Z", "2026-11-22T10:45:00Z", "2026-11-23T10:00:00Z"}},
    {"0 9-11 * * ? *",
     "2026-11-22T10:30:00Z",
     {"2026-11-22T11:00:00Z", "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z"}},
    {"*/15 * * * ? *",
     "2026-11-22T10:07:30Z",
     {"2026-11-22T10:15:00Z", "2026-11-22T10:30:00Z", "2026-11-22T10:45:00Z"}},
    {"5/10 * * * ? *",
     "2026-11-22T10:56:00Z",
     {"2026-11-22T11:05:00Z", "2026-11-22T11:15:00Z", NULL}},
    {"10-40/10 * * * ? *",
     "2026-11-22T10:41:00Z",
     {"2026-11-22T11:10:00Z", "2026-11-22T11:20:00Z", "2026-11-22T11:30:00Z"}},
    {"0/20 8-9 * * ? *",
     "2026-11-22T09:41:00Z",
     {"2026-11-23T08:00:00Z", "2026-11-23T08:20:00Z", NULL}},
    {"0 22-2 * * ? *",
     "2026-11-22T21:00:00Z",
     {"2026-11-22T22:00:00Z", "2026-11-22T23:00:00Z", "2026-11-23T00:00:00Z"}},
    {"0 0 1 JAN-MAR ? *",
     "2026-02-15T00:00:00Z",
     {"2026-03-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"}},
    {"0 6 1 */3 ? *",
     "2026-02-15T00:00:00Z",
     {"2026-04-01T06:00:00Z", "2026-07-01T06:00:00Z", NULL}},
    {"0 12 ? * MON-FRI *",
     "2026-11-20T13:00:00Z",
     {"2026-11-23T12:00:00Z", "2026-11-24T12:00:00Z", NULL}},
    {"0 12 ? * sun,Sat *",
     "2026-11-20T13:00:00Z",
     {"2026-11-21T12:00:00Z", "2026-11-22T12:00:00Z", "2026-11-28T12:00:00Z"}},
    {"0 8 ? Jan,jul MoN *",
     "2026-11-20T00:00:00Z",
     {"2027-01-04T08:00:00Z", "2027-01-11T08:00:00Z", NULL}},
    {"0 0 ? * FRI-MON *",
     "2026-11-24T00:00:00Z",
     {"2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z", "2026-11-29T00:00:00Z"}},
    {"0 0 ? * L *", "2026-11-22T00:00:00Z", {"2026-11-28T00:00:00Z", NULL, NULL}},
    {"0 0 L * ? *", "2026-01-31T00:01:00Z", {"2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z", NULL}},
    {"0 0 L * ? *", "2024-02-01T00:00:00Z", {"2024-02-29T00:00:00Z", NULL, NULL}},
    {"0 0 L 2 ? *", "2027-03-01T00:00:00Z", {"2028-02-29T00:00:00Z", "2029-02-28T00:00:00Z", NULL}},
    {"0 0 L-3 * ? *",
     "2026-02-01T00:00:00Z",
     {"2026-02-25T00:00:00Z", "2026-03-28T00:00:00Z", NULL}},
    {"0 0 LW * ? *",
     "2026-01-01T00:00:00Z",
     {"2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-31T00:00:00Z"}},
    {"0 0 LW * ? *", "2026-05-01T00:00:00Z", {"2026-05-29T00:00:00Z", NULL, NULL}},
    {"0 12 1,L * ? *",
     "2026-11-02T00:00:00Z",
     {"2026-11-30T12:00:00Z", "2026-12-01T12:00:00Z", NULL}},
    {"0 0 15W * ? *", "2026-08-01T00:00:00Z", {"2026-08-14T00:00:00Z", NULL, NULL}},
    {"0 0 15W * ? *", "2026-11-01T00:00:00Z", {"2026-11-16T00:00:00Z", NULL, NULL}},
    {"0 0 15W * ? *", "2026-09-01T00:00:00Z", {"2026-09-15T00:00:00Z", NULL, NULL}},
    {"0 0 1W * ? *", "2026-07-02T00:00:00Z", {"2026-08-03T00:00:00Z", NULL, NULL}},
    {"0 0 31W * ? *", "2026-05-01T00:00:00Z", {"2026-05-29T00:00:00Z", NULL, NULL}},
    {"0 0 31W * ? *", "2026-04-01T00:00:00Z", {"2026-05-29T00:00:00Z", NULL, NULL}},
    {"0 0 ? * 6#3 *",
     "2026-11-01T00:00:00Z",
     {"2026-11-20T00:00:00Z", "2026-12-18T00:00:00Z", "2027-01-15T00:00:00Z"}},
    {"0 0 ? * 2#5 *",
     "2026-04-01T00:00:00Z",
     {"2026-06-29T00:00:00Z", "2026-08-31T00:00:00Z", "2026-11-30T00:00:00Z"}},
    {"0 0 ? * 1#1 *", "2026-11-01T00:00:01Z", {"2026-12-06T00:00:00Z", NULL, NULL}},
    {"0 0 ? * 6L *",
     "2026-10-01T00:00:00Z",
     {"2026-10-30T00:00:00Z", "2026-11-27T00:00:00Z", "2026-12-25T00:00:00Z"}},
    {"0 0 1 1 ? 2030", "2026-01-01T00:00:00Z", {"2030-01-01T00:00:00Z", "none", NULL}},
    {"0 0 1 1 ? 2027-2029",
     "2026-01-01T00:00:00Z",
     {"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z", "2029-01-01T00:00:00Z"}},
    {"0 0 1 1 ? 2027-2029", "2029-01-01T00:00:01Z", {"none", NULL, NULL}},
    {"15 10 ? * 3 2026",
     "2026-12-20T00:00:00Z",
     {"2026-12-22T10:15:00Z", "2026-12-29T10:15:00Z", "none"}},
    {"0 0 29 2 ? *",
     "2026-01-01T00:00:00Z",
     {"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", NULL}},
    {"0 0 30 2 ? *", "2026-01-01T00:00:00Z", {"none", NULL, NULL}},
    {"0 0 31 4 ? *", "2026-01-01T00:00:00Z", {"none", NULL, NULL}},
    {"59 23 * * ? *", "2026-12-31T23:59:30Z", {"2027-01-01T23:59:00Z", NULL, NULL}},
    {"* * * * ? *",
     "2026-11-22T23:59:59.999Z",
     {"2026-11-23T00:00:00Z", "2026-11-23T00:01:00Z", NULL}},
    {"0 0 * * ? *", "2026-12-31T00:01:00Z", {"2027-01-01T00:00:00Z", NULL, NULL}},
    {"0 12 * DEC ? *", "2026-12-31T12:01:00Z", {"2027-12-01T12:00:00Z", NULL, NULL}},
    {"cron(0 10 * * ? *)",
     "2026-11-22T10:00:00Z",
     {"2026-11-22T10:00:00Z", "2026-11-23T10:00:00Z", NULL}},
    {"CRON( 0 10 * * ? * )", "2026-11-22T10:00:00.001Z", {"2026-11-23T10:00:00Z", NULL, NULL}},
    {"* * * * ? *", "2026-11-22T10:00:00Z", {"2026-11-22T10:00:00Z", NULL, NULL}},
    {"* * * * ? *", "2026-11-22T10:00:00.001Z", {"2026-11-22T10:01:00Z", NULL, NULL}},
    {"0 0 * * ? *", "1969-06-01T12:00:00Z", {"1970-01-01T00:00:00Z", NULL, NULL}},
    {"0 0 1 1 ? *", "2199-06-01T00:00:00Z", {"none", NULL, NULL}},
    {"0 0 1 1 ? *", "2199-01-01T00:00:00Z", {"2199-01-01T00:00:00Z", "none", NULL}},
};

START_TEST(test_next)
{
    struct cron *c = must_parse(nexts[_i].expr);
    int64_t t = ts(nexts[_i].start);
    char a[TIMEFMT_BUF], b[TIMEFMT_BUF];
    for (size_t k = 0; k < 3 && nexts[_i].next[k] != NULL; k++) {
        int64_t want = ts(nexts[_i].next[k]);
        int64_t got = cron_next(c, t);
        if (got != want)
            ck_abort_msg("'%s' next #%zu after %s: got %s, want %s", nexts[_i].expr, k + 1,
                         show(t, a), show(got, b), nexts[_i].next[k]);
        t = got + 1;
    }
    cron_free(c);
}
END_TEST

/* ---- cron_prev ---- */

static const struct {
    const char *expr, *t, *prev;
} prevs[] = {
    {"0 10 * * ? *", "2026-11-22T09:59:59Z", "2026-11-21T10:00:00Z"},
    {"0 10 * * ? *", "2026-11-22T10:00:00Z", "2026-11-22T10:00:00Z"},
    {"0 10 * * ? *", "2026-11-22T10:00:59.999Z", "2026-11-22T10:00:00Z"},
    {"0 0 L * ? *", "2026-03-15T00:00:00Z", "2026-02-28T00:00:00Z"},
    {"0 0 ? * 6L *", "2026-11-22T00:00:00Z", "2026-10-30T00:00:00Z"},
    {"0 0 ? * 2#5 *", "2026-11-22T00:00:00Z", "2026-08-31T00:00:00Z"},
    {"0 0 1 1 ? 2027-2029", "2050-01-01T00:00:00Z", "2029-01-01T00:00:00Z"},
    {"0 0 1 1 ? 2030", "2026-01-01T00:00:00Z", "none"},
    {"0 0 29 2 ? *", "2027-01-01T00:00:00Z", "2024-02-29T00:00:00Z"},
    {"0 0 30 2 ? *", "2100-01-01T00:00:00Z", "none"},
    {"* * * * ? *", "1970-01-01T00:00:30Z", "1970-01-01T00:00:00Z"},
    {"* * * * ? *", "1969-12-31T23:59:59Z", "none"},
    {"0 0 1 1 ? *", "2300-01-01T00:00:00Z", "2199-01-01T00:00:00Z"},
    {"0 0 15W * ? *", "2026-11-30T00:00:00Z", "2026-11-16T00:00:00Z"},
    {"*/15 * * * ? *", "2026-11-23T00:07:00Z", "2026-11-23T00:00:00Z"},
};

START_TEST(test_prev)
{
    struct cron *c = must_parse(prevs[_i].expr);
    char a[TIMEFMT_BUF];
    int64_t got = cron_prev(c, ts(prevs[_i].t));
    if (got != ts(prevs[_i].prev))
        ck_abort_msg("'%s' prev of %s: got %s, want %s", prevs[_i].expr, prevs[_i].t, show(got, a),
                     prevs[_i].prev);
    cron_free(c);
}
END_TEST

/* ---- cron_cover_end ---- */

static const struct {
    const char *expr, *t;
    int64_t dur_min, limit_days;
    const char *end;
} covers[] = {
    {"0 10 * * ? *", "2026-11-22T10:30:00Z", 60, 400, "2026-11-22T11:00:00Z"},
    {"0 10 * * ? *", "2026-11-22T09:59:00Z", 60, 400, "2026-11-22T09:59:00Z"},
    {"0 10 * * ? *", "2026-11-22T11:00:00Z", 60, 400, "2026-11-22T11:00:00Z"},
    {"0 10 * * ? *", "2026-11-22T10:59:59.999Z", 60, 400, "2026-11-22T11:00:00Z"},
    {"0 */2 * * ? *", "2026-11-22T10:30:00Z", 119, 400, "2026-11-22T11:59:00Z"},
    {"0 */2 * * ? *", "2026-11-22T10:30:00Z", 120, 400, "none"},
    {"0 9-17 ? * MON-FRI *", "2026-11-23T10:30:00Z", 60, 400, "2026-11-23T18:00:00Z"},
    {"0 0 * * ? *", "2026-11-22T05:00:00Z", 1430, 400, "2026-11-22T23:50:00Z"},
    {"* 0-22 * * ? *", "2026-11-22T05:00:00Z", 60, 400, "2026-11-22T23:59:00Z"},
    {"* 0-22 * * ? *", "2026-11-22T05:00:00Z", 61, 400, "none"},
    {"* * 1-10 * ? *", "2026-11-03T12:00:00Z", 1, 400, "2026-11-11T00:00:00Z"},
    {"* * * * ? 2026", "2026-12-31T12:00:00Z", 5, 400, "2027-01-01T00:04:00Z"},
    {"* * L * ? *", "2026-11-30T12:00:00Z", 1, 400, "2026-12-01T00:00:00Z"},
    {"* * ? * MON-FRI *", "2026-11-18T12:00:00Z", 1, 400, "2026-11-21T00:00:00Z"},
    {"* * ? * MON-FRI *", "2026-11-18T12:00:00Z", 1430, 400, "2026-11-21T23:49:00Z"},
    {"* * * 11-12 ? *", "2026-11-22T00:00:00Z", 1, 400, "2027-01-01T00:00:00Z"},
    {"* * * * ? *", "2026-11-22T10:00:30Z", 1, 400, "none"},
    {"* * * * ? *", "2026-11-22T10:00:00Z", 1, 1, "none"},
    {"*/30 * * * ? *", "2026-11-22T10:00:00Z", 45, 400, "none"},
    {"*/5 * * * ? *", "2026-11-22T00:00:00Z", 5, 1, "none"},
    {"*/5 * * * ? *", "2026-11-22T00:00:00Z", 4, 1, "2026-11-22T00:04:00Z"},
};

START_TEST(test_cover_end)
{
    struct cron *c = must_parse(covers[_i].expr);
    int64_t t = ts(covers[_i].t);
    char a[TIMEFMT_BUF];
    int64_t got =
        cron_cover_end(c, t, covers[_i].dur_min, t + covers[_i].limit_days * TIMEFMT_MS_PER_DAY);
    if (got != ts(covers[_i].end))
        ck_abort_msg("'%s' for %lld min from %s: got %s, want %s", covers[_i].expr,
                     (long long)covers[_i].dur_min, covers[_i].t, show(got, a), covers[_i].end);
    cron_free(c);
}
END_TEST

/* ---- cron_period_days ---- */

static const struct {
    const char *expr;
    int period;
} periods[] = {
    {"0 10 * * ? *", 1},
    {"0 10 ? * * *", 1},
    {"0 10 1-31 * ? *", 1},
    {"0 10 ? * SUN-SAT *", 1},
    {"0 10 * 1-12 ? 1970-2199", 1},
    {"0 10 ? * MON-FRI *", 7},
    {"*/5 * ? * 1 *", 7},
    {"0 10 L * ? *", 0},
    {"0 10 1-30 * ? *", 0},
    {"0 10 15W * ? *", 0},
    {"0 10 * JAN ? *", 0},
    {"0 10 * * ? 2026", 0},
    {"0 10 ? * 2#1 *", 0},
    {"0 10 ? * 6L *", 0},
    {"0 10 ? * MON,6L *", 0},
};

START_TEST(test_period)
{
    struct cron *c = must_parse(periods[_i].expr);
    if (cron_period_days(c) != periods[_i].period)
        ck_abort_msg("'%s': period %d, want %d", periods[_i].expr, cron_period_days(c),
                     periods[_i].period);
    cron_free(c);
}
END_TEST

/* ---- properties ---- */

static const char *const props[] = {
    "*/7 3-5 ? * MON,WED,FRI *", "0 0 L-2,15W * ? *", "30 12 ? * 2#5,6L *",
    "0 0 LW 2 ? 2026-2040",      "1 2 29 2 ? *",      "59 23 31 DEC ? *",
};

/* Over two years in steps that land inside minutes: no occurrence lies strictly between t and
 * cron_next(t), and cron_prev of an occurrence is itself. */
START_TEST(test_next_prev_agree)
{
    struct cron *c = must_parse(props[_i]);
    int64_t start = ts("2026-01-01T00:00:00Z");
    for (int64_t t = start; t < start + 2 * 366 * TIMEFMT_MS_PER_DAY; t += 7777777) {
        int64_t n = cron_next(c, t);
        if (n < t || cron_prev(c, n) != n || cron_prev(c, n - 1) >= t)
            ck_abort_msg("'%s' at %lld: next %lld, prev(next) %lld, prev(next - 1) %lld", props[_i],
                         (long long)t, (long long)n, (long long)cron_prev(c, n),
                         (long long)cron_prev(c, n - 1));
    }
    cron_free(c);
}
END_TEST

/* Impossible and exhausted expressions answer -1 without a long search: thousands of calls
 * over the whole year range fit easily in the test's timeout. */
START_TEST(test_impossible_is_fast)
{
    static const char *const never[] = {"0 0 30 2 ? *", "0 0 31 4,6,9,11 ? *", "0 0 1 1 ? 1970",
                                        "0 0 ? 2 2#5 2027"};
    for (size_t i = 0; i < NELEM(never); i++) {
        struct cron *c = must_parse(never[i]);
        for (int k = 0; k < 2000; k++) {
            int64_t t = ts("2026-01-01T00:00:00Z") + (int64_t)k * TIMEFMT_MS_PER_DAY;
            if (cron_next(c, t) != -1)
                ck_abort_msg("'%s' fires after %lld", never[i], (long long)t);
        }
        cron_free(c);
    }
}
END_TEST

START_TEST(test_prev_bounds)
{
    struct cron *c = must_parse("0 0 30 2 ? *");
    ck_assert_int_eq(cron_prev(c, ts("2199-12-31T23:59:00Z")), -1);
    ck_assert_int_eq(cron_prev(c, INT64_MAX), -1);
    cron_free(c);
    c = must_parse("59 23 31 12 ? *");
    ck_assert_int_eq(cron_prev(c, INT64_MAX), ts("2199-12-31T23:59:00Z"));
    ck_assert_int_eq(cron_next(c, INT64_MAX), -1);
    ck_assert_int_eq(cron_next(c, INT64_MIN), ts("1970-12-31T23:59:00Z"));
    ck_assert_int_eq(cron_prev(c, INT64_MIN), -1);
    cron_free(c);
}
END_TEST

/* ---- parse errors ---- */

static const struct {
    const char *expr, *msg;
} bad[] = {
    {"", "cron expression is empty"},
    {"   ", "cron expression is empty"},
    {"0 12 * * ?", "expected 6 fields, got 5"},
    {"0 12 * * ? * *", "expected 6 fields, got 7"},
    {"cron()", "expected 6 fields, got 0"},
    {"cron(0 12 * * ? *", "missing ')' at the end of 'cron(...)'"},
    {"cron(", "missing ')' at the end of 'cron(...)'"},
    {"0 12 * * ? *)", "year: ')' at position 13 is not expected here"},
    {"rate(5 minutes)", "rate(...) expressions are not supported, use cron(...)"},
    {"60 12 * * ? *", "minutes: '60' at position 1 is out of range 0-59"},
    {"0 24 * * ? *", "hours: '24' at position 3 is out of range 0-23"},
    {"0 12 32 * ? *", "day-of-month: '32' at position 6 is out of range 1-31"},
    {"0 12 0 * ? *", "day-of-month: '0' at position 6 is out of range 1-31"},
    {"0 12 * 13 ? *", "month: '13' at position 8 is out of range 1-12"},
    {"0 10 ? * 1-8 *", "day-of-week: '8' at position 12 is out of range 1-7"},
    {"cron(0 10 ? * 1-8 *)", "day-of-week: '8' at position 17 is out of range 1-7"},
    {"0 12 * * ? 1969", "year: '1969' at position 12 is out of range 1970-2199"},
    {"0 12 * * ? 99999999999999",
     "year: '99999999999999' at position 12 is out of range 1970-2199"},
    {"0 12 * * * *", "'?' is required in day-of-month or day-of-week"},
    {"0 12 1 * 2 *", "'?' is required in day-of-month or day-of-week"},
    {"0 12 ? * ? *", "'?' is allowed in only one of day-of-month and day-of-week"},
    {"? 12 * * ? *", "minutes: '?' at position 1 is only allowed in day-of-month or day-of-week"},
    {"0 12 ?,1 * ? *", "day-of-month: '?' at position 6 must stand alone"},
    {"0 12 ? * 6#6 *", "day-of-week: week number '6' at position 12 is out of range 1-5"},
    {"0 12 ? * 6#0 *", "day-of-week: week number '0' at position 12 is out of range 1-5"},
    {"0 12 ? * 6# *", "day-of-week: '#' at position 11 needs a week number after it"},
    {"0 12 ? * 1-3#2 *", "day-of-week: '#' at position 13 must follow a single day number"},
    {"0 12 15#2 * ? *", "day-of-month: '#' at position 8 is only allowed in day-of-week"},
    {"0 12 ? * 5W *", "day-of-week: 'W' at position 11 is only allowed in day-of-month"},
    {"0 12 ? * W *", "day-of-week: 'W' at position 10 is only allowed in day-of-month"},
    {"0 12 W * ? *", "day-of-month: 'W' at position 6 needs a day number before it"},
    {"0 12 1-5W * ? *", "day-of-month: 'W' at position 9 must follow a single day number"},
    {"L 12 * * ? *", "minutes: 'L' at position 1 is only allowed in day-of-month or day-of-week"},
    {"0 12 5L * ? *",
     "day-of-month: 'L' at position 7 cannot follow a number (use 'L', 'L-n' or 'LW')"},
    {"0 12 L-31 * ? *", "day-of-month: day count '31' at position 8 is out of range 1-30"},
    {"0 12 L- * ? *", "day-of-month: '-' at position 7 needs a day count after it"},
    {"0 12 LWX * ? *", "day-of-month: 'X' at position 8 is not expected here"},
    {"0 12 ? * L-2 *", "day-of-week: '-' at position 11 is not expected here"},
    {"0 12 ? * 2#3L *", "day-of-week: 'L' at position 13 is not expected here"},
    {"0 x * * ? *", "hours: 'x' at position 3 is not expected here"},
    {"0 1\x7f * * ? *", "hours: byte 0x7f at position 4 is not expected here"},
    {"0 12 * FOO ? *", "month: 'FOO' at position 8 is not a month name (JAN-DEC)"},
    {"0 12 * JAN-FOO ? *", "month: 'FOO' at position 12 is not a month name (JAN-DEC)"},
    {"0 12 ? * FUN *", "day-of-week: 'FUN' at position 10 is not a day name (SUN-SAT)"},
    {"0 JAN * * ? *", "hours: 'J' at position 3 is not expected here"},
    {"*/0 12 * * ? *", "minutes: step '0' at position 3 is out of range 1-60"},
    {"0 */25 * * ? *", "hours: step '25' at position 5 is out of range 1-24"},
    {"5/ 12 * * ? *", "minutes: '/' at position 2 needs a step after it"},
    {"1,,2 12 * * ? *", "minutes: empty list element at position 3"},
    {"1, 12 * * ? *", "minutes: empty list element at position 3"},
    {"0 12 1- * ? *", "day-of-month: '-' at position 7 needs a value after it"},
    {"0 12 20-10 * ? *", "day-of-month: range '20-10' at position 6 runs backwards"},
    {"0 12 * * ? 2020-2010", "year: range '2020-2010' at position 12 runs backwards"},
};

START_TEST(test_bad)
{
    struct oerr err;
    oerr_clear(&err);
    ck_assert_ptr_null(cron_parse(bad[_i].expr, &err));
    ck_assert_int_eq(err.code, OERR_INVALID);
    ck_assert_str_eq(err.msg, bad[_i].msg);
}
END_TEST

START_TEST(test_null)
{
    struct oerr err;
    ck_assert_ptr_null(cron_parse(NULL, &err));
    ck_assert_str_eq(err.msg, "cron expression is empty");
    ck_assert_ptr_null(cron_parse("0 12 * * * *", NULL));
    cron_free(NULL);
}
END_TEST

static Suite *cron_suite(void)
{
    Suite *s = suite_create("cron");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_next, 0, (int)NELEM(nexts));
    tcase_add_loop_test(tc, test_prev, 0, (int)NELEM(prevs));
    tcase_add_loop_test(tc, test_cover_end, 0, (int)NELEM(covers));
    tcase_add_loop_test(tc, test_period, 0, (int)NELEM(periods));
    tcase_add_loop_test(tc, test_next_prev_agree, 0, (int)NELEM(props));
    tcase_add_test(tc, test_impossible_is_fast);
    tcase_add_test(tc, test_prev_bounds);
    tcase_add_loop_test(tc, test_bad, 0, (int)NELEM(bad));
    tcase_add_test(tc, test_null);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cron_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
