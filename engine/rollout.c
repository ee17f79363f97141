/*
 * rollout: the pacer of SPEC.md section 4 (see rollout.h for the rules). Everything is a pure
 * function of the config, the persisted state and the time passed in.
 *
 * Slot arithmetic is done in doubles on the offset from the stage's clock, and one predicate
 * (slots_by) decides whether a slot is free; the inverse (slot_offset) searches with that same
 * predicate, so that allowance(), next_at() and idle() can never disagree by a millisecond.
 */
#include "engine/rollout.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/oerr.h"

#define WINDOW_MS INT64_C(60000)
/*
 * Batches are never closer than 1 s: 60 fit in any 60 s, so the history (ROLLOUT_HISTORY
 * entries) always has room for the next one.
 */
#define HISTORY_INTERVAL_MS INT64_C(1000)
/* Offsets beyond this are "never" (about 146 000 years); keeps every sum below INT64_MAX. */
#define FAR_MS (INT64_C(1) << 62)

void rollout_config_default(struct rollout_config *cfg)
{
    cfg->max_per_minute = 0.0;
    cfg->base_per_minute = 0.0;
    cfg->increment_factor = 0.0;
    cfg->notified_criterion = 0;
    cfg->succeeded_criterion = 0;
    cfg->ceiling = ROLLOUT_DEFAULT_CEILING;
    cfg->min_batch_interval_ms = ROLLOUT_DEFAULT_BATCH_MS;
}

/* Written so that NaN is out of range too. */
static int in_range(double x, double lo, double hi)
{
    return x >= lo && x <= hi;
}

int rollout_config_validate(const struct rollout_config *cfg, struct oerr *err)
{
    if (cfg->max_per_minute != 0.0 && !(cfg->max_per_minute >= 1.0))
        return oerr_set(err, OERR_INVALID, "MaximumPerMinute must be at least 1");
    if (cfg->base_per_minute != 0.0) {
        if (!in_range(cfg->base_per_minute, 1.0, 100.0))
            return oerr_set(err, OERR_INVALID,
                            "ExponentialRolloutRate.BaseRatePerMinute must be between 1 and 100");
        if (!in_range(cfg->increment_factor, 1.1, 5.0))
            return oerr_set(err, OERR_INVALID,
                            "ExponentialRolloutRate.IncrementFactor must be between 1.1 and 5");
        if (cfg->notified_criterion != 0 &&
            (cfg->notified_criterion < 1 || cfg->notified_criterion > 100))
            return oerr_set(err, OERR_INVALID,
                            "ExponentialRolloutRate.RateIncreaseCriteria.numberOfNotifiedThings "
                            "must be between 1 and 100");
        if (cfg->succeeded_criterion != 0 &&
            (cfg->succeeded_criterion < 1 || cfg->succeeded_criterion > 100))
            return oerr_set(err, OERR_INVALID,
                            "ExponentialRolloutRate.RateIncreaseCriteria.numberOfSucceededThings "
                            "must be between 1 and 100");
        if (cfg->notified_criterion == 0 && cfg->succeeded_criterion == 0)
            return oerr_set(err, OERR_INVALID,
                            "ExponentialRolloutRate.RateIncreaseCriteria must give "
                            "numberOfNotifiedThings or numberOfSucceededThings");
    }
    if (!(cfg->ceiling > 0.0))
        return oerr_set(err, OERR_INVALID, "rate ceiling must be positive");
    if (cfg->min_batch_interval_ms < 0)
        return oerr_set(err, OERR_INVALID, "minimum batch interval must not be negative");
    return 0;
}

static int exponential(const struct rollout_config *cfg)
{
    return cfg->base_per_minute > 0.0;
}

double rollout_rate(const struct rollout_config *cfg, int32_t stage)
{
    double r;
    if (exponential(cfg))
        r = cfg->base_per_minute * pow(cfg->increment_factor, stage > 0 ? stage : 0);
    else if (cfg->max_per_minute > 0.0)
        r = cfg->max_per_minute;
    else
        r = cfg->ceiling;
    if (cfg->max_per_minute > 0.0 && r > cfg->max_per_minute)
        r = cfg->max_per_minute;
    if (cfg->ceiling > 0.0 && r > cfg->ceiling)
        r = cfg->ceiling;
    return r;
}

/* The rate of the current stage, or 0 if the config yields no usable rate. */
static double current_rate(const struct rollout_config *cfg, const struct rollout_state *st)
{
    double r = rollout_rate(cfg, st->stage);
    return r > 0.0 && isfinite(r) ? r : 0.0;
}

/* The window cap ceil(r) + 1, immune to a rate that is an integer plus rounding noise. */
static int64_t window_cap(double r)
{
    return (int64_t)ceil(r - 1e-9) + 1;
}

/*
 * Slots free offset_ms after the stage's clock, counting the one free at offset 0:
 * floor(offset * r / 60000) + 1, with a small relative tolerance so that an offset that is
 * mathematically a multiple of the slot interval is not lost to rounding.
 */
static int64_t slots_by(int64_t offset_ms, double r)
{
    if (offset_ms < 0)
        return 0;
    double x = (double)offset_ms * r / 60000.0;
    x += 1e-9 + x * 1e-12;
    if (x >= 4e18)
        return INT64_C(4000000000000000000);
    return (int64_t)floor(x) + 1;
}

/* The smallest offset at which slot j (0-based from the clock) is free, or FAR_MS. */
static int64_t slot_offset(int64_t j, double r)
{
    if (j <= 0)
        return 0;
    double est = ceil((double)j * 60000.0 / r);
    if (!(est < (double)FAR_MS))
        return FAR_MS;
    int64_t d = (int64_t)est;
    while (d > 0 && slots_by(d - 1, r) > j)
        d--;
    while (slots_by(d, r) <= j)
        d++;
    return d;
}

static int64_t add_sat(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    return a + b;
}

static int64_t hist_len(const struct rollout_state *st)
{
    if (st->n_hist < 0)
        return 0;
    return st->n_hist > ROLLOUT_HISTORY ? ROLLOUT_HISTORY : st->n_hist;
}

/* Notifications and batches recorded in (t - 60000, t]. */
static void window_scan(const struct rollout_state *st, int64_t t, int64_t *count, int64_t *entries)
{
    int64_t n = hist_len(st);
    *count = 0;
    *entries = 0;
    for (int64_t i = 0; i < n; i++) {
        if (st->hist_at[i] > t - WINDOW_MS && st->hist_at[i] <= t) {
            *count += st->hist_n[i];
            (*entries)++;
        }
    }
}

/* 1 if the history can take a batch at t: a free entry, or the last entry is at t. */
static int history_has_room(const struct rollout_state *st, int64_t entries, int64_t t)
{
    int64_t n = hist_len(st);
    return entries < ROLLOUT_HISTORY || (n > 0 && st->hist_at[n - 1] == t);
}

void rollout_state_init(struct rollout_state *st)
{
    memset(st, 0, sizeof *st);
    st->stage_start = -1;
    st->last_batch_at = -1;
}

void rollout_start(const struct rollout_config *cfg, struct rollout_state *st, int64_t t)
{
    (void)cfg;
    if (st->stage_start >= 0)
        return;
    st->stage_start = t < 0 ? 0 : t;
    st->slot_base = 0;
    st->stage_notified = 0;
    st->succeeded_base = st->succeeded_seen;
}

/*
 * The effective minimum interval between two batches: min_batch_interval_ms, at least 1 s,
 * rounded up to a divisor of 60 s. Batches that tile the minute put the same number of batches
 * in every 60 s window; with any other interval some windows hold one batch more than others,
 * the window cap ceil(r) + 1 then binds every minute and the pace falls short of r (batches
 * every 7 s at r = 60 would hold 61 / 9 per batch: 58 a minute).
 */
static int64_t batch_interval(const struct rollout_config *cfg)
{
    int64_t b = cfg->min_batch_interval_ms;
    if (b <= HISTORY_INTERVAL_MS)
        return HISTORY_INTERVAL_MS;
    if (b >= WINDOW_MS)
        return b;
    for (int64_t k = WINDOW_MS / b; k > 1; k--) {
        if (WINDOW_MS % k == 0)
            return WINDOW_MS / k;
    }
    return WINDOW_MS;
}

/* Slot credit at t: free slots of the stage not yet used. */
static int64_t spacing_credit(const struct rollout_state *st, double r, int64_t t)
{
    if (t < st->stage_start)
        return 0;
    int64_t free_slots = st->slot_base + slots_by(t - st->stage_start, r);
    return free_slots - st->stage_notified;
}

/* 1 if the next step raises the rate (so that landing exactly on the criterion matters). */
static int step_raises_rate(const struct rollout_config *cfg, const struct rollout_state *st)
{
    return st->stage < INT32_MAX && rollout_rate(cfg, st->stage + 1) > rollout_rate(cfg, st->stage);
}

int64_t rollout_allowance(const struct rollout_config *cfg, const struct rollout_state *st,
                          int64_t t)
{
    if (st->stage_start < 0)
        return 0;
    double r = current_rate(cfg, st);
    if (r <= 0.0)
        return 0;
    if (st->last_batch_at >= 0 && t - st->last_batch_at < batch_interval(cfg))
        return 0; /* also when t is before the last batch */
    int64_t allow = spacing_credit(st, r, t);
    if (allow <= 0)
        return 0;
    int64_t count, entries;
    window_scan(st, t, &count, &entries);
    int64_t room = window_cap(r) - count;
    if (room < allow)
        allow = room;
    if (!history_has_room(st, entries, t))
        return 0;
    if (exponential(cfg) && cfg->notified_criterion > 0 && step_raises_rate(cfg, st)) {
        /* Never cross the step boundary in one batch, so the step lands on the criterion. */
        int64_t left = cfg->notified_criterion - st->stage_notified;
        if (left < 1)
            left = 1; /* over-recorded by the caller: the next record steps */
        if (left < allow)
            allow = left;
    }
    return allow > 0 ? allow : 0;
}

int64_t rollout_next_at(const struct rollout_config *cfg, const struct rollout_state *st, int64_t t)
{
    if (st->stage_start < 0)
        return -1;
    double r = current_rate(cfg, st);
    if (r <= 0.0)
        return -1;
    int64_t at = t;
    if (st->last_batch_at > at)
        at = st->last_batch_at;
    /* spacing: the next unused slot */
    int64_t j = st->stage_notified - st->slot_base;
    int64_t slot_at = add_sat(st->stage_start, slot_offset(j < 0 ? 0 : j, r));
    if (slot_at > at)
        at = slot_at;
    /* batching */
    if (st->last_batch_at >= 0) {
        int64_t batch_at = add_sat(st->last_batch_at, batch_interval(cfg));
        if (batch_at > at)
            at = batch_at;
    }
    /* window: the earliest time, as the oldest batches leave, with room for one more */
    int64_t cap = window_cap(r);
    int64_t n = hist_len(st);
    for (int64_t k = 0; k <= n; k++) {
        int64_t c = at;
        if (k > 0 && st->hist_at[k - 1] + WINDOW_MS > c)
            c = st->hist_at[k - 1] + WINDOW_MS;
        int64_t count, entries;
        window_scan(st, c, &count, &entries);
        if (count < cap && history_has_room(st, entries, c)) {
            at = c;
            break;
        }
    }
    return at;
}

/*
 * Step to the next stage at t (a criterion was met); the first `consumed` notifications of the
 * stage belong to the old one, the rest are carried into the new one. A step that raises the
 * rate starts the new clock at max(t, last batch + 60000 / r_new). A step that does not (the
 * rate is already capped) changes nothing for pacing: the clock carries on from slot
 * `consumed`, so that credit is neither lost nor made.
 */
static void step(const struct rollout_config *cfg, struct rollout_state *st, int64_t t,
                 int64_t consumed)
{
    double r_old = current_rate(cfg, st);
    if (st->stage < INT32_MAX)
        st->stage++;
    double r = current_rate(cfg, st);
    if (r > 0.0 && r <= r_old) {
        int64_t j = consumed - st->slot_base;
        st->stage_start = add_sat(st->stage_start, slot_offset(j < 0 ? 0 : j, r));
    } else {
        int64_t start = t;
        if (st->last_batch_at >= 0 && r > 0.0) {
            /* the gap across the step is never shorter than the new stage's spacing */
            int64_t after = add_sat(st->last_batch_at, slot_offset(1, r));
            if (after > start)
                start = after;
        }
        st->stage_start = start;
    }
    st->slot_base = 0;
    st->stage_notified -= consumed;
    st->succeeded_base = st->succeeded_seen;
}

void rollout_record(const struct rollout_config *cfg, struct rollout_state *st, int64_t n,
                    int64_t t)
{
    if (n <= 0)
        return;
    if (st->stage_start < 0)
        rollout_start(cfg, st, t);
    /* drop the batches that have left the window (t - 60000, t] */
    int64_t len = hist_len(st);
    int64_t keep = 0;
    while (keep < len && st->hist_at[keep] <= t - WINDOW_MS)
        keep++;
    if (keep > 0) {
        memmove(st->hist_at, st->hist_at + keep, (size_t)(len - keep) * sizeof st->hist_at[0]);
        memmove(st->hist_n, st->hist_n + keep, (size_t)(len - keep) * sizeof st->hist_n[0]);
        len -= keep;
    }
    if (len > 0 && st->hist_at[len - 1] >= t) {
        /* same instant (or a caller whose clock stepped back): count it with the last batch */
        st->hist_n[len - 1] += n;
    } else {
        if (len == ROLLOUT_HISTORY) {
            /* Only a caller that ignores allowance() gets here: fold the oldest batch into
             * the next one, which makes it count for longer (conservative). */
            st->hist_n[1] += st->hist_n[0];
            memmove(st->hist_at, st->hist_at + 1, (size_t)(len - 1) * sizeof st->hist_at[0]);
            memmove(st->hist_n, st->hist_n + 1, (size_t)(len - 1) * sizeof st->hist_n[0]);
            len--;
        }
        st->hist_at[len] = t;
        st->hist_n[len] = n;
        len++;
    }
    st->n_hist = (int32_t)len;
    st->stage_notified += n;
    st->total_notified += n;
    if (t > st->last_batch_at)
        st->last_batch_at = t;
    if (exponential(cfg) && cfg->notified_criterion > 0) {
        /* more than the criterion (a capped rate, or a caller that over-recorded): the excess
         * counts for the next stage */
        while (st->stage_notified >= cfg->notified_criterion)
            step(cfg, st, t, cfg->notified_criterion);
    }
}

int rollout_observe_succeeded(const struct rollout_config *cfg, struct rollout_state *st,
                              int64_t total_succeeded, int64_t t)
{
    st->succeeded_seen = total_succeeded;
    if (st->stage_start < 0) {
        st->succeeded_base = total_succeeded;
        return 0;
    }
    if (!exponential(cfg) || cfg->succeeded_criterion <= 0)
        return 0;
    if (total_succeeded - st->succeeded_base < cfg->succeeded_criterion)
        return 0;
    step(cfg, st, t, st->stage_notified);
    return 1;
}

void rollout_idle(const struct rollout_config *cfg, struct rollout_state *st, int64_t t)
{
    if (st->stage_start < 0)
        return;
    double r = current_rate(cfg, st);
    if (r <= 0.0)
        return;
    int64_t j = st->stage_notified - st->slot_base;
    int64_t next = add_sat(st->stage_start, slot_offset(j < 0 ? 0 : j, r));
    if (next >= t)
        return;
    st->stage_start = t;
    st->slot_base = st->stage_notified;
}

int64_t rollout_window_count(const struct rollout_state *st, int64_t t)
{
    int64_t count, entries;
    window_scan(st, t, &count, &entries);
    return count;
}

/* ---- text form: "1;stage;start;base;notified;sbase;sseen;last;total;n" then ";at:n" each */

#define FORMAT_VERSION "1"

int rollout_state_format(const struct rollout_state *st, char *buf, size_t len)
{
    int64_t n = hist_len(st);
    int w = snprintf(buf, len, FORMAT_VERSION ";%ld;%lld;%lld;%lld;%lld;%lld;%lld;%lld;%lld",
                     (long)st->stage, (long long)st->stage_start, (long long)st->slot_base,
                     (long long)st->stage_notified, (long long)st->succeeded_base,
                     (long long)st->succeeded_seen, (long long)st->last_batch_at,
                     (long long)st->total_notified, (long long)n);
    if (w < 0 || (size_t)w >= len)
        return -1;
    size_t pos = (size_t)w;
    for (int64_t i = 0; i < n; i++) {
        w = snprintf(buf + pos, len - pos, ";%lld:%lld", (long long)st->hist_at[i],
                     (long long)st->hist_n[i]);
        if (w < 0 || (size_t)w >= len - pos)
            return -1;
        pos += (size_t)w;
    }
    return (int)pos;
}

/* Parse a decimal integer at *p (optional '-', digits, no leading zeros) and advance *p. */
static int parse_int(const char **p, int64_t *out)
{
    const char *s = *p;
    const char *digits = *s == '-' ? s + 1 : s;
    if (!(*digits >= '0' && *digits <= '9'))
        return -1;
    if (digits[0] == '0' && ((digits[1] >= '0' && digits[1] <= '9') || digits != s))
        return -1; /* one spelling per value: no "007", no "-0" */
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s)
        return -1;
    *out = v;
    *p = end;
    return 0;
}

int rollout_state_parse(const char *text, struct rollout_state *st, struct oerr *err)
{
    static const char *const names[] = {"stage",          "stage start",    "slot base",
                                        "stage notified", "succeeded base", "succeeded seen",
                                        "last batch",     "total notified", "history length"};
    enum { F_STAGE, F_START, F_BASE, F_NOTIFIED, F_SBASE, F_SSEEN, F_LAST, F_TOTAL, F_N, F_MAX };
    int64_t f[F_MAX];
    struct rollout_state out;
    const char *p = text;

    if (text == NULL || strncmp(p, FORMAT_VERSION ";", 2) != 0)
        return oerr_set(err, OERR_INVALID, "rollout state: unknown format");
    p += 2;
    for (int i = 0; i < F_MAX; i++) {
        if (parse_int(&p, &f[i]) != 0 || (i + 1 < F_MAX && *p != ';'))
            return oerr_set(err, OERR_INVALID, "rollout state: bad %s", names[i]);
        if (i + 1 < F_MAX)
            p++;
    }
    if (f[F_STAGE] < 0 || f[F_STAGE] > INT32_MAX)
        return oerr_set(err, OERR_INVALID, "rollout state: bad stage");
    if (f[F_START] < -1)
        return oerr_set(err, OERR_INVALID, "rollout state: bad stage start");
    if (f[F_NOTIFIED] < 0 || f[F_BASE] < 0 || f[F_BASE] > f[F_NOTIFIED])
        return oerr_set(err, OERR_INVALID, "rollout state: bad stage notified");
    if (f[F_SBASE] < 0 || f[F_SSEEN] < 0)
        return oerr_set(err, OERR_INVALID, "rollout state: bad succeeded count");
    if (f[F_LAST] < -1)
        return oerr_set(err, OERR_INVALID, "rollout state: bad last batch");
    if (f[F_TOTAL] < f[F_NOTIFIED])
        return oerr_set(err, OERR_INVALID, "rollout state: bad total notified");
    if (f[F_N] < 0 || f[F_N] > ROLLOUT_HISTORY || (f[F_N] > 0 && f[F_LAST] < 0))
        return oerr_set(err, OERR_INVALID, "rollout state: bad history length");
    if (f[F_START] < 0 && (f[F_NOTIFIED] != 0 || f[F_N] != 0))
        return oerr_set(err, OERR_INVALID, "rollout state: not started but has notifications");

    rollout_state_init(&out);
    out.stage = (int32_t)f[F_STAGE];
    out.stage_start = f[F_START];
    out.slot_base = f[F_BASE];
    out.stage_notified = f[F_NOTIFIED];
    out.succeeded_base = f[F_SBASE];
    out.succeeded_seen = f[F_SSEEN];
    out.last_batch_at = f[F_LAST];
    out.total_notified = f[F_TOTAL];
    out.n_hist = (int32_t)f[F_N];
    for (int64_t i = 0; i < f[F_N]; i++) {
        int64_t at, n;
        if (*p != ';')
            return oerr_set(err, OERR_INVALID, "rollout state: history entry %lld missing",
                            (long long)i + 1);
        p++;
        if (parse_int(&p, &at) != 0 || *p != ':')
            return oerr_set(err, OERR_INVALID, "rollout state: bad history entry %lld",
                            (long long)i + 1);
        p++;
        if (parse_int(&p, &n) != 0)
            return oerr_set(err, OERR_INVALID, "rollout state: bad history entry %lld",
                            (long long)i + 1);
        if (at < 0 || n < 1 || at > out.last_batch_at || (i > 0 && at <= out.hist_at[i - 1]))
            return oerr_set(err, OERR_INVALID, "rollout state: bad history entry %lld",
                            (long long)i + 1);
        out.hist_at[i] = at;
        out.hist_n[i] = n;
    }
    if (*p != '\0')
        return oerr_set(err, OERR_INVALID, "rollout state: trailing characters");
    *st = out;
    return 0;
}
