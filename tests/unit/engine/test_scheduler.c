/*
 * Unit tests of engine/scheduler over a scripted fake store (the end-to-end runs over the
 * memory store are in tests/sim/test_sched_virtual.c). The fake keeps a few counters per task,
 * logs every store call of a tick, and can fail any one of them. Checked here: the sequence of
 * store calls for each kind of tick (a table), what release() persists (status, end applied,
 * abort comment, pacing state, next wake), retry decisions and their batching, queuing fewer
 * than asked, lease batching in scheduler_run_once, and that every store failure abandons the
 * tick, is counted and does not stop the pass.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/abort.h"
#include "engine/oerr.h"
#include "engine/planner.h"
#include "engine/retry.h"
#include "engine/rollout.h"
#include "engine/sched_store.h"
#include "engine/scheduler.h"
#include "engine/task.h"

#define NELEM(a)  (sizeof(a) / sizeof((a)[0]))
#define T0        INT64_C(1795341600000)
#define MAX_TASKS 200

struct fake_task {
    struct sched_task t; /* what load() returns; the ops keep it current */
    int64_t next_wake;
    int leased;
    int vanished; /* load says NOT_FOUND */
    int removed;
    int32_t prior_failed; /* retries already made for each undecided attempt */
    int64_t available;    /* PLANNED rows the store really has (-1: as counted) */
    struct sched_release rel;
    char comment[256];
    struct rollout_state rel_state;
    int released, abandoned;
};

struct fake {
    struct fake_task task[MAX_TASKS];
    size_t n;
    char log[1024];
    const char *fail_op; /* the op that fails, NULL none */
    int no_decisions;    /* decide() records nothing */
    int lease_calls;
    size_t undecided_calls, decide_calls;
    int64_t retried_rows, closed_rows, queue_asked;
};

static struct fake fk;

static void logop(const char *op)
{
    size_t len = strlen(fk.log);
    snprintf(fk.log + len, sizeof fk.log - len, "%s%s", len > 0 ? " " : "", op);
}

static int failing(const char *op, struct oerr *err)
{
    if (fk.fail_op != NULL && strcmp(fk.fail_op, op) == 0)
        return oerr_set(err, OERR_UNAVAILABLE, "%s failed", op);
    return 0;
}

static struct fake_task *lookup(const char *id)
{
    for (size_t i = 0; i < fk.n; i++)
        if (strcmp(fk.task[i].t.ref.id, id) == 0)
            return &fk.task[i];
    return NULL;
}

/* The task a loaded unit names: it exists (the scheduler never invents ids). */
static struct fake_task *find(const char *id)
{
    struct fake_task *f = lookup(id);
    if (f == NULL)
        abort();
    return f;
}

static int64_t *cnt(struct sched_task *t, enum execution_status s)
{
    return &t->counts.n[s];
}

/* Write the fake's view back into the scheduler's copy, as a store must. */
static void sync_view(struct fake_task *f, struct sched_task *t)
{
    t->counts = f->t.counts;
    t->undecided = f->t.undecided;
    t->next_deadline = f->t.next_deadline;
}

static int f_lease(void *ctx, int64_t now, int64_t lease_ms, struct sched_task_ref *out, size_t max,
                   size_t *n, struct oerr *err)
{
    (void)ctx;
    (void)lease_ms;
    fk.lease_calls++;
    *n = 0;
    if (failing("lease", err) < 0)
        return -1;
    for (size_t i = 0; i < fk.n && *n < max; i++) {
        struct fake_task *f = &fk.task[i];
        if (!f->leased && !f->removed && f->next_wake >= 0 && f->next_wake <= now) {
            f->leased = 1;
            out[(*n)++] = f->t.ref;
        }
    }
    return 0;
}

static int f_load(void *ctx, const struct sched_task_ref *ref, int64_t now, struct sched_task *out,
                  struct oerr *err)
{
    (void)ctx;
    (void)now;
    fk.log[0] = '\0';
    logop("load");
    if (failing("load", err) < 0)
        return -1;
    struct fake_task *f = lookup(ref->id);
    if (f == NULL || f->vanished)
        return oerr_set(err, OERR_NOT_FOUND, "task %s does not exist", ref->id);
    *out = f->t;
    return 0;
}

static int f_expire(void *ctx, struct sched_task *t, int64_t now, int64_t *n, struct oerr *err)
{
    (void)ctx;
    (void)now;
    logop("expire");
    if (failing("expire", err) < 0)
        return -1;
    struct fake_task *f = find(t->ref.id);
    *n = *cnt(&f->t, EXECUTION_IN_PROGRESS);
    *cnt(&f->t, EXECUTION_IN_PROGRESS) = 0;
    *cnt(&f->t, EXECUTION_TIMED_OUT) += *n;
    f->t.undecided += *n;
    f->t.next_deadline = -1;
    sync_view(f, t);
    return 0;
}

static int f_sync(void *ctx, struct sched_task *t, int64_t now, struct oerr *err)
{
    (void)ctx;
    (void)t;
    (void)now;
    logop("sync");
    return failing("sync", err);
}

static int f_cancel(void *ctx, struct sched_task *t, enum sched_cancel_scope scope, int64_t now,
                    int64_t *n, struct oerr *err)
{
    static const char *const names[] = {"cancel", "force", "drop"};
    (void)ctx;
    (void)now;
    logop(names[scope]);
    if (failing(names[scope], err) < 0)
        return -1;
    struct fake_task *f = find(t->ref.id);
    struct sched_task *ft = &f->t;
    *n = *cnt(ft, EXECUTION_PLANNED);
    if (scope == SCHED_DROP_PLANNED) {
        *cnt(ft, EXECUTION_PLANNED) = 0;
    } else {
        *n += *cnt(ft, EXECUTION_QUEUED);
        if (scope == SCHED_CANCEL_FORCE) {
            *n += *cnt(ft, EXECUTION_IN_PROGRESS);
            *cnt(ft, EXECUTION_IN_PROGRESS) = 0;
            ft->next_deadline = -1;
        }
        *cnt(ft, EXECUTION_PLANNED) = *cnt(ft, EXECUTION_QUEUED) = 0;
        *cnt(ft, EXECUTION_CANCELED) += *n;
    }
    sync_view(f, t);
    return 0;
}

static int f_undecided(void *ctx, struct sched_task *t, struct sched_attempt *out, size_t max,
                       size_t *n, struct oerr *err)
{
    (void)ctx;
    fk.undecided_calls++;
    if (fk.undecided_calls == 1)
        logop("undecided");
    if (failing("undecided", err) < 0)
        return -1;
    struct fake_task *f = find(t->ref.id);
    *n = (size_t)f->t.undecided < max ? (size_t)f->t.undecided : max;
    for (size_t i = 0; i < *n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        snprintf(out[i].thing_id, sizeof out[i].thing_id, "thing-%zu", i);
        out[i].execution_number = 1 + f->prior_failed;
        out[i].status = EXECUTION_FAILED;
        out[i].counts.after_failed = f->prior_failed;
    }
    return 0;
}

static int f_decide(void *ctx, struct sched_task *t, const struct sched_attempt *a,
                    const int *retry, size_t n, int64_t now, struct oerr *err)
{
    (void)ctx;
    (void)a;
    (void)now;
    fk.decide_calls++;
    if (fk.decide_calls == 1)
        logop("decide");
    if (failing("decide", err) < 0)
        return -1;
    if (fk.no_decisions)
        return 0;
    struct fake_task *f = find(t->ref.id);
    for (size_t i = 0; i < n; i++) {
        if (retry[i]) {
            *cnt(&f->t, EXECUTION_PLANNED) += 1;
            fk.retried_rows++;
        } else {
            fk.closed_rows++;
        }
    }
    f->t.undecided -= (int64_t)n;
    sync_view(f, t);
    return 0;
}

static int f_queue(void *ctx, struct sched_task *t, int64_t k, int64_t now, int64_t *n,
                   struct oerr *err)
{
    (void)ctx;
    (void)now;
    logop("queue");
    fk.queue_asked = k;
    if (failing("queue", err) < 0)
        return -1;
    struct fake_task *f = find(t->ref.id);
    int64_t have = f->available >= 0 ? f->available : *cnt(&f->t, EXECUTION_PLANNED);
    *n = k < have ? k : have;
    *cnt(&f->t, EXECUTION_PLANNED) -= *n;
    *cnt(&f->t, EXECUTION_QUEUED) += *n;
    sync_view(f, t);
    return 0;
}

static int f_remove(void *ctx, struct sched_task *t, struct oerr *err)
{
    (void)ctx;
    logop("remove");
    if (failing("remove", err) < 0)
        return -1;
    find(t->ref.id)->removed = 1;
    return 0;
}

static int f_release(void *ctx, struct sched_task *t, const struct sched_release *r,
                     struct oerr *err)
{
    (void)ctx;
    logop("release");
    if (failing("release", err) < 0)
        return -1;
    struct fake_task *f = find(t->ref.id);
    f->rel = *r;
    f->comment[0] = '\0';
    if (r->abort_comment != NULL)
        snprintf(f->comment, sizeof f->comment, "%s", r->abort_comment);
    f->rel.abort_comment = f->comment;
    f->rel_state = *r->rollout_state;
    f->rel.rollout_state = &f->rel_state;
    f->t.status = r->status;
    f->t.end_applied = r->end_applied;
    f->t.rollout_state = *r->rollout_state;
    f->next_wake = r->next_wake;
    f->leased = 0;
    f->released++;
    return 0;
}

static void f_abandon(void *ctx, struct sched_task *t)
{
    (void)ctx;
    logop("abandon");
    struct fake_task *f = lookup(t->ref.id);
    if (f != NULL) {
        f->leased = 0;
        f->abandoned++;
    }
}

static const struct sched_store_ops fake_ops = {
    .lease = f_lease,
    .load = f_load,
    .expire = f_expire,
    .sync_membership = f_sync,
    .cancel = f_cancel,
    .undecided = f_undecided,
    .decide = f_decide,
    .queue = f_queue,
    .remove = f_remove,
    .release = f_release,
    .abandon = f_abandon,
};

static const struct abort_criterion abort_failed50 = {ABORT_FAILED, 10, 50.0};

/* A running ONE_TIME task paced at 60 per minute, retry FAILED:2, due at T0. */
static struct fake_task *add_task(const char *id)
{
    struct fake_task *f = &fk.task[fk.n++];
    memset(f, 0, sizeof *f);
    snprintf(f->t.ref.id, sizeof f->t.ref.id, "%s", id);
    f->t.type = TASK_ONE_TIME;
    f->t.status = TASK_IN_PROGRESS;
    task_schedule_default(&f->t.schedule);
    rollout_config_default(&f->t.rollout);
    f->t.rollout.max_per_minute = 60.0;
    rollout_state_init(&f->t.rollout_state);
    f->t.abort[0] = abort_failed50;
    f->t.n_abort = 1;
    f->t.retry.n = 1;
    f->t.retry.c[0].failure_type = RETRY_FAILED;
    f->t.retry.c[0].retries = 2;
    f->t.next_deadline = -1;
    f->next_wake = T0;
    f->available = -1;
    return f;
}

static void setup(void)
{
    memset(&fk, 0, sizeof fk);
}

/* ---- one tick per row: the store calls made and what is released ---- */

struct tick_row {
    const char *name;
    enum task_type type;
    enum task_status status;
    int64_t end_at; /* offset from T0, or -1 none */
    enum task_end_behavior end_behavior;
    int started; /* pacing started 10 s before T0 */
    int64_t planned, queued, in_progress, succeeded, failed, undecided;
    int64_t next_deadline; /* offset, or -1 none */
    int32_t prior_failed;
    /* expected */
    const char *calls;
    enum task_status x_status;
    int x_end_applied;
    int x_abort;
    int64_t x_queued;  /* executions queued (rollout_record'ed) */
    int64_t x_retried; /* retries created */
    int64_t x_wake;    /* offset, -1 never */
};

/* clang-format off */
static const struct tick_row tick_rows[] = {
    {"first tick starts pacing and queues one",
     TASK_ONE_TIME, TASK_IN_PROGRESS, -1, TASK_END_STOP_ROLLOUT, 0, 100, 0, 0, 0, 0, 0, -1, 0,
     "load queue release", TASK_IN_PROGRESS, 0, -1, 1, 0, 1000},
    {"credit of 10 s queues 11",
     TASK_ONE_TIME, TASK_IN_PROGRESS, -1, TASK_END_STOP_ROLLOUT, 1, 100, 0, 0, 0, 0, 0, -1, 0,
     "load queue release", TASK_IN_PROGRESS, 0, -1, 11, 0, 1000},
    {"a due deadline expires first; the timeouts are retried at once",
     TASK_ONE_TIME, TASK_IN_PROGRESS, -1, TASK_END_STOP_ROLLOUT, 1, 0, 0, 2, 5, 0, 0, -200, 0,
     "load expire undecided decide queue release", TASK_IN_PROGRESS, 0, -1, 2, 2, 1000},
    {"failed attempts are retried and the retries queued in the same tick",
     TASK_ONE_TIME, TASK_IN_PROGRESS, -1, TASK_END_STOP_ROLLOUT, 1, 0, 0, 0, 5, 3, 3, -1, 0,
     "load undecided decide queue release", TASK_IN_PROGRESS, 0, -1, 3, 3, 1000},
    {"retry budget spent: no retry, the task completes",
     TASK_ONE_TIME, TASK_IN_PROGRESS, -1, TASK_END_STOP_ROLLOUT, 1, 0, 0, 0, 15, 3, 3, -1, 2,
     "load undecided decide release", TASK_COMPLETED, 0, -1, 0, 0, -1},
    {"CONTINUOUS syncs membership",
     TASK_CONTINUOUS, TASK_IN_PROGRESS, -1, TASK_END_STOP_ROLLOUT, 1, 0, 0, 0, 1, 0, 0, -1, 0,
     "load sync release", TASK_IN_PROGRESS, 0, -1, 0, 0, 1000},
    {"CONTINUOUS after EndTime does not sync; STOP_ROLLOUT drops and completes",
     TASK_CONTINUOUS, TASK_IN_PROGRESS, 0, TASK_END_STOP_ROLLOUT, 1, 4, 0, 0, 1, 0, 0, -1, 0,
     "load drop release", TASK_COMPLETED, 1, -1, 0, 0, -1},
    {"CANCEL at EndTime",
     TASK_ONE_TIME, TASK_IN_PROGRESS, 0, TASK_END_CANCEL, 1, 4, 2, 1, 1, 0, 0, 30000, 0,
     "load cancel release", TASK_CANCELED, 1, -1, 0, 0, 30000},
    {"FORCE_CANCEL at EndTime",
     TASK_ONE_TIME, TASK_IN_PROGRESS, 0, TASK_END_FORCE_CANCEL, 1, 4, 2, 1, 1, 0, 0, 30000, 0,
     "load force release", TASK_CANCELED, 1, -1, 0, 0, -1},
    {"abort: cancel, failed attempts closed without retry",
     TASK_ONE_TIME, TASK_IN_PROGRESS, -1, TASK_END_STOP_ROLLOUT, 1, 50, 5, 0, 4, 6, 2, -1, 0,
     "load cancel undecided decide release", TASK_CANCELED, 0, 0, 0, 0, -1},
    {"deletion: cancel pending, remove, release",
     TASK_ONE_TIME, TASK_DELETION_IN_PROGRESS, -1, TASK_END_STOP_ROLLOUT, 1, 50, 5, 2, 0, 0, 0,
     -200, 0,
     "load cancel remove release", TASK_DELETION_IN_PROGRESS, 0, -1, 0, 0, -1},
    {"final task with a due deadline: expire, close without retry",
     TASK_ONE_TIME, TASK_CANCELED, -1, TASK_END_STOP_ROLLOUT, 1, 0, 0, 1, 0, 0, 0, -200, 0,
     "load expire undecided decide release", TASK_CANCELED, 0, -1, 0, 0, -1},
};
/* clang-format on */

START_TEST(test_tick_rows)
{
    const struct tick_row *r = &tick_rows[_i];
    struct fake_task *f = add_task("t");
    f->t.type = r->type;
    f->t.status = r->status;
    f->t.schedule.end_at = r->end_at < 0 ? -1 : T0 + r->end_at;
    f->t.schedule.end_behavior = r->end_behavior;
    if (r->started)
        rollout_start(&f->t.rollout, &f->t.rollout_state, T0 - 10000);
    f->t.counts.n[EXECUTION_PLANNED] = r->planned;
    f->t.counts.n[EXECUTION_QUEUED] = r->queued;
    f->t.counts.n[EXECUTION_IN_PROGRESS] = r->in_progress;
    f->t.counts.n[EXECUTION_SUCCEEDED] = r->succeeded;
    f->t.counts.n[EXECUTION_FAILED] = r->failed;
    f->t.undecided = r->undecided;
    f->t.next_deadline = r->next_deadline == -1 ? -1 : T0 + r->next_deadline;
    f->prior_failed = r->prior_failed;
    f->t.retry.n = 2;
    f->t.retry.c[1].failure_type = RETRY_TIMED_OUT;
    f->t.retry.c[1].retries = 1;

    struct scheduler *s = scheduler_new(&fake_ops, NULL, NULL);
    struct oerr err;
    ck_assert_msg(scheduler_tick(s, &f->t.ref, T0, &err) == 0, "%s: %s", r->name, err.msg);
    ck_assert_msg(strcmp(fk.log, r->calls) == 0, "%s: calls '%s', want '%s'", r->name, fk.log,
                  r->calls);
    ck_assert_int_eq(f->released, 1);
    ck_assert_int_eq(f->abandoned, 0);
    ck_assert_msg(f->rel.status == r->x_status, "%s: status %s", r->name,
                  task_status_name(f->rel.status));
    ck_assert_msg(f->rel.end_applied == r->x_end_applied, "%s: end_applied", r->name);
    ck_assert_msg(f->rel.abort_index == r->x_abort, "%s: abort_index %d", r->name,
                  f->rel.abort_index);
    const struct scheduler_stats *st = scheduler_stats(s);
    ck_assert_msg(st->queued == r->x_queued, "%s: queued %lld", r->name, (long long)st->queued);
    ck_assert_msg(f->rel_state.total_notified == r->x_queued, "%s: recorded %lld", r->name,
                  (long long)f->rel_state.total_notified);
    ck_assert_msg(st->retried == r->x_retried, "%s: retried %lld", r->name, (long long)st->retried);
    int64_t want = r->x_wake < 0 ? -1 : T0 + r->x_wake;
    ck_assert_msg(f->rel.next_wake == want, "%s: next_wake %lld, want %lld", r->name,
                  (long long)(f->rel.next_wake - T0), (long long)(want - T0));
    ck_assert_int_eq(st->ticks, 1);
    ck_assert_int_eq(st->failures, 0);
    scheduler_free(s);
}
END_TEST

/* Timed-out attempts get their retry decision in the tick that expired them. */
START_TEST(test_tick_timeouts_retried)
{
    struct fake_task *f = add_task("t");
    rollout_start(&f->t.rollout, &f->t.rollout_state, T0 - 10000);
    f->t.counts.n[EXECUTION_IN_PROGRESS] = 2;
    f->t.next_deadline = T0 - 200;
    f->t.retry.n = 1;
    f->t.retry.c[0].failure_type = RETRY_ALL;
    f->t.retry.c[0].retries = 1;
    struct scheduler *s = scheduler_new(&fake_ops, NULL, NULL);
    ck_assert_int_eq(scheduler_tick(s, &f->t.ref, T0, NULL), 0);
    ck_assert_int_eq(scheduler_stats(s)->expired, 2);
    ck_assert_int_eq(scheduler_stats(s)->retried, 2);
    ck_assert_int_eq(scheduler_stats(s)->queued, 2);
    ck_assert_int_eq(f->t.counts.n[EXECUTION_QUEUED], 2);
    scheduler_free(s);
}
END_TEST

START_TEST(test_abort_comment)
{
    struct fake_task *f = add_task("t");
    rollout_start(&f->t.rollout, &f->t.rollout_state, T0 - 10000);
    f->t.counts.n[EXECUTION_PLANNED] = 50;
    f->t.counts.n[EXECUTION_QUEUED] = 5;
    f->t.counts.n[EXECUTION_SUCCEEDED] = 4;
    f->t.counts.n[EXECUTION_FAILED] = 6;
    struct abort_counts ac = {.terminal = 10, .failed = 6};
    char want[256];
    abort_describe(&abort_failed50, 0, &ac, want, sizeof want);

    struct scheduler *s = scheduler_new(&fake_ops, NULL, NULL);
    ck_assert_int_eq(scheduler_tick(s, &f->t.ref, T0, NULL), 0);
    ck_assert_int_eq(f->rel.abort_index, 0);
    ck_assert_str_eq(f->comment, want);
    ck_assert_int_eq(scheduler_stats(s)->aborted, 1);
    ck_assert_int_eq(scheduler_stats(s)->canceled, 55);
    ck_assert_int_eq(f->t.counts.n[EXECUTION_CANCELED], 55);
    scheduler_free(s);
}
END_TEST

/* 2500 undecided attempts with decide_batch 1000: three rounds, every one decided. */
START_TEST(test_decide_batches)
{
    struct fake_task *f = add_task("t");
    rollout_start(&f->t.rollout, &f->t.rollout_state, T0 - 10000);
    f->t.counts.n[EXECUTION_FAILED] = 2500;
    f->t.counts.n[EXECUTION_SUCCEEDED] = 100000; /* keeps the abort criterion quiet */
    f->t.undecided = 2500;
    struct scheduler_config cfg;
    scheduler_config_default(&cfg);
    cfg.decide_batch = 1000;
    struct scheduler *s = scheduler_new(&fake_ops, NULL, &cfg);
    ck_assert_int_eq(scheduler_tick(s, &f->t.ref, T0, NULL), 0);
    ck_assert_int_eq(fk.undecided_calls, 3);
    ck_assert_int_eq(fk.decide_calls, 3);
    ck_assert_int_eq(fk.retried_rows, 2500);
    ck_assert_int_eq(scheduler_stats(s)->retried, 2500);
    ck_assert_int_eq(f->t.undecided, 0);
    ck_assert_int_eq(scheduler_stats(s)->queued, 11); /* retries paced like any target */
    scheduler_free(s);
}
END_TEST

/* A store that records no decision would loop forever: the tick fails instead. */
START_TEST(test_decide_stuck)
{
    struct fake_task *f = add_task("t");
    f->t.counts.n[EXECUTION_FAILED] = 1;
    f->t.undecided = 1;
    fk.no_decisions = 1;
    struct scheduler *s = scheduler_new(&fake_ops, NULL, NULL);
    struct oerr err;
    ck_assert_int_eq(scheduler_tick(s, &f->t.ref, T0, &err), -1);
    ck_assert_int_eq(err.code, OERR_INTERNAL);
    ck_assert_int_eq(f->abandoned, 1);
    ck_assert_int_eq(scheduler_stats(s)->failures, 1);
    scheduler_free(s);
}
END_TEST

/* The store has fewer PLANNED rows than counted: pacing records what was really queued. */
START_TEST(test_queue_fewer)
{
    struct fake_task *f = add_task("t");
    rollout_start(&f->t.rollout, &f->t.rollout_state, T0 - 10000);
    f->t.counts.n[EXECUTION_PLANNED] = 100;
    f->available = 4;
    struct scheduler *s = scheduler_new(&fake_ops, NULL, NULL);
    ck_assert_int_eq(scheduler_tick(s, &f->t.ref, T0, NULL), 0);
    ck_assert_int_eq(fk.queue_asked, 11);
    ck_assert_int_eq(scheduler_stats(s)->queued, 4);
    ck_assert_int_eq(f->rel_state.total_notified, 4);
    /* 4 of 11 slots used: the next batch is due after the batch interval */
    ck_assert_int_eq(f->rel.next_wake, T0 + 1000);
    scheduler_free(s);
}
END_TEST

/* Succeeded executions step the exponential rate up before the plan. */
START_TEST(test_succeeded_step)
{
    struct fake_task *f = add_task("t");
    f->t.rollout.max_per_minute = 0.0;
    f->t.rollout.base_per_minute = 10.0;
    f->t.rollout.increment_factor = 2.0;
    f->t.rollout.succeeded_criterion = 5;
    rollout_start(&f->t.rollout, &f->t.rollout_state, T0 - 60000);
    f->t.counts.n[EXECUTION_PLANNED] = 100;
    f->t.counts.n[EXECUTION_SUCCEEDED] = 5;
    struct scheduler *s = scheduler_new(&fake_ops, NULL, NULL);
    ck_assert_int_eq(scheduler_tick(s, &f->t.ref, T0, NULL), 0);
    ck_assert_int_eq(f->rel_state.stage, 1);
    scheduler_free(s);
}
END_TEST

/* Every store call that can fail: the tick is abandoned, counted, and nothing is released. */
static const struct {
    const char *op;
    enum task_type type;
    enum task_status status;
    int64_t end_at;
    int undecided;
    int deadline_due;
} fail_rows[] = {
    {"load", TASK_ONE_TIME, TASK_IN_PROGRESS, -1, 0, 0},
    {"expire", TASK_ONE_TIME, TASK_IN_PROGRESS, -1, 0, 1},
    {"sync", TASK_CONTINUOUS, TASK_IN_PROGRESS, -1, 0, 0},
    {"cancel", TASK_ONE_TIME, TASK_DELETION_IN_PROGRESS, -1, 0, 0},
    {"remove", TASK_ONE_TIME, TASK_DELETION_IN_PROGRESS, -1, 0, 0},
    {"drop", TASK_ONE_TIME, TASK_IN_PROGRESS, 0, 0, 0},
    {"undecided", TASK_ONE_TIME, TASK_IN_PROGRESS, -1, 1, 0},
    {"decide", TASK_ONE_TIME, TASK_IN_PROGRESS, -1, 1, 0},
    {"queue", TASK_ONE_TIME, TASK_IN_PROGRESS, -1, 0, 0},
    {"release", TASK_ONE_TIME, TASK_IN_PROGRESS, -1, 0, 0},
};

START_TEST(test_store_failure)
{
    struct fake_task *f = add_task("bad");
    struct fake_task *g = add_task("good");
    f->t.type = fail_rows[_i].type;
    f->t.status = fail_rows[_i].status;
    f->t.schedule.end_at = fail_rows[_i].end_at < 0 ? -1 : T0 + fail_rows[_i].end_at;
    f->t.counts.n[EXECUTION_PLANNED] = 10;
    f->t.counts.n[EXECUTION_IN_PROGRESS] = 1;
    f->t.counts.n[EXECUTION_FAILED] = fail_rows[_i].undecided;
    f->t.undecided = fail_rows[_i].undecided;
    f->t.next_deadline = fail_rows[_i].deadline_due ? T0 - 200 : -1;
    g->t.counts.n[EXECUTION_PLANNED] = 10;
    fk.fail_op = fail_rows[_i].op;

    struct scheduler *s = scheduler_new(&fake_ops, NULL, NULL);
    struct oerr err;
    oerr_clear(&err);
    ck_assert_int_eq(scheduler_tick(s, &f->t.ref, T0, &err), -1);
    ck_assert_int_eq(err.code, OERR_UNAVAILABLE);
    ck_assert_msg(strstr(fk.log, fail_rows[_i].op) != NULL, "%s not called: %s", fail_rows[_i].op,
                  fk.log);
    ck_assert_int_eq(f->abandoned, 1);
    ck_assert_int_eq(f->leased, 0);
    const struct scheduler_stats *st = scheduler_stats(s);
    ck_assert_int_eq(st->failures, 1);
    ck_assert_int_eq(st->ticks, 0);

    /* a pass with the store still failing: the healthy task is ticked unless every tick
     * makes the failing call, and the pass goes on after each failure */
    int every_tick = strcmp(fail_rows[_i].op, "load") == 0 ||
                     strcmp(fail_rows[_i].op, "queue") == 0 ||
                     strcmp(fail_rows[_i].op, "release") == 0;
    int n = scheduler_run_once(s, T0, &err);
    ck_assert_int_eq(n, every_tick ? 0 : 1);
    ck_assert_int_eq(g->released, every_tick ? 0 : 1);
    ck_assert_int_eq(f->released, 0);
    ck_assert_int_eq(f->abandoned, 2);
    ck_assert_int_eq(st->failures, every_tick ? 3 : 2);
    scheduler_free(s);
}
END_TEST

/* A task deleted between lease and load is skipped: no unit, no failure. */
START_TEST(test_vanished)
{
    struct fake_task *f = add_task("t");
    f->vanished = 1;
    struct scheduler *s = scheduler_new(&fake_ops, NULL, NULL);
    ck_assert_int_eq(scheduler_tick(s, &f->t.ref, T0, NULL), 0);
    ck_assert_int_eq(f->abandoned, 0);
    ck_assert_int_eq(f->released, 0);
    ck_assert_int_eq(scheduler_stats(s)->failures, 0);
    ck_assert_int_eq(scheduler_stats(s)->ticks, 0);
    scheduler_free(s);
}
END_TEST

/* 150 due tasks and 20 not due, batch 64: three leases, 150 ticks, the others untouched. */
START_TEST(test_run_once_batches)
{
    char id[32];
    for (int i = 0; i < 170; i++) {
        snprintf(id, sizeof id, "t%d", i);
        struct fake_task *f = add_task(id);
        f->t.counts.n[EXECUTION_PLANNED] = 5;
        if (i >= 150)
            f->next_wake = T0 + 5000;
    }
    struct scheduler_config cfg;
    scheduler_config_default(&cfg);
    ck_assert_uint_eq(cfg.batch, 64);
    struct scheduler *s = scheduler_new(&fake_ops, NULL, &cfg);
    struct oerr err;
    ck_assert_int_eq(scheduler_run_once(s, T0, &err), 150);
    ck_assert_int_eq(fk.lease_calls, 3);
    for (int i = 0; i < 170; i++)
        ck_assert_int_eq(fk.task[i].released, i < 150 ? 1 : 0);
    const struct scheduler_stats *st = scheduler_stats(s);
    ck_assert_int_eq(st->passes, 1);
    ck_assert_int_eq(st->ticks, 150);
    ck_assert_int_eq(st->queued, 150);
    /* nothing is due again at the same instant */
    ck_assert_int_eq(scheduler_run_once(s, T0, &err), 0);
    ck_assert_int_eq(st->passes, 2);
    scheduler_free(s);
}
END_TEST

/* Full batches of failures that the store hands back at once end the pass. */
START_TEST(test_run_once_failing_store)
{
    char id[32];
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof id, "t%d", i);
        add_task(id);
    }
    fk.fail_op = "load";
    struct scheduler_config cfg;
    scheduler_config_default(&cfg);
    cfg.batch = 4;
    struct scheduler *s = scheduler_new(&fake_ops, NULL, &cfg);
    ck_assert_int_eq(scheduler_run_once(s, T0, NULL), 0);
    ck_assert_int_eq(fk.lease_calls, 1);
    ck_assert_int_eq(scheduler_stats(s)->failures, 4);
    scheduler_free(s);
}
END_TEST

START_TEST(test_lease_failure)
{
    add_task("t");
    fk.fail_op = "lease";
    struct scheduler *s = scheduler_new(&fake_ops, NULL, NULL);
    struct oerr err;
    ck_assert_int_eq(scheduler_run_once(s, T0, &err), -1);
    ck_assert_int_eq(err.code, OERR_UNAVAILABLE);
    scheduler_free(s);
}
END_TEST

START_TEST(test_config_default)
{
    struct scheduler_config cfg;
    scheduler_config_default(&cfg);
    ck_assert_int_eq(cfg.lease_ms, 30000);
    ck_assert_uint_eq(cfg.batch, 64);
    ck_assert_int_eq(cfg.poll_ms, 1000);
    ck_assert_uint_eq(cfg.decide_batch, 1000);
    scheduler_free(NULL);
}
END_TEST

static Suite *scheduler_suite(void)
{
    Suite *s = suite_create("scheduler");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_test(tc, test_tick_rows, 0, (int)NELEM(tick_rows));
    tcase_add_test(tc, test_tick_timeouts_retried);
    tcase_add_test(tc, test_abort_comment);
    tcase_add_test(tc, test_decide_batches);
    tcase_add_test(tc, test_decide_stuck);
    tcase_add_test(tc, test_queue_fewer);
    tcase_add_test(tc, test_succeeded_step);
    tcase_add_loop_test(tc, test_store_failure, 0, (int)NELEM(fail_rows));
    tcase_add_test(tc, test_vanished);
    tcase_add_test(tc, test_run_once_batches);
    tcase_add_test(tc, test_run_once_failing_store);
    tcase_add_test(tc, test_lease_failure);
    tcase_add_test(tc, test_config_default);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(scheduler_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
