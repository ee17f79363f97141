/*
 * rollout (sim): the virtual-time runner (see rollout.h for the model). One struct run holds
 * the store, the scheduler, the device action heap and the bookkeeping the results need; the
 * store's transition listener keeps the counts by status and schedules the devices' reactions.
 * Device index i is managed-thing handle i (things are added in index order).
 */
#include "sim/rollout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/mem.h"
#include "engine/planner.h"
#include "engine/query.h"
#include "engine/rollout.h"
#include "engine/scheduler.h"
#include "engine/timefmt.h"
#include "engine/window.h"
#include "sim/mem_sched.h"

#define MIN_MS    INT64_C(60000)
#define MAX_SPANS 100000
#define TASK_ID   "otasim"

enum ev_kind { EV_ACCEPT = 0, EV_REPORT };

struct ev {
    int64_t at;
    uint64_t seq;
    uint32_t thing, exec;
    enum ev_kind kind;
};

struct parked {
    uint32_t thing, exec;
};

struct run {
    const struct scenario *sc;
    const struct fleet *fleet;
    struct rollout_result *res;
    struct mem_sched *ms;
    struct scheduler *sched;
    uint32_t task;
    int64_t start, now;

    struct ev *heap;
    size_t n_heap, cap_heap;
    uint64_t seq;
    struct parked *parked;
    size_t n_parked, cap_parked;

    int64_t counts[EXECUTION_STATUS_MAX]; /* from the transitions */
    int *group_deadline;                  /* by group: an IN_PROGRESS execution has a deadline */
    int64_t in_progress_with_deadline;
    int64_t timed_out_in_pass;
    int64_t notified_in_minute;

    enum task_status status;
    int final;
    int64_t next_row;    /* absolute ms of the next timeline row */
    int64_t next_sample; /* absolute ms of the next chart sample */
    double rate;
    size_t cap_rows, cap_steps;
};

const char *rollout_end_name(enum rollout_end e)
{
    switch (e) {
    case ROLLOUT_END_DONE:
        return "done";
    case ROLLOUT_END_STUCK:
        return "stuck";
    case ROLLOUT_END_HORIZON:
        return "horizon";
    }
    return "?";
}

void rollout_opts_default(struct rollout_opts *o)
{
    o->horizon_ms = ROLLOUT_HORIZON_DEFAULT_MS;
}

void rollout_result_free(struct rollout_result *r)
{
    free(r->steps);
    free(r->rows);
    free(r->windows);
    free(r->chart);
    r->steps = NULL;
    r->rows = NULL;
    r->chart = NULL;
    r->windows = NULL;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the device action heap ---- */

static int ev_less(const struct ev *a, const struct ev *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void ev_push(struct run *r, int64_t at, uint32_t thing, uint32_t exec, enum ev_kind kind)
{
    if (r->n_heap == r->cap_heap) {
        r->cap_heap = r->cap_heap == 0 ? 4096 : r->cap_heap * 2;
        r->heap = xreallocarray(r->heap, r->cap_heap, sizeof *r->heap);
    }
    struct ev e = {.at = at, .seq = r->seq++, .thing = thing, .exec = exec, .kind = kind};
    size_t i = r->n_heap++;
    while (i > 0 && ev_less(&e, &r->heap[(i - 1) / 2])) {
        r->heap[i] = r->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    r->heap[i] = e;
}

static struct ev ev_pop(struct run *r)
{
    struct ev top = r->heap[0];
    struct ev last = r->heap[--r->n_heap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= r->n_heap)
            break;
        if (c + 1 < r->n_heap && ev_less(&r->heap[c + 1], &r->heap[c]))
            c++;
        if (!ev_less(&r->heap[c], &last))
            break;
        r->heap[i] = r->heap[c];
        i = c;
    }
    if (r->n_heap > 0)
        r->heap[i] = last;
    return top;
}

/* ---- the devices ---- */

static void on_transition(void *arg, const struct mem_sched_transition *tr)
{
    struct run *r = arg;
    if (tr->from != MEM_SCHED_NONE) {
        r->counts[tr->from]--;
        if (tr->from == EXECUTION_IN_PROGRESS &&
            r->group_deadline[fleet_group_of(r->fleet, tr->thing)])
            r->in_progress_with_deadline--;
    }
    if (tr->to == MEM_SCHED_NONE)
        return;
    r->counts[tr->to]++;
    switch (tr->to) {
    case EXECUTION_QUEUED: {
        struct fleet_attempt a;
        int64_t since = tr->at - r->start;
        if (r->res->first_queued_ms < 0)
            r->res->first_queued_ms = since;
        r->res->last_queued_ms = since;
        r->res->notified++;
        r->notified_in_minute++;
        fleet_attempt(r->fleet, tr->thing, tr->execution_number, &a);
        if (a.outcome != FLEET_OFFLINE)
            ev_push(r, tr->at + a.accept_delay_ms, tr->thing, tr->execution_number, EV_ACCEPT);
        break;
    }
    case EXECUTION_IN_PROGRESS:
        if (r->group_deadline[fleet_group_of(r->fleet, tr->thing)])
            r->in_progress_with_deadline++;
        break;
    case EXECUTION_TIMED_OUT:
        r->timed_out_in_pass++;
        break;
    default:
        break;
    }
}

static void park(struct run *r, uint32_t thing, uint32_t exec)
{
    if (r->n_parked == r->cap_parked) {
        r->cap_parked = r->cap_parked == 0 ? 1024 : r->cap_parked * 2;
        r->parked = xreallocarray(r->parked, r->cap_parked, sizeof *r->parked);
    }
    r->parked[r->n_parked].thing = thing;
    r->parked[r->n_parked++].exec = exec;
}

/* The task resumed: parked devices are told and try again after their accept delay. */
static void unpark(struct run *r)
{
    for (size_t i = 0; i < r->n_parked; i++) {
        struct fleet_attempt a;
        fleet_attempt(r->fleet, r->parked[i].thing, r->parked[i].exec, &a);
        ev_push(r, r->now + a.accept_delay_ms, r->parked[i].thing, r->parked[i].exec, EV_ACCEPT);
    }
    r->n_parked = 0;
}

static void device_action(struct run *r, const struct ev *e)
{
    struct mem_sched_execution x;
    struct fleet_attempt a;
    struct oerr err;
    uint32_t task = r->task;
    int current = mem_sched_execution(r->ms, r->task, e->thing, &x, NULL) == 0 &&
                  x.execution_number == e->exec;
    fleet_attempt(r->fleet, e->thing, e->exec, &a);
    if (e->kind == EV_REPORT) {
        if (!current || x.status != EXECUTION_IN_PROGRESS) {
            r->res->late_reports++;
            return;
        }
        r->res->device_actions++;
        enum execution_status to =
            a.outcome == FLEET_FAILED ? EXECUTION_FAILED : EXECUTION_SUCCEEDED;
        if (mem_sched_update(r->ms, r->task, e->thing, to, 0, r->now, &err) < 0)
            r->res->late_reports++;
        return;
    }
    if (!current || x.status != EXECUTION_QUEUED)
        return; /* canceled, or superseded by a retry, before the device got to it */
    r->res->device_actions++;
    if (a.outcome == FLEET_REJECTED) {
        if (mem_sched_update(r->ms, r->task, e->thing, EXECUTION_REJECTED, 0, r->now, &err) < 0)
            r->res->late_reports++;
        return;
    }
    if (mem_sched_start_next(r->ms, e->thing, a.step_timeout_min, r->now, &task, &err) < 0) {
        park(r, e->thing, e->exec); /* hidden: the window is closed */
        return;
    }
    if (a.outcome != FLEET_SILENT)
        ev_push(r, r->now + a.duration_ms, e->thing, e->exec, EV_REPORT);
}

/* ---- bookkeeping ---- */

static void add_row(struct run *r, int64_t at)
{
    struct rollout_result *res = r->res;
    if (res->n_rows == r->cap_rows) {
        r->cap_rows = r->cap_rows == 0 ? 1024 : r->cap_rows * 2;
        res->rows = xreallocarray(res->rows, r->cap_rows, sizeof *res->rows);
    }
    struct rollout_row *row = &res->rows[res->n_rows++];
    row->t_ms = at - r->start;
    memcpy(row->n, r->counts, sizeof row->n);
    row->notified = r->notified_in_minute;
    row->rate = r->rate;
    r->notified_in_minute = 0;
}

static void add_sample(struct run *r, int64_t at)
{
    struct rollout_result *res = r->res;
    struct rollout_row *row = &res->chart[res->n_chart++];
    row->t_ms = at - r->start;
    memcpy(row->n, r->counts, sizeof row->n);
    row->notified = 0;
    row->rate = r->rate;
}

/* Rows and chart samples for every boundary before `until` not yet written: the state is the
 * current one. A full chart keeps every other sample and doubles its step; the samples kept
 * are then the multiples of the new step, and next_sample is one of them. */
static void rows_before(struct run *r, int64_t until)
{
    struct rollout_result *res = r->res;
    while (r->next_row < until) {
        add_row(r, r->next_row);
        r->next_row += MIN_MS;
    }
    while (r->next_sample < until) {
        if (res->n_chart == ROLLOUT_CHART_MAX) {
            for (size_t i = 0; i < ROLLOUT_CHART_MAX / 2; i++)
                res->chart[i] = res->chart[2 * i];
            res->n_chart = ROLLOUT_CHART_MAX / 2;
            res->chart_step_ms *= 2;
        }
        add_sample(r, r->next_sample);
        r->next_sample += res->chart_step_ms;
    }
}

static void add_step(struct run *r, int32_t stage, double rate)
{
    struct rollout_result *res = r->res;
    if (res->n_steps == r->cap_steps) {
        r->cap_steps = r->cap_steps == 0 ? 16 : r->cap_steps * 2;
        res->steps = xreallocarray(res->steps, r->cap_steps, sizeof *res->steps);
    }
    res->steps[res->n_steps].at_ms = r->now - r->start;
    res->steps[res->n_steps].stage = stage;
    res->steps[res->n_steps++].rate = rate;
}

static int64_t terminal(const int64_t *n)
{
    int64_t t = 0;
    for (int s = 0; s < EXECUTION_STATUS_MAX; s++)
        if (execution_is_terminal((enum execution_status)s))
            t += n[s];
    return t;
}

/* After a scheduler pass: status, abort, rate steps. */
static int observe(struct run *r, int64_t terminal_before, struct mem_sched_task_info *info,
                   struct oerr *err)
{
    struct rollout_result *res = r->res;
    const struct rollout_config *cfg = &r->sc->push.rollout;
    if (mem_sched_task_info(r->ms, r->task, info, err) < 0)
        return -1;
    if (info->abort_index >= 0 && !res->aborted) {
        res->aborted = 1;
        res->abort_index = info->abort_index;
        snprintf(res->abort_comment, sizeof res->abort_comment, "%s", info->abort_comment);
        res->abort_at_ms = r->now - r->start;
        res->abort_executed = terminal_before + r->timed_out_in_pass;
    }
    if (r->status == TASK_SCHEDULED && info->status == TASK_IN_PROGRESS)
        unpark(r);
    r->status = info->status;
    if (task_is_final(info->status) && !r->final) {
        r->final = 1;
        res->final_at_ms = r->now - r->start;
    }
    int rolling = info->status == TASK_IN_PROGRESS && info->rollout_state.stage_start >= 0;
    double stage_rate = rollout_rate(cfg, info->rollout_state.stage);
    r->rate = rolling ? stage_rate : 0;
    res->stages = info->rollout_state.stage;
    if (info->rollout_state.stage_start >= 0 &&
        (res->n_steps == 0 || res->steps[res->n_steps - 1].rate != stage_rate))
        add_step(r, info->rollout_state.stage, stage_rate);
    return 0;
}

/* Quiet: no device will act and the store has nothing that changes on its own but the task's
 * own clock (EndTime, windows). Returns the time to jump to, 0 to carry on as usual, or -1
 * when nothing more can happen. */
static int64_t quiet_jump(const struct run *r, const struct mem_sched_task_info *info)
{
    const struct task_schedule *s = &r->sc->sched.schedule;
    if (r->n_heap > 0 || r->n_parked > 0 || r->counts[EXECUTION_PLANNED] > 0 ||
        info->undecided > 0 || r->in_progress_with_deadline > 0)
        return 0;
    if (!r->final && r->sc->type == TASK_ONE_TIME && r->counts[EXECUTION_QUEUED] == 0 &&
        r->counts[EXECUTION_IN_PROGRESS] == 0)
        return 0; /* completes at its next tick */
    if (!r->final && !info->end_applied && s->end_at >= 0) {
        int64_t to = s->end_at;
        if (s->windows != NULL) {
            struct window_state w;
            window_set_at(s->windows, r->now, &w);
            if (w.until > r->now && w.until < to)
                to = w.until;
        }
        return to > r->now ? to : 0;
    }
    return -1;
}

/* ---- set-up ---- */

static int add_fleet(struct run *r, struct oerr *err)
{
    const struct fleet *f = r->fleet;
    size_t n_meta = fleet_meta_count(f);
    const char **keys = xcalloc(n_meta + 1, sizeof *keys);
    const char **values = xcalloc(n_meta + 1, sizeof *values);
    char *buf = xmalloc((n_meta + 1) * (FLEET_META_VALUE_MAX + 1));
    char name[FLEET_NAME_MAX + 1];
    int rc = -1;
    for (size_t k = 0; k < n_meta; k++) {
        keys[k] = fleet_meta_key(f, k);
        values[k] = buf + k * (FLEET_META_VALUE_MAX + 1);
    }
    for (int64_t i = 0; i < fleet_count(f); i++) {
        struct query_thing q;
        uint32_t h;
        memset(&q, 0, sizeof q);
        fleet_name(f, i, name, sizeof name);
        for (size_t k = 0; k < n_meta; k++)
            fleet_meta_value(f, i, k, buf + k * (FLEET_META_VALUE_MAX + 1),
                             FLEET_META_VALUE_MAX + 1);
        q.fields[QUERY_FIELD_NAME] = name;
        q.n_meta = n_meta;
        q.meta_keys = keys;
        q.meta_values = values;
        if (mem_sched_thing_add(r->ms, name, &q, &h, err) < 0)
            goto done;
        if (h != (uint32_t)i) {
            oerr_set(err, OERR_INTERNAL, "device %lld got thing handle %u", (long long)i, h);
            goto done;
        }
    }
    rc = 0;
done:
    free(keys);
    free(values);
    free(buf);
    return rc;
}

static int add_task(struct run *r, struct oerr *err)
{
    const struct scenario *sc = r->sc;
    struct mem_sched_task_spec sp;
    struct window_set *windows = NULL;
    uint32_t *targets = NULL;
    size_t n_targets = 0;
    memset(&sp, 0, sizeof sp);
    if (sc->sched.n_windows > 0) {
        windows = window_set_new(); /* the store takes it; the scenario keeps its own */
        for (size_t i = 0; i < sc->sched.n_windows; i++)
            if (window_set_add(windows, sc->sched.window[i].cron, sc->sched.window[i].duration_min,
                               err) < 0)
                goto fail;
    }
    if (sc->whole_fleet) {
        n_targets = (size_t)fleet_count(r->fleet);
        targets = xcalloc(n_targets, sizeof *targets);
        for (size_t i = 0; i < n_targets; i++)
            targets[i] = (uint32_t)i;
    } else if (sc->n_targets > 0) {
        n_targets = sc->n_targets;
        targets = xcalloc(n_targets, sizeof *targets);
        for (size_t i = 0; i < n_targets; i++)
            targets[i] = (uint32_t)sc->targets[i];
    }
    sp.id = TASK_ID;
    sp.type = sc->type;
    sp.schedule = sc->sched.schedule;
    sp.schedule.windows = windows;
    sp.rollout = sc->push.rollout;
    sp.abort = sc->push.abort;
    sp.n_abort = sc->push.n_abort;
    sp.retry = sc->retry;
    sp.in_progress_timeout_min = sc->push.in_progress_timeout_min;
    sp.query = sc->query;
    sp.targets = targets;
    sp.n_targets = n_targets;
    windows = NULL; /* mem_sched_task_add owns it from here, failing or not */
    if (mem_sched_task_add(r->ms, &sp, r->start, &r->task, err) < 0)
        goto fail;
    free(targets);
    return 0;
fail:
    window_set_free(windows);
    free(targets);
    return -1;
}

static void window_spans(struct run *r)
{
    const struct window_set *w = r->sc->sched.schedule.windows;
    struct rollout_result *res = r->res;
    size_t cap = 0;
    if (w == NULL)
        return;
    int64_t end = r->start + res->clock_ms;
    for (int64_t t = r->start; t < end && res->n_windows < MAX_SPANS;) {
        struct window_state st;
        window_set_at(w, t, &st);
        if (!st.open) {
            if (st.until < 0 || st.until >= end)
                break;
            t = st.until;
            continue;
        }
        int64_t to = st.until < 0 || st.until > end ? end : st.until;
        if (res->n_windows == cap) {
            cap = cap == 0 ? 16 : cap * 2;
            res->windows = xreallocarray(res->windows, cap, sizeof *res->windows);
        }
        res->windows[res->n_windows].from_ms = t - r->start;
        res->windows[res->n_windows++].to_ms = to - r->start;
        if (to <= t)
            break;
        t = to;
    }
}

/* ---- the run ---- */

static int loop(struct run *r, int64_t horizon, struct oerr *err)
{
    struct rollout_result *res = r->res;
    struct mem_sched_task_info info;
    for (;;) {
        while (r->n_heap > 0 && r->heap[0].at <= r->now) {
            struct ev e = ev_pop(r);
            device_action(r, &e);
        }
        int64_t before = terminal(r->counts);
        r->timed_out_in_pass = 0;
        if (scheduler_run_once(r->sched, r->now, err) < 0 || observe(r, before, &info, err) < 0)
            return -1;
        if (r->final && r->counts[EXECUTION_IN_PROGRESS] == 0) {
            res->end = ROLLOUT_END_DONE;
            res->ended_ms = r->now - r->start;
            return 0;
        }
        int64_t next = mem_sched_next_wake(r->ms);
        if (r->n_heap > 0 && (next < 0 || r->heap[0].at < next))
            next = r->heap[0].at;
        int64_t jump = quiet_jump(r, &info);
        if (jump < 0 || next < 0) {
            res->end = ROLLOUT_END_STUCK;
            return 0;
        }
        if (jump > 0)
            next = jump;
        if (next > horizon) {
            rows_before(r, horizon);
            r->now = horizon;
            res->end = ROLLOUT_END_HORIZON;
            return 0;
        }
        if (next < r->now)
            next = r->now;
        rows_before(r, next);
        r->now = next;
    }
}

/* The results that are read once the run has stopped. */
static int finish(struct run *r, struct oerr *err)
{
    struct rollout_result *out = r->res;
    struct mem_sched_task_info info;
    if (mem_sched_task_info(r->ms, r->task, &info, err) < 0)
        return -1;
    out->task_status = info.status;
    memcpy(out->counts, info.counts.n, sizeof out->counts);
    for (int s = EXECUTION_QUEUED; s < EXECUTION_STATUS_MAX; s++)
        out->executions += info.counts.n[s];
    out->clock_ms = r->now - r->start;
    add_row(r, r->next_row); /* every boundary before now is written: this is the first >= now */
    while (out->n_chart + 2 > ROLLOUT_CHART_MAX)
        out->n_chart--; /* room for the two closing samples */
    add_sample(r, r->now);
    if (r->next_row > r->now)
        add_sample(r, r->next_row);
    window_spans(r);
    const struct scheduler_stats *st = scheduler_stats(r->sched);
    out->passes = st->passes;
    out->ticks = st->ticks;
    out->retries = st->retried;
    return 0;
}

int rollout_run(const struct scenario *sc, const struct rollout_opts *o, struct rollout_result *out,
                struct oerr *err)
{
    struct run r;
    struct rollout_opts defaults;
    double t0 = wall(), t1 = 0;
    int rc = -1;
    memset(&r, 0, sizeof r);
    memset(out, 0, sizeof *out);
    if (o == NULL) {
        rollout_opts_default(&defaults);
        o = &defaults;
    }
    out->devices = fleet_count(sc->fleet);
    out->abort_index = -1;
    out->abort_at_ms = out->abort_executed = -1;
    out->first_queued_ms = out->last_queued_ms = -1;
    out->final_at_ms = out->ended_ms = -1;
    r.sc = sc;
    r.fleet = sc->fleet;
    r.res = out;
    r.start = r.now = r.next_row = r.next_sample = sc->start_ms;
    out->chart = xcalloc(ROLLOUT_CHART_MAX, sizeof *out->chart);
    out->chart_step_ms = 1000;
    r.group_deadline = xcalloc(fleet_group_count(sc->fleet), sizeof *r.group_deadline);
    for (size_t g = 0; g < fleet_group_count(sc->fleet); g++)
        r.group_deadline[g] =
            sc->push.in_progress_timeout_min > 0 || fleet_group(sc->fleet, g)->step_timeout_min > 0;
    r.ms = mem_sched_new();
    if (add_fleet(&r, err) < 0)
        goto done;
    mem_sched_set_listener(r.ms, on_transition, &r);
    if (add_task(&r, err) < 0) {
        oerr_prefix(err, "task: ");
        goto done;
    }
    out->targets = r.counts[EXECUTION_PLANNED];
    r.status = TASK_SCHEDULED;
    r.sched = scheduler_new(mem_sched_ops(), r.ms, NULL);
    t1 = wall();
    if (loop(&r, sc->start_ms + o->horizon_ms, err) < 0)
        goto done;
    out->run_s = wall() - t1;
    out->setup_s = t1 - t0;

    if (finish(&r, err) < 0)
        goto done;
    rc = 0;
done:
    scheduler_free(r.sched);
    mem_sched_free(r.ms);
    free(r.heap);
    free(r.parked);
    free(r.group_deadline);
    if (rc < 0)
        rollout_result_free(out);
    return rc;
}
