/*
 * timefmt: proleptic Gregorian civil-date arithmetic (Howard Hinnant's days_from_civil and
 * civil_from_days), the RFC 3339 / ISO 8601 parser of the scheduling strings and the three
 * RFC 3339 formatters. Everything is UTC and integer milliseconds; divisions that may see
 * negative operands are floor divisions so that times before 1970 break down correctly.
 */
#include "engine/timefmt.h"

#include <stdio.h>

/* Floor division and the matching non-negative remainder, for b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && a < 0)
        q--;
    return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

int64_t timefmt_days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2 ? 1 : 0);
    int64_t era = floor_div(yy, 400);
    int64_t yoe = yy - era * 400;                        /* 0..399 */
    int64_t mp = m > 2 ? m - 3 : m + 9;                  /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;            /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
    return era * 146097 + doe - 719468;
}

void timefmt_civil_from_days(int64_t days, int *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                      /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* 0..365 */
    int64_t mp = (5 * doy + 2) / 153;                                    /* 0..11 */
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    int64_t yy = yoe + era * 400 + (mm <= 2 ? 1 : 0);
    *y = (int)yy;
    *m = (int)mm;
    *d = (int)dd;
}

int timefmt_is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int timefmt_days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    if (m == 2 && timefmt_is_leap(y))
        return 29;
    return days[m - 1];
}

void timefmt_to_civil(int64_t t, struct timefmt_civil *out)
{
    int64_t days = floor_div(t, TIMEFMT_MS_PER_DAY);
    int64_t ms = t - days * TIMEFMT_MS_PER_DAY;
    timefmt_civil_from_days(days, &out->year, &out->month, &out->mday);
    out->hour = (int)(ms / TIMEFMT_MS_PER_HOUR);
    out->minute = (int)(ms / TIMEFMT_MS_PER_MINUTE % 60);
    out->second = (int)(ms / 1000 % 60);
    out->millisecond = (int)(ms % 1000);
    out->wday = (int)floor_mod(days + 4, 7); /* 1970-01-01 was a Thursday */
}

int64_t timefmt_from_civil(const struct timefmt_civil *c)
{
    return timefmt_days_from_civil(c->year, c->month, c->mday) * TIMEFMT_MS_PER_DAY +
           c->hour * TIMEFMT_MS_PER_HOUR + c->minute * TIMEFMT_MS_PER_MINUTE +
           (int64_t)c->second * 1000 + c->millisecond;
}

/* ---- parsing ---- */

struct scan {
    const char *s;
    size_t i;
    struct oerr *err;
};

/* What is at the cursor, for messages: "'x'" or "the end". */
static const char *found(const struct scan *sc, char *buf, size_t len)
{
    unsigned char ch = (unsigned char)sc->s[sc->i];
    if (ch == '\0')
        snprintf(buf, len, "the end");
    else if (ch < 0x20 || ch >= 0x7f)
        snprintf(buf, len, "byte 0x%02x", (unsigned)ch);
    else
        snprintf(buf, len, "'%c'", (char)ch);
    return buf;
}

static int fail_expected(struct scan *sc, const char *what)
{
    char buf[16];
    return oerr_set(sc->err, OERR_INVALID,
                    "invalid date-time: expected %s at position %zu, found %s", what, sc->i + 1,
                    found(sc, buf, sizeof buf));
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Exactly n digits into *out, or -1 naming what was expected. */
static int digits(struct scan *sc, int n, const char *what, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (!is_digit(sc->s[sc->i]))
            return fail_expected(sc, what);
        v = v * 10 + (sc->s[sc->i] - '0');
        sc->i++;
    }
    *out = v;
    return 0;
}

static int literal(struct scan *sc, char ch, const char *what)
{
    if (sc->s[sc->i] != ch)
        return fail_expected(sc, what);
    sc->i++;
    return 0;
}

static int range_check(struct scan *sc, const char *name, int v, int lo, int hi)
{
    if (v < lo || v > hi)
        return oerr_set(sc->err, OERR_INVALID, "invalid date-time: %s %d is out of range %d-%d",
                        name, v, lo, hi);
    return 0;
}

/* Optional "Z", "+HH", "+HH:MM", "+HHMM" (or '-'); the offset east of UTC in minutes. */
static int parse_offset(struct scan *sc, int *offset_min)
{
    char ch = sc->s[sc->i];
    int sign, oh = 0, om = 0;
    *offset_min = 0;
    if (ch == 'Z' || ch == 'z') {
        sc->i++;
        return 0;
    }
    if (ch != '+' && ch != '-')
        return 0;
    sign = ch == '-' ? -1 : 1;
    sc->i++;
    if (digits(sc, 2, "a 2-digit offset hour", &oh) < 0 ||
        range_check(sc, "offset hour", oh, 0, 23) < 0)
        return -1;
    if (sc->s[sc->i] == ':') {
        sc->i++;
        if (digits(sc, 2, "a 2-digit offset minute", &om) < 0)
            return -1;
    } else if (is_digit(sc->s[sc->i])) {
        if (digits(sc, 2, "a 2-digit offset minute", &om) < 0)
            return -1;
    }
    if (range_check(sc, "offset minute", om, 0, 59) < 0)
        return -1;
    *offset_min = sign * (oh * 60 + om);
    return 0;
}

int timefmt_parse(const char *s, int64_t *out_ms, struct oerr *err)
{
    struct scan sc = {s, 0, err};
    struct timefmt_civil c = {0};
    int offset_min = 0;

    if (s == NULL || s[0] == '\0')
        return oerr_set(err, OERR_INVALID,
                        "invalid date-time: empty, expected e.g. 2026-11-22T10:00:00Z");
    if (digits(&sc, 4, "a 4-digit year", &c.year) < 0 ||
        literal(&sc, '-', "'-' after the year") < 0 ||
        digits(&sc, 2, "a 2-digit month", &c.month) < 0 ||
        literal(&sc, '-', "'-' after the month") < 0 ||
        digits(&sc, 2, "a 2-digit day", &c.mday) < 0)
        return -1;
    if (range_check(&sc, "month", c.month, 1, 12) < 0)
        return -1;
    if (c.mday < 1 || c.mday > timefmt_days_in_month(c.year, c.month))
        return oerr_set(err, OERR_INVALID,
                        "invalid date-time: day %d is out of range 1-%d for %04d-%02d", c.mday,
                        timefmt_days_in_month(c.year, c.month), c.year, c.month);

    if (s[sc.i] != 'T' && s[sc.i] != 't' && s[sc.i] != ' ')
        return fail_expected(&sc, "'T' or a space and a time after the date");
    sc.i++;
    if (digits(&sc, 2, "a 2-digit hour", &c.hour) < 0 ||
        literal(&sc, ':', "':' after the hour") < 0 ||
        digits(&sc, 2, "a 2-digit minute", &c.minute) < 0)
        return -1;
    if (s[sc.i] == ':') {
        sc.i++;
        if (digits(&sc, 2, "a 2-digit second", &c.second) < 0)
            return -1;
        if (s[sc.i] == '.' || s[sc.i] == ',') {
            int scale = 100;
            sc.i++;
            if (!is_digit(s[sc.i]))
                return fail_expected(&sc, "digits after the decimal point");
            /* Milliseconds from the first three digits; finer digits are truncated. */
            for (; is_digit(s[sc.i]); sc.i++) {
                c.millisecond += (s[sc.i] - '0') * scale;
                scale /= 10;
            }
        }
    }
    if (range_check(&sc, "hour", c.hour, 0, 23) < 0 ||
        range_check(&sc, "minute", c.minute, 0, 59) < 0 ||
        range_check(&sc, "second", c.second, 0, 59) < 0)
        return -1;
    if (parse_offset(&sc, &offset_min) < 0)
        return -1;
    if (s[sc.i] != '\0')
        return fail_expected(&sc, "the end of the date-time");

    *out_ms = timefmt_from_civil(&c) - offset_min * TIMEFMT_MS_PER_MINUTE;
    return 0;
}

/* ---- formatting ---- */

char *timefmt_format_s(int64_t t, char *buf, size_t len)
{
    struct timefmt_civil c;
    timefmt_to_civil(t, &c);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.mday, c.hour, c.minute,
             c.second);
    return buf;
}

char *timefmt_format_ms(int64_t t, char *buf, size_t len)
{
    struct timefmt_civil c;
    timefmt_to_civil(t, &c);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year, c.month, c.mday, c.hour,
             c.minute, c.second, c.millisecond);
    return buf;
}

char *timefmt_format_ns(int64_t t, int extra_ns, char *buf, size_t len)
{
    struct timefmt_civil c;
    if (extra_ns < 0)
        extra_ns = 0;
    if (extra_ns > 999999)
        extra_ns = 999999;
    timefmt_to_civil(t, &c);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", c.year, c.month, c.mday, c.hour,
             c.minute, c.second, (long)c.millisecond * 1000000L + extra_ns);
    return buf;
}
