/*
 * Unit tests of engine/rollout.
 *
 * Pacing: for rates 1, 7.5, 60 and 1000 a minute and tick patterns (every 1 ms, every 1 s,
 * irregular gaps of 1 ms..2 s from a fixed LCG), a caller queues rollout_allowance(t) at
 * every tick from an unlimited supply for one hour. At every tick the allowance must equal
 * what an independent oracle (the three rules recomputed from the recorded notifications)
 * allows; afterwards (a) every window [a, a + 60 s) over the notification times holds at
 * most ceil(r) + 1, the n-th notification is no earlier than t0 + n * 60000 / r, and (b) the
 * hour's count is within 1 of r * 60. For r = 1000 with irregular ticks (b) is impossible for
 * any pacer: the test computes the upper bound U(H) that the window rule puts on every pacer
 * with those ticks, checks that it is below r * 60 - 1, and that the pacer gets within 0.25 %
 * of it (rollout.h explains the bound).
 *
 * Then: rates and caps, the AWS exponential table, succeeded-criterion steps, steps landing on
 * the criterion, spacing across steps, idle, next_at, the text form and config validation.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mem.h"
#include "engine/oerr.h"
#include "engine/rollout.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define T0      INT64_C(1780000000000) /* 2026-05-28T20:26:40Z, a multiple of 1 s */
#define SEC_MS  INT64_C(1000)
#define MIN_MS  INT64_C(60000)
#define HOUR_MS INT64_C(3600000)

/* ---- tick patterns ---- */

enum pattern { PAT_1MS, PAT_1S, PAT_IRREGULAR };

struct ticker {
    enum pattern pattern;
    uint64_t rng;
};

static void ticker_init(struct ticker *tk, enum pattern p)
{
    tk->pattern = p;
    tk->rng = 12345;
}

static int64_t ticker_gap(struct ticker *tk)
{
    switch (tk->pattern) {
    case PAT_1MS:
        return 1;
    case PAT_1S:
        return SEC_MS;
    case PAT_IRREGULAR:
        break;
    }
    tk->rng = tk->rng * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return 1 + (int64_t)((tk->rng >> 33) % 2000);
}

/* ---- a growing list of batches ---- */

struct batches {
    int64_t *at;
    int64_t *n;
    size_t len, cap;
};

static void batches_push(struct batches *b, int64_t at, int64_t n)
{
    if (b->len == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1024;
        b->at = xreallocarray(b->at, b->cap, sizeof *b->at);
        b->n = xreallocarray(b->n, b->cap, sizeof *b->n);
    }
    b->at[b->len] = at;
    b->n[b->len] = n;
    b->len++;
}

static void batches_free(struct batches *b)
{
    free(b->at);
    free(b->n);
    memset(b, 0, sizeof *b);
}

/* The most notifications in any window [a, a + 60 s), a ranging over the batch times (where
 * the maximum over all a is reached). */
static int64_t max_window(const struct batches *b)
{
    int64_t best = 0, sum = 0;
    size_t j = 0;
    for (size_t i = 0; i < b->len; i++) {
        while (j < b->len && b->at[j] < b->at[i] + MIN_MS)
            sum += b->n[j++];
        if (sum > best)
            best = sum;
        sum -= b->n[i];
    }
    return best;
}

/* Slots of a flat-rate stage started at t0 that are free at t (the test's own formula). */
static int64_t slots(double r, int64_t t0, int64_t t)
{
    return (int64_t)floor((double)(t - t0) * r / 60000.0 + 1e-9) + 1;
}

static int64_t cap_of(double r)
{
    return (int64_t)ceil(r) + 1;
}

static void flat_config(struct rollout_config *cfg, double rate, int64_t batch_ms)
{
    rollout_config_default(cfg);
    cfg->max_per_minute = rate;
    cfg->min_batch_interval_ms = batch_ms;
}

/* ---- pacing over one hour ---- */

static const struct {
    double rate;
    enum pattern pattern;
    int64_t batch_ms;     /* configured */
    int64_t effective_ms; /* the interval the pacer must keep (rollout.h: >= 1 s, divides 60 s) */
    int exact;            /* (b): within 1 of r * 60; 0: shown impossible, compared with U(H) */
} pacing[] = {
    {1, PAT_1MS, 1000, 1000, 1},
    {7.5, PAT_1MS, 1000, 1000, 1},
    {60, PAT_1MS, 1000, 1000, 1},
    {1000, PAT_1MS, 1000, 1000, 1},
    {1, PAT_1MS, 0, 1000, 1},
    {7.5, PAT_1MS, 0, 1000, 1},
    {60, PAT_1MS, 0, 1000, 1},
    {1000, PAT_1MS, 0, 1000, 1},
    {1, PAT_1S, 1000, 1000, 1},
    {7.5, PAT_1S, 1000, 1000, 1},
    {60, PAT_1S, 1000, 1000, 1},
    {1000, PAT_1S, 1000, 1000, 1},
    {1, PAT_IRREGULAR, 1000, 1000, 1},
    {7.5, PAT_IRREGULAR, 1000, 1000, 1},
    {60, PAT_IRREGULAR, 1000, 1000, 1},
    {1000, PAT_IRREGULAR, 1000, 1000, 0},
    {60, PAT_1MS, 7000, 7500, 1},
    {1000, PAT_1MS, 13000, 15000, 1},
    {1000, PAT_1MS, 1100, 1200, 1},
    {7.5, PAT_1S, 59000, 60000, 1},
    /* 56.99999999999999: slot 57 is due at exactly 60 s, which plain floor() would miss */
    {0.57 * 100, PAT_1S, 1000, 1000, 1},
};

/*
 * The most notifications any pacer obeying spacing and the window rule can have made by the
 * last of the ticks: U(t) = min(S(t), U(last tick <= t - 60 s) + ceil(r) + 1) (every batch in
 * (t - 60 s, t] is in t's window; batching would only lower it).
 */
static int64_t upper_bound(double r, const int64_t *ticks, size_t n)
{
    int64_t *u = xcalloc(n, sizeof *u);
    size_t j = 0; /* the last tick <= ticks[i] - 60 s, once there is one */
    for (size_t i = 0; i < n; i++) {
        while (j + 1 < n && ticks[j + 1] <= ticks[i] - MIN_MS)
            j++;
        int have = ticks[j] <= ticks[i] - MIN_MS;
        int64_t s = slots(r, ticks[0], ticks[i]);
        int64_t w = (have ? u[j] : 0) + cap_of(r);
        u[i] = s < w ? s : w;
    }
    int64_t result = u[n - 1];
    free(u);
    return result;
}

START_TEST(test_pacing)
{
    double r = pacing[_i].rate;
    struct rollout_config cfg;
    struct rollout_state st;
    struct ticker tk;
    struct batches b = {0};
    int64_t *ticks = NULL;
    size_t n_ticks = 0, cap_ticks = 0;
    flat_config(&cfg, r, pacing[_i].batch_ms);
    ck_assert_int_eq(rollout_config_validate(&cfg, NULL), 0);
    rollout_state_init(&st);
    ticker_init(&tk, pacing[_i].pattern);
    rollout_start(&cfg, &st, T0);

    int64_t total = 0, last = -1, in_window = 0;
    size_t oldest = 0; /* first batch inside (t - 60 s, t] */
    for (int64_t t = T0;;) {
        if (pacing[_i].pattern == PAT_IRREGULAR) {
            if (n_ticks == cap_ticks) {
                cap_ticks = cap_ticks ? cap_ticks * 2 : 4096;
                ticks = xreallocarray(ticks, cap_ticks, sizeof *ticks);
            }
            ticks[n_ticks++] = t;
        }
        /* the oracle: the three rules, from the notifications made so far */
        while (oldest < b.len && b.at[oldest] <= t - MIN_MS)
            in_window -= b.n[oldest++];
        int64_t want = 0;
        if (last < 0 || t - last >= pacing[_i].effective_ms) {
            int64_t credit = slots(r, T0, t) - total;
            int64_t room = cap_of(r) - in_window;
            want = credit < room ? credit : room;
            if (want < 0)
                want = 0;
        }
        int64_t a = rollout_allowance(&cfg, &st, t);
        if (a != want)
            ck_abort_msg("t0+%lld: allowance %lld, rules allow %lld", (long long)(t - T0),
                         (long long)a, (long long)want);
        if (a > 0) {
            rollout_record(&cfg, &st, a, t);
            batches_push(&b, t, a);
            total += a;
            in_window += a;
            last = t;
            ck_assert_int_eq(rollout_window_count(&st, t), in_window);
        }
        if (t == T0 + HOUR_MS)
            break;
        int64_t gap = ticker_gap(&tk);
        t = t + gap > T0 + HOUR_MS ? T0 + HOUR_MS : t + gap; /* the hour's end is a tick */
    }
    ck_assert_int_eq(st.total_notified, total);

    /* (a) no 60 s window holds more than ceil(r) + 1 */
    ck_assert_int_le(max_window(&b), cap_of(r));
    /* spacing: the n-th notification no earlier than t0 + n * 60000 / r */
    int64_t before = 0;
    for (size_t i = 0; i < b.len; i++) {
        before += b.n[i];
        ck_assert_int_le(before, slots(r, T0, b.at[i]));
    }
    /* batching */
    for (size_t i = 1; i < b.len; i++)
        ck_assert_int_ge(b.at[i] - b.at[i - 1], pacing[_i].effective_ms);
    /* (b) the hour's count */
    double ideal = r * 60.0;
    if (pacing[_i].exact) {
        ck_assert_msg(fabs((double)total - ideal) <= 1.0 + 1e-9, "rate %g: %lld in the hour", r,
                      (long long)total);
    } else {
        int64_t u = upper_bound(r, ticks, n_ticks);
        ck_assert_msg((double)u < ideal - 1.0, "U(H) = %lld: (b) is feasible, make it exact",
                      (long long)u);
        ck_assert_int_le(total, u);
        ck_assert_msg((double)total >= (double)u * 0.9975, "rate %g: %lld, best possible %lld", r,
                      (long long)total, (long long)u);
    }
    free(ticks);
    batches_free(&b);
}
END_TEST

/* ---- rates ---- */

static const struct {
    double max, base, factor, ceiling;
    int32_t stage;
    double want;
} rates[] = {
    {0, 0, 0, 1000, 0, 1000}, /* no config: the ceiling */
    {0, 0, 0, 500, 7, 500},   /* a lower ceiling; stages do not matter */
    {60, 0, 0, 1000, 0, 60},      {7.5, 0, 0, 1000, 3, 7.5},          {5000, 0, 0, 1000, 0, 1000},
    {0, 50, 2, 1000, 0, 50},      {0, 50, 2, 1000, 1, 100},           {0, 50, 2, 1000, 2, 200},
    {0, 50, 2, 1000, 3, 400},     {0, 50, 2, 1000, 4, 800},           {0, 50, 2, 1000, 5, 1000},
    {0, 50, 2, 1000, 40, 1000},   {0, 10, 2, 1000, 4, 160},           {160, 10, 2, 1000, 4, 160},
    {160, 10, 2, 1000, 5, 160},   {160, 10, 2, 1000, 30, 160},        {0, 25, 1.5, 1000, 1, 37.5},
    {0, 25, 1.5, 1000, 2, 56.25}, {0, 1, 1.1, 1000, 1, 1.1},          {0, 100, 5, 1000, 1, 500},
    {0, 100, 5, 1000, 2, 1000},   {0, 100, 5, 1000, INT32_MAX, 1000},
};

START_TEST(test_rate)
{
    struct rollout_config cfg;
    rollout_config_default(&cfg);
    cfg.max_per_minute = rates[_i].max;
    cfg.base_per_minute = rates[_i].base;
    cfg.increment_factor = rates[_i].factor;
    cfg.ceiling = rates[_i].ceiling;
    double got = rollout_rate(&cfg, rates[_i].stage);
    ck_assert_msg(fabs(got - rates[_i].want) < 1e-9, "row %d: %g", _i, got);
}
END_TEST

/* ---- exponential rollouts ---- */

/* One simulated caller: ticks every second, unlimited supply; the hooks see every batch. */
struct expo_run {
    struct rollout_config cfg;
    struct rollout_state st;
    struct batches b;
    int32_t *stage_of; /* stage in effect for each batch */
    double *rate_of;   /* its rate */
    size_t cap;
};

static void expo_batch(struct expo_run *x, int64_t t, int64_t a)
{
    if (x->b.len == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 1024;
        x->stage_of = xreallocarray(x->stage_of, x->cap, sizeof *x->stage_of);
        x->rate_of = xreallocarray(x->rate_of, x->cap, sizeof *x->rate_of);
    }
    x->stage_of[x->b.len] = x->st.stage;
    x->rate_of[x->b.len] = rollout_rate(&x->cfg, x->st.stage);
    batches_push(&x->b, t, a);
}

static void expo_free(struct expo_run *x)
{
    batches_free(&x->b);
    free(x->stage_of);
    free(x->rate_of);
}

/* AWS's table (DG-CFG): base 50, factor 2, 1000 notified per step: 50, 100, 200, 400 after
 * 1000, 2000, 3000 notified. Every batch is made at its stage's rate, no batch straddles a
 * step, and each stage takes 1000 notifications at its rate. */
START_TEST(test_aws_table)
{
    struct expo_run x = {0};
    rollout_config_default(&x.cfg);
    x.cfg.base_per_minute = 50;
    x.cfg.increment_factor = 2;
    x.cfg.notified_criterion = 1000;
    rollout_state_init(&x.st);
    rollout_start(&x.cfg, &x.st, T0);
    for (int64_t t = T0; x.st.total_notified < 4000; t += SEC_MS) {
        int64_t a = rollout_allowance(&x.cfg, &x.st, t);
        if (a > 0) {
            int64_t before = x.st.total_notified;
            expo_batch(&x, t, a);
            rollout_record(&x.cfg, &x.st, a, t);
            /* never across a multiple of 1000 */
            ck_assert_int_eq(before / 1000, (x.st.total_notified - 1) / 1000);
        }
        ck_assert_int_lt(t - T0, 2 * HOUR_MS);
    }
    static const double want_rate[] = {50, 100, 200, 400};
    int64_t first_at[4] = {-1, -1, -1, -1}, last_at[4] = {0}, total = 0;
    for (size_t i = 0; i < x.b.len; i++) {
        int32_t k = x.stage_of[i];
        ck_assert_int_eq(k, (int32_t)(total / 1000));
        ck_assert(x.rate_of[i] == want_rate[k]);
        if (first_at[k] < 0)
            first_at[k] = x.b.at[i];
        last_at[k] = x.b.at[i];
        total += x.b.n[i];
    }
    ck_assert_int_eq(total, 4000);
    ck_assert_int_eq(x.st.stage, 4);
    ck_assert(rollout_rate(&x.cfg, x.st.stage) == 800);
    for (int k = 0; k < 4; k++) {
        /* 1000 notifications at r: the last is 999 slots after the first, give or take the
         * 1 s ticks */
        double span = 999.0 * 60000.0 / want_rate[k];
        ck_assert_msg(fabs((double)(last_at[k] - first_at[k]) - span) <= 1000.0,
                      "stage %d took %lld ms", k, (long long)(last_at[k] - first_at[k]));
        if (k > 0) /* across the step: at least the new stage's spacing */
            ck_assert_int_ge(first_at[k] - last_at[k - 1], (int64_t)ceil(60000.0 / want_rate[k]));
    }
    expo_free(&x);
}
END_TEST

/* base 10, factor 2, MaximumPerMinute 160, a step every 20 notified: 10, 20, 40, 80, 160 and
 * then 160 for ever; no window ever holds more than 161. */
START_TEST(test_cap_holds)
{
    struct expo_run x = {0};
    rollout_config_default(&x.cfg);
    x.cfg.base_per_minute = 10;
    x.cfg.increment_factor = 2;
    x.cfg.max_per_minute = 160;
    x.cfg.notified_criterion = 20;
    rollout_state_init(&x.st);
    rollout_start(&x.cfg, &x.st, T0);
    for (int64_t t = T0; t <= T0 + 30 * MIN_MS; t += 1) {
        int64_t a = rollout_allowance(&x.cfg, &x.st, t);
        if (a > 0) {
            expo_batch(&x, t, a);
            rollout_record(&x.cfg, &x.st, a, t);
        }
    }
    ck_assert_int_gt(x.st.stage, 20);
    ck_assert(rollout_rate(&x.cfg, x.st.stage) == 160);
    static const double want[] = {10, 20, 40, 80, 160};
    for (size_t i = 0; i < x.b.len; i++)
        ck_assert(x.rate_of[i] == want[x.stage_of[i] < 4 ? x.stage_of[i] : 4]);
    ck_assert_int_le(max_window(&x.b), 161);
    /* the last 20 minutes run at 160 a minute: 3200, within the batching of 1 s */
    int64_t late = 0;
    for (size_t i = 0; i < x.b.len; i++)
        late += x.b.at[i] > T0 + 10 * MIN_MS ? x.b.n[i] : 0;
    ck_assert_msg(llabs(late - 3200) <= 3, "%lld in the last 20 minutes", (long long)late);
    expo_free(&x);
}
END_TEST

/* The succeeded criterion, alone and OR-ed with the notified one: a table of events. */
enum ev { EV_SUCCEEDED, EV_RECORD };

static const struct {
    const char *name;
    int64_t notified_crit, succeeded_crit;
    struct {
        enum ev kind;
        int64_t value; /* total succeeded, or notifications recorded */
        int steps;     /* observe_succeeded's result (EV_SUCCEEDED) */
        int32_t stage; /* stage afterwards */
    } ev[8];
    size_t n;
} steps_table[] = {
    {"succeeded only",
     0,
     5,
     {{EV_SUCCEEDED, 4, 0, 0},
      {EV_SUCCEEDED, 5, 1, 1},
      {EV_SUCCEEDED, 9, 0, 1},
      {EV_SUCCEEDED, 10, 1, 2},
      {EV_SUCCEEDED, 100, 1, 3},
      {EV_SUCCEEDED, 104, 0, 3},
      {EV_SUCCEEDED, 105, 1, 4}},
     7},
    {"notified step resets the succeeded count",
     3,
     5,
     {{EV_SUCCEEDED, 4, 0, 0},
      {EV_RECORD, 3, 0, 1},
      {EV_SUCCEEDED, 8, 0, 1},
      {EV_SUCCEEDED, 9, 1, 2},
      {EV_RECORD, 2, 0, 2},
      {EV_SUCCEEDED, 13, 0, 2},
      {EV_SUCCEEDED, 14, 1, 3},
      {EV_RECORD, 1, 0, 3}},
     8},
    {"succeeded step resets the notified count",
     3,
     5,
     {{EV_RECORD, 2, 0, 0}, {EV_SUCCEEDED, 5, 1, 1}, {EV_RECORD, 2, 0, 1}, {EV_RECORD, 1, 0, 2}},
     4},
    {"notified only: successes never step",
     3,
     0,
     {{EV_SUCCEEDED, 50, 0, 0}, {EV_RECORD, 2, 0, 0}, {EV_SUCCEEDED, 500, 0, 0}},
     3},
};

START_TEST(test_succeeded)
{
    struct rollout_config cfg;
    struct rollout_state st;
    rollout_config_default(&cfg);
    cfg.base_per_minute = 10;
    cfg.increment_factor = 2;
    cfg.notified_criterion = steps_table[_i].notified_crit;
    cfg.succeeded_criterion = steps_table[_i].succeeded_crit;
    rollout_state_init(&st);
    rollout_start(&cfg, &st, T0);
    int64_t t = T0;
    for (size_t i = 0; i < steps_table[_i].n; i++) {
        t += 10 * MIN_MS; /* plenty of credit */
        if (steps_table[_i].ev[i].kind == EV_SUCCEEDED) {
            int steps = rollout_observe_succeeded(&cfg, &st, steps_table[_i].ev[i].value, t);
            ck_assert_msg(steps == steps_table[_i].ev[i].steps, "%s: event %zu: %d steps",
                          steps_table[_i].name, i, steps);
        } else {
            ck_assert_int_ge(rollout_allowance(&cfg, &st, t), steps_table[_i].ev[i].value);
            rollout_record(&cfg, &st, steps_table[_i].ev[i].value, t);
        }
        ck_assert_msg(st.stage == steps_table[_i].ev[i].stage, "%s: event %zu: stage %d",
                      steps_table[_i].name, i, st.stage);
    }
}
END_TEST

/* A late caller with a lot of credit still stops on the criterion, and the excess of a
 * caller that records too much is carried into the next stage. */
START_TEST(test_step_on_criterion)
{
    struct rollout_config cfg;
    struct rollout_state st;
    rollout_config_default(&cfg);
    cfg.base_per_minute = 60;
    cfg.increment_factor = 2;
    cfg.notified_criterion = 10;
    rollout_state_init(&st);
    rollout_start(&cfg, &st, T0);
    /* a minute late: 61 slots free, window room 61, but 10 to the step */
    ck_assert_int_eq(rollout_allowance(&cfg, &st, T0 + MIN_MS), 10);
    rollout_record(&cfg, &st, 4, T0 + MIN_MS);
    ck_assert_int_eq(rollout_allowance(&cfg, &st, T0 + MIN_MS + SEC_MS), 6);
    rollout_record(&cfg, &st, 6, T0 + MIN_MS + SEC_MS);
    ck_assert_int_eq(st.stage, 1);
    ck_assert_int_eq(st.stage_notified, 0);
    ck_assert_int_eq(st.total_notified, 10);
    /* the new stage (120 a minute, 500 ms spacing) starts 1 s later (batching): one slot */
    ck_assert_int_eq(st.stage_start, T0 + MIN_MS + SEC_MS + 500);
    ck_assert_int_eq(rollout_next_at(&cfg, &st, T0 + MIN_MS + SEC_MS), T0 + MIN_MS + 2 * SEC_MS);
    ck_assert_int_eq(rollout_allowance(&cfg, &st, T0 + MIN_MS + 2 * SEC_MS), 2);
    /* over-recording: 25 at once is two steps and 5 into stage 3 */
    rollout_record(&cfg, &st, 25, T0 + MIN_MS + 2 * SEC_MS);
    ck_assert_int_eq(st.stage, 3);
    ck_assert_int_eq(st.stage_notified, 5);
    ck_assert_int_eq(st.total_notified, 35);
}
END_TEST

/*
 * Spacing across steps, with steps caused both by notifications and by successes observed at
 * arbitrary times: within a stage the n-th notification is no earlier than the stage's clock
 * allows, and the first batch of a stage is at least 60000 / r_new after the last batch of
 * the previous one.
 */
START_TEST(test_spacing_across_steps)
{
    struct rollout_config cfg;
    struct rollout_state st;
    rollout_config_default(&cfg);
    cfg.base_per_minute = 10;
    cfg.increment_factor = 1.5;
    cfg.notified_criterion = 7;
    cfg.succeeded_criterion = 3;
    rollout_state_init(&st);
    rollout_start(&cfg, &st, T0);
    int64_t succeeded = 0, last_batch = -1, steps = 0;
    int32_t prev_stage = 0; /* the stage in effect at the previous batch */
    uint64_t rng = 99;
    for (int64_t t = T0; t < T0 + 20 * MIN_MS; t++) {
        rng = rng * UINT64_C(6364136223846793005) + 1;
        if ((rng >> 40) % 5000 == 0) { /* a success now and then */
            succeeded++;
            steps += rollout_observe_succeeded(&cfg, &st, succeeded, t);
        }
        int64_t a = rollout_allowance(&cfg, &st, t);
        if (a == 0)
            continue;
        double r = rollout_rate(&cfg, st.stage);
        /* the stage's own spacing */
        ck_assert_int_le(st.stage_notified + a, st.slot_base + slots(r, st.stage_start, t));
        if (st.stage != prev_stage && last_batch >= 0 && r > rollout_rate(&cfg, prev_stage))
            ck_assert_int_ge(t - last_batch, (int64_t)ceil(60000.0 / r - 1e-9));
        if (last_batch >= 0)
            ck_assert_int_ge(t - last_batch, SEC_MS);
        prev_stage = st.stage;
        rollout_record(&cfg, &st, a, t);
        steps += st.stage - prev_stage;
        last_batch = t;
    }
    ck_assert_int_eq(steps, st.stage);
    ck_assert_int_gt(st.stage, 8);
}
END_TEST

/* ---- idle ---- */

/* Work for 10 s at 60 a minute, a 5-minute pause (idle at every tick, or never), then work:
 * with idle the first batch after the pause is 1, without it the window's 61. */
static const struct {
    int64_t idle_until; /* idle at every tick before this offset from T0 (0: never) */
    int64_t first_after;
} idles[] = {
    {5 * MIN_MS + 1, 1},  /* idle through the tick of resumption, as the planner does */
    {5 * MIN_MS, 2},      /* work appears a tick after the last idle one: that slot and now */
    {4 * MIN_MS + 1, 61}, /* a minute without idle: the window's cap */
    {0, 61},
};

START_TEST(test_idle)
{
    struct rollout_config cfg;
    struct rollout_state st;
    flat_config(&cfg, 60, 1000);
    rollout_state_init(&st);
    rollout_start(&cfg, &st, T0);
    int64_t t = T0;
    for (; t < T0 + 10 * SEC_MS; t += SEC_MS)
        rollout_record(&cfg, &st, rollout_allowance(&cfg, &st, t), t);
    ck_assert_int_eq(st.total_notified, 10);
    for (; t <= T0 + 5 * MIN_MS; t += SEC_MS) {
        if (t < T0 + idles[_i].idle_until)
            rollout_idle(&cfg, &st, t);
    }
    t -= SEC_MS;
    int64_t a = rollout_allowance(&cfg, &st, t);
    ck_assert_int_eq(a, idles[_i].first_after);
    rollout_record(&cfg, &st, a, t);
    /* and then the steady pace again (after the burst has left the window) */
    if (idles[_i].first_after < 61) {
        for (int i = 1; i <= 5; i++) {
            ck_assert_int_eq(rollout_allowance(&cfg, &st, t + i * SEC_MS), 1);
            rollout_record(&cfg, &st, 1, t + i * SEC_MS);
        }
    }
}
END_TEST

START_TEST(test_idle_keeps)
{
    struct rollout_config cfg;
    struct rollout_state st, before;
    flat_config(&cfg, 7.5, 1000);
    rollout_state_init(&st);
    rollout_idle(&cfg, &st, T0); /* not started: nothing */
    ck_assert_int_eq(st.stage_start, -1);
    rollout_start(&cfg, &st, T0);
    rollout_record(&cfg, &st, 1, T0);
    /* the next slot is at T0 + 8 s: idle before it changes nothing */
    before = st;
    rollout_idle(&cfg, &st, T0 + 8 * SEC_MS);
    ck_assert_int_eq(memcmp(&before, &st, sizeof st), 0);
    /* after it, the slot moves to now; stage, counts and history stay */
    rollout_idle(&cfg, &st, T0 + 20 * SEC_MS);
    ck_assert_int_eq(st.stage_start, T0 + 20 * SEC_MS);
    ck_assert_int_eq(st.slot_base, 1);
    ck_assert_int_eq(st.stage, before.stage);
    ck_assert_int_eq(st.stage_notified, before.stage_notified);
    ck_assert_int_eq(st.n_hist, before.n_hist);
    ck_assert_int_eq(rollout_window_count(&st, T0 + 20 * SEC_MS), 1);
    ck_assert_int_eq(rollout_allowance(&cfg, &st, T0 + 20 * SEC_MS), 1);
    ck_assert_int_eq(rollout_allowance(&cfg, &st, T0 + 28 * SEC_MS - 1), 1);
    rollout_record(&cfg, &st, 1, T0 + 20 * SEC_MS);
    ck_assert_int_eq(rollout_next_at(&cfg, &st, T0 + 20 * SEC_MS), T0 + 28 * SEC_MS);
}
END_TEST

/* A caller that records without asking: the history never overflows (the oldest batches are
 * folded into the next, which only counts them for longer), a full history allows nothing
 * new, and a clock that steps back is counted with the last batch. */
START_TEST(test_history_full)
{
    struct rollout_config cfg;
    struct rollout_state st;
    flat_config(&cfg, 1000, 1000);
    rollout_state_init(&st);
    rollout_start(&cfg, &st, T0);
    for (int64_t i = 0; i < 70; i++)
        rollout_record(&cfg, &st, 1, T0 + i);
    ck_assert_int_eq(st.n_hist, ROLLOUT_HISTORY);
    ck_assert_int_eq(rollout_window_count(&st, T0 + 69), 70);
    ck_assert_int_eq(st.hist_at[0], T0 + 6);
    ck_assert_int_eq(st.hist_n[0], 7);
    /* 60 s on: the slots are there and the window has room, but no entry is free */
    ck_assert_int_eq(rollout_window_count(&st, T0 + 60000 + 5), 70);
    ck_assert_int_eq(rollout_allowance(&cfg, &st, T0 + 60000 + 5), 0);
    ck_assert_int_eq(rollout_next_at(&cfg, &st, T0 + 60000 + 5), T0 + 60000 + 6);
    ck_assert_int_eq(rollout_window_count(&st, T0 + 60000 + 6), 63);
    /* 1001 slots free minus 70 made (the window would allow 1001 - 63 = 938) */
    ck_assert_int_eq(rollout_allowance(&cfg, &st, T0 + 60000 + 6), 931);
    /* the clock steps back: counted with the newest batch, times stay ordered */
    rollout_record(&cfg, &st, 2, T0 + 50);
    ck_assert_int_eq(st.hist_at[st.n_hist - 1], T0 + 69);
    ck_assert_int_eq(st.hist_n[st.n_hist - 1], 3);
    ck_assert_int_eq(st.last_batch_at, T0 + 69);
    ck_assert_int_eq(st.total_notified, 72);
}
END_TEST

/* ---- next_at: the earliest time with an allowance, checked at every tick of a run ---- */

static const struct {
    double rate;
    int64_t batch_ms;
} nexts[] = {{1, 1000}, {7.5, 1000}, {60, 1000}, {1000, 1000}, {1000, 2000}, {60, 7000}};

START_TEST(test_next_at)
{
    struct rollout_config cfg;
    struct rollout_state st;
    struct ticker tk;
    flat_config(&cfg, nexts[_i].rate, nexts[_i].batch_ms);
    rollout_state_init(&st);
    ck_assert_int_eq(rollout_next_at(&cfg, &st, T0), -1);
    ck_assert_int_eq(rollout_allowance(&cfg, &st, T0), 0);
    ticker_init(&tk, PAT_IRREGULAR);
    rollout_start(&cfg, &st, T0);
    int checked_later = 0;
    for (int64_t t = T0; t < T0 + 15 * MIN_MS; t += ticker_gap(&tk)) {
        int64_t next = rollout_next_at(&cfg, &st, t);
        ck_assert_int_ge(next, t);
        ck_assert_int_ge(rollout_allowance(&cfg, &st, next), 1);
        if (next > t) {
            ck_assert_int_eq(rollout_allowance(&cfg, &st, next - 1), 0);
            checked_later++;
        }
        int64_t a = rollout_allowance(&cfg, &st, t);
        ck_assert_int_eq(next == t, a > 0);
        /* take only part of the credit now and then, so that every rule gets to bind */
        if (a > 1 && t % 3 == 0)
            a = a / 2;
        if (a > 0)
            rollout_record(&cfg, &st, a, t);
    }
    ck_assert_int_gt(checked_later, 10);
}
END_TEST

/* ---- the text form ---- */

static void assert_same_state(const struct rollout_state *a, const struct rollout_state *b)
{
    ck_assert_int_eq(a->stage, b->stage);
    ck_assert_int_eq(a->stage_start, b->stage_start);
    ck_assert_int_eq(a->slot_base, b->slot_base);
    ck_assert_int_eq(a->stage_notified, b->stage_notified);
    ck_assert_int_eq(a->succeeded_base, b->succeeded_base);
    ck_assert_int_eq(a->succeeded_seen, b->succeeded_seen);
    ck_assert_int_eq(a->last_batch_at, b->last_batch_at);
    ck_assert_int_eq(a->total_notified, b->total_notified);
    ck_assert_int_eq(a->n_hist, b->n_hist);
    for (int32_t i = 0; i < a->n_hist; i++) {
        ck_assert_int_eq(a->hist_at[i], b->hist_at[i]);
        ck_assert_int_eq(a->hist_n[i], b->hist_n[i]);
    }
}

static void round_trip(const struct rollout_state *st)
{
    char buf[ROLLOUT_STATE_TEXT_MAX];
    struct rollout_state back;
    struct oerr err;
    int len = rollout_state_format(st, buf, sizeof buf);
    ck_assert_int_gt(len, 0);
    ck_assert_uint_eq(strlen(buf), (size_t)len);
    ck_assert_msg(rollout_state_parse(buf, &back, &err) == 0, "%s: %s", buf, err.msg);
    assert_same_state(st, &back);
    /* exactly enough room, and one byte less */
    ck_assert_int_eq(rollout_state_format(st, buf, (size_t)len + 1), len);
    ck_assert_int_eq(rollout_state_format(st, buf, (size_t)len), -1);
}

START_TEST(test_format_round_trip)
{
    struct rollout_config cfg;
    struct rollout_state st;
    struct ticker tk;
    rollout_config_default(&cfg);
    cfg.base_per_minute = 20;
    cfg.increment_factor = 1.7;
    cfg.notified_criterion = 50;
    cfg.succeeded_criterion = 30;
    rollout_state_init(&st);
    round_trip(&st);
    rollout_start(&cfg, &st, T0);
    round_trip(&st);
    ticker_init(&tk, PAT_IRREGULAR);
    int64_t succeeded = 0;
    int trips = 0;
    for (int64_t t = T0; t < T0 + 20 * MIN_MS; t += ticker_gap(&tk)) {
        succeeded += t % 7 == 0;
        rollout_observe_succeeded(&cfg, &st, succeeded, t);
        int64_t a = rollout_allowance(&cfg, &st, t);
        if (a > 0)
            rollout_record(&cfg, &st, a, t);
        if (t % 13 == 0) {
            round_trip(&st);
            trips++;
        }
        if (t % 500 == 0)
            rollout_idle(&cfg, &st, t);
    }
    ck_assert_int_gt(trips, 50);
    ck_assert_int_gt(st.stage, 3);
    ck_assert_int_gt(st.n_hist, 20);
}
END_TEST

/* The largest possible text fits ROLLOUT_STATE_TEXT_MAX. */
START_TEST(test_format_max)
{
    struct rollout_state st;
    char buf[ROLLOUT_STATE_TEXT_MAX];
    memset(&st, 0, sizeof st);
    st.stage = INT32_MIN;
    st.stage_start = INT64_MIN;
    st.slot_base = INT64_MIN;
    st.stage_notified = INT64_MIN;
    st.succeeded_base = INT64_MIN;
    st.succeeded_seen = INT64_MIN;
    st.last_batch_at = INT64_MIN;
    st.total_notified = INT64_MIN;
    st.n_hist = ROLLOUT_HISTORY;
    for (int i = 0; i < ROLLOUT_HISTORY; i++) {
        st.hist_at[i] = INT64_MIN;
        st.hist_n[i] = INT64_MIN;
    }
    ck_assert_int_gt(rollout_state_format(&st, buf, sizeof buf), 0);
    st.n_hist = 1000; /* garbage is clamped, never read past the arrays */
    ck_assert_int_gt(rollout_state_format(&st, buf, sizeof buf), 0);
}
END_TEST

static const struct {
    const char *text;
    const char *error;
} bad_text[] = {
    {"", "rollout state: unknown format"},
    {"2;0;-1;0;0;0;0;0;-1;0;0", "rollout state: unknown format"},
    {"1", "rollout state: unknown format"},
    {"1;", "rollout state: bad stage"},
    {"1;x;-1;0;0;0;0;-1;0;0", "rollout state: bad stage"},
    {"1; 0;-1;0;0;0;0;-1;0;0", "rollout state: bad stage"},
    {"1;+0;-1;0;0;0;0;-1;0;0", "rollout state: bad stage"},
    {"1;00;-1;0;0;0;0;-1;0;0", "rollout state: bad stage"},
    {"1;-0;-1;0;0;0;0;-1;0;0", "rollout state: bad stage"},
    {"1;-1;-1;0;0;0;0;-1;0;0", "rollout state: bad stage"},
    {"1;2147483648;-1;0;0;0;0;-1;0;0", "rollout state: bad stage"},
    {"1;0;-2;0;0;0;0;-1;0;0", "rollout state: bad stage start"},
    {"1;0;99999999999999999999;0;0;0;0;-1;0;0", "rollout state: bad stage start"},
    {"1;0;5;1;0;0;0;-1;0;0", "rollout state: bad stage notified"},
    {"1;0;5;0;-1;0;0;-1;0;0", "rollout state: bad stage notified"},
    {"1;0;5;0;0;-1;0;-1;0;0", "rollout state: bad succeeded count"},
    {"1;0;5;0;0;0;0;-2;0;0", "rollout state: bad last batch"},
    {"1;0;5;0;3;0;0;-1;2;0", "rollout state: bad total notified"},
    {"1;0;5;0;0;0;0;-1;0;65", "rollout state: bad history length"},
    {"1;0;5;0;0;0;0;-1;0;-1", "rollout state: bad history length"},
    {"1;0;5;0;0;0;0;-1;0;1;3:1", "rollout state: bad history length"},
    {"1;0;-1;0;1;0;0;-1;1;0", "rollout state: not started but has notifications"},
    {"1;0;5;0;0;0;0;-1;0", "rollout state: bad total notified"},
    {"1;0;5;0;0;0;0;-1;0;0;", "rollout state: trailing characters"},
    {"1;0;5;0;0;0;0;-1;0;0x", "rollout state: trailing characters"},
    {"1;0;5;0;0;0;0;-1;0;0 ", "rollout state: trailing characters"},
    {"1;0;5;0;2;0;0;9;2;1", "rollout state: history entry 1 missing"},
    {"1;0;5;0;2;0;0;9;2;2;9:2", "rollout state: history entry 2 missing"},
    {"1;0;5;0;2;0;0;9;2;1;9:2;9:1", "rollout state: trailing characters"},
    {"1;0;5;0;2;0;0;9;2;1;9", "rollout state: bad history entry 1"},
    {"1;0;5;0;2;0;0;9;2;1;9:", "rollout state: bad history entry 1"},
    {"1;0;5;0;2;0;0;9;2;1;9:0", "rollout state: bad history entry 1"},
    {"1;0;5;0;2;0;0;9;2;1;10:2", "rollout state: bad history entry 1"},
    {"1;0;5;0;2;0;0;9;2;1;-3:2", "rollout state: bad history entry 1"},
    {"1;0;5;0;2;0;0;9;2;2;8:1;8:1", "rollout state: bad history entry 2"},
    {"1;0;5;0;2;0;0;9;2;2;9:1;8:1", "rollout state: bad history entry 2"},
};

START_TEST(test_parse_bad)
{
    struct rollout_state st;
    struct oerr err;
    rollout_state_init(&st);
    st.stage = 77;
    oerr_clear(&err);
    ck_assert_msg(rollout_state_parse(bad_text[_i].text, &st, &err) == -1, "accepted '%s'",
                  bad_text[_i].text);
    ck_assert_int_eq(err.code, OERR_INVALID);
    ck_assert_str_eq(err.msg, bad_text[_i].error);
    ck_assert_int_eq(st.stage, 77); /* untouched on error */
}
END_TEST

START_TEST(test_parse_good)
{
    struct rollout_state st;
    ck_assert_int_eq(rollout_state_parse("1;0;-1;0;0;0;0;-1;0;0", &st, NULL), 0);
    ck_assert_int_eq(st.stage_start, -1);
    ck_assert_int_eq(
        rollout_state_parse("1;3;1780000000000;2;5;40;44;1780000001000;123;2;1779999990000:"
                            "4;1780000001000:1",
                            &st, NULL),
        0);
    ck_assert_int_eq(st.stage, 3);
    ck_assert_int_eq(st.slot_base, 2);
    ck_assert_int_eq(st.stage_notified, 5);
    ck_assert_int_eq(st.succeeded_base, 40);
    ck_assert_int_eq(st.succeeded_seen, 44);
    ck_assert_int_eq(st.total_notified, 123);
    ck_assert_int_eq(st.n_hist, 2);
    ck_assert_int_eq(st.hist_at[0], INT64_C(1779999990000));
    ck_assert_int_eq(st.hist_n[0], 4);
    ck_assert_int_eq(rollout_state_parse(NULL, &st, NULL), -1);
}
END_TEST

/* ---- config validation ---- */

static const struct {
    double max, base, factor;
    int64_t notified, succeeded;
    const char *error; /* NULL = valid */
} configs[] = {
    {0, 0, 0, 0, 0, NULL},
    {1, 0, 0, 0, 0, NULL},
    {5000, 0, 0, 0, 0, NULL},
    {0.5, 0, 0, 0, 0, "MaximumPerMinute must be at least 1"},
    {-1, 0, 0, 0, 0, "MaximumPerMinute must be at least 1"},
    {0, 1, 1.1, 1, 0, NULL},
    {0, 100, 5, 0, 100, NULL},
    {200, 50, 2, 100, 100, NULL},
    {0, 0.5, 2, 10, 0, "ExponentialRolloutRate.BaseRatePerMinute must be between 1 and 100"},
    {0, 101, 2, 10, 0, "ExponentialRolloutRate.BaseRatePerMinute must be between 1 and 100"},
    {0, -5, 2, 10, 0, "ExponentialRolloutRate.BaseRatePerMinute must be between 1 and 100"},
    {0, 10, 1.09, 10, 0, "ExponentialRolloutRate.IncrementFactor must be between 1.1 and 5"},
    {0, 10, 5.01, 10, 0, "ExponentialRolloutRate.IncrementFactor must be between 1.1 and 5"},
    {0, 10, 0, 10, 0, "ExponentialRolloutRate.IncrementFactor must be between 1.1 and 5"},
    {0, 10, 2, 101, 0,
     "ExponentialRolloutRate.RateIncreaseCriteria.numberOfNotifiedThings must be between 1 and "
     "100"},
    {0, 10, 2, -1, 0,
     "ExponentialRolloutRate.RateIncreaseCriteria.numberOfNotifiedThings must be between 1 and "
     "100"},
    {0, 10, 2, 0, 101,
     "ExponentialRolloutRate.RateIncreaseCriteria.numberOfSucceededThings must be between 1 and "
     "100"},
    {0, 10, 2, 5, -3,
     "ExponentialRolloutRate.RateIncreaseCriteria.numberOfSucceededThings must be between 1 and "
     "100"},
    {0, 10, 2, 0, 0,
     "ExponentialRolloutRate.RateIncreaseCriteria must give numberOfNotifiedThings or "
     "numberOfSucceededThings"},
    {0.9, 10, 2, 5, 0, "MaximumPerMinute must be at least 1"},
};

START_TEST(test_validate)
{
    struct rollout_config cfg;
    struct oerr err;
    rollout_config_default(&cfg);
    oerr_clear(&err);
    cfg.max_per_minute = configs[_i].max;
    cfg.base_per_minute = configs[_i].base;
    cfg.increment_factor = configs[_i].factor;
    cfg.notified_criterion = configs[_i].notified;
    cfg.succeeded_criterion = configs[_i].succeeded;
    int rc = rollout_config_validate(&cfg, &err);
    if (configs[_i].error == NULL) {
        ck_assert_msg(rc == 0, "row %d: %s", _i, err.msg);
    } else {
        ck_assert_int_eq(rc, -1);
        ck_assert_int_eq(err.code, OERR_INVALID);
        ck_assert_str_eq(err.msg, configs[_i].error);
    }
}
END_TEST

START_TEST(test_validate_internal)
{
    struct rollout_config cfg;
    rollout_config_default(&cfg);
    ck_assert(cfg.ceiling == ROLLOUT_DEFAULT_CEILING);
    ck_assert_int_eq(cfg.min_batch_interval_ms, ROLLOUT_DEFAULT_BATCH_MS);
    ck_assert_int_eq(rollout_config_validate(&cfg, NULL), 0);
    cfg.ceiling = 0;
    ck_assert_int_eq(rollout_config_validate(&cfg, NULL), -1);
    rollout_config_default(&cfg);
    cfg.min_batch_interval_ms = -1;
    ck_assert_int_eq(rollout_config_validate(&cfg, NULL), -1);
    rollout_config_default(&cfg);
    cfg.max_per_minute = __builtin_nan("");
    ck_assert_int_eq(rollout_config_validate(&cfg, NULL), -1);
}
END_TEST

static Suite *rollout_suite(void)
{
    Suite *s = suite_create("rollout");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_pacing, 0, (int)NELEM(pacing));
    tcase_add_loop_test(tc, test_rate, 0, (int)NELEM(rates));
    tcase_add_test(tc, test_aws_table);
    tcase_add_test(tc, test_cap_holds);
    tcase_add_loop_test(tc, test_succeeded, 0, (int)NELEM(steps_table));
    tcase_add_test(tc, test_step_on_criterion);
    tcase_add_test(tc, test_spacing_across_steps);
    tcase_add_loop_test(tc, test_idle, 0, (int)NELEM(idles));
    tcase_add_test(tc, test_idle_keeps);
    tcase_add_test(tc, test_history_full);
    tcase_add_loop_test(tc, test_next_at, 0, (int)NELEM(nexts));
    tcase_add_test(tc, test_format_round_trip);
    tcase_add_test(tc, test_format_max);
    tcase_add_loop_test(tc, test_parse_bad, 0, (int)NELEM(bad_text));
    tcase_add_test(tc, test_parse_good);
    tcase_add_loop_test(tc, test_validate, 0, (int)NELEM(configs));
    tcase_add_test(tc, test_validate_internal);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rollout_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
