/*
 * scheduler: the loop that turns planner decisions into actions through sched_store.h. The
 * same code runs over PostgreSQL in otad (store/pg_sched.c, on the scheduler thread) and over
 * memory in otasim and the engine tests (sim/mem_sched.c, in virtual time). It reads no clock:
 * the caller passes now.
 */
#ifndef OTAD_ENGINE_SCHEDULER_H
#define OTAD_ENGINE_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/oerr.h"
#include "engine/sched_store.h"

struct scheduler_config {
    int64_t lease_ms;    /* lease length (default 30000) */
    size_t batch;        /* tasks leased per pass (default 64) */
    int64_t poll_ms;     /* re-tick interval of active tasks (default 1000) */
    size_t decide_batch; /* undecided attempts per store call (default 1000) */
};

/** Statistics of the scheduler's life so far. */
struct scheduler_stats {
    int64_t passes;   /* scheduler_run_once calls */
    int64_t ticks;    /* task ticks */
    int64_t queued;   /* executions queued */
    int64_t expired;  /* executions timed out */
    int64_t retried;  /* retries created */
    int64_t canceled; /* executions canceled/removed/dropped by the scheduler */
    int64_t aborted;  /* tasks aborted */
    int64_t failures; /* ticks abandoned because the store failed */
};

struct scheduler;

/** Defaults for every field. */
void scheduler_config_default(struct scheduler_config *cfg);

/** A scheduler over ops/ctx (borrowed; they must outlive it). Free with scheduler_free(). */
struct scheduler *scheduler_new(const struct sched_store_ops *ops, void *ctx,
                                const struct scheduler_config *cfg);

/** Free; accepts NULL. */
void scheduler_free(struct scheduler *s);

/**
 * One pass at now: lease due tasks (repeatedly, until fewer than a batch are due) and tick each.
 * Returns the number of tasks ticked, or -1 if leasing failed (*err set); a failing tick is
 * abandoned, counted in stats.failures and does not stop the pass.
 */
int scheduler_run_once(struct scheduler *s, int64_t now, struct oerr *err);

/**
 * Tick one already leased task at now (the body of scheduler_run_once, exposed for tests).
 * Returns 0 when the tick was committed (or the task vanished before load: nothing to do), -1
 * when the store failed: the unit was abandoned, stats.failures counted and *err set.
 */
int scheduler_tick(struct scheduler *s, const struct sched_task_ref *ref, int64_t now,
                   struct oerr *err);

/** Statistics so far. */
const struct scheduler_stats *scheduler_stats(const struct scheduler *s);

#endif
