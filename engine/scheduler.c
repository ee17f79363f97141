/*
 * scheduler: leases due tasks and ticks each through sched_store.h. A tick is
 *
 *   load -> expire (a deadline is due) -> sync_membership (CONTINUOUS, still rolling out)
 *        -> observe succeeded (pacing step-ups) -> plan -> drop/cancel/remove
 *        -> retry decisions in batches -> re-plan -> start/idle pacing -> queue -> record
 *        -> next wake on the post-tick view -> release
 *
 * The first plan decides what the counts as loaded call for (end behaviour, abort, whether
 * retries are still allowed); the second one, made after the decisions turned failed attempts
 * into PLANNED retries, decides pacing, queuing and completion on the counts as they are then.
 * Any store failure abandons the tick (the store discards the unit) and the pass goes on with
 * the next task. Policy lives in the planner; this file only sequences it.
 */
#include "engine/scheduler.h"

#include <stdlib.h>
#include <string.h>

#include "engine/mem.h"
#include "engine/planner.h"

#define DEFAULT_LEASE_MS     INT64_C(30000)
#define DEFAULT_BATCH        64
#define DEFAULT_POLL_MS      INT64_C(1000)
#define DEFAULT_DECIDE_BATCH 1000
#define ABORT_COMMENT_MAX    256

struct scheduler {
    const struct sched_store_ops *ops;
    void *ctx;
    struct scheduler_config cfg;
    struct scheduler_stats stats;
    struct sched_task_ref *refs;    /* cfg.batch */
    struct sched_attempt *attempts; /* cfg.decide_batch */
    int *retry;                     /* cfg.decide_batch */
};

void scheduler_config_default(struct scheduler_config *cfg)
{
    cfg->lease_ms = DEFAULT_LEASE_MS;
    cfg->batch = DEFAULT_BATCH;
    cfg->poll_ms = DEFAULT_POLL_MS;
    cfg->decide_batch = DEFAULT_DECIDE_BATCH;
}

struct scheduler *scheduler_new(const struct sched_store_ops *ops, void *ctx,
                                const struct scheduler_config *cfg)
{
    struct scheduler *s = xcalloc(1, sizeof *s);
    s->ops = ops;
    s->ctx = ctx;
    scheduler_config_default(&s->cfg);
    if (cfg != NULL) {
        if (cfg->lease_ms > 0)
            s->cfg.lease_ms = cfg->lease_ms;
        if (cfg->batch > 0)
            s->cfg.batch = cfg->batch;
        if (cfg->poll_ms > 0)
            s->cfg.poll_ms = cfg->poll_ms;
        if (cfg->decide_batch > 0)
            s->cfg.decide_batch = cfg->decide_batch;
    }
    s->refs = xcalloc(s->cfg.batch, sizeof *s->refs);
    s->attempts = xcalloc(s->cfg.decide_batch, sizeof *s->attempts);
    s->retry = xcalloc(s->cfg.decide_batch, sizeof *s->retry);
    return s;
}

void scheduler_free(struct scheduler *s)
{
    if (s == NULL)
        return;
    free(s->refs);
    free(s->attempts);
    free(s->retry);
    free(s);
}

const struct scheduler_stats *scheduler_stats(const struct scheduler *s)
{
    return &s->stats;
}

static void input_of(const struct scheduler *s, const struct sched_task *t,
                     struct planner_input *in)
{
    memset(in, 0, sizeof *in);
    in->type = t->type;
    in->status = t->status;
    in->end_applied = t->end_applied;
    in->schedule = &t->schedule;
    in->rollout = &t->rollout;
    in->rollout_state = &t->rollout_state;
    in->abort = t->abort;
    in->n_abort = t->n_abort < SCHED_MAX_ABORT ? t->n_abort : SCHED_MAX_ABORT;
    in->counts = t->counts;
    in->undecided = t->undecided;
    in->next_deadline = t->next_deadline;
    in->poll_ms = s->cfg.poll_ms;
}

/* Decide every undecided attempt, in batches: retry when allowed and the budget has room. */
static int decide_all(struct scheduler *s, struct sched_task *t, int allow, int64_t now,
                      struct oerr *err)
{
    while (t->undecided > 0) {
        size_t n = 0;
        if (s->ops->undecided(s->ctx, t, s->attempts, s->cfg.decide_batch, &n, err) < 0)
            return -1;
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            const struct sched_attempt *a = &s->attempts[i];
            s->retry[i] = allow && retry_allowed(&t->retry, a->status, &a->counts);
            if (s->retry[i])
                s->stats.retried++;
        }
        int64_t before = t->undecided;
        if (s->ops->decide(s->ctx, t, s->attempts, s->retry, n, now, err) < 0)
            return -1;
        if (t->undecided >= before)
            return oerr_set(err, OERR_INTERNAL, "store recorded no retry decision for task %s",
                            t->ref.id);
    }
    return 0;
}

static int cancel(struct scheduler *s, struct sched_task *t, enum sched_cancel_scope scope,
                  int64_t now, struct oerr *err)
{
    int64_t n = 0;
    if (s->ops->cancel(s->ctx, t, scope, now, &n, err) < 0)
        return -1;
    s->stats.canceled += n;
    return 0;
}

/* The tick of a loaded task; on -1 (*err set) the caller abandons the unit. */
static int tick(struct scheduler *s, struct sched_task *t, int64_t now, struct oerr *err)
{
    char comment[ABORT_COMMENT_MAX];
    struct planner_input in;
    struct planner_plan plan, pace;

    int deleting = t->status == TASK_DELETION_IN_PROGRESS;
    if (!deleting && t->next_deadline >= 0 && t->next_deadline <= now) {
        int64_t n = 0;
        if (s->ops->expire(s->ctx, t, now, &n, err) < 0)
            return -1;
        s->stats.expired += n;
    }
    int ended = t->end_applied || (t->schedule.end_at >= 0 && now >= t->schedule.end_at);
    if (t->type == TASK_CONTINUOUS && !deleting && !task_is_final(t->status) && !ended &&
        s->ops->sync_membership(s->ctx, t, now, err) < 0)
        return -1;
    rollout_observe_succeeded(&t->rollout, &t->rollout_state, t->counts.n[EXECUTION_SUCCEEDED],
                              now);

    input_of(s, t, &in);
    planner_plan(&in, now, &plan);
    struct planner_counts at_plan = t->counts;
    enum task_status loaded_status = t->status;
    struct sched_release rel = {.status = plan.status,
                                .end_applied = t->end_applied || plan.apply_end,
                                .abort_index = -1,
                                .abort_comment = NULL,
                                .rollout_state = &t->rollout_state,
                                .next_wake = -1};
    if (plan.remove) {
        if (cancel(s, t, SCHED_CANCEL_PENDING, now, err) < 0 ||
            s->ops->remove(s->ctx, t, err) < 0 || s->ops->release(s->ctx, t, &rel, err) < 0)
            return -1;
        return 0;
    }
    if (plan.drop_planned && cancel(s, t, SCHED_DROP_PLANNED, now, err) < 0)
        return -1;
    if (plan.cancel != PLANNER_CANCEL_NONE &&
        cancel(s, t,
               plan.cancel == PLANNER_CANCEL_FORCE ? SCHED_CANCEL_FORCE : SCHED_CANCEL_PENDING, now,
               err) < 0)
        return -1;
    if (decide_all(s, t, plan.allow_retries, now, err) < 0)
        return -1;

    /* Re-plan on the counts after the decisions. A non-final first plan leaves the abort and
     * end outcome unchanged (decisions add only PLANNED rows), so the loaded status is kept as
     * the input: it tells a resume from a pause. */
    input_of(s, t, &in);
    in.status = task_is_final(plan.status) ? plan.status : loaded_status;
    in.end_applied = rel.end_applied;
    planner_plan(&in, now, &pace);
    if (pace.start_rollout)
        rollout_start(&t->rollout, &t->rollout_state, now);
    if (pace.idle && t->rollout_state.stage_start >= 0)
        rollout_idle(&t->rollout, &t->rollout_state, now);
    if (pace.queue > 0) {
        int64_t n = 0;
        if (s->ops->queue(s->ctx, t, pace.queue, now, &n, err) < 0)
            return -1;
        if (n > 0) {
            rollout_record(&t->rollout, &t->rollout_state, n, now);
            s->stats.queued += n;
        }
    }

    if (plan.abort_index >= 0) {
        struct abort_counts ac;
        planner_abort_counts(&at_plan, &ac);
        size_t i = (size_t)plan.abort_index;
        rel.abort_index = plan.abort_index;
        rel.abort_comment = abort_describe(&t->abort[i], i, &ac, comment, sizeof comment);
    }
    rel.status = pace.status;
    input_of(s, t, &in);
    in.status = rel.status;
    in.end_applied = rel.end_applied;
    rel.next_wake = planner_next_wake(&in, now);
    if (s->ops->release(s->ctx, t, &rel, err) < 0)
        return -1;
    if (plan.abort_index >= 0)
        s->stats.aborted++;
    return 0;
}

int scheduler_tick(struct scheduler *s, const struct sched_task_ref *ref, int64_t now,
                   struct oerr *err)
{
    struct sched_task t;
    struct oerr e;
    memset(&t, 0, sizeof t);
    oerr_clear(&e);
    t.ref = *ref;
    if (s->ops->load(s->ctx, ref, now, &t, &e) < 0) {
        if (e.code == OERR_NOT_FOUND)
            return 0; /* deleted meanwhile: nothing to tick, no unit was started */
        goto fail;
    }
    if (tick(s, &t, now, &e) < 0)
        goto fail;
    s->stats.ticks++;
    return 0;

fail:
    s->ops->abandon(s->ctx, &t);
    s->stats.failures++;
    if (err != NULL)
        *err = e;
    return -1;
}

int scheduler_run_once(struct scheduler *s, int64_t now, struct oerr *err)
{
    s->stats.passes++;
    int ticked = 0;
    for (;;) {
        size_t n = 0;
        if (s->ops->lease(s->ctx, now, s->cfg.lease_ms, s->refs, s->cfg.batch, &n, err) < 0)
            return -1;
        if (n > s->cfg.batch)
            n = s->cfg.batch;
        int round = 0;
        for (size_t i = 0; i < n; i++) {
            struct oerr terr;
            oerr_clear(&terr);
            if (scheduler_tick(s, &s->refs[i], now, &terr) == 0)
                round++;
        }
        ticked += round;
        /* A short batch means nothing else is due; a full batch of failures means the store is
         * in trouble and would hand the same tasks back: leave them to the next pass. */
        if (n < s->cfg.batch || round == 0)
            break;
    }
    return ticked;
}
