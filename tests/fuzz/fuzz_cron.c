/*
 * libFuzzer harness of engine/cron. The input is a cron expression, optionally followed by a
 * newline and up to three decimal instants (ms since the epoch) to evaluate it at; a few fixed
 * instants are always tried too. Checked on every input:
 *   - a rejection is OERR_INVALID with a lowercase message without a trailing period, and
 *     any "position N" in it lies within the expression (0-based, cron.h);
 *   - for each instant t: n = cron_next(t) is -1 or a whole minute >= t, p = cron_prev(t) is
 *     -1 or a whole minute <= t; n and p are fixed points of both functions; and there is no
 *     occurrence between them (cron_next(p + 1) == n, cron_prev(n - 1) == p unless n == p);
 *   - cron_cover_end(t) is where a walk over the covering occurrences (by cron_prev) ends;
 *   - when cron_period_days(c) is P > 0, shifting t by P days shifts cron_next(t) by P days.
 * Nothing survives an iteration.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cron.h"
#include "engine/mem.h"
#include "engine/oerr.h"

/* assert() is compiled out in release builds; this is not. */
#define CHECK(e)                                                                                   \
    do {                                                                                           \
        if (!(e)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #e);                  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MINUTE_MS        INT64_C(60000)
#define DAY_MS           INT64_C(86400000)
#define COVER_STEPS      500
#define COVER_LIMIT_DAYS 40
/* 2200-01-01T00:00:00Z, the end of the year range */
#define END_MS INT64_C(7258118400000)
/* instants from the input are clamped to about year 1830 .. 2248, well around 1970 .. 2199 */
#define T_MIN (-(INT64_C(1) << 42))
#define T_MAX (INT64_C(1) << 43)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const struct oerr *err, size_t expr_len)
{
    CHECK(err->code == OERR_INVALID);
    size_t len = strlen(err->msg);
    CHECK(len > 0);
    CHECK(!(err->msg[0] >= 'A' && err->msg[0] <= 'Z'));
    CHECK(err->msg[len - 1] != '.');
    const char *p = strstr(err->msg, "at position ");
    if (p != NULL) {
        char *end;
        long pos = strtol(p + 12, &end, 10);
        CHECK(end != p + 12);
        CHECK(pos >= 1 && (size_t)pos <= expr_len + 1); /* 1-based; len + 1 = the end */
    }
}

static void check_at(const struct cron *c, int64_t t)
{
    int64_t n = cron_next(c, t);
    int64_t p = cron_prev(c, t);
    if (n != -1) {
        CHECK(n >= t && n >= 0 && n % MINUTE_MS == 0);
        CHECK(cron_next(c, n) == n);
        CHECK(cron_prev(c, n) == n);
    }
    if (p != -1) {
        CHECK(p <= t && p >= 0 && p % MINUTE_MS == 0);
        CHECK(cron_prev(c, p) == p);
        CHECK(cron_next(c, p) == p);
    }
    if (n == p && n != -1)
        return; /* t is an occurrence */
    if (p != -1)
        CHECK(cron_next(c, p + 1) == n);
    if (n != -1)
        CHECK(cron_prev(c, n - 1) == p);
}

/* Walk the run of occurrences covering t (each [s, s + dur_min) minutes) with cron_prev;
 * where it stops must be cron_cover_end's answer. Skipped when the run is too long to walk. */
static void check_cover(const struct cron *c, int64_t t, int64_t dur_min)
{
    int64_t d = dur_min * MINUTE_MS;
    int64_t limit = t + COVER_LIMIT_DAYS * DAY_MS;
    int64_t e = cron_cover_end(c, t, dur_min, limit);
    int64_t x = t;
    for (int i = 0; i < COVER_STEPS; i++) {
        int64_t p = cron_prev(c, x);
        if (p == -1 || p + d <= x) {
            CHECK(e == x); /* x <= limit here */
            return;
        }
        CHECK(p <= x);
        x = p + d;
        if (x > limit) {
            CHECK(e == -1);
            return;
        }
    }
}

static void check_period(const struct cron *c, int64_t t)
{
    int period = cron_period_days(c);
    CHECK(period == 0 || period == 1 || period == 7);
    if (period == 0 || t < 0)
        return;
    int64_t shift = period * DAY_MS;
    int64_t n = cron_next(c, t);
    int64_t n2 = cron_next(c, t + shift);
    if (n == -1)
        CHECK(n2 == -1);
    else if (n + shift < END_MS)
        CHECK(n2 == n + shift);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t durations[] = {1, 60, 1440};
    char *text = xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    int64_t ts[8] = {0, -1, 1, INT64_C(1795341630000), INT64_C(7258118399999)};
    size_t nts = 5;
    struct oerr err = {0};

    char *nl = strchr(text, '\n');
    if (nl != NULL) {
        *nl = '\0';
        const char *s = nl + 1;
        while (nts < sizeof ts / sizeof ts[0]) {
            char *end;
            errno = 0;
            long long v = strtoll(s, &end, 10);
            if (end == s)
                break;
            ts[nts++] = v < T_MIN ? T_MIN : v > T_MAX ? T_MAX : (int64_t)v;
            s = end;
        }
    }

    struct cron *c = cron_parse(text, &err);
    if (c == NULL) {
        check_error(&err, strlen(text));
    } else {
        for (size_t i = 0; i < nts; i++) {
            check_at(c, ts[i]);
            check_cover(c, ts[i], durations[i % 3]);
            check_period(c, ts[i]);
        }
    }
    cron_free(c);
    free(text);
    return 0;
}
