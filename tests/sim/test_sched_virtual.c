/*
 * End-to-end tests of engine/scheduler.c over sim/mem_sched.c in virtual time. A small
 * deterministic device driver reacts to the store's transition listener: a device notified of
 * a QUEUED execution starts it after a delay fixed by its index, runs for a time fixed by its
 * index, and ends as its behaviour says (succeed, fail the first attempt, fail always, stay
 * silent until the in-progress timeout, never start). The clock jumps from one event (device
 * action or task wake) to the next. Every transition is logged and checked against SPEC.md:
 * pacing windows, abort at the first tick whose counts meet the criterion, cancellations,
 * retries, timeouts within 2 s, end behaviours, maintenance windows, CONTINUOUS membership,
 * deletion, and run-to-run determinism.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/abort.h"
#include "engine/execution.h"
#include "engine/mem.h"
#include "engine/oerr.h"
#include "engine/planner.h"
#include "engine/rollout.h"
#include "engine/sched_store.h"
#include "engine/scheduler.h"
#include "engine/task.h"
#include "engine/window.h"
#include "sim/mem_sched.h"

#define T0   INT64_C(1795341600000) /* 2026-11-22T10:00:00Z */
#define SEC  INT64_C(1000)
#define MIN  INT64_C(60000)
#define HOUR INT64_C(3600000)
#define DAY  INT64_C(86400000)
#define POLL INT64_C(1000)

/* ---- the device driver ---- */

enum behaviour {
    DEV_OK = 0,    /* start, then succeed */
    DEV_FAIL_ONCE, /* the first attempt fails, later ones succeed */
    DEV_FAIL,      /* every attempt fails */
    DEV_SILENT,    /* starts, never reports: times out */
    DEV_IDLE,      /* never starts */
    DEV_FAIL_IDLE, /* the first attempt fails, the next ones are never started */
    DEV_BEHAVIOURS
};

enum ev_kind { EV_START, EV_FINISH };

struct ev {
    int64_t at;
    uint64_t seq;
    uint32_t task, thing, exec;
    enum ev_kind kind;
};

struct entry {
    struct mem_sched_transition tr;
    int32_t stage; /* the task's pacing stage when it happened */
};

struct sim {
    struct mem_sched *ms;
    struct scheduler *sched;
    int64_t now;
    struct ev *heap;
    size_t n_heap, cap_heap;
    uint64_t seq;
    enum behaviour *behave; /* by thing */
    size_t n_behave;
    int use_start_next; /* devices ask for their next pending execution */
    int64_t start_base; /* start delay: base + (thing * 7919) % spread */
    int64_t start_spread;
    int64_t run_base; /* run time: base + (thing * 104729) % spread */
    int64_t run_spread;
    struct entry *log;
    size_t n_log, cap_log;
    int64_t counts[EXECUTION_STATUS_MAX]; /* running, from the transitions */
    int64_t rejected_updates;             /* device updates the store refused */
    uint64_t hash;
};

static int ev_less(const struct ev *a, const struct ev *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void ev_push(struct sim *sm, struct ev e)
{
    if (sm->n_heap == sm->cap_heap) {
        sm->cap_heap = sm->cap_heap == 0 ? 1024 : sm->cap_heap * 2;
        sm->heap = xreallocarray(sm->heap, sm->cap_heap, sizeof *sm->heap);
    }
    e.seq = sm->seq++;
    size_t i = sm->n_heap++;
    while (i > 0 && ev_less(&e, &sm->heap[(i - 1) / 2])) {
        sm->heap[i] = sm->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    sm->heap[i] = e;
}

static struct ev ev_pop(struct sim *sm)
{
    struct ev top = sm->heap[0];
    struct ev last = sm->heap[--sm->n_heap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= sm->n_heap)
            break;
        if (c + 1 < sm->n_heap && ev_less(&sm->heap[c + 1], &sm->heap[c]))
            c++;
        if (!ev_less(&sm->heap[c], &last))
            break;
        sm->heap[i] = sm->heap[c];
        i = c;
    }
    if (sm->n_heap > 0)
        sm->heap[i] = last;
    return top;
}

static enum behaviour behaviour_of(const struct sim *sm, uint32_t thing)
{
    return thing < sm->n_behave ? sm->behave[thing] : DEV_OK;
}

static void hash_mix(uint64_t *h, uint64_t v)
{
    *h ^= v;
    *h *= UINT64_C(1099511628211);
}

static void on_transition(void *arg, const struct mem_sched_transition *tr)
{
    struct sim *sm = arg;
    struct mem_sched_task_info info;
    if (sm->n_log == sm->cap_log) {
        sm->cap_log = sm->cap_log == 0 ? 4096 : sm->cap_log * 2;
        sm->log = xreallocarray(sm->log, sm->cap_log, sizeof *sm->log);
    }
    struct entry *e = &sm->log[sm->n_log++];
    e->tr = *tr;
    e->stage =
        mem_sched_task_info(sm->ms, tr->task, &info, NULL) == 0 ? info.rollout_state.stage : -1;
    if (tr->from != MEM_SCHED_NONE)
        sm->counts[tr->from]--;
    if (tr->to != MEM_SCHED_NONE)
        sm->counts[tr->to]++;
    hash_mix(&sm->hash, (uint64_t)tr->at);
    hash_mix(&sm->hash, ((uint64_t)tr->task << 32) | tr->thing);
    hash_mix(&sm->hash,
             ((uint64_t)tr->execution_number << 16) | ((uint64_t)tr->from << 8) | tr->to);

    if (tr->to == EXECUTION_QUEUED) {
        enum behaviour b = behaviour_of(sm, tr->thing);
        if (b == DEV_IDLE || (b == DEV_FAIL_IDLE && tr->execution_number > 1))
            return;
        struct ev ev = {.at = tr->at + sm->start_base +
                              (int64_t)(((uint64_t)tr->thing * 7919u) % (uint64_t)sm->start_spread),
                        .task = tr->task,
                        .thing = tr->thing,
                        .exec = tr->execution_number,
                        .kind = EV_START};
        ev_push(sm, ev);
    }
}

/* The status a device reports at the end of attempt exec, or -1 if it never reports. */
static int outcome(enum behaviour b, uint32_t exec)
{
    switch (b) {
    case DEV_FAIL_ONCE:
    case DEV_FAIL_IDLE:
        return exec == 1 ? EXECUTION_FAILED : EXECUTION_SUCCEEDED;
    case DEV_FAIL:
        return EXECUTION_FAILED;
    case DEV_SILENT:
    case DEV_IDLE:
        return -1;
    case DEV_OK:
    default:
        return EXECUTION_SUCCEEDED;
    }
}

static void device_event(struct sim *sm, const struct ev *ev)
{
    struct mem_sched_execution x;
    struct oerr err;
    uint32_t task = ev->task;
    int have = mem_sched_execution(sm->ms, ev->task, ev->thing, &x, NULL) == 0;
    if (have && x.execution_number != ev->exec)
        return; /* superseded by a later attempt */
    if (ev->kind == EV_START) {
        if (!have || x.status != EXECUTION_QUEUED)
            return;
        int rc = sm->use_start_next
                     ? mem_sched_start_next(sm->ms, ev->thing, 0, sm->now, &task, &err)
                     : mem_sched_update(sm->ms, task, ev->thing, EXECUTION_IN_PROGRESS, 0, sm->now,
                                        &err);
        if (rc < 0) {
            /* hidden while the window is closed: ask again in a minute */
            struct ev again = *ev;
            again.at = sm->now + MIN;
            ev_push(sm, again);
            return;
        }
        int status = outcome(behaviour_of(sm, ev->thing), ev->exec);
        if (status < 0)
            return;
        struct ev fin = *ev;
        fin.task = task;
        fin.kind = EV_FINISH;
        fin.at = sm->now + sm->run_base +
                 (int64_t)(((uint64_t)ev->thing * 104729u) % (uint64_t)sm->run_spread);
        ev_push(sm, fin);
        return;
    }
    int status = outcome(behaviour_of(sm, ev->thing), ev->exec);
    if (mem_sched_update(sm->ms, task, ev->thing, (enum execution_status)status, 0, sm->now, &err) <
        0)
        sm->rejected_updates++;
}

static void sim_init(struct sim *sm, const struct sched_store_ops *ops, void *ctx)
{
    memset(sm, 0, sizeof *sm);
    sm->ms = mem_sched_new();
    mem_sched_set_listener(sm->ms, on_transition, sm);
    struct scheduler_config cfg;
    scheduler_config_default(&cfg);
    sm->sched =
        scheduler_new(ops != NULL ? ops : mem_sched_ops(), ctx != NULL ? ctx : sm->ms, &cfg);
    sm->now = T0;
    sm->start_base = SEC;
    sm->start_spread = 4 * SEC;
    sm->run_base = 5 * SEC;
    sm->run_spread = 20 * SEC;
    sm->hash = UINT64_C(14695981039346656037);
}

static void sim_free(struct sim *sm)
{
    scheduler_free(sm->sched);
    mem_sched_free(sm->ms);
    free(sm->heap);
    free(sm->behave);
    free(sm->log);
}

/* Advance virtual time event by event up to and including `until`; returns the ticks made. */
static int64_t sim_run(struct sim *sm, int64_t until)
{
    int64_t ticks = 0;
    struct oerr err;
    for (;;) {
        while (sm->n_heap > 0 && sm->heap[0].at <= sm->now) {
            struct ev ev = ev_pop(sm);
            device_event(sm, &ev);
        }
        int n = scheduler_run_once(sm->sched, sm->now, &err);
        ck_assert_msg(n >= 0, "scheduler pass failed: %s", err.msg);
        ticks += n;
        int64_t next = mem_sched_next_wake(sm->ms);
        if (sm->n_heap > 0 && (next < 0 || sm->heap[0].at < next))
            next = sm->heap[0].at;
        if (next < 0 || next > until)
            break;
        ck_assert_msg(next > sm->now || (sm->n_heap > 0 && sm->heap[0].at <= next),
                      "clock does not advance at %lld", (long long)(sm->now - T0));
        sm->now = next > sm->now ? next : sm->now;
    }
    if (until > sm->now && until != INT64_MAX)
        sm->now = until;
    return ticks;
}

static uint32_t *add_things(struct sim *sm, size_t n, const char *prefix)
{
    uint32_t *h = xcalloc(n, sizeof *h);
    char id[64];
    struct oerr err;
    for (size_t i = 0; i < n; i++) {
        snprintf(id, sizeof id, "%s-%06zu", prefix, i);
        ck_assert_msg(mem_sched_thing_add(sm->ms, id, NULL, &h[i], &err) == 0, "%s", err.msg);
    }
    sm->behave = xcalloc(n, sizeof *sm->behave);
    sm->n_behave = n;
    return h;
}

static void spec_default(struct mem_sched_task_spec *sp, const char *id)
{
    memset(sp, 0, sizeof *sp);
    sp->id = id;
    sp->type = TASK_ONE_TIME;
    task_schedule_default(&sp->schedule);
    rollout_config_default(&sp->rollout);
}

static void task_info(const struct sim *sm, uint32_t task, struct mem_sched_task_info *info)
{
    struct oerr err;
    ck_assert_msg(mem_sched_task_info(sm->ms, task, info, &err) == 0, "%s", err.msg);
}

/* No 60 s window holds more than ceil(r) + 1 notifications, r the rate of the latest stage in
 * it (rates only grow). Returns the largest count seen. */
static int64_t check_pacing(const struct sim *sm, const struct rollout_config *cfg)
{
    size_t lo = 0;
    int64_t in_window = 0, worst = 0;
    for (size_t hi = 0; hi < sm->n_log; hi++) {
        const struct entry *e = &sm->log[hi];
        if (e->tr.to != EXECUTION_QUEUED)
            continue;
        in_window++;
        while (sm->log[lo].tr.at <= e->tr.at - MIN) {
            if (sm->log[lo].tr.to == EXECUTION_QUEUED)
                in_window--;
            lo++;
        }
        double r = rollout_rate(cfg, e->stage);
        int64_t cap = (int64_t)ceil(r - 1e-9) + 1;
        ck_assert_msg(in_window <= cap, "%lld notifications in the 60 s before %+lld ms, rate %g",
                      (long long)in_window, (long long)(e->tr.at - T0), r);
        if (in_window > worst)
            worst = in_window;
    }
    return worst;
}

/* ---- the 10,000-thing rollout with ramp, retries, timeouts and an abort ---- */

#define BIG_N        10000
#define BIG_BAD_FROM 6000 /* things from here on fail every attempt */
#define BIG_IPT_MIN  2

static const struct abort_criterion big_abort = {ABORT_FAILED, 100, 10.0};

/* The abort criterion is checked against the counts each tick plans on: a wrapper around the
 * memory store records them (after load, expire and sync) and checks at release that the
 * abort fired exactly when abort_check() says so, with the comment abort_describe() gives. */
struct probe {
    struct mem_sched *ms;
    struct planner_counts seen;
    enum task_status loaded;
    int64_t ticks_checked;
    int64_t mismatches;
    int64_t fired_at;
    char comment[256];
};

static struct probe probe;

static int p_lease(void *ctx, int64_t now, int64_t lease_ms, struct sched_task_ref *out, size_t max,
                   size_t *n, struct oerr *err)
{
    (void)ctx;
    return mem_sched_ops()->lease(probe.ms, now, lease_ms, out, max, n, err);
}

static int p_load(void *ctx, const struct sched_task_ref *ref, int64_t now, struct sched_task *out,
                  struct oerr *err)
{
    (void)ctx;
    int rc = mem_sched_ops()->load(probe.ms, ref, now, out, err);
    probe.seen = out->counts;
    probe.loaded = out->status;
    return rc;
}

static int p_expire(void *ctx, struct sched_task *t, int64_t now, int64_t *n, struct oerr *err)
{
    (void)ctx;
    int rc = mem_sched_ops()->expire(probe.ms, t, now, n, err);
    probe.seen = t->counts;
    return rc;
}

static int p_sync(void *ctx, struct sched_task *t, int64_t now, struct oerr *err)
{
    (void)ctx;
    int rc = mem_sched_ops()->sync_membership(probe.ms, t, now, err);
    probe.seen = t->counts;
    return rc;
}

static int p_cancel(void *ctx, struct sched_task *t, enum sched_cancel_scope scope, int64_t now,
                    int64_t *n, struct oerr *err)
{
    (void)ctx;
    return mem_sched_ops()->cancel(probe.ms, t, scope, now, n, err);
}

static int p_undecided(void *ctx, struct sched_task *t, struct sched_attempt *out, size_t max,
                       size_t *n, struct oerr *err)
{
    (void)ctx;
    return mem_sched_ops()->undecided(probe.ms, t, out, max, n, err);
}

static int p_decide(void *ctx, struct sched_task *t, const struct sched_attempt *a,
                    const int *retry, size_t n, int64_t now, struct oerr *err)
{
    (void)ctx;
    return mem_sched_ops()->decide(probe.ms, t, a, retry, n, now, err);
}

static int p_queue(void *ctx, struct sched_task *t, int64_t k, int64_t now, int64_t *n,
                   struct oerr *err)
{
    (void)ctx;
    return mem_sched_ops()->queue(probe.ms, t, k, now, n, err);
}

static int p_remove(void *ctx, struct sched_task *t, struct oerr *err)
{
    (void)ctx;
    return mem_sched_ops()->remove(probe.ms, t, err);
}

static int p_release(void *ctx, struct sched_task *t, const struct sched_release *r,
                     struct oerr *err)
{
    (void)ctx;
    if (!task_is_final(probe.loaded)) {
        struct abort_counts ac;
        planner_abort_counts(&probe.seen, &ac);
        int want = abort_check(&big_abort, 1, &ac);
        probe.ticks_checked++;
        if (want != r->abort_index)
            probe.mismatches++;
        if (r->abort_index >= 0) {
            char expect[256];
            abort_describe(&big_abort, 0, &ac, expect, sizeof expect);
            if (r->abort_comment == NULL || strcmp(expect, r->abort_comment) != 0)
                probe.mismatches++;
            snprintf(probe.comment, sizeof probe.comment, "%s", expect);
        }
    }
    return mem_sched_ops()->release(probe.ms, t, r, err);
}

static void p_abandon(void *ctx, struct sched_task *t)
{
    (void)ctx;
    mem_sched_ops()->abandon(probe.ms, t);
}

static const struct sched_store_ops probe_ops = {
    .lease = p_lease,
    .load = p_load,
    .expire = p_expire,
    .sync_membership = p_sync,
    .cancel = p_cancel,
    .undecided = p_undecided,
    .decide = p_decide,
    .queue = p_queue,
    .remove = p_remove,
    .release = p_release,
    .abandon = p_abandon,
};

struct big_result {
    uint64_t hash;
    int64_t counts[EXECUTION_STATUS_MAX];
    int64_t abort_at;
    int64_t ticks;
    size_t n_log;
    char comment[256];
};

static struct rollout_config big_rollout(void)
{
    struct rollout_config cfg;
    rollout_config_default(&cfg);
    cfg.base_per_minute = 50.0;
    cfg.increment_factor = 2.0;
    cfg.notified_criterion = 100;
    cfg.ceiling = 2000.0;
    return cfg;
}

static void big_run(struct big_result *res)
{
    struct sim sm;
    struct oerr err;
    memset(&probe, 0, sizeof probe);
    sim_init(&sm, &probe_ops, &probe);
    probe.ms = sm.ms;
    uint32_t *things = add_things(&sm, BIG_N, "dev");
    for (uint32_t i = 0; i < BIG_N; i++) {
        if (i >= BIG_BAD_FROM)
            sm.behave[i] = DEV_FAIL;
        else if (i % 100 == 7)
            sm.behave[i] = DEV_SILENT; /* 1% */
        else if (i % 33 == 5)
            sm.behave[i] = DEV_FAIL_ONCE; /* 3% */
    }
    struct mem_sched_task_spec sp;
    spec_default(&sp, "big");
    sp.rollout = big_rollout();
    sp.abort = &big_abort;
    sp.n_abort = 1;
    sp.retry.n = 1;
    sp.retry.c[0].failure_type = RETRY_FAILED;
    sp.retry.c[0].retries = 2;
    sp.in_progress_timeout_min = BIG_IPT_MIN;
    sp.targets = things;
    sp.n_targets = BIG_N;
    uint32_t task;
    ck_assert_msg(mem_sched_task_add(sm.ms, &sp, T0, &task, &err) == 0, "%s", err.msg);
    res->ticks = sim_run(&sm, T0 + DAY);

    struct mem_sched_task_info info;
    task_info(&sm, task, &info);
    ck_assert_int_eq(info.status, TASK_CANCELED);
    ck_assert_int_eq(info.abort_index, 0);
    ck_assert_int_eq(probe.mismatches, 0);
    ck_assert_int_gt(probe.ticks_checked, 100);
    ck_assert_str_eq(info.abort_comment, probe.comment);
    ck_assert_int_eq(info.next_wake, -1);

    /* the abort: its instant, and what was canceled then */
    int64_t abort_at = -1;
    for (size_t i = 0; i < sm.n_log && abort_at < 0; i++)
        if (sm.log[i].tr.to == EXECUTION_CANCELED)
            abort_at = sm.log[i].tr.at;
    ck_assert_int_ge(abort_at, 0);
    /* the criterion was first met by a device report no more than one poll earlier */
    int64_t c[EXECUTION_STATUS_MAX] = {0};
    int64_t crossed = -1;
    for (size_t i = 0; i < sm.n_log && crossed < 0; i++) {
        const struct mem_sched_transition *tr = &sm.log[i].tr;
        if (tr->from != MEM_SCHED_NONE)
            c[tr->from]--;
        if (tr->to != MEM_SCHED_NONE)
            c[tr->to]++;
        struct planner_counts pc;
        memcpy(pc.n, c, sizeof pc.n);
        struct abort_counts ac;
        planner_abort_counts(&pc, &ac);
        if (abort_check(&big_abort, 1, &ac) == 0)
            crossed = tr->at;
    }
    ck_assert_int_ge(crossed, 0);
    ck_assert_int_le(crossed, abort_at);
    ck_assert_int_le(abort_at - crossed, POLL);

    int64_t canceled_queued = 0, canceled_planned = 0, finished_after = 0, forced = 0;
    int64_t timeouts = 0;
    for (size_t i = 0; i < sm.n_log; i++) {
        const struct mem_sched_transition *tr = &sm.log[i].tr;
        if (tr->to == EXECUTION_QUEUED)
            ck_assert_msg(tr->at <= abort_at, "queued after the abort");
        if (tr->to == EXECUTION_CANCELED) {
            ck_assert_int_eq(tr->at, abort_at);
            canceled_queued += tr->from == EXECUTION_QUEUED;
            canceled_planned += tr->from == EXECUTION_PLANNED;
            forced += tr->from == EXECUTION_IN_PROGRESS;
        }
        if (tr->from == EXECUTION_IN_PROGRESS && tr->at > abort_at &&
            (tr->to == EXECUTION_SUCCEEDED || tr->to == EXECUTION_FAILED))
            finished_after++;
        if (tr->to == EXECUTION_PLANNED && tr->at > abort_at)
            ck_abort_msg("retry created after the abort");
        if (tr->to == EXECUTION_TIMED_OUT) {
            /* silent devices never set a step timer: deadline = start + in-progress timeout */
            struct mem_sched_execution x;
            ck_assert_int_eq(mem_sched_execution(sm.ms, task, tr->thing, &x, NULL), 0);
            int64_t late = tr->at - (x.started_at + BIG_IPT_MIN * MIN);
            ck_assert_msg(late >= 0 && late <= 2 * SEC, "timed out %lld ms after the deadline",
                          (long long)late);
            timeouts++;
        }
    }
    ck_assert_int_gt(canceled_queued, 0);
    ck_assert_int_gt(canceled_planned, 1000);
    ck_assert_int_eq(forced, 0);
    ck_assert_int_gt(finished_after, 0);
    ck_assert_int_gt(timeouts, 10);
    ck_assert_int_eq(info.counts.n[EXECUTION_PLANNED], 0);
    ck_assert_int_eq(info.counts.n[EXECUTION_QUEUED], 0);
    ck_assert_int_eq(info.counts.n[EXECUTION_IN_PROGRESS], 0);
    ck_assert_int_eq(info.undecided, 0);

    /* retries: thing 5 failed once and succeeded as execution 2, retry attempt 1; a bad thing
     * failed three times (FAILED:2) */
    struct mem_sched_execution x;
    ck_assert_int_eq(mem_sched_execution(sm.ms, task, things[5], &x, NULL), 0);
    ck_assert_int_eq(x.status, EXECUTION_SUCCEEDED);
    ck_assert_int_eq(x.execution_number, 2);
    ck_assert_int_eq(x.retry_attempt, 1);
    ck_assert_int_eq(x.version, 3); /* queued 1, started 2, succeeded 3 */
    int64_t exhausted = 0;
    for (uint32_t i = BIG_BAD_FROM; i < BIG_N; i++) {
        if (mem_sched_execution(sm.ms, task, things[i], &x, NULL) < 0)
            continue;
        ck_assert_uint_le(x.execution_number, 3);
        ck_assert_uint_eq(x.retry_attempt, x.execution_number - 1);
        exhausted += x.status == EXECUTION_FAILED && x.execution_number == 3;
    }
    ck_assert_int_gt(exhausted, 0);

    /* counts: every attempt once, in its own status; they agree with the transitions */
    int64_t attempts = 0, firsts = 0;
    for (int s = 0; s < EXECUTION_STATUS_MAX; s++) {
        ck_assert_int_eq(info.counts.n[s], sm.counts[s]);
        attempts += info.counts.n[s];
    }
    for (size_t i = 0; i < sm.n_log; i++)
        firsts += sm.log[i].tr.from == MEM_SCHED_NONE && sm.log[i].tr.execution_number == 1;
    ck_assert_int_eq(firsts, BIG_N);
    ck_assert_int_gt(attempts, BIG_N);

    struct rollout_config cfg = big_rollout();
    ck_assert_int_gt(check_pacing(&sm, &cfg), 100); /* the ramp reached high rates */

    res->hash = sm.hash;
    memcpy(res->counts, info.counts.n, sizeof res->counts);
    res->abort_at = abort_at;
    res->n_log = sm.n_log;
    snprintf(res->comment, sizeof res->comment, "%s", info.abort_comment);
    free(things);
    sim_free(&sm);
}

START_TEST(test_big_rollout)
{
    struct big_result a, b;
    big_run(&a);
    big_run(&b);
    ck_assert_uint_eq(a.hash, b.hash);
    ck_assert_int_eq(a.abort_at, b.abort_at);
    ck_assert_int_eq(a.ticks, b.ticks);
    ck_assert_uint_eq(a.n_log, b.n_log);
    ck_assert_int_eq(memcmp(a.counts, b.counts, sizeof a.counts), 0);
    ck_assert_str_eq(a.comment, b.comment);
}
END_TEST

/* ---- end behaviours ---- */

static const struct {
    enum task_end_behavior b;
    enum task_status final;
} end_rows[] = {
    {TASK_END_STOP_ROLLOUT, TASK_COMPLETED},
    {TASK_END_CANCEL, TASK_CANCELED},
    {TASK_END_FORCE_CANCEL, TASK_CANCELED},
};

START_TEST(test_end_behaviour)
{
    struct sim sm;
    struct oerr err;
    sim_init(&sm, NULL, NULL);
    sm.start_base = 2 * SEC;
    sm.start_spread = 1;
    sm.run_base = 30 * SEC;
    sm.run_spread = 1;
    uint32_t *things = add_things(&sm, 200, "end");
    struct mem_sched_task_spec sp;
    spec_default(&sp, "end");
    sp.rollout.max_per_minute = 60.0;
    sp.schedule.end_at = T0 + MIN;
    sp.schedule.end_behavior = end_rows[_i].b;
    sp.targets = things;
    sp.n_targets = 200;
    uint32_t task;
    ck_assert_msg(mem_sched_task_add(sm.ms, &sp, T0, &task, &err) == 0, "%s", err.msg);
    sim_run(&sm, T0 + DAY);

    struct mem_sched_task_info info;
    task_info(&sm, task, &info);
    ck_assert_int_eq(info.status, end_rows[_i].final);
    ck_assert_int_eq(info.end_applied, 1);
    ck_assert_int_eq(info.next_wake, -1);
    int64_t end = T0 + MIN;
    int64_t queued = 0, dropped = 0, canceled_planned = 0, canceled_queued = 0, forced = 0;
    int64_t finished_after = 0;
    for (size_t i = 0; i < sm.n_log; i++) {
        const struct mem_sched_transition *tr = &sm.log[i].tr;
        if (tr->to == EXECUTION_QUEUED) {
            ck_assert_int_le(tr->at, end);
            queued++;
        }
        if (tr->to == MEM_SCHED_NONE) {
            ck_assert_int_eq(tr->at, end);
            dropped++;
        }
        if (tr->to == EXECUTION_CANCELED) {
            ck_assert_int_eq(tr->at, end);
            canceled_planned += tr->from == EXECUTION_PLANNED;
            canceled_queued += tr->from == EXECUTION_QUEUED;
            forced += tr->from == EXECUTION_IN_PROGRESS;
            ck_assert_int_eq(tr->force_canceled, tr->from == EXECUTION_IN_PROGRESS);
        }
        if (tr->from == EXECUTION_IN_PROGRESS && tr->to == EXECUTION_SUCCEEDED && tr->at > end)
            finished_after++;
    }
    /* one a second from T0 until EndTime, where the end behaviour takes over; execution i is
     * queued at i s, started at i + 2 s, done at i + 32 s: at the end 59 is QUEUED and 29..58
     * are IN_PROGRESS */
    ck_assert_int_eq(queued, 60);
    switch (end_rows[_i].b) {
    case TASK_END_STOP_ROLLOUT:
        ck_assert_int_eq(dropped, 200 - 60);
        ck_assert_int_eq(canceled_planned + canceled_queued + forced, 0);
        ck_assert_int_eq(finished_after, 31);
        ck_assert_int_eq(info.counts.n[EXECUTION_SUCCEEDED], 60);
        ck_assert_int_eq(info.counts.n[EXECUTION_PLANNED], 0);
        /* a dropped target has no execution at all */
        ck_assert_int_eq(mem_sched_execution(sm.ms, task, things[199], NULL, &err), -1);
        ck_assert_int_eq(err.code, OERR_NOT_FOUND);
        break;
    case TASK_END_CANCEL:
        ck_assert_int_eq(dropped, 0);
        ck_assert_int_eq(canceled_planned, 200 - 60);
        ck_assert_int_eq(canceled_queued, 1);
        ck_assert_int_eq(forced, 0);
        ck_assert_int_eq(finished_after, 30);
        break;
    case TASK_END_FORCE_CANCEL:
    default:
        ck_assert_int_eq(canceled_planned, 200 - 60);
        ck_assert_int_eq(canceled_queued, 1);
        ck_assert_int_eq(forced, 30);
        ck_assert_int_eq(finished_after, 0);
        ck_assert_int_eq(sm.rejected_updates, 30); /* their reports come too late */
        struct mem_sched_execution x;
        ck_assert_int_eq(mem_sched_execution(sm.ms, task, things[60 - 5], &x, NULL), 0);
        ck_assert_int_eq(x.status, EXECUTION_CANCELED);
        ck_assert_int_eq(x.force_canceled, 1);
        break;
    }
    free(things);
    sim_free(&sm);
}
END_TEST

/* ---- a maintenance window closing mid-rollout ---- */

START_TEST(test_window)
{
    struct sim sm;
    struct oerr err;
    sim_init(&sm, NULL, NULL);
    sm.use_start_next = 1;
    sm.start_base = 30 * SEC; /* some executions are still QUEUED when the window closes */
    sm.start_spread = 1;
    uint32_t *things = add_things(&sm, 300, "win");
    struct window_set *w = window_set_new();
    ck_assert_msg(window_set_add(w, "cron(0 10 * * ? *)", 2, &err) == 0, "%s", err.msg);
    struct mem_sched_task_spec sp;
    spec_default(&sp, "win");
    sp.rollout.max_per_minute = 60.0;
    sp.schedule.windows = w;
    sp.targets = things;
    sp.n_targets = 300;
    uint32_t task;
    ck_assert_msg(mem_sched_task_add(sm.ms, &sp, T0, &task, &err) == 0, "%s", err.msg);

    struct mem_sched_task_info info;
    sim_run(&sm, T0 + 3 * MIN);
    task_info(&sm, task, &info);
    ck_assert_int_eq(info.status, TASK_SCHEDULED);
    ck_assert_int_gt(info.counts.n[EXECUTION_QUEUED], 0); /* hidden, waiting for the window */
    ck_assert_int_eq(info.counts.n[EXECUTION_QUEUED] + info.counts.n[EXECUTION_IN_PROGRESS] +
                         info.counts.n[EXECUTION_SUCCEEDED],
                     120);

    sim_run(&sm, T0 + 10 * DAY);
    task_info(&sm, task, &info);
    ck_assert_int_eq(info.status, TASK_COMPLETED);
    ck_assert_int_eq(info.counts.n[EXECUTION_SUCCEEDED], 300);

    /* queuing and starts happen only inside [10:00, 10:02) of a day; the first notification
     * of a day is at the opening */
    int64_t first_of_day[4] = {-1, -1, -1, -1};
    for (size_t i = 0; i < sm.n_log; i++) {
        const struct mem_sched_transition *tr = &sm.log[i].tr;
        int64_t into = (tr->at - T0) % DAY;
        int64_t day = (tr->at - T0) / DAY;
        if (tr->to == EXECUTION_QUEUED) {
            ck_assert_msg(into < 2 * MIN, "queued %lld ms into the day", (long long)into);
            ck_assert_int_lt(day, 4);
            if (first_of_day[day] < 0)
                first_of_day[day] = into;
        }
        if (tr->from == EXECUTION_QUEUED && tr->to == EXECUTION_IN_PROGRESS)
            ck_assert_msg(into <= 2 * MIN, "started %lld ms into the day", (long long)into);
    }
    ck_assert_int_eq(first_of_day[0], 0);
    ck_assert_int_eq(first_of_day[1], 0);
    ck_assert_int_eq(first_of_day[2], 0);
    free(things);
    sim_free(&sm);
}
END_TEST

/* ---- CONTINUOUS membership ---- */

static void set_fleet(struct sim *sm, uint32_t thing, const char *fleet)
{
    static const char *const keys[] = {"fleet"};
    const char *values[] = {fleet};
    struct query_thing q;
    struct oerr err;
    memset(&q, 0, sizeof q);
    q.n_meta = 1;
    q.meta_keys = keys;
    q.meta_values = values;
    ck_assert_msg(mem_sched_thing_update(sm->ms, thing, &q, &err) == 0, "%s", err.msg);
}

static uint32_t add_fleet_thing(struct sim *sm, const char *id, const char *fleet)
{
    uint32_t h;
    struct oerr err;
    ck_assert_msg(mem_sched_thing_add(sm->ms, id, NULL, &h, &err) == 0, "%s", err.msg);
    set_fleet(sm, h, fleet);
    return h;
}

static void expect_exec(const struct sim *sm, uint32_t task, uint32_t thing,
                        enum execution_status status, uint32_t number, uint32_t retry, int member)
{
    struct mem_sched_execution x;
    struct oerr err;
    ck_assert_msg(mem_sched_execution(sm->ms, task, thing, &x, &err) == 0, "%s", err.msg);
    ck_assert_msg(x.status == status, "thing %u: %s, want %s", thing,
                  execution_status_name(x.status), execution_status_name(status));
    ck_assert_uint_eq(x.execution_number, number);
    ck_assert_uint_eq(x.retry_attempt, retry);
    ck_assert_int_eq(x.member, member);
}

START_TEST(test_continuous)
{
    struct sim sm;
    struct oerr err;
    sim_init(&sm, NULL, NULL);
    sm.behave = xcalloc(16, sizeof *sm.behave);
    sm.n_behave = 16;
    uint32_t a0 = add_fleet_thing(&sm, "a0", "a");
    uint32_t a1 = add_fleet_thing(&sm, "a1", "a");
    uint32_t b0 = add_fleet_thing(&sm, "b0", "b");
    uint32_t y = add_fleet_thing(&sm, "y", "a");
    uint32_t z = add_fleet_thing(&sm, "z", "a");
    sm.behave[y] = DEV_FAIL_IDLE; /* fails, then leaves its retry QUEUED */
    sm.behave[z] = DEV_IDLE;
    struct mem_sched_task_spec sp;
    spec_default(&sp, "cont");
    sp.type = TASK_CONTINUOUS;
    sp.query = "attributes.fleet=a";
    sp.retry.n = 1;
    sp.retry.c[0].failure_type = RETRY_ALL;
    sp.retry.c[0].retries = 3;
    uint32_t task;
    ck_assert_msg(mem_sched_task_add(sm.ms, &sp, T0, &task, &err) == 0, "%s", err.msg);

    sim_run(&sm, T0 + 2 * MIN);
    struct mem_sched_task_info info;
    task_info(&sm, task, &info);
    ck_assert_int_eq(info.status, TASK_IN_PROGRESS);
    expect_exec(&sm, task, a0, EXECUTION_SUCCEEDED, 1, 0, 1);
    expect_exec(&sm, task, a1, EXECUTION_SUCCEEDED, 1, 0, 1);
    ck_assert_int_eq(mem_sched_execution(sm.ms, task, b0, NULL, NULL), -1);
    expect_exec(&sm, task, y, EXECUTION_QUEUED, 2, 1, 1); /* its retry, never started */
    expect_exec(&sm, task, z, EXECUTION_QUEUED, 1, 0, 1);

    /* a thing added later that matches gets an execution, paced like any other */
    uint32_t a2 = add_fleet_thing(&sm, "a2", "a");
    sim_run(&sm, T0 + 4 * MIN);
    expect_exec(&sm, task, a2, EXECUTION_SUCCEEDED, 1, 0, 1);
    /* an existing thing that starts to match too */
    set_fleet(&sm, b0, "a");
    sim_run(&sm, T0 + 6 * MIN);
    expect_exec(&sm, task, b0, EXECUTION_SUCCEEDED, 1, 0, 1);

    /* y stops matching: its QUEUED retry is REMOVED; matching again: a fresh execution with
     * the retry count reset, which now succeeds */
    set_fleet(&sm, y, "b");
    sim_run(&sm, T0 + 7 * MIN);
    expect_exec(&sm, task, y, EXECUTION_REMOVED, 2, 1, 0);
    sm.behave[y] = DEV_OK;
    set_fleet(&sm, y, "a");
    sim_run(&sm, T0 + 9 * MIN);
    expect_exec(&sm, task, y, EXECUTION_SUCCEEDED, 3, 0, 1);

    /* z is deleted while QUEUED: REMOVED */
    ck_assert_int_eq(mem_sched_thing_delete(sm.ms, z, &err), 0);
    sim_run(&sm, T0 + 10 * MIN);
    expect_exec(&sm, task, z, EXECUTION_REMOVED, 1, 0, 0);
    ck_assert_int_eq(mem_sched_thing_find(sm.ms, "z", &z), -1);

    /* a non-matching thing never gets one; the task never completes on its own */
    uint32_t b1 = add_fleet_thing(&sm, "b1", "b");
    sim_run(&sm, T0 + HOUR);
    ck_assert_int_eq(mem_sched_execution(sm.ms, task, b1, NULL, NULL), -1);
    task_info(&sm, task, &info);
    ck_assert_int_eq(info.status, TASK_IN_PROGRESS);
    ck_assert_int_eq(info.counts.n[EXECUTION_REMOVED], 2);
    ck_assert_int_eq(info.counts.n[EXECUTION_SUCCEEDED], 5);
    ck_assert_int_eq(info.counts.n[EXECUTION_FAILED], 1);
    ck_assert_int_gt(info.next_wake, sm.now); /* polls for membership changes */
    sim_free(&sm);
}
END_TEST

/* CONTINUOUS with an EndTime completes once it has passed and everything is terminal. */
START_TEST(test_continuous_end)
{
    struct sim sm;
    struct oerr err;
    sim_init(&sm, NULL, NULL);
    uint32_t *things = add_things(&sm, 3, "ce");
    struct mem_sched_task_spec sp;
    spec_default(&sp, "ce");
    sp.type = TASK_CONTINUOUS;
    sp.targets = things;
    sp.n_targets = 3;
    sp.schedule.end_at = T0 + 5 * MIN;
    uint32_t task;
    ck_assert_msg(mem_sched_task_add(sm.ms, &sp, T0, &task, &err) == 0, "%s", err.msg);
    struct mem_sched_task_info info;
    sim_run(&sm, T0 + 4 * MIN);
    task_info(&sm, task, &info);
    ck_assert_int_eq(info.status, TASK_IN_PROGRESS);
    ck_assert_int_eq(info.counts.n[EXECUTION_SUCCEEDED], 3);
    sim_run(&sm, T0 + DAY);
    task_info(&sm, task, &info);
    ck_assert_int_eq(info.status, TASK_COMPLETED);
    ck_assert_int_eq(info.next_wake, -1);
    free(things);
    sim_free(&sm);
}
END_TEST

/* ---- zero targets, deletion ---- */

START_TEST(test_zero_targets)
{
    struct sim sm;
    struct oerr err;
    sim_init(&sm, NULL, NULL);
    free(add_things(&sm, 0, "none"));
    struct mem_sched_task_spec sp;
    spec_default(&sp, "zero");
    uint32_t task;
    ck_assert_msg(mem_sched_task_add(sm.ms, &sp, T0, &task, &err) == 0, "%s", err.msg);
    struct mem_sched_task_info info;
    task_info(&sm, task, &info);
    ck_assert_int_eq(info.status, TASK_COMPLETED);
    ck_assert_int_eq(info.next_wake, -1);
    ck_assert_int_eq(mem_sched_next_wake(sm.ms), -1);
    ck_assert_int_eq(sim_run(&sm, T0 + DAY), 0);
    task_info(&sm, task, &info);
    ck_assert_int_eq(info.status, TASK_COMPLETED);
    sim_free(&sm);
}
END_TEST

START_TEST(test_deletion)
{
    struct sim sm;
    struct oerr err;
    sim_init(&sm, NULL, NULL);
    sm.start_base = 10 * SEC;
    sm.start_spread = 1;
    sm.run_base = 60 * SEC;
    sm.run_spread = 1;
    uint32_t *things = add_things(&sm, 100, "del");
    struct mem_sched_task_spec sp;
    spec_default(&sp, "del");
    sp.rollout.max_per_minute = 60.0;
    sp.targets = things;
    sp.n_targets = 100;
    uint32_t task;
    ck_assert_msg(mem_sched_task_add(sm.ms, &sp, T0, &task, &err) == 0, "%s", err.msg);
    sim_run(&sm, T0 + 30 * SEC);
    struct mem_sched_task_info info;
    task_info(&sm, task, &info);
    ck_assert_int_gt(info.counts.n[EXECUTION_QUEUED], 0);
    ck_assert_int_gt(info.counts.n[EXECUTION_IN_PROGRESS], 0);
    int64_t in_progress = info.counts.n[EXECUTION_IN_PROGRESS];
    int64_t pending = info.counts.n[EXECUTION_QUEUED] + info.counts.n[EXECUTION_PLANNED];

    ck_assert_int_eq(mem_sched_task_delete(sm.ms, task, sm.now, &err), 0);
    size_t mark = sm.n_log;
    sim_run(&sm, T0 + DAY);
    int64_t canceled = 0;
    for (size_t i = mark; i < sm.n_log; i++) {
        const struct mem_sched_transition *tr = &sm.log[i].tr;
        ck_assert_int_eq(tr->to, EXECUTION_CANCELED);
        ck_assert_int_ne(tr->from, EXECUTION_IN_PROGRESS);
        canceled++;
    }
    ck_assert_int_eq(canceled, pending);
    ck_assert_int_eq(mem_sched_task_info(sm.ms, task, &info, &err), -1);
    ck_assert_int_eq(err.code, OERR_NOT_FOUND);
    ck_assert_int_eq(mem_sched_task_find(sm.ms, "del", &task), -1);
    ck_assert_int_eq(mem_sched_next_wake(sm.ms), -1);
    /* the devices still running report into nothing */
    ck_assert_int_eq(sm.rejected_updates, in_progress);
    /* the id is free again */
    spec_default(&sp, "del");
    sp.targets = things;
    sp.n_targets = 1;
    ck_assert_msg(mem_sched_task_add(sm.ms, &sp, sm.now, &task, &err) == 0, "%s", err.msg);
    free(things);
    sim_free(&sm);
}
END_TEST

/* ---- the device side of the store, directly ---- */

START_TEST(test_device_api)
{
    struct sim sm;
    struct oerr err;
    sim_init(&sm, NULL, NULL);
    uint32_t *things = add_things(&sm, 3, "api");
    struct mem_sched_task_spec sp;
    spec_default(&sp, "api");
    sp.in_progress_timeout_min = 10;
    sp.targets = things;
    sp.n_targets = 3;
    uint32_t task, got;
    ck_assert_msg(mem_sched_task_add(sm.ms, &sp, T0, &task, &err) == 0, "%s", err.msg);
    /* PLANNED is invisible to devices */
    ck_assert_int_eq(mem_sched_start_next(sm.ms, things[0], 0, T0, &got, &err), -1);
    ck_assert_int_eq(err.code, OERR_NOT_FOUND);
    ck_assert_int_eq(mem_sched_update(sm.ms, task, things[0], EXECUTION_SUCCEEDED, 0, T0, &err),
                     -1);
    ck_assert_int_eq(err.code, OERR_NOT_FOUND);
    mem_sched_set_listener(sm.ms, NULL, NULL); /* drive the devices by hand */
    ck_assert_int_eq(scheduler_run_once(sm.sched, T0, &err), 1);
    ck_assert_int_eq(scheduler_run_once(sm.sched, T0 + SEC, &err), 1);

    /* a device may not request QUEUED; start with a step timer of 1 minute */
    ck_assert_int_eq(mem_sched_update(sm.ms, task, things[0], EXECUTION_QUEUED, 0, T0, &err), -1);
    ck_assert_int_eq(err.code, OERR_INVALID);
    ck_assert_int_eq(mem_sched_start_next(sm.ms, things[0], 20000, T0, &got, &err), -1);
    ck_assert_int_eq(err.code, OERR_INVALID);
    ck_assert_int_eq(mem_sched_start_next(sm.ms, things[0], 1, T0 + 2 * SEC, &got, &err), 0);
    ck_assert_uint_eq(got, task);
    struct mem_sched_execution x;
    ck_assert_int_eq(mem_sched_execution(sm.ms, task, things[0], &x, NULL), 0);
    ck_assert_int_eq(x.status, EXECUTION_IN_PROGRESS);
    ck_assert_int_eq(x.deadline, T0 + 2 * SEC + MIN);
    ck_assert_int_eq(x.version, 2);
    /* a new step timer replaces the old one; -1 clears it, leaving the in-progress timeout */
    ck_assert_int_eq(
        mem_sched_update(sm.ms, task, things[0], EXECUTION_IN_PROGRESS, 3, T0 + 30 * SEC, &err), 0);
    ck_assert_int_eq(mem_sched_execution(sm.ms, task, things[0], &x, NULL), 0);
    ck_assert_int_eq(x.deadline, T0 + 30 * SEC + 3 * MIN);
    ck_assert_int_eq(
        mem_sched_update(sm.ms, task, things[0], EXECUTION_IN_PROGRESS, -1, T0 + 40 * SEC, &err),
        0);
    ck_assert_int_eq(mem_sched_execution(sm.ms, task, things[0], &x, NULL), 0);
    ck_assert_int_eq(x.deadline, T0 + 2 * SEC + 10 * MIN);
    ck_assert_int_eq(x.version, 4);
    /* QUEUED -> SUCCEEDED without starting is allowed; terminal is final */
    ck_assert_int_eq(
        mem_sched_update(sm.ms, task, things[1], EXECUTION_REJECTED, 0, T0 + 50 * SEC, &err), 0);
    ck_assert_int_eq(
        mem_sched_update(sm.ms, task, things[1], EXECUTION_SUCCEEDED, 0, T0 + 51 * SEC, &err), -1);
    ck_assert_int_eq(err.code, OERR_STATE);
    /* a step timer of 1 minute set at 60 s: TIMED_OUT within 2 s of T0 + 2 min */
    ck_assert_int_eq(
        mem_sched_update(sm.ms, task, things[0], EXECUTION_IN_PROGRESS, 1, T0 + 60 * SEC, &err), 0);
    for (int64_t w = mem_sched_next_wake(sm.ms); w >= 0 && w <= T0 + 3 * MIN;
         w = mem_sched_next_wake(sm.ms))
        ck_assert_int_ge(scheduler_run_once(sm.sched, w, &err), 0);
    ck_assert_int_eq(mem_sched_execution(sm.ms, task, things[0], &x, NULL), 0);
    ck_assert_int_eq(x.status, EXECUTION_TIMED_OUT);
    ck_assert_int_ge(x.updated_at, T0 + 2 * MIN);
    ck_assert_int_le(x.updated_at, T0 + 2 * MIN + 2 * SEC);
    free(things);
    sim_free(&sm);
}
END_TEST

/* Validation of what a task is created with. */
START_TEST(test_task_spec_errors)
{
    struct mem_sched *ms = mem_sched_new();
    struct oerr err;
    uint32_t thing, task;
    ck_assert_int_eq(mem_sched_thing_add(ms, "t1", NULL, &thing, &err), 0);
    ck_assert_int_eq(mem_sched_thing_add(ms, "t1", NULL, &thing, &err), -1);
    ck_assert_int_eq(err.code, OERR_CONFLICT);
    ck_assert_int_eq(mem_sched_thing_add(ms, "", NULL, &thing, &err), -1);
    ck_assert_int_eq(err.code, OERR_INVALID);

    struct mem_sched_task_spec sp;
    spec_default(&sp, "t");
    sp.query = "(thingName:a";
    ck_assert_int_eq(mem_sched_task_add(ms, &sp, T0, &task, &err), -1);
    ck_assert_int_eq(err.code, OERR_INVALID);
    ck_assert_msg(strncmp(err.msg, "OtaTargetQueryString: ", 22) == 0, "%s", err.msg);
    spec_default(&sp, "t");
    uint32_t bad = 99;
    sp.targets = &bad;
    sp.n_targets = 1;
    ck_assert_int_eq(mem_sched_task_add(ms, &sp, T0, &task, &err), -1);
    ck_assert_int_eq(err.code, OERR_NOT_FOUND);
    spec_default(&sp, "t");
    sp.in_progress_timeout_min = 10081;
    ck_assert_int_eq(mem_sched_task_add(ms, &sp, T0, &task, &err), -1);
    ck_assert_int_eq(err.code, OERR_INVALID);
    spec_default(&sp, "t");
    sp.schedule.windows = window_set_new(); /* taken over even on failure */
    sp.rollout.ceiling = 0.0;
    ck_assert_int_eq(mem_sched_task_add(ms, &sp, T0, &task, &err), -1);
    spec_default(&sp, "t");
    sp.targets = &thing;
    sp.n_targets = 1;
    ck_assert_int_eq(mem_sched_task_add(ms, &sp, T0, &task, &err), 0);
    ck_assert_int_eq(mem_sched_task_add(ms, &sp, T0, &task, &err), -1);
    ck_assert_int_eq(err.code, OERR_CONFLICT);
    mem_sched_free(ms);
    mem_sched_free(NULL);
}
END_TEST

static Suite *sched_virtual_suite(void)
{
    Suite *s = suite_create("sched_virtual");
    TCase *big = tcase_create("big");
    tcase_set_timeout(big, 300);
    tcase_add_test(big, test_big_rollout);
    suite_add_tcase(s, big);
    TCase *tc = tcase_create("cases");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_end_behaviour, 0, (int)(sizeof end_rows / sizeof end_rows[0]));
    tcase_add_test(tc, test_window);
    tcase_add_test(tc, test_continuous);
    tcase_add_test(tc, test_continuous_end);
    tcase_add_test(tc, test_zero_targets);
    tcase_add_test(tc, test_deletion);
    tcase_add_test(tc, test_device_api);
    tcase_add_test(tc, test_task_spec_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sched_virtual_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
