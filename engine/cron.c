/*
 * cron: parsing and evaluation of the AWS six-field cron grammar (cron.h, SPEC.md section 7).
 *
 * A parsed expression is a set of bit masks, one per field, plus the special day forms ('L',
 * 'L-n', 'nW', 'LW', 'nL', 'n#k') kept apart because they depend on the month. Evaluation walks
 * year -> month -> day -> hour -> minute, jumping to the next set bit at each level, so a search
 * costs at most one day-mask computation per month of the year field's range (1970-2199); an
 * expression that can never fire ("0 0 30 2 ? *") is answered in about 2,800 such steps.
 *
 * Error positions are 1-based character positions in the expression as given (a "cron(" prefix
 * included).
 */
#include "engine/cron.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mem.h"
#include "engine/timefmt.h"

#define CRON_FIELDS     6
#define CRON_TOKEN_SHOW 24 /* longest token quoted in a message */

enum field_id { F_MIN, F_HOUR, F_DOM, F_MON, F_DOW, F_YEAR };

struct field_desc {
    const char *name;
    int min, max;
    const char *const *names; /* max - min + 1 names, or NULL */
    const char *kind;         /* "a month name (JAN-DEC)" */
    int wraps;                /* a reversed range "a-b" wraps around (FRI-MON) */
};

static const char *const month_names[12] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const day_names[7] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

static const struct field_desc fields[CRON_FIELDS] = {
    [F_MIN] = {"minutes", 0, 59, NULL, NULL, 1},
    [F_HOUR] = {"hours", 0, 23, NULL, NULL, 1},
    [F_DOM] = {"day-of-month", 1, 31, NULL, NULL, 0},
    [F_MON] = {"month", 1, 12, month_names, "a month name (JAN-DEC)", 1},
    [F_DOW] = {"day-of-week", 1, 7, day_names, "a day name (SUN-SAT)", 1},
    [F_YEAR] = {"year", CRON_YEAR_MIN, CRON_YEAR_MAX, NULL, NULL, 0},
};

struct cron {
    uint64_t minutes;    /* bit m: minute m */
    uint64_t hours;      /* bit h: hour h */
    uint64_t months;     /* bit m: month m (1..12) */
    uint64_t years[4];   /* bit y - 1970 */
    int dom_free;        /* day-of-month is '?' (day-of-week decides) */
    uint64_t dom;        /* bit d: day d (1..31) */
    uint64_t dom_last;   /* bit n: 'L-n' ('L' is n = 0) */
    uint64_t dom_near;   /* bit n: 'nW' */
    int dom_last_wkday;  /* 'LW' */
    int dow_free;        /* day-of-week is '?' (day-of-month decides) */
    uint64_t dow;        /* bit w: weekday w, 0 = Sunday */
    uint64_t dow_last;   /* bit w: 'wL', the last weekday w of the month */
    uint64_t dow_nth[7]; /* per weekday w, bit k: 'w#k' */
    /* Shape of the firing pattern, for cron_cover_end(): first and last minute and hour, and
     * the longest gap (minutes) between consecutive firings inside an hour / across the
     * hours of one day. */
    int first_min, last_min, first_hour, last_hour;
    int64_t gap_in_hour, gap_in_day;
    int period_days; /* cron_period_days() */
};

/* ---- bit helpers ---- */

static uint64_t bit(int i)
{
    return UINT64_C(1) << i;
}

/* Lowest set bit of mask at or above from (0..63), or -1. */
static int next_bit(uint64_t mask, int from)
{
    if (from > 63)
        return -1;
    if (from < 0)
        from = 0;
    mask &= ~UINT64_C(0) << from;
    return mask == 0 ? -1 : __builtin_ctzll(mask);
}

/* Highest set bit of mask at or below upto, or -1. */
static int prev_bit(uint64_t mask, int upto)
{
    if (upto < 0)
        return -1;
    if (upto < 63)
        mask &= (UINT64_C(2) << upto) - 1;
    return mask == 0 ? -1 : 63 - __builtin_clzll(mask);
}

static int year_has(const struct cron *c, int y)
{
    int i = y - CRON_YEAR_MIN;
    return (c->years[i / 64] >> (i % 64)) & 1;
}

/* ---- parsing ---- */

struct parser {
    const char *src; /* the whole expression, for positions */
    struct oerr *err;
};

static size_t pos(const struct parser *p, const char *at)
{
    return (size_t)(at - p->src) + 1;
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static int is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static char upper(char ch)
{
    return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

/* Case-insensitive: the n characters at s equal the upper-case word w (of length n). */
static int word_eq(const char *s, size_t n, const char *w)
{
    if (strlen(w) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (upper(s[i]) != w[i])
            return 0;
    return 1;
}

static int fail_char(const struct parser *p, int f, const char *at, const char *why)
{
    unsigned char ch = (unsigned char)*at;
    if (ch < 0x20 || ch >= 0x7f)
        return oerr_set(p->err, OERR_INVALID, "%s: byte 0x%02x at position %zu %s", fields[f].name,
                        (unsigned)ch, pos(p, at), why);
    return oerr_set(p->err, OERR_INVALID, "%s: '%c' at position %zu %s", fields[f].name, *at,
                    pos(p, at), why);
}

static int fail_unexpected(const struct parser *p, int f, const char *at)
{
    return fail_char(p, f, at, "is not expected here");
}

/* "what" is "" for a field value, or names the number: "step ". */
static int fail_range(const struct parser *p, int f, const char *what, const char *tok, size_t len,
                      int lo, int hi)
{
    int show = len > CRON_TOKEN_SHOW ? CRON_TOKEN_SHOW : (int)len;
    return oerr_set(p->err, OERR_INVALID, "%s: %s'%.*s' at position %zu is out of range %d-%d",
                    fields[f].name, what, show, tok, pos(p, tok), lo, hi);
}

/* A run of digits at *s (advanced past it) with its value, saturated at 1e6. */
static void number(const char **s, const char *end, int *out)
{
    const char *q = *s;
    int v = 0;
    while (q < end && is_digit(*q)) {
        if (v < 1000000)
            v = v * 10 + (*q - '0');
        q++;
    }
    *out = v;
    *s = q;
}

/*
 * The number in lo..hi that must follow the symbol at sym ('/', '#', the '-' of 'L-n'); *s is
 * just after the symbol and is advanced past the number. what names the number ("step").
 */
static int number_after(const struct parser *p, int f, const char *sym, const char **s,
                        const char *end, const char *what, int lo, int hi, int *out)
{
    const char *tok = *s;
    if (tok >= end || !is_digit(*tok)) {
        char why[64];
        snprintf(why, sizeof why, "needs a %s after it", what);
        return fail_char(p, f, sym, why);
    }
    number(s, end, out);
    if (*out < lo || *out > hi) {
        char label[32];
        snprintf(label, sizeof label, "%s ", what);
        return fail_range(p, f, label, tok, (size_t)(*s - tok), lo, hi);
    }
    return 0;
}

/* A single value of field f at *s (advanced past it): a number or, in month and day-of-week, a
 * three-letter name. */
static int value(const struct parser *p, int f, const char **s, const char *end, int *out)
{
    const struct field_desc *fd = &fields[f];
    const char *tok = *s;
    if (tok < end && is_digit(*tok)) {
        number(s, end, out);
        if (*out < fd->min || *out > fd->max)
            return fail_range(p, f, "", tok, (size_t)(*s - tok), fd->min, fd->max);
        return 0;
    }
    if (tok < end && is_alpha(*tok)) {
        const char *q = tok;
        while (q < end && is_alpha(*q))
            q++;
        if (upper(*tok) == 'W' && q - tok == 1 && f != F_DOM)
            return fail_char(p, f, tok, "is only allowed in day-of-month");
        if (fd->names != NULL) {
            for (int i = 0; i <= fd->max - fd->min; i++) {
                if (word_eq(tok, (size_t)(q - tok), fd->names[i])) {
                    *out = fd->min + i;
                    *s = q;
                    return 0;
                }
            }
            int show = q - tok > CRON_TOKEN_SHOW ? CRON_TOKEN_SHOW : (int)(q - tok);
            return oerr_set(p->err, OERR_INVALID, "%s: '%.*s' at position %zu is not %s", fd->name,
                            show, tok, pos(p, tok), fd->kind);
        }
        if (upper(*tok) == 'L' && f != F_DOM && f != F_DOW)
            return fail_char(p, f, tok, "is only allowed in day-of-month or day-of-week");
        return fail_unexpected(p, f, tok);
    }
    if (tok >= end)
        return oerr_set(p->err, OERR_INVALID, "%s: missing value at position %zu", fd->name,
                        pos(p, tok));
    if (*tok == '?')
        return fail_char(p, f, tok,
                         f == F_DOM || f == F_DOW ? "must stand alone"
                                                  : "is only allowed in day-of-month or "
                                                    "day-of-week");
    if (*tok == '#' && f != F_DOW)
        return fail_char(p, f, tok, "is only allowed in day-of-week");
    return fail_unexpected(p, f, tok);
}

/* Set lo..hi (wrapping past max when lo > hi) in steps of step into the value mask. */
static void set_range(uint64_t *vals, int f, int lo, int hi, int step)
{
    const struct field_desc *fd = &fields[f];
    int span = fd->max - fd->min + 1;
    int count = (hi - lo + span) % span + 1;
    for (int k = 0; k < count; k += step) {
        int i = (lo - fd->min + k) % span;
        vals[i / 64] |= bit(i % 64);
    }
}

/* The day-of-month specials starting with a letter: 'L', 'L-n', 'LW'. */
static int dom_letters(const struct parser *p, const char *s, const char *end, struct cron *c)
{
    const char *q = s;
    if (upper(*q) == 'W')
        return fail_char(p, F_DOM, q, "needs a day number before it");
    if (upper(*q) != 'L')
        return fail_unexpected(p, F_DOM, q);
    q++;
    if (q < end && upper(*q) == 'W') {
        c->dom_last_wkday = 1;
        q++;
    } else if (q < end && *q == '-') {
        int n;
        q++;
        if (number_after(p, F_DOM, q - 1, &q, end, "day count", 1, 30, &n) < 0)
            return -1;
        c->dom_last |= bit(n);
    } else {
        c->dom_last |= bit(0);
    }
    if (q < end)
        return fail_unexpected(p, F_DOM, q);
    return 0;
}

/* One comma-separated element of field f, [s, end). */
static int element(const struct parser *p, int f, const char *s, const char *end, uint64_t *vals,
                   struct cron *c)
{
    const struct field_desc *fd = &fields[f];
    const char *q = s;
    int lo, hi, step = 1, single = 0;

    if (q >= end)
        return oerr_set(p->err, OERR_INVALID, "%s: empty list element at position %zu", fd->name,
                        pos(p, q));
    if (*q == '*') {
        lo = fd->min;
        hi = fd->max;
        q++;
    } else {
        if (f == F_DOM && is_alpha(*q))
            return dom_letters(p, q, end, c);
        if (f == F_DOW && upper(*q) == 'L' && (q + 1 == end || !is_alpha(q[1]))) {
            /* 'L' alone in day-of-week is the last day of the week, Saturday. */
            if (q + 1 < end)
                return fail_unexpected(p, f, q + 1);
            vals[0] |= bit(6);
            return 0;
        }
        if (value(p, f, &q, end, &lo) < 0)
            return -1;
        hi = lo;
        single = 1;
        if (q < end && *q == '-') {
            q++;
            if (q >= end)
                return fail_char(p, f, q - 1, "needs a value after it");
            if (value(p, f, &q, end, &hi) < 0)
                return -1;
            if (hi < lo && !fd->wraps) {
                int show = (int)(q - s) > CRON_TOKEN_SHOW ? CRON_TOKEN_SHOW : (int)(q - s);
                return oerr_set(p->err, OERR_INVALID,
                                "%s: range '%.*s' at position %zu runs backwards", fd->name, show,
                                s, pos(p, s));
            }
            single = 0;
        }
    }
    if (q < end && *q == '/') {
        q++;
        if (number_after(p, f, q - 1, &q, end, "step", 1, fd->max - fd->min + 1, &step) < 0)
            return -1;
        if (single)
            hi = fd->max; /* 'a/n' = from a to the end of the range */
        single = 0;
    }
    if (q < end && single) {
        char ch = upper(*q);
        if (f == F_DOM && ch == 'W' && q + 1 == end) {
            c->dom_near |= bit(lo);
            return 0;
        }
        if (f == F_DOW && ch == 'L' && q + 1 == end) {
            c->dow_last |= bit(lo - 1);
            return 0;
        }
        if (f == F_DOW && ch == '#') {
            int k;
            q++;
            if (number_after(p, f, q - 1, &q, end, "week number", 1, 5, &k) < 0)
                return -1;
            if (q < end)
                return fail_unexpected(p, f, q);
            c->dow_nth[lo - 1] |= bit(k);
            return 0;
        }
    }
    if (q < end) {
        char ch = upper(*q);
        if (ch == 'W' && f == F_DOM)
            return fail_char(p, f, q, "must follow a single day number");
        if (ch == 'W')
            return fail_char(p, f, q, "is only allowed in day-of-month");
        if (ch == 'L' && f == F_DOW)
            return fail_char(p, f, q, "must follow a single day number");
        if (ch == 'L' && f == F_DOM)
            return fail_char(p, f, q, "cannot follow a number (use 'L', 'L-n' or 'LW')");
        if (ch == 'L')
            return fail_char(p, f, q, "is only allowed in day-of-month or day-of-week");
        if (*q == '#' && f == F_DOW)
            return fail_char(p, f, q, "must follow a single day number");
        if (*q == '#')
            return fail_char(p, f, q, "is only allowed in day-of-week");
        return fail_unexpected(p, f, q);
    }
    set_range(vals, f, lo, hi, step);
    return 0;
}

/* Field f, [s, end): '?' or a comma-separated list of elements. */
static int field(const struct parser *p, int f, const char *s, const char *end, struct cron *c)
{
    uint64_t vals[4] = {0, 0, 0, 0};
    if (end - s == 1 && *s == '?') {
        if (f != F_DOM && f != F_DOW)
            return fail_char(p, f, s, "is only allowed in day-of-month or day-of-week");
        if (f == F_DOM)
            c->dom_free = 1;
        else
            c->dow_free = 1;
        return 0;
    }
    for (const char *q = s;;) {
        const char *comma = q;
        while (comma < end && *comma != ',')
            comma++;
        if (element(p, f, q, comma, vals, c) < 0)
            return -1;
        if (comma == end)
            break;
        q = comma + 1;
    }
    switch (f) {
    case F_MIN:
        c->minutes = vals[0];
        break;
    case F_HOUR:
        c->hours = vals[0];
        break;
    case F_DOM:
        c->dom = vals[0] << 1;
        break;
    case F_MON:
        c->months = vals[0] << 1;
        break;
    case F_DOW:
        c->dow = vals[0];
        break;
    default:
        memcpy(c->years, vals, sizeof c->years);
        break;
    }
    return 0;
}

/* 1 if every day has the same occurrences, 7 if only the weekday matters, else 0. */
static int period(const struct cron *c)
{
    uint64_t all_months = (bit(12) << 1) - 2, all_days = (bit(31) << 1) - 2;
    for (int y = CRON_YEAR_MIN; y <= CRON_YEAR_MAX; y++)
        if (!year_has(c, y))
            return 0;
    if (c->months != all_months)
        return 0;
    if (c->dow_free) {
        int plain = c->dom_last == 0 && c->dom_near == 0 && !c->dom_last_wkday;
        return plain && c->dom == all_days ? 1 : 0;
    }
    if (c->dow_last != 0)
        return 0;
    for (int w = 0; w < 7; w++)
        if (c->dow_nth[w] != 0)
            return 0;
    return c->dow == 0x7f ? 1 : 7;
}

/* The firing-pattern shape used by cron_cover_end() and cron_period_days(). */
static void shape(struct cron *c)
{
    int prev = -1;
    c->first_min = next_bit(c->minutes, 0);
    c->last_min = prev_bit(c->minutes, 63);
    c->first_hour = next_bit(c->hours, 0);
    c->last_hour = prev_bit(c->hours, 63);
    c->gap_in_hour = 0;
    for (int m = c->first_min; m >= 0; m = next_bit(c->minutes, m + 1)) {
        if (prev >= 0 && m - prev > c->gap_in_hour)
            c->gap_in_hour = m - prev;
        prev = m;
    }
    c->period_days = period(c);
    prev = -1;
    c->gap_in_day = 0;
    for (int h = c->first_hour; h >= 0; h = next_bit(c->hours, h + 1)) {
        int64_t gap = (int64_t)(h - prev) * 60 + c->first_min - c->last_min;
        if (prev >= 0 && gap > c->gap_in_day)
            c->gap_in_day = gap;
        prev = h;
    }
}

struct cron *cron_parse(const char *expr, struct oerr *err)
{
    struct parser p = {expr, err};
    struct cron *c = NULL;
    const char *s, *end, *starts[CRON_FIELDS], *ends[CRON_FIELDS];
    int n = 0;

    if (expr == NULL)
        expr = p.src = "";
    s = expr;
    end = expr + strlen(expr);
    while (s < end && is_space(*s))
        s++;
    while (end > s && is_space(end[-1]))
        end--;
    if (s == end) {
        oerr_set(err, OERR_INVALID, "cron expression is empty");
        goto fail;
    }
    if (end - s >= 5 && word_eq(s, 5, "RATE(")) {
        oerr_set(err, OERR_INVALID, "rate(...) expressions are not supported, use cron(...)");
        goto fail;
    }
    if (end - s >= 5 && word_eq(s, 5, "CRON(")) {
        if (end[-1] != ')') {
            oerr_set(err, OERR_INVALID, "missing ')' at the end of 'cron(...)'");
            goto fail;
        }
        s += 5;
        end--;
    }

    for (const char *q = s;;) {
        while (q < end && is_space(*q))
            q++;
        if (q == end)
            break;
        if (n < CRON_FIELDS)
            starts[n] = q;
        while (q < end && !is_space(*q))
            q++;
        if (n < CRON_FIELDS)
            ends[n] = q;
        n++;
    }
    if (n != CRON_FIELDS) {
        oerr_set(err, OERR_INVALID, "expected 6 fields, got %d", n);
        goto fail;
    }

    c = xcalloc(1, sizeof *c);
    for (int f = 0; f < CRON_FIELDS; f++)
        if (field(&p, f, starts[f], ends[f], c) < 0)
            goto fail;
    if (c->dom_free && c->dow_free) {
        oerr_set(err, OERR_INVALID, "'?' is allowed in only one of day-of-month and day-of-week");
        goto fail;
    }
    if (!c->dom_free && !c->dow_free) {
        oerr_set(err, OERR_INVALID, "'?' is required in day-of-month or day-of-week");
        goto fail;
    }
    shape(c);
    return c;

fail:
    free(c);
    return NULL;
}

void cron_free(struct cron *c)
{
    free(c);
}

/* ---- evaluation ---- */

/* Weekday (0 = Sunday) of days since the epoch. */
static int weekday(int64_t days)
{
    int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

/* The days of month m of year y the day fields allow, as a mask with bit d for day d. */
static uint64_t day_mask(const struct cron *c, int y, int m)
{
    int dim = timefmt_days_in_month(y, m);
    int w1 = weekday(timefmt_days_from_civil(y, m, 1)); /* weekday of the 1st */
    uint64_t mask = 0;

    if (c->dow_free) {
        mask = c->dom;
        for (int n = next_bit(c->dom_last, 0); n >= 0; n = next_bit(c->dom_last, n + 1))
            if (dim - n >= 1)
                mask |= bit(dim - n);
        for (int n = next_bit(c->dom_near, 0); n >= 0 && n <= dim;
             n = next_bit(c->dom_near, n + 1)) {
            int w = (w1 + n - 1) % 7, d = n;
            if (w == 6) /* Saturday: Friday before, or Monday after when n is the 1st */
                d = n == 1 ? n + 2 : n - 1;
            else if (w == 0) /* Sunday: Monday after, or Friday before when n is the last */
                d = n == dim ? n - 2 : n + 1;
            mask |= bit(d);
        }
        if (c->dom_last_wkday) {
            int w = (w1 + dim - 1) % 7;
            mask |= bit(w == 6 ? dim - 1 : w == 0 ? dim - 2 : dim);
        }
    } else {
        int wlast = (w1 + dim - 1) % 7;
        for (int w = 0; w < 7; w++) {
            int first = 1 + (w - w1 + 7) % 7;
            if (c->dow & bit(w))
                for (int d = first; d <= dim; d += 7)
                    mask |= bit(d);
            if (c->dow_last & bit(w))
                mask |= bit(dim - (wlast - w + 7) % 7);
            for (int k = next_bit(c->dow_nth[w], 1); k >= 0; k = next_bit(c->dow_nth[w], k + 1))
                if (first + 7 * (k - 1) <= dim)
                    mask |= bit(first + 7 * (k - 1));
        }
    }
    return mask & ((bit(dim) << 1) - 2); /* days 1..dim */
}

static int64_t at(int y, int mo, int d, int h, int mi)
{
    return timefmt_days_from_civil(y, mo, d) * TIMEFMT_MS_PER_DAY + h * TIMEFMT_MS_PER_HOUR +
           mi * TIMEFMT_MS_PER_MINUTE;
}

/* The first instant of year CRON_YEAR_MAX + 1: nothing fires at or after it. */
static int64_t end_of_range(void)
{
    return at(CRON_YEAR_MAX + 1, 1, 1, 0, 0);
}

/*
 * Both searches walk year -> month -> day -> hour with a bit test per step and take the minute
 * with one bit scan; moving to the next (previous) unit resets the finer fields to their first
 * (last) value. Every field allows at least one value, so the first allowed day found after
 * the starting one always holds an occurrence: the cost is bounded by the months scanned.
 */
int64_t cron_next(const struct cron *c, int64_t t)
{
    struct timefmt_civil cv;
    int y, mo, d, h, mi;

    if (t >= end_of_range())
        return -1;
    if (t < 0)
        t = 0;
    t += TIMEFMT_MS_PER_MINUTE - 1; /* round up to a whole minute */
    timefmt_to_civil(t - t % TIMEFMT_MS_PER_MINUTE, &cv);
    y = cv.year;
    mo = cv.month;
    d = cv.mday;
    h = cv.hour;
    mi = cv.minute;

    for (; y <= CRON_YEAR_MAX; y++, mo = 1, d = 1, h = 0, mi = 0) {
        if (!year_has(c, y))
            continue;
        for (; mo <= 12; mo++, d = 1, h = 0, mi = 0) {
            if (!(c->months & bit(mo)))
                continue;
            uint64_t days = day_mask(c, y, mo);
            for (; d <= 31; d++, h = 0, mi = 0) {
                if (!(days & bit(d)))
                    continue;
                for (; h <= 23; h++, mi = 0) {
                    if (!(c->hours & bit(h)))
                        continue;
                    int m = next_bit(c->minutes, mi);
                    if (m >= 0)
                        return at(y, mo, d, h, m);
                }
            }
        }
    }
    return -1;
}

int64_t cron_prev(const struct cron *c, int64_t t)
{
    struct timefmt_civil cv;
    int y, mo, d, h, mi;

    if (t < 0)
        return -1;
    if (t >= end_of_range())
        t = end_of_range() - TIMEFMT_MS_PER_MINUTE;
    timefmt_to_civil(t - t % TIMEFMT_MS_PER_MINUTE, &cv);
    y = cv.year;
    mo = cv.month;
    d = cv.mday;
    h = cv.hour;
    mi = cv.minute;

    for (; y >= CRON_YEAR_MIN; y--, mo = 12, d = 31, h = 23, mi = 59) {
        if (!year_has(c, y))
            continue;
        for (; mo >= 1; mo--, d = 31, h = 23, mi = 59) {
            if (!(c->months & bit(mo)))
                continue;
            uint64_t days = day_mask(c, y, mo);
            for (; d >= 1; d--, h = 23, mi = 59) {
                if (!(days & bit(d)))
                    continue;
                for (; h >= 0; h--, mi = 59) {
                    if (!(c->hours & bit(h)))
                        continue;
                    int m = prev_bit(c->minutes, mi);
                    if (m >= 0)
                        return at(y, mo, d, h, m);
                }
            }
        }
    }
    return -1;
}

/*
 * From the occurrence p, the latest occurrence reachable from it through a chain of
 * occurrences each starting no later than dur_min after the previous one, skipping only what
 * the pattern's shape proves continuous: the rest of p's hour, of its day, and the run of
 * consecutive allowed days of its month. Returns p itself when nothing can be skipped.
 */
static int64_t chain_jump(const struct cron *c, int64_t p, int64_t dur_min)
{
    struct timefmt_civil cv;
    uint64_t days;
    int d;

    if (c->gap_in_hour > dur_min)
        return p;
    timefmt_to_civil(p, &cv);
    if (c->gap_in_day > dur_min)
        return at(cv.year, cv.month, cv.mday, cv.hour, c->last_min);
    /* From the last occurrence of a day to the first of the next. */
    if (1440 - ((int64_t)(c->last_hour - c->first_hour) * 60 + c->last_min - c->first_min) >
        dur_min)
        return at(cv.year, cv.month, cv.mday, c->last_hour, c->last_min);
    days = day_mask(c, cv.year, cv.month);
    d = cv.mday;
    while (d < 31 && (days & bit(d + 1)))
        d++;
    return at(cv.year, cv.month, d, c->last_hour, c->last_min);
}

int64_t cron_cover_end(const struct cron *c, int64_t t, int64_t dur_min, int64_t limit)
{
    int64_t dur = dur_min * TIMEFMT_MS_PER_MINUTE;
    int64_t p = cron_prev(c, t);

    if (dur_min <= 0 || p < 0 || p + dur <= t)
        return t;
    for (;;) {
        int64_t n;
        p = chain_jump(c, p, dur_min);
        if (p + dur > limit)
            return -1;
        n = cron_next(c, p + TIMEFMT_MS_PER_MINUTE);
        if (n < 0 || n > p + dur)
            return p + dur;
        p = n;
    }
}

int cron_period_days(const struct cron *c)
{
    return c->period_days;
}
