/*
 * sched_store: the store interface engine/scheduler.c runs over. Plain C function pointers:
 * store/pg_sched.c implements it over PostgreSQL (otad), sim/mem_sched.c over memory
 * (otasim, engine tests). The scheduler never sees SQL; the store never decides policy.
 *
 * A tick of one task is: lease -> load -> (expire, sync_membership, cancel, undecided/decide,
 * queue, remove)* -> release. Everything between load and release is one atomic unit: the store
 * commits it at release() and discards it at abandon() (PostgreSQL: one transaction), so a crash
 * mid-tick changes nothing and pacing state never disagrees with what was queued.
 *
 * Every operation that changes executions keeps the loaded struct sched_task current (counts,
 * undecided, next_deadline), so the scheduler can re-plan without reloading.
 */
#ifndef OTAD_ENGINE_SCHED_STORE_H
#define OTAD_ENGINE_SCHED_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/abort.h"
#include "engine/oerr.h"
#include "engine/planner.h"
#include "engine/retry.h"
#include "engine/rollout.h"
#include "engine/task.h"

#define SCHED_ID_MAX    72 /* ids and thing ids are at most 64 bytes */
#define SCHED_MAX_ABORT 16

struct sched_task_ref {
    char id[SCHED_ID_MAX];
};

/** A loaded task. Owned by the caller; the store fills it (windows stay owned by the store and
 *  valid until release/abandon). */
struct sched_task {
    struct sched_task_ref ref;
    enum task_type type;
    enum task_status status;
    int end_applied;
    struct task_schedule schedule;
    struct rollout_config rollout;
    struct rollout_state rollout_state;
    struct abort_criterion abort[SCHED_MAX_ABORT];
    size_t n_abort;
    struct retry_config retry;
    struct planner_counts counts;
    int64_t undecided;
    int64_t next_deadline;
};

/** A terminal FAILED/TIMED_OUT attempt awaiting its retry decision. */
struct sched_attempt {
    char thing_id[SCHED_ID_MAX];
    int64_t execution_number;
    enum execution_status status; /* FAILED or TIMED_OUT */
    struct retry_counts counts;   /* retries made for this thing before this attempt */
};

/** What release() persists. */
struct sched_release {
    enum task_status status;
    int end_applied;
    int abort_index;           /* -1 none; else the criterion that fired this tick */
    const char *abort_comment; /* with abort_index >= 0 */
    const struct rollout_state *rollout_state;
    int64_t next_wake; /* -1 = never */
};

enum sched_cancel_scope {
    SCHED_CANCEL_PENDING = 0, /* PLANNED + QUEUED -> CANCELED */
    SCHED_CANCEL_FORCE,       /* + IN_PROGRESS -> CANCELED with forceCanceled */
    SCHED_DROP_PLANNED,       /* delete PLANNED rows (never shown on the wire) */
};

struct sched_store_ops {
    /** Lease up to max tasks with next wake <= now whose lease is free or expired, for
     *  lease_ms; *n = how many. */
    int (*lease)(void *ctx, int64_t now, int64_t lease_ms, struct sched_task_ref *out, size_t max,
                 size_t *n, struct oerr *err);
    /** Load a leased task and start its atomic unit. OERR_NOT_FOUND if it vanished. */
    int (*load)(void *ctx, const struct sched_task_ref *ref, int64_t now, struct sched_task *out,
                struct oerr *err);
    /** IN_PROGRESS executions with deadline <= now -> TIMED_OUT (undecided); *n = how many. */
    int (*expire)(void *ctx, struct sched_task *t, int64_t now, int64_t *n, struct oerr *err);
    /** CONTINUOUS: apply managed-thing changes since the last call (new matches -> PLANNED;
     *  things no longer matching or deleted -> PLANNED/QUEUED REMOVED). */
    int (*sync_membership)(void *ctx, struct sched_task *t, int64_t now, struct oerr *err);
    /** Apply a cancellation scope at now; *n = executions changed. */
    int (*cancel)(void *ctx, struct sched_task *t, enum sched_cancel_scope scope, int64_t now,
                  int64_t *n, struct oerr *err);
    /** Up to max undecided attempts, oldest first; *n = how many. The scheduler passes them
     *  back to decide() in the same order. */
    int (*undecided)(void *ctx, struct sched_task *t, struct sched_attempt *out, size_t max,
                     size_t *n, struct oerr *err);
    /** Record decisions: retry[i] != 0 creates a PLANNED retry of out[i]'s thing (execution
     *  number + 1, retry attempt + 1, counts incremented per retry_count()), 0 closes it. */
    int (*decide)(void *ctx, struct sched_task *t, const struct sched_attempt *a, const int *retry,
                  size_t n, int64_t now, struct oerr *err);
    /** PLANNED -> QUEUED for up to k executions, retries first then target order, at now,
     *  with their notifications; *n = how many. */
    int (*queue)(void *ctx, struct sched_task *t, int64_t k, int64_t now, int64_t *n,
                 struct oerr *err);
    /** Remove the task and all its executions (DELETION_IN_PROGRESS). The scheduler then calls
     *  release(), which commits the unit and has nothing left to persist. */
    int (*remove)(void *ctx, struct sched_task *t, struct oerr *err);
    /** Persist r, commit the unit and release the lease. */
    int (*release)(void *ctx, struct sched_task *t, const struct sched_release *r,
                   struct oerr *err);
    /** Discard the unit and release the lease (the task is retried at its old wake time). */
    void (*abandon)(void *ctx, struct sched_task *t);
};

#endif
