/*
 * planner: the decision of one scheduler tick of one task (SPEC.md sections 3-8). Given the
 * task's configuration, counters, rollout state and now, planner_plan() says what must happen
 * at this instant: the task's status, the abort that fired, the end behaviour to apply, which
 * cancellations to make, whether failed attempts may still be retried, how many executions to
 * queue, and when to wake up next. It performs nothing; engine/scheduler.c applies the plan
 * through sched_store.h.
 *
 * Rules, in the order the planner applies them:
 *   1. DELETION_IN_PROGRESS: cancel PLANNED/QUEUED, then remove the task (IN_PROGRESS
 *      executions are not touched and disappear with it).
 *   2. COMPLETED/CANCELED are final: nothing but deadlines (IN_PROGRESS may still time out)
 *      and "no retry" decisions for attempts that end now.
 *   3. EndTime reached and end behaviour not yet applied: STOP_ROLLOUT drops PLANNED rows;
 *      CANCEL cancels PLANNED and QUEUED and the task becomes CANCELED; FORCE_CANCEL also
 *      cancels IN_PROGRESS (forceCanceled). No retries after the end.
 *   4. Abort criteria (in list order, first wins): cancel PLANNED and QUEUED, task CANCELED
 *      with reason ABORT_CRITERIA_MET. No retries after an abort.
 *   5. Status: after STOP_ROLLOUT -> IN_PROGRESS until complete; before StartTime or outside
 *      every window -> SCHEDULED; else IN_PROGRESS.
 *   6. Queue: IN_PROGRESS (not ended) -> queue min(allowance, PLANNED incl. retries).
 *   7. Completion: ONE_TIME when nothing is PLANNED, QUEUED, IN_PROGRESS or awaiting a retry
 *      decision; CONTINUOUS only after EndTime with the same condition.
 *   8. Next wake: the earliest of deadline, pacing slot (if PLANNED remain), window boundary,
 *      StartTime, EndTime, and now + poll interval while anything is non-terminal (device
 *      reports change counts that abort and step-ups react to) or the task is CONTINUOUS.
 */
#ifndef OTAD_ENGINE_PLANNER_H
#define OTAD_ENGINE_PLANNER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/abort.h"
#include "engine/execution.h"
#include "engine/rollout.h"
#include "engine/task.h"

/** Execution counts of one task, all attempts, by status (PLANNED included). */
struct planner_counts {
    int64_t n[EXECUTION_STATUS_MAX];
};

/** The task as the planner sees it; everything borrowed. */
struct planner_input {
    enum task_type type;
    enum task_status status;
    int end_applied; /* the end behaviour has already been applied */
    const struct task_schedule *schedule;
    const struct rollout_config *rollout;      /* never NULL */
    const struct rollout_state *rollout_state; /* never NULL */
    const struct abort_criterion *abort;
    size_t n_abort;
    struct planner_counts counts;
    int64_t undecided;     /* FAILED/TIMED_OUT attempts with no retry decision yet */
    int64_t next_deadline; /* earliest IN_PROGRESS deadline, -1 none */
    int64_t poll_ms;       /* re-tick interval of active tasks (default 1000) */
};

enum planner_cancel {
    PLANNER_CANCEL_NONE = 0,
    PLANNER_CANCEL_PENDING, /* PLANNED + QUEUED -> CANCELED */
    PLANNER_CANCEL_FORCE,   /* PLANNED + QUEUED + IN_PROGRESS -> CANCELED (forceCanceled) */
};

struct planner_plan {
    enum task_status status;    /* the status after this tick */
    int status_changed;         /* status != input status */
    int apply_end;              /* apply the end behaviour now (set end_applied) */
    int drop_planned;           /* STOP_ROLLOUT: delete PLANNED rows (never shown) */
    enum planner_cancel cancel; /* cancellation to apply */
    int abort_index;            /* criterion that fired, -1 none */
    int expire;                 /* IN_PROGRESS deadlines are due */
    int allow_retries;          /* undecided attempts may be retried (else: no retry) */
    int start_rollout;          /* pacing clock must start now (rollout_start) */
    int idle;                   /* nothing to notify or paused: rollout_idle(now) */
    int64_t queue;              /* executions to queue now (retries first) */
    int remove;                 /* DELETION_IN_PROGRESS: remove task and executions */
    int64_t next_wake;          /* ms; -1 = never (nothing more will happen on its own) */
};

/**
 * Decide the tick at now. Pure: in and everything it points to are only read (the allowance is
 * computed on a local copy of the rollout state, after start_rollout and idle as the scheduler
 * applies them: rollout_start, then rollout_idle, then queue, then rollout_record). next_wake
 * assumes the store does exactly what the plan says; after expire the remaining deadlines are
 * unknown, so it falls back to the poll interval while IN_PROGRESS executions remain.
 */
void planner_plan(const struct planner_input *in, int64_t now, struct planner_plan *out);

/**
 * The next wake-up after a tick's actions were applied: in must carry the post-tick status,
 * counts and rollout state. Used by the scheduler when the store did not do exactly what the
 * plan assumed (e.g. fewer executions were available to queue). The result is > now (anything
 * due at now belongs to the tick just made), now for a task being deleted, or -1.
 */
int64_t planner_next_wake(const struct planner_input *in, int64_t now);

/** The abort counts (SPEC.md section 5) of a task's counts: every terminal attempt. */
void planner_abort_counts(const struct planner_counts *c, struct abort_counts *out);

#endif
