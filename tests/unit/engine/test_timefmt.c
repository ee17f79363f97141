/*
 * Unit tests of engine/timefmt: civil-date arithmetic (anchors and round trips over a wide
 * range of days, negative ones included), the RFC 3339 parser (accepted spellings and the
 * message of every rejection) and the three formatters. Expected epoch values were computed
 * independently with Python's datetime.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/timefmt.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const int64_t T_2026_11_22_10 = INT64_C(1795341600000); /* 2026-11-22T10:00:00Z */

/* ---- civil-date anchors ---- */

static const struct {
    int y, m, d;
    int64_t days;
    int wday;
} anchors[] = {
    {1970, 1, 1, 0, 4},       {1969, 12, 31, -1, 3},      {2000, 3, 1, 11017, 3},
    {1, 1, 1, -719162, 1},    {2400, 2, 29, 157113, 2},   {1600, 1, 1, -135140, 6},
    {2199, 12, 31, 84005, 2}, {9999, 12, 31, 2932896, 5},
};

START_TEST(test_anchor)
{
    int y, m, d;
    struct timefmt_civil c;
    ck_assert_int_eq(timefmt_days_from_civil(anchors[_i].y, anchors[_i].m, anchors[_i].d),
                     anchors[_i].days);
    timefmt_civil_from_days(anchors[_i].days, &y, &m, &d);
    ck_assert_int_eq(y, anchors[_i].y);
    ck_assert_int_eq(m, anchors[_i].m);
    ck_assert_int_eq(d, anchors[_i].d);
    timefmt_to_civil(anchors[_i].days * TIMEFMT_MS_PER_DAY + 12 * TIMEFMT_MS_PER_HOUR, &c);
    ck_assert_int_eq(c.wday, anchors[_i].wday);
    ck_assert_int_eq(c.hour, 12);
}
END_TEST

/* Every day of a wide range (years -768 .. 10182) maps to a valid date, back to itself, and
 * to the day after the previous one's date. Plain comparisons: a Check assertion per day would
 * cost a system call each. */
START_TEST(test_round_trip)
{
    int py, pm, pd;
    timefmt_civil_from_days(-1000001, &py, &pm, &pd);
    for (int64_t days = -1000000; days <= 3000000; days++) {
        int y, m, d, ok;
        timefmt_civil_from_days(days, &y, &m, &d);
        ok = m >= 1 && m <= 12 && d >= 1 && d <= timefmt_days_in_month(y, m);
        if (d > 1)
            ok = ok && y == py && m == pm && d == pd + 1;
        else if (m > 1)
            ok = ok && y == py && m == pm + 1 && pd == timefmt_days_in_month(py, pm);
        else
            ok = ok && y == py + 1 && pm == 12 && pd == 31;
        ok = ok && timefmt_days_from_civil(y, m, d) == days;
        if (!ok)
            ck_abort_msg("days %lld -> %d-%d-%d (previous %d-%d-%d) -> %lld", (long long)days, y, m,
                         d, py, pm, pd, (long long)timefmt_days_from_civil(y, m, d));
        py = y;
        pm = m;
        pd = d;
    }
}
END_TEST

static const struct {
    int y, m, days, leap;
} months[] = {
    {1900, 2, 28, 0}, {2000, 2, 29, 1}, {2024, 2, 29, 1},  {2026, 2, 28, 0},
    {2100, 2, 28, 0}, {2026, 4, 30, 0}, {2026, 12, 31, 0}, {2026, 1, 31, 0},
};

START_TEST(test_days_in_month)
{
    ck_assert_int_eq(timefmt_days_in_month(months[_i].y, months[_i].m), months[_i].days);
    ck_assert_int_eq(timefmt_is_leap(months[_i].y), months[_i].leap);
}
END_TEST

/* to_civil and from_civil agree on times with milliseconds, before and after 1970. */
static const struct {
    int64_t t;
    struct timefmt_civil c;
} civils[] = {
    {-1, {1969, 12, 31, 23, 59, 59, 999, 3}},
    {0, {1970, 1, 1, 0, 0, 0, 0, 4}},
    {INT64_C(1795341600123), {2026, 11, 22, 10, 0, 0, 123, 0}},
    {INT64_C(951827696000), {2000, 2, 29, 12, 34, 56, 0, 2}},
    {INT64_C(-2208988800000), {1900, 1, 1, 0, 0, 0, 0, 1}},
};

START_TEST(test_civil)
{
    struct timefmt_civil c;
    timefmt_to_civil(civils[_i].t, &c);
    ck_assert_int_eq(c.year, civils[_i].c.year);
    ck_assert_int_eq(c.month, civils[_i].c.month);
    ck_assert_int_eq(c.mday, civils[_i].c.mday);
    ck_assert_int_eq(c.hour, civils[_i].c.hour);
    ck_assert_int_eq(c.minute, civils[_i].c.minute);
    ck_assert_int_eq(c.second, civils[_i].c.second);
    ck_assert_int_eq(c.millisecond, civils[_i].c.millisecond);
    ck_assert_int_eq(c.wday, civils[_i].c.wday);
    ck_assert_int_eq(timefmt_from_civil(&civils[_i].c), civils[_i].t);
}
END_TEST

/* ---- parsing ---- */

static const struct {
    const char *in;
    int64_t ms;
} parse_ok[] = {
    {"2026-11-22T10:00:00Z", INT64_C(1795341600000)},
    {"2026-11-22t10:00:00z", INT64_C(1795341600000)},
    {"2026-11-22 10:00:00Z", INT64_C(1795341600000)},
    {"2026-11-22T10:00:00", INT64_C(1795341600000)},
    {"2026-11-22 10:00", INT64_C(1795341600000)},
    {"2026-11-22T10:00Z", INT64_C(1795341600000)},
    {"2026-11-22T10:00:00.250Z", INT64_C(1795341600250)},
    {"2026-11-22T10:00:00,250Z", INT64_C(1795341600250)},
    {"2026-11-22T10:00:00.5Z", INT64_C(1795341600500)},
    {"2026-11-22T10:00:00.123456789Z", INT64_C(1795341600123)},
    {"2026-11-22T12:00:00+02:00", INT64_C(1795341600000)},
    {"2026-11-22T12:00:00+02", INT64_C(1795341600000)},
    {"2026-11-22T04:30:00-0530", INT64_C(1795341600000)},
    {"2026-11-22T10:00:00-00:00", INT64_C(1795341600000)},
    {"2026-11-22T00:30:00+01:00", INT64_C(1795303800000)},
    {"2026-11-22T00:30+01:00", INT64_C(1795303800000)},
    {"2026-01-01T00:00:00Z", INT64_C(1767225600000)},
    {"1970-01-01T00:00:00Z", 0},
    {"1969-12-31T23:59:59.999Z", -1},
    {"2024-02-29T23:59:59Z", INT64_C(1709251199000)},
    {"2000-02-29T12:34:56Z", INT64_C(951827696000)},
    {"1900-01-01T00:00:00Z", INT64_C(-2208988800000)},
    {"9999-12-31T23:59:59Z", INT64_C(253402300799000)},
    {"0001-01-01T00:00:00Z", INT64_C(-62135596800000)},
};

START_TEST(test_parse_ok)
{
    struct oerr err;
    int64_t ms = 42;
    oerr_clear(&err);
    if (timefmt_parse(parse_ok[_i].in, &ms, &err) != 0)
        ck_abort_msg("'%s': %s", parse_ok[_i].in, err.msg);
    ck_assert_int_eq(ms, parse_ok[_i].ms);
}
END_TEST

static const struct {
    const char *in;
    const char *msg;
} parse_bad[] = {
    {"", "invalid date-time: empty, expected e.g. 2026-11-22T10:00:00Z"},
    {"2026-02-30T00:00:00Z", "invalid date-time: day 30 is out of range 1-28 for 2026-02"},
    {"2025-02-29 10:00", "invalid date-time: day 29 is out of range 1-28 for 2025-02"},
    {"2026-04-31T00:00Z", "invalid date-time: day 31 is out of range 1-30 for 2026-04"},
    {"2026-01-00T00:00Z", "invalid date-time: day 0 is out of range 1-31 for 2026-01"},
    {"2026-13-01T00:00:00Z", "invalid date-time: month 13 is out of range 1-12"},
    {"2026-00-10T00:00:00Z", "invalid date-time: month 0 is out of range 1-12"},
    {"2026-11-22T24:00:00Z", "invalid date-time: hour 24 is out of range 0-23"},
    {"2026-11-22T10:60:00Z", "invalid date-time: minute 60 is out of range 0-59"},
    {"2026-11-22T10:00:60Z", "invalid date-time: second 60 is out of range 0-59"},
    {"2026-11-22T10:00:00Zjunk",
     "invalid date-time: expected the end of the date-time at position 21, found 'j'"},
    {"2026-11-22T10:00:00 Z",
     "invalid date-time: expected the end of the date-time at position 20, found ' '"},
    {"2026-11-22",
     "invalid date-time: expected 'T' or a space and a time after the date at position 11, "
     "found the end"},
    {"2026-1-22T10:00Z", "invalid date-time: expected a 2-digit month at position 7, found '-'"},
    {"26-11-22T10:00Z", "invalid date-time: expected a 4-digit year at position 3, found '-'"},
    {" 2026-11-22T10:00Z", "invalid date-time: expected a 4-digit year at position 1, found ' '"},
    {"2026/11/22 10:00", "invalid date-time: expected '-' after the year at position 5, found '/'"},
    {"2026-11-22T10",
     "invalid date-time: expected ':' after the hour at position 14, found the end"},
    {"2026-11-22T10:00:00.",
     "invalid date-time: expected digits after the decimal point at position 21, found the end"},
    {"2026-11-22T10:00:00+25:00", "invalid date-time: offset hour 25 is out of range 0-23"},
    {"2026-11-22T10:00:00+02:7",
     "invalid date-time: expected a 2-digit offset minute at position 25, found the end"},
    {"2026-11-22T10:00:00+02:60", "invalid date-time: offset minute 60 is out of range 0-59"},
    {"2026-11-22T10:00:00+2", "invalid date-time: expected a 2-digit offset hour at position 22, "
                              "found the end"},
    {"2026-11-22T10:00:00\x01",
     "invalid date-time: expected the end of the date-time at position 20, found byte 0x01"},
};

START_TEST(test_parse_bad)
{
    struct oerr err;
    int64_t ms = 42;
    oerr_clear(&err);
    ck_assert_int_eq(timefmt_parse(parse_bad[_i].in, &ms, &err), -1);
    ck_assert_int_eq(err.code, OERR_INVALID);
    ck_assert_str_eq(err.msg, parse_bad[_i].msg);
    ck_assert_int_eq(ms, 42);
}
END_TEST

START_TEST(test_parse_null_err)
{
    int64_t ms = 0;
    ck_assert_int_eq(timefmt_parse("2026-02-30T00:00Z", &ms, NULL), -1);
    ck_assert_int_eq(timefmt_parse(NULL, &ms, NULL), -1);
}
END_TEST

/* ---- formatting ---- */

static const struct {
    int64_t t;
    int extra_ns;
    const char *s, *ms, *ns;
} formats[] = {
    {0, 0, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z", "1970-01-01T00:00:00.000000000Z"},
    {INT64_C(1795341600123), 456789, "2026-11-22T10:00:00Z", "2026-11-22T10:00:00.123Z",
     "2026-11-22T10:00:00.123456789Z"},
    {INT64_C(1795341600007), 1, "2026-11-22T10:00:00Z", "2026-11-22T10:00:00.007Z",
     "2026-11-22T10:00:00.007000001Z"},
    {-1, 0, "1969-12-31T23:59:59Z", "1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999000000Z"},
    {INT64_C(951827696000), 999999, "2000-02-29T12:34:56Z", "2000-02-29T12:34:56.000Z",
     "2000-02-29T12:34:56.000999999Z"},
    {INT64_C(253402300799999), 0, "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999Z",
     "9999-12-31T23:59:59.999000000Z"},
    {INT64_C(-62135596800000), 0, "0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z",
     "0001-01-01T00:00:00.000000000Z"},
};

START_TEST(test_format)
{
    char buf[TIMEFMT_BUF];
    ck_assert_str_eq(timefmt_format_s(formats[_i].t, buf, sizeof buf), formats[_i].s);
    ck_assert_str_eq(timefmt_format_ms(formats[_i].t, buf, sizeof buf), formats[_i].ms);
    ck_assert_str_eq(timefmt_format_ns(formats[_i].t, formats[_i].extra_ns, buf, sizeof buf),
                     formats[_i].ns);
}
END_TEST

/* The ms formatter's output parses back to the same instant, over decades in odd steps. */
START_TEST(test_format_parse_round_trip)
{
    char buf[TIMEFMT_BUF];
    struct oerr err;
    for (int64_t t = T_2026_11_22_10 - INT64_C(4000000000000); t < T_2026_11_22_10 * 2;
         t += INT64_C(7777777777)) {
        int64_t back = 0;
        timefmt_format_ms(t, buf, sizeof buf);
        if (timefmt_parse(buf, &back, &err) != 0)
            ck_abort_msg("%s: %s", buf, err.msg);
        ck_assert_int_eq(back, t);
    }
}
END_TEST

START_TEST(test_format_truncates)
{
    char buf[8];
    ck_assert_str_eq(timefmt_format_s(0, buf, sizeof buf), "1970-01");
}
END_TEST

static Suite *timefmt_suite(void)
{
    Suite *s = suite_create("timefmt");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_anchor, 0, (int)NELEM(anchors));
    tcase_add_test(tc, test_round_trip);
    tcase_add_loop_test(tc, test_days_in_month, 0, (int)NELEM(months));
    tcase_add_loop_test(tc, test_civil, 0, (int)NELEM(civils));
    tcase_add_loop_test(tc, test_parse_ok, 0, (int)NELEM(parse_ok));
    tcase_add_loop_test(tc, test_parse_bad, 0, (int)NELEM(parse_bad));
    tcase_add_test(tc, test_parse_null_err);
    tcase_add_loop_test(tc, test_format, 0, (int)NELEM(formats));
    tcase_add_test(tc, test_format_parse_round_trip);
    tcase_add_test(tc, test_format_truncates);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(timefmt_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
