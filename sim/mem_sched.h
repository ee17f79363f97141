/*
 * mem_sched: the in-memory implementation of engine/sched_store.h, for otasim rollout
 * simulations in virtual time (10^5 - 10^6 devices) and the engine's end-to-end tests. Besides
 * the store operations it holds the managed things (for CONTINUOUS membership), the device side
 * of the Jobs data plane (start next, update) and read-only queries.
 *
 * Handles: things and tasks are named by dense integer handles (uint32_t) returned when they
 * are added; a handle is never reused (a deleted thing or a removed task keeps its number).
 *
 * Cost model: every operation is O(1) or O(log n) amortised and a scheduler tick's work is
 * proportional to what is due: PLANNED targets and PLANNED retries are two FIFO lists (retries
 * first), QUEUED, IN_PROGRESS and undecided attempts are lists too (cancellation walks only the
 * executions it changes), deadlines are a min-heap with lazy deletion, due tasks a heap keyed by
 * next wake. Only the latest execution of each (task, thing) is kept; counts cover every attempt
 * and are maintained incrementally. About 150 bytes per thing with one task.
 *
 * Atomic units: every store operation applies immediately and none fails once load() has
 * succeeded (memory allocation aborts on exhaustion), so abandon() only drops the lease: the
 * memory store never fails mid-tick. Leases exist (a leased task is not handed out again until
 * release, abandon or expiry) but a mem_sched is single-threaded: nothing here locks.
 *
 * Deviations from a database store, documented: an attempt of a CONTINUOUS thing that no
 * longer belongs to the task ends without a retry decision (it is never listed by undecided());
 * a device setting an earlier deadline pulls its task's next wake forward, as a database store
 * does with its deadline index.
 */
#ifndef OTAD_SIM_MEM_SCHED_H
#define OTAD_SIM_MEM_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "engine/abort.h"
#include "engine/execution.h"
#include "engine/oerr.h"
#include "engine/planner.h"
#include "engine/query.h"
#include "engine/retry.h"
#include "engine/rollout.h"
#include "engine/sched_store.h"
#include "engine/task.h"

/** In transitions: "no execution" (from: created; to: dropped by STOP_ROLLOUT). */
#define MEM_SCHED_NONE EXECUTION_STATUS_MAX

struct mem_sched;

/** One execution transition, as passed to the listener. */
struct mem_sched_transition {
    uint32_t task;             /* task handle */
    uint32_t thing;            /* thing handle */
    uint32_t execution_number; /* of the execution that moved */
    uint32_t retry_attempt;
    enum execution_status from; /* MEM_SCHED_NONE: a new execution (to = PLANNED) */
    enum execution_status to;   /* MEM_SCHED_NONE: a PLANNED execution dropped */
    int64_t at;                 /* ms */
    int force_canceled;         /* to = CANCELED from IN_PROGRESS */
};

/**
 * Called for every execution transition, synchronously, in order. tr is valid only during the
 * call. The listener may call the query functions but must not change the store (schedule the
 * device's reaction in its own event queue instead).
 */
typedef void (*mem_sched_listener_fn)(void *arg, const struct mem_sched_transition *tr);

/** What a task is created with. */
struct mem_sched_task_spec {
    const char *id; /* 1..64 bytes, unique among live tasks */
    enum task_type type;
    /* schedule.windows: ownership passes to the store (freed with the task, or at once when
     * mem_sched_task_add fails); NULL = always open */
    struct task_schedule schedule;
    struct rollout_config rollout;
    const struct abort_criterion *abort; /* copied; n_abort <= SCHED_MAX_ABORT */
    size_t n_abort;
    struct retry_config retry;
    int64_t in_progress_timeout_min; /* 0 = none, else 1..10080 */
    const char *query;               /* target query (OtaTargetQueryString), NULL = none;
                                        ONE_TIME: evaluated once; CONTINUOUS: kept current */
    const uint32_t *targets;         /* initial target things (copied; duplicates ignored) */
    size_t n_targets;
};

/** The state of a task, for queries. */
struct mem_sched_task_info {
    enum task_type type;
    enum task_status status;
    int end_applied;
    struct planner_counts counts; /* every attempt, by status, PLANNED included */
    int64_t undecided;
    int64_t next_wake;         /* -1 = never */
    int abort_index;           /* -1 = not aborted */
    const char *abort_comment; /* borrowed, valid until the task is removed; "" if none */
    struct rollout_state rollout_state;
};

/** The latest execution of a thing in a task, for queries. */
struct mem_sched_execution {
    enum execution_status status;
    uint32_t execution_number;
    uint32_t retry_attempt;
    uint32_t version;
    int64_t queued_at;  /* -1 while PLANNED */
    int64_t started_at; /* -1 if never IN_PROGRESS */
    int64_t updated_at;
    int64_t deadline; /* IN_PROGRESS: -1 = none */
    int force_canceled;
    int member; /* the thing currently belongs to the task */
};

/** A new empty store. Free with mem_sched_free(). */
struct mem_sched *mem_sched_new(void);

/** Free the store and everything in it; accepts NULL. */
void mem_sched_free(struct mem_sched *ms);

/** The sched_store.h operations; their ctx is the struct mem_sched. */
const struct sched_store_ops *mem_sched_ops(void);

/** Set (or with fn NULL clear) the transition listener; arg is borrowed. */
void mem_sched_set_listener(struct mem_sched *ms, mem_sched_listener_fn fn, void *arg);

/**
 * Add a managed thing with id (1..64 bytes, unique among live things) and optional attributes
 * (copied; attrs->fields[QUERY_FIELD_ID] is ignored: the id is the id). CONTINUOUS tasks see it
 * at their next sync. *out = its handle. OERR_CONFLICT for a duplicate id.
 */
int mem_sched_thing_add(struct mem_sched *ms, const char *id, const struct query_thing *attrs,
                        uint32_t *out, struct oerr *err);

/** Replace a live thing's attributes (copied; NULL = none). */
int mem_sched_thing_update(struct mem_sched *ms, uint32_t thing, const struct query_thing *attrs,
                           struct oerr *err);

/** Delete a live thing: CONTINUOUS tasks remove it at their next sync; its id becomes free. */
int mem_sched_thing_delete(struct mem_sched *ms, uint32_t thing, struct oerr *err);

/** The handle of the live thing with id; -1 if none. */
int mem_sched_thing_find(const struct mem_sched *ms, const char *id, uint32_t *out);

/** The id of a thing (borrowed, valid while ms lives); NULL for an unknown handle. */
const char *mem_sched_thing_id(const struct mem_sched *ms, uint32_t thing);

/** Number of thing handles issued (deleted things included). */
uint32_t mem_sched_thing_count(const struct mem_sched *ms);

/**
 * Create a task at now with PLANNED executions for its initial targets (the union of targets
 * and, with a query, the matching live things), in target order; its status is
 * task_initial_status() and it is due at now. *out = its handle. OERR_INVALID for a bad spec
 * (message names the field), OERR_CONFLICT for a duplicate id, OERR_NOT_FOUND for an unknown
 * target handle.
 */
int mem_sched_task_add(struct mem_sched *ms, const struct mem_sched_task_spec *spec, int64_t now,
                       uint32_t *out, struct oerr *err);

/** DeleteOtaTask: the task goes to DELETION_IN_PROGRESS and is due at now. */
int mem_sched_task_delete(struct mem_sched *ms, uint32_t task, int64_t now, struct oerr *err);

/** The handle of the live task with id; -1 if none. */
int mem_sched_task_find(const struct mem_sched *ms, const char *id, uint32_t *out);

/** The state of a live task; -1 with OERR_NOT_FOUND once it has been removed. */
int mem_sched_task_info(const struct mem_sched *ms, uint32_t task, struct mem_sched_task_info *out,
                        struct oerr *err);

/** The latest execution of thing in task (out may be NULL to ask whether there is one); -1
 *  with OERR_NOT_FOUND if it has none. */
int mem_sched_execution(const struct mem_sched *ms, uint32_t task, uint32_t thing,
                        struct mem_sched_execution *out, struct oerr *err);

/**
 * StartNextPendingJobExecution for thing at now: its oldest QUEUED execution (by queued time,
 * then task handle) among tasks that are not SCHEDULED (a closed window hides it) or being
 * deleted goes IN_PROGRESS, with a step timer when step_timeout_min > 0 (1..10080). *task =
 * the task. -1 with OERR_NOT_FOUND when nothing is pending.
 */
int mem_sched_start_next(struct mem_sched *ms, uint32_t thing, int64_t step_timeout_min,
                         int64_t now, uint32_t *task, struct oerr *err);

/**
 * UpdateJobExecution of thing's execution in task at now: to is IN_PROGRESS, SUCCEEDED, FAILED
 * or REJECTED (else OERR_INVALID); the transition must be legal for a device (else OERR_STATE);
 * step_timeout_min > 0 sets a new step timer, -1 clears it, 0 leaves it. The version number
 * increments.
 */
int mem_sched_update(struct mem_sched *ms, uint32_t task, uint32_t thing, enum execution_status to,
                     int64_t step_timeout_min, int64_t now, struct oerr *err);

/**
 * The earliest next wake over all tasks (for advancing a virtual clock): a leased task counts at
 * its lease expiry; -1 when no task will ever wake on its own.
 */
int64_t mem_sched_next_wake(const struct mem_sched *ms);

#endif
