/*
 * planner: the per-tick decision of one task (rules 1-8 of planner.h). Everything here is a
 * pure function of its input and now: the rollout state is never written (allowances and
 * "after queuing k" views are computed on local copies), so the scheduler can plan twice in one
 * tick (before and after retry decisions) and the tests can table the decisions.
 */
#include "engine/planner.h"

#include <string.h>

#include "engine/window.h"

static int64_t min_wake(int64_t a, int64_t b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

static int end_reached(const struct task_schedule *s, int64_t now)
{
    return s->end_at >= 0 && now >= s->end_at;
}

static int has_windows(const struct task_schedule *s)
{
    return s->windows != NULL && window_set_count(s->windows) > 0;
}

/* 1 if rollout may happen at now as far as the schedule goes: StartTime passed, window open. */
static int schedule_open(const struct task_schedule *s, int64_t now)
{
    if (s->start_at >= 0 && now < s->start_at)
        return 0;
    if (!has_windows(s))
        return 1;
    struct window_state ws;
    window_set_at(s->windows, now, &ws);
    return ws.open;
}

void planner_abort_counts(const struct planner_counts *c, struct abort_counts *out)
{
    out->failed = c->n[EXECUTION_FAILED];
    out->rejected = c->n[EXECUTION_REJECTED];
    out->timed_out = c->n[EXECUTION_TIMED_OUT];
    out->terminal = c->n[EXECUTION_SUCCEEDED] + c->n[EXECUTION_FAILED] + c->n[EXECUTION_TIMED_OUT] +
                    c->n[EXECUTION_REJECTED] + c->n[EXECUTION_REMOVED] + c->n[EXECUTION_CANCELED];
}

/* Nothing PLANNED, QUEUED, IN_PROGRESS or awaiting a retry decision. */
static int all_settled(const struct planner_counts *c, int64_t undecided)
{
    return c->n[EXECUTION_PLANNED] == 0 && c->n[EXECUTION_QUEUED] == 0 &&
           c->n[EXECUTION_IN_PROGRESS] == 0 && undecided == 0;
}

/* Move n executions of counts from one status to another (clamped to what is there). */
static void move_counts(struct planner_counts *c, enum execution_status from,
                        enum execution_status to, int64_t n)
{
    if (n > c->n[from])
        n = c->n[from];
    c->n[from] -= n;
    c->n[to] += n;
}

/* The counts after the plan's drop, cancellation and queuing, as the store would leave them. */
static void counts_after(const struct planner_counts *in, const struct planner_plan *p,
                         struct planner_counts *out)
{
    *out = *in;
    if (p->drop_planned)
        out->n[EXECUTION_PLANNED] = 0;
    if (p->cancel != PLANNER_CANCEL_NONE) {
        move_counts(out, EXECUTION_PLANNED, EXECUTION_CANCELED, out->n[EXECUTION_PLANNED]);
        move_counts(out, EXECUTION_QUEUED, EXECUTION_CANCELED, out->n[EXECUTION_QUEUED]);
    }
    if (p->cancel == PLANNER_CANCEL_FORCE)
        move_counts(out, EXECUTION_IN_PROGRESS, EXECUTION_CANCELED, out->n[EXECUTION_IN_PROGRESS]);
    move_counts(out, EXECUTION_PLANNED, EXECUTION_QUEUED, p->queue);
}

/* Rule 6 (and the pacing half of rule 5): start, idle and queue of an active task. */
static void plan_pacing(const struct planner_input *in, int64_t now, struct planner_plan *out,
                        struct rollout_state *st)
{
    int64_t planned = in->counts.n[EXECUTION_PLANNED];
    if (out->status == TASK_SCHEDULED) {
        out->idle = 1; /* paused: credit must not accumulate */
        return;
    }
    if (st->stage_start < 0) {
        out->start_rollout = 1;
        rollout_start(in->rollout, st, now);
    } else if (in->status == TASK_SCHEDULED) {
        out->idle = 1; /* resuming after a pause: the first slot is now, no burst */
    }
    if (planned == 0 && in->undecided == 0)
        out->idle = 1; /* nothing to notify, and no retry can come of this tick */
    if (out->idle)
        rollout_idle(in->rollout, st, now);
    if (planned > 0) {
        int64_t allowance = rollout_allowance(in->rollout, st, now);
        out->queue = allowance < planned ? allowance : planned;
    }
}

void planner_plan(const struct planner_input *in, int64_t now, struct planner_plan *out)
{
    memset(out, 0, sizeof *out);
    out->status = in->status;
    out->abort_index = -1;
    out->next_wake = -1;

    if (in->status == TASK_DELETION_IN_PROGRESS) {
        out->cancel = PLANNER_CANCEL_PENDING;
        out->remove = 1;
        return;
    }
    out->expire = in->next_deadline >= 0 && in->next_deadline <= now;

    struct rollout_state st = *in->rollout_state;
    int ended = in->end_applied;
    if (!task_is_final(in->status)) {
        if (!in->end_applied && end_reached(in->schedule, now)) {
            out->apply_end = 1;
            ended = 1;
            switch (in->schedule->end_behavior) {
            case TASK_END_CANCEL:
                out->cancel = PLANNER_CANCEL_PENDING;
                out->status = TASK_CANCELED;
                break;
            case TASK_END_FORCE_CANCEL:
                out->cancel = PLANNER_CANCEL_FORCE;
                out->status = TASK_CANCELED;
                break;
            case TASK_END_STOP_ROLLOUT:
            default:
                out->drop_planned = 1;
                break;
            }
        }
        if (!task_is_final(out->status)) {
            struct abort_counts ac;
            planner_abort_counts(&in->counts, &ac);
            int i = abort_check(in->abort, in->n_abort, &ac);
            if (i >= 0) {
                out->abort_index = i;
                out->cancel = PLANNER_CANCEL_PENDING;
                out->status = TASK_CANCELED;
            }
        }
        if (!task_is_final(out->status)) {
            if (ended)
                out->status = TASK_IN_PROGRESS;
            else
                out->status = schedule_open(in->schedule, now) ? TASK_IN_PROGRESS : TASK_SCHEDULED;
            if (!ended) {
                out->allow_retries = 1;
                plan_pacing(in, now, out, &st);
            }
        }
    }

    struct planner_counts post;
    counts_after(&in->counts, out, &post);
    if (!task_is_final(out->status)) {
        int64_t undecided = out->allow_retries ? in->undecided : 0;
        int may_complete = in->type == TASK_ONE_TIME || end_reached(in->schedule, now);
        if (may_complete && !out->expire && all_settled(&post, undecided)) {
            out->status = TASK_COMPLETED;
            out->allow_retries = 0;
            out->start_rollout = 0;
            out->idle = 0;
            out->queue = 0;
            st = *in->rollout_state;
        }
    }
    out->status_changed = out->status != in->status;

    if (out->queue > 0)
        rollout_record(in->rollout, &st, out->queue, now);
    struct planner_input view = *in;
    view.status = out->status;
    view.end_applied = in->end_applied || out->apply_end;
    view.rollout_state = &st;
    view.counts = post;
    view.undecided = out->allow_retries ? in->undecided : 0;
    if (out->expire || out->cancel == PLANNER_CANCEL_FORCE)
        view.next_deadline = -1; /* expire: unknown, the poll covers what is left */
    out->next_wake = planner_next_wake(&view, now);
    if (out->expire && task_is_final(out->status) && post.n[EXECUTION_IN_PROGRESS] > 0)
        out->next_wake = min_wake(out->next_wake, now + in->poll_ms);
}

/* Rule 8 for a task that is neither final nor ended: StartTime, windows, EndTime, pacing. */
static int64_t schedule_wake(const struct planner_input *in, int64_t now)
{
    const struct task_schedule *s = in->schedule;
    int64_t wake = s->end_at;
    int64_t t0 = s->start_at > now ? s->start_at : now;
    if (has_windows(s)) {
        /* rollout (re)starts at the later of StartTime and the next window opening; an open
         * window matters when it closes */
        struct window_state ws;
        window_set_at(s->windows, t0, &ws);
        if (!ws.open)
            wake = min_wake(wake, ws.until);
        else if (t0 > now)
            wake = min_wake(wake, t0);
        else
            wake = min_wake(wake, ws.until);
    } else if (t0 > now) {
        wake = min_wake(wake, t0);
    }
    if (in->counts.n[EXECUTION_PLANNED] > 0 && in->status == TASK_IN_PROGRESS &&
        schedule_open(s, now)) {
        if (in->rollout_state->stage_start < 0)
            wake = min_wake(wake, now);
        else
            wake = min_wake(wake, rollout_next_at(in->rollout, in->rollout_state, now));
    }
    return wake;
}

int64_t planner_next_wake(const struct planner_input *in, int64_t now)
{
    if (in->status == TASK_DELETION_IN_PROGRESS)
        return now;
    int64_t wake = in->next_deadline;
    if (!task_is_final(in->status)) {
        int ended = in->end_applied || end_reached(in->schedule, now);
        if (!in->end_applied && end_reached(in->schedule, now))
            wake = min_wake(wake, now); /* the end behaviour is due */
        if (!ended)
            wake = min_wake(wake, schedule_wake(in, now));
        int live = in->counts.n[EXECUTION_QUEUED] > 0 || in->counts.n[EXECUTION_IN_PROGRESS] > 0 ||
                   in->undecided > 0;
        if (live || (in->type == TASK_CONTINUOUS && !ended))
            wake = min_wake(wake, now + in->poll_ms);
    }
    if (wake >= 0 && wake <= now)
        wake = now + 1;
    return wake;
}
