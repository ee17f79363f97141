/*
 * rollout: pacing of one task's notifications (SPEC.md section 4).
 *
 * The rate of stage k is r_k = base * factor^k (exponential) or MaximumPerMinute or the
 * ceiling, always capped by MaximumPerMinute when given and by the service ceiling; rates are
 * real numbers and never rounded. Three rules bound notifications, and allowance() is the
 * largest count that satisfies all of them:
 *
 *   spacing   within a stage that starts at t0 with its first slot free, slot j (0-based within
 *             the stage) is free at t0 + j * 60000 / r. A step-up at time t starts the next
 *             stage at max(t, last batch + 60000 / r_new), so the gap across a step is never
 *             shorter than the new stage's spacing.
 *   window    no 60 s window holds more than ceil(r) + 1 notifications: the state keeps the
 *             batches of the last 60 s and allowance() never lets (t - 60000, t] exceed that.
 *   batching  batches of one task are at least min_batch_interval_ms apart (the scheduler
 *             queues in batches, not one row per wake-up); slot credit accrued in between is
 *             taken by the next batch. The interval is raised to at least 1 s (60 batches in
 *             any 60 s always fit the history) and rounded up to a divisor of 60 s: batches
 *             that tile the minute put as many batches in every window, so the window rule
 *             does not bind at a steady pace (7 s batches at r = 60 would hold 61 / 9 each).
 *
 * A step happens when, since the previous step, notified_criterion things were notified or
 * succeeded_criterion executions succeeded. allowance() never crosses a notified-criterion
 * boundary in one batch when the step raises the rate, so the step lands exactly on the
 * criterion. Once the rate is capped, steps still count (stage goes on growing) but change
 * nothing: the stage's clock carries on and batches may straddle the boundary.
 *
 * Credit does not accumulate while there is nothing to notify or the task is paused: the
 * planner calls rollout_idle() then, which moves the stage's clock so the next slot is "now".
 * Credit does accumulate when the scheduler is merely late; the window rule bounds the burst.
 *
 * What the window rule costs: with ticks at irregular times no pacer can keep both rules at
 * r a minute in the long run. For a batch at t, everything after the last batch b at or before
 * t - 60000 is in t's window, so N(t) <= N(b) + ceil(r) + 1 while the slots grow by
 * r (t - b) / 60000, and t - b exceeds 60 s by however far b's tick was from t - 60000. At
 * r = 1000 the slack of one notification a minute covers 60 ms of such jitter; ticks 1 ms..2 s
 * apart lose about 1 % whatever the pacer does (the unit test computes that bound). A caller
 * that wakes punctually at rollout_next_at() keeps its batches on the grid and loses nothing.
 */
#ifndef OTAD_ENGINE_ROLLOUT_H
#define OTAD_ENGINE_ROLLOUT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/oerr.h"

/** Default service ceiling (OTAD_MAX_RATE_PER_MINUTE). */
#define ROLLOUT_DEFAULT_CEILING 1000.0
/** Default minimum interval between two batches of one task. */
#define ROLLOUT_DEFAULT_BATCH_MS INT64_C(1000)
/** Capacity of the batch history; with batches >= 1 s apart 60 s hold at most 60. */
#define ROLLOUT_HISTORY 64

struct rollout_config {
    double max_per_minute;         /* MaximumPerMinute; 0 = not given */
    double base_per_minute;        /* ExponentialRolloutRate.BaseRatePerMinute; 0 = none */
    double increment_factor;       /* ExponentialRolloutRate.IncrementFactor */
    int64_t notified_criterion;    /* RateIncreaseCriteria.numberOfNotifiedThings; 0 = none */
    int64_t succeeded_criterion;   /* RateIncreaseCriteria.numberOfSucceededThings; 0 = none */
    double ceiling;                /* service ceiling, > 0 */
    int64_t min_batch_interval_ms; /* >= 0 */
};

/**
 * Persisted pacing state of one task; plain data, copied by value. Slot j of the stage
 * (j >= slot_base) is free at stage_start + (j - slot_base) * 60000 / r: slot_base is the n0
 * of SPEC.md section 4, 0 when the stage begins and moved with stage_start by rollout_idle().
 */
struct rollout_state {
    int32_t stage;          /* number of steps taken */
    int64_t stage_start;    /* ms: time of slot slot_base of the stage; -1 = not started */
    int64_t slot_base;      /* the slot that is free at stage_start (0 unless idled) */
    int64_t stage_notified; /* notifications made in this stage */
    int64_t succeeded_base; /* the task's total succeeded count when the stage began */
    int64_t succeeded_seen; /* the last total succeeded count observed */
    int64_t last_batch_at;  /* ms of the last batch; -1 none */
    int64_t total_notified; /* notifications over the task's life */
    int32_t n_hist;         /* batches in hist_at/hist_n, oldest first, times increasing */
    int64_t hist_at[ROLLOUT_HISTORY];
    int64_t hist_n[ROLLOUT_HISTORY];
};

/** A config with every field at its "not given" value and the default ceiling and batching. */
void rollout_config_default(struct rollout_config *cfg);

/** Check a config against the model's and SPEC's ranges; names the field on error. */
int rollout_config_validate(const struct rollout_config *cfg, struct oerr *err);

/** The (uncapped-by-nothing-else) rate in notifications per minute of stage k. */
double rollout_rate(const struct rollout_config *cfg, int32_t stage);

/** Initialise *st as "not started". */
void rollout_state_init(struct rollout_state *st);

/** Start stage 0 at t (first slot free at t); no effect if already started. */
void rollout_start(const struct rollout_config *cfg, struct rollout_state *st, int64_t t);

/** How many notifications may be made at t (>= 0). 0 if not started. */
int64_t rollout_allowance(const struct rollout_config *cfg, const struct rollout_state *st,
                          int64_t t);

/**
 * The earliest time >= t at which rollout_allowance() is at least 1, assuming nothing else
 * changes; t itself if it is already. -1 if not started.
 */
int64_t rollout_next_at(const struct rollout_config *cfg, const struct rollout_state *st,
                        int64_t t);

/** Record n >= 1 notifications made at t (t never decreases); steps up on the notified
 *  criterion. */
void rollout_record(const struct rollout_config *cfg, struct rollout_state *st, int64_t n,
                    int64_t t);

/**
 * Tell the pacer the task's total succeeded count at t; steps up when the succeeded criterion
 * has been met since the stage began. Returns the number of steps taken (0 or 1).
 */
int rollout_observe_succeeded(const struct rollout_config *cfg, struct rollout_state *st,
                              int64_t total_succeeded, int64_t t);

/** Nothing to notify (or paused) at t: drop slot credit so the next slot is no earlier than t. */
void rollout_idle(const struct rollout_config *cfg, struct rollout_state *st, int64_t t);

/** Notifications recorded in the window (t - 60000, t]. */
int64_t rollout_window_count(const struct rollout_state *st, int64_t t);

/** Serialise *st as a compact ASCII string (for storage); returns the length, or -1 if len is
 *  too small. ROLLOUT_STATE_TEXT_MAX always suffices. */
int rollout_state_format(const struct rollout_state *st, char *buf, size_t len);

/** Parse the output of rollout_state_format(); -1 with OERR_INVALID on malformed text. */
int rollout_state_parse(const char *text, struct rollout_state *st, struct oerr *err);

#define ROLLOUT_STATE_TEXT_MAX (200 + ROLLOUT_HISTORY * 42)

#endif
