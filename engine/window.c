/*
 * window: a set of maintenance windows (cron start + duration) evaluated as the union of their
 * occurrences. Nothing is precomputed: window_set_at() asks each window's cron for its latest
 * start at or before t (open if that occurrence still runs), then, when open, extends the
 * merged run window by window through cron_cover_end() until no window covers the frontier,
 * and, when closed, takes the earliest next start. Every step is a cron search, never a scan
 * minute by minute, so one evaluation costs a handful of cron searches per window.
 */
#include "engine/window.h"

#include <stdlib.h>

#include "engine/cron.h"
#include "engine/mem.h"
#include "engine/timefmt.h"

#define WINDOW_DURATION_MIN 1
#define WINDOW_DURATION_MAX 1430

struct window {
    struct cron *cron;
    int64_t duration_min;
};

struct window_set {
    struct window *v;
    size_t n, cap;
};

struct window_set *window_set_new(void)
{
    return xcalloc(1, sizeof(struct window_set));
}

void window_set_free(struct window_set *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->n; i++)
        cron_free(w->v[i].cron);
    free(w->v);
    free(w);
}

int window_set_add(struct window_set *w, const char *cron_expr, int64_t duration_min,
                   struct oerr *err)
{
    struct cron *c;

    if (duration_min < WINDOW_DURATION_MIN || duration_min > WINDOW_DURATION_MAX)
        return oerr_set(err, OERR_INVALID, "DurationInMinutes must be between %d and %d",
                        WINDOW_DURATION_MIN, WINDOW_DURATION_MAX);
    c = cron_parse(cron_expr, err);
    if (c == NULL) {
        oerr_prefix(err, "StartTime: ");
        return -1;
    }
    if (w->n == w->cap) {
        w->cap = w->cap == 0 ? 4 : w->cap * 2;
        w->v = xreallocarray(w->v, w->cap, sizeof *w->v);
    }
    w->v[w->n].cron = c;
    w->v[w->n].duration_min = duration_min;
    w->n++;
    return 0;
}

size_t window_set_count(const struct window_set *w)
{
    return w == NULL ? 0 : w->n;
}

/* 1 if an occurrence of win runs at t. */
static int covers(const struct window *win, int64_t t)
{
    int64_t s = cron_prev(win->cron, t);
    return s >= 0 && t < s + win->duration_min * TIMEFMT_MS_PER_MINUTE;
}

/* The common period in days of all windows' occurrences (1 or 7), or 0 if there is none. */
static int64_t period_days(const struct window_set *w)
{
    int64_t period = 1;
    for (size_t i = 0; i < w->n; i++) {
        int p = cron_period_days(w->v[i].cron);
        if (p == 0)
            return 0;
        if (p == 7)
            period = 7;
    }
    return period;
}

/*
 * The end of the merged run covering t, or -1 past limit. Each round moves the frontier x to
 * the furthest point any single window covers continuously from x; [t, x) stays covered, and
 * the run ends at the first x no window covers. Windows that fill each other's gaps make many
 * short rounds, so when every window repeats daily or weekly, a run covering one whole period
 * covers every later one: it is endless (unless the year range ends within the horizon).
 */
static int64_t run_end(const struct window_set *w, int64_t t, int64_t limit)
{
    int64_t period = period_days(w) * TIMEFMT_MS_PER_DAY;
    int64_t range_end = timefmt_days_from_civil(CRON_YEAR_MAX + 1, 1, 1) * TIMEFMT_MS_PER_DAY;
    int64_t x = t;
    for (;;) {
        if (period > 0 && x - t >= period && limit < range_end)
            return -1;
        int64_t furthest = x;
        for (size_t i = 0; i < w->n; i++) {
            int64_t e = cron_cover_end(w->v[i].cron, x, w->v[i].duration_min, limit);
            if (e < 0)
                return -1;
            if (e > furthest)
                furthest = e;
        }
        if (furthest == x)
            return x;
        x = furthest;
    }
}

void window_set_at(const struct window_set *w, int64_t t, struct window_state *out)
{
    int64_t limit = t < INT64_MAX - WINDOW_HORIZON_MS ? t + WINDOW_HORIZON_MS : INT64_MAX;
    int64_t next = -1;

    out->open = 1;
    out->until = -1;
    if (w == NULL || w->n == 0)
        return;
    for (size_t i = 0; i < w->n; i++) {
        if (covers(&w->v[i], t)) {
            out->until = run_end(w, t, limit);
            return;
        }
    }
    out->open = 0;
    for (size_t i = 0; i < w->n; i++) {
        int64_t s = cron_next(w->v[i].cron, t);
        if (s >= 0 && (next < 0 || s < next))
            next = s;
    }
    out->until = next >= 0 && next <= limit ? next : -1;
}
