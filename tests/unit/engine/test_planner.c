/*
 * Unit tests of engine/planner: a table of task situations (status, schedule, windows, end
 * behaviour, abort criteria, counts, pacing state, now) and the plan each one must produce,
 * one row per rule of planner.h and per next-wake choice; then planner_next_wake() on post-tick
 * views, the purity of the planner (the rollout state it is given is never written) and the
 * abort counts.
 *
 * Times are offsets from T0 = 2026-11-22T10:00:00Z. The window, when a row has one, opens daily
 * at 12:00 UTC for 60 minutes. Pacing is MaximumPerMinute 60 (one slot per second), batches at
 * least 1 s apart, so a stage started 10 s ago has 11 free slots.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/abort.h"
#include "engine/execution.h"
#include "engine/oerr.h"
#include "engine/planner.h"
#include "engine/rollout.h"
#include "engine/task.h"
#include "engine/window.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define T0   INT64_C(1795341600000)
#define S    INT64_C(1000)
#define H    INT64_C(3600000)
#define POLL INT64_C(1000)
#define NONE INT64_C(-1)

enum { P, Q, IP, SU, FA, TO, RJ, RM, CA }; /* columns of counts */

struct counts9 {
    int64_t n[9];
};

static const enum execution_status col_status[9] = {
    EXECUTION_PLANNED,   EXECUTION_QUEUED,  EXECUTION_IN_PROGRESS,
    EXECUTION_SUCCEEDED, EXECUTION_FAILED,  EXECUTION_TIMED_OUT,
    EXECUTION_REJECTED,  EXECUTION_REMOVED, EXECUTION_CANCELED,
};

/* Abort lists a row may use. */
static const struct abort_criterion abort_failed50[] = {{ABORT_FAILED, 10, 50.0}};
static const struct abort_criterion abort_two[] = {{ABORT_TIMED_OUT, 10, 50.0},
                                                   {ABORT_ALL, 10, 30.0}};
static const struct {
    const struct abort_criterion *list;
    size_t n;
} abort_lists[] = {{NULL, 0}, {abort_failed50, 1}, {abort_two, 2}};

struct row {
    const char *name;
    /* input */
    enum task_type type;
    enum task_status status;
    int end_applied;
    int64_t start_at, end_at; /* offsets from T0, or NONE */
    enum task_end_behavior end_behavior;
    int window;          /* 1: daily 12:00 for 60 min */
    int64_t stage_start; /* offset, or NONE = not started */
    struct counts9 c;
    int64_t undecided;
    int64_t next_deadline; /* offset, or NONE */
    int abort_list;
    int64_t now; /* offset */
    /* expected */
    enum task_status x_status;
    int x_apply_end, x_drop;
    enum planner_cancel x_cancel;
    int x_abort, x_expire, x_retries, x_start, x_idle;
    int64_t x_queue;
    int x_remove;
    int64_t x_wake; /* offset, or NONE */
};

#define ONE     TASK_ONE_TIME
#define CONT    TASK_CONTINUOUS
#define SCHED   TASK_SCHEDULED
#define RUN     TASK_IN_PROGRESS
#define DONE    TASK_COMPLETED
#define CANC    TASK_CANCELED
#define DEL     TASK_DELETION_IN_PROGRESS
#define STOP    TASK_END_STOP_ROLLOUT
#define CANCEL  TASK_END_CANCEL
#define FORCE   TASK_END_FORCE_CANCEL
#define C_NO    PLANNER_CANCEL_NONE
#define C_PEND  PLANNER_CANCEL_PENDING
#define C_FORCE PLANNER_CANCEL_FORCE

/* clang-format off */
static const struct row rows[] = {
    /* rule 1: deletion */
    {"deletion cancels pending and removes the task",
     ONE, DEL, 0, NONE, NONE, STOP, 0, -60 * S, {{3, 5, 2}}, 0, 30 * S, 0, 0,
     DEL, 0, 0, C_PEND, -1, 0, 0, 0, 0, 0, 1, NONE},
    /* rule 2: final tasks */
    {"completed, no deadline: never wakes",
     ONE, DONE, 0, NONE, NONE, STOP, 0, -60 * S, {{0, 0, 0, 10}}, 0, NONE, 0, 0,
     DONE, 0, 0, C_NO, -1, 0, 0, 0, 0, 0, 0, NONE},
    {"canceled: wakes at the next deadline only",
     ONE, CANC, 0, NONE, NONE, STOP, 0, -60 * S, {{0, 0, 2, 0, 0, 0, 0, 0, 8}}, 0, 5 * S, 0, 0,
     CANC, 0, 0, C_NO, -1, 0, 0, 0, 0, 0, 0, 5 * S},
    {"canceled: a due deadline expires",
     ONE, CANC, 0, NONE, NONE, STOP, 0, -60 * S, {{0, 0, 2, 0, 0, 0, 0, 0, 8}}, 0, -500, 0, 0,
     CANC, 0, 0, C_NO, -1, 1, 0, 0, 0, 0, 0, POLL},
    {"canceled: failed attempts get no retry",
     ONE, CANC, 0, NONE, NONE, STOP, 0, -60 * S, {{0, 0, 0, 0, 1, 0, 0, 0, 8}}, 1, NONE, 0, 0,
     CANC, 0, 0, C_NO, -1, 0, 0, 0, 0, 0, 0, NONE},
    {"canceled: end and abort are not looked at again",
     ONE, CANC, 0, NONE, -S, CANCEL, 0, -60 * S, {{0, 0, 0, 4, 6}}, 0, NONE, 1, 0,
     CANC, 0, 0, C_NO, -1, 0, 0, 0, 0, 0, 0, NONE},
    /* rule 3: end behaviours at EndTime */
    {"STOP_ROLLOUT at EndTime drops PLANNED, QUEUED continue",
     ONE, RUN, 0, NONE, 0, STOP, 0, -60 * S, {{10, 2}}, 0, NONE, 0, 0,
     RUN, 1, 1, C_NO, -1, 0, 0, 0, 0, 0, 0, POLL},
    {"STOP_ROLLOUT with nothing in flight completes",
     ONE, RUN, 0, NONE, -S, STOP, 0, -60 * S, {{10, 0, 0, 5}}, 0, NONE, 0, 0,
     DONE, 1, 1, C_NO, -1, 0, 0, 0, 0, 0, 0, NONE},
    {"STOP_ROLLOUT of a paused task: IN_PROGRESS until complete",
     ONE, SCHED, 0, NONE, 0, STOP, 1, -H, {{10, 0, 1}}, 0, 90 * S, 0, 0,
     RUN, 1, 1, C_NO, -1, 0, 0, 0, 0, 0, 0, POLL},
    {"CANCEL at EndTime cancels PLANNED and QUEUED",
     ONE, RUN, 0, NONE, 0, CANCEL, 0, -60 * S, {{10, 2, 3}}, 0, 60 * S, 0, 0,
     CANC, 1, 0, C_PEND, -1, 0, 0, 0, 0, 0, 0, 60 * S},
    {"FORCE_CANCEL at EndTime cancels IN_PROGRESS too",
     ONE, RUN, 0, NONE, 0, FORCE, 0, -60 * S, {{10, 2, 3}}, 0, 60 * S, 0, 0,
     CANC, 1, 0, C_FORCE, -1, 0, 0, 0, 0, 0, 0, NONE},
    {"FORCE_CANCEL before EndTime: nothing yet, wake at EndTime",
     ONE, RUN, 0, NONE, 500, FORCE, 0, -60 * S, {{0, 2, 3}}, 0, 60 * S, 0, 0,
     RUN, 0, 0, C_NO, -1, 0, 1, 0, 1, 0, 0, 500},
    {"end behaviour applied once; no retries after the end",
     ONE, RUN, 1, NONE, -5 * S, STOP, 0, -60 * S, {{0, 0, 1, 0, 1}}, 1, 90 * S, 0, 0,
     RUN, 0, 0, C_NO, -1, 0, 0, 0, 0, 0, 0, POLL},
    {"after the end, settled with an undecided failure: completes",
     ONE, RUN, 1, NONE, -5 * S, STOP, 0, -60 * S, {{0, 0, 0, 3, 1}}, 1, NONE, 0, 0,
     DONE, 0, 0, C_NO, -1, 0, 0, 0, 0, 0, 0, NONE},
    /* rule 4: abort */
    {"abort fires: pending canceled, task CANCELED",
     ONE, RUN, 0, NONE, NONE, STOP, 0, -60 * S, {{20, 3, 0, 4, 6}}, 2, NONE, 1, 0,
     CANC, 0, 0, C_PEND, 0, 0, 0, 0, 0, 0, 0, NONE},
    {"abort fires while IN_PROGRESS continue: wake at their deadline",
     ONE, RUN, 0, NONE, NONE, STOP, 0, -60 * S, {{20, 3, 4, 4, 6}}, 0, 40 * S, 1, 0,
     CANC, 0, 0, C_PEND, 0, 0, 0, 0, 0, 0, 0, 40 * S},
    {"abort does not fire below the minimum",
     ONE, RUN, 0, NONE, NONE, STOP, 0, -10 * S, {{20, 0, 0, 1, 8}}, 0, NONE, 1, 0,
     RUN, 0, 0, C_NO, -1, 0, 1, 0, 0, 11, 0, S},
    {"abort: the first criterion in list order that fires wins",
     ONE, RUN, 0, NONE, NONE, STOP, 0, -60 * S, {{5, 0, 0, 7, 2, 0, 1}}, 0, NONE, 2, 0,
     CANC, 0, 0, C_PEND, 1, 0, 0, 0, 0, 0, 0, NONE},
    {"abort: ALL below its threshold does not fire",
     ONE, RUN, 0, NONE, NONE, STOP, 0, -10 * S, {{5, 0, 0, 8, 1, 0, 1}}, 0, NONE, 2, 0,
     RUN, 0, 0, C_NO, -1, 0, 1, 0, 0, 5, 0, POLL},
    {"abort is checked while paused",
     ONE, SCHED, 0, NONE, NONE, STOP, 1, -H, {{20, 0, 1, 4, 6}}, 0, 40 * S, 1, 0,
     CANC, 0, 0, C_PEND, 0, 0, 0, 0, 0, 0, 0, 40 * S},
    /* rule 5: status from StartTime and windows */
    {"before StartTime: SCHEDULED, idle, wake at StartTime",
     ONE, SCHED, 0, H, NONE, STOP, 0, NONE, {{100}}, 0, NONE, 0, 0,
     SCHED, 0, 0, C_NO, -1, 0, 1, 0, 1, 0, 0, H},
    {"StartTime reached: IN_PROGRESS, pacing starts with one slot",
     ONE, SCHED, 0, 0, NONE, STOP, 0, NONE, {{100}}, 0, NONE, 0, 0,
     RUN, 0, 0, C_NO, -1, 0, 1, 1, 0, 1, 0, S},
    {"outside every window: SCHEDULED until the next opening",
     ONE, SCHED, 0, NONE, NONE, STOP, 1, NONE, {{100}}, 0, NONE, 0, 0,
     SCHED, 0, 0, C_NO, -1, 0, 1, 0, 1, 0, 0, 2 * H},
    {"StartTime inside a window: wake at StartTime",
     ONE, SCHED, 0, 2 * H + H / 2, NONE, STOP, 1, NONE, {{100}}, 0, NONE, 0, 0,
     SCHED, 0, 0, C_NO, -1, 0, 1, 0, 1, 0, 0, 2 * H + H / 2},
    {"StartTime after the day's window: wake at the next opening",
     ONE, SCHED, 0, 3 * H + H / 2, NONE, STOP, 1, NONE, {{100}}, 0, NONE, 0, 0,
     SCHED, 0, 0, C_NO, -1, 0, 1, 0, 1, 0, 0, 26 * H},
    {"window opens: resume with one slot, no burst of paused credit",
     ONE, SCHED, 0, NONE, NONE, STOP, 1, -H, {{50}}, 0, NONE, 0, 2 * H,
     RUN, 0, 0, C_NO, -1, 0, 1, 0, 1, 1, 0, 2 * H + S},
    {"window closes mid-rollout: back to SCHEDULED, idle",
     ONE, RUN, 0, NONE, NONE, STOP, 1, 2 * H, {{50}}, 0, NONE, 0, 3 * H,
     SCHED, 0, 0, C_NO, -1, 0, 1, 0, 1, 0, 0, 26 * H},
    {"window closed with executions in flight: poll",
     ONE, RUN, 0, NONE, NONE, STOP, 1, 2 * H, {{50, 3}}, 0, NONE, 0, 3 * H,
     SCHED, 0, 0, C_NO, -1, 0, 1, 0, 1, 0, 0, 3 * H + POLL},
    {"inside a window: pacing queue, wake at the next batch",
     ONE, RUN, 0, NONE, NONE, STOP, 1, 2 * H + H / 2 - 10 * S, {{50}}, 0, NONE, 0,
     2 * H + H / 2,
     RUN, 0, 0, C_NO, -1, 0, 1, 0, 0, 11, 0, 2 * H + H / 2 + S},
    {"last second of a window: wake when it closes",
     CONT, RUN, 0, NONE, NONE, STOP, 1, 2 * H, {{0, 0, 0, 1}}, 0, NONE, 0, 3 * H - 500,
     RUN, 0, 0, C_NO, -1, 0, 1, 0, 1, 0, 0, 3 * H},
    /* rule 6: queue from pacing */
    {"pacing: queue limited by what is PLANNED",
     ONE, RUN, 0, NONE, NONE, STOP, 0, -10 * S, {{3}}, 0, NONE, 0, 0,
     RUN, 0, 0, C_NO, -1, 0, 1, 0, 0, 3, 0, POLL},
    {"pacing: nothing PLANNED, idle",
     ONE, RUN, 0, NONE, NONE, STOP, 0, -10 * S, {{0, 2}}, 0, NONE, 0, 0,
     RUN, 0, 0, C_NO, -1, 0, 1, 0, 1, 0, 0, POLL},
    {"pacing: failures awaiting a decision, retries allowed, not idle",
     ONE, RUN, 0, NONE, NONE, STOP, 0, -10 * S, {{0, 0, 0, 5, 1}}, 1, NONE, 0, 0,
     RUN, 0, 0, C_NO, -1, 0, 1, 0, 0, 0, 0, POLL},
    {"retries are decided while paused",
     ONE, SCHED, 0, H, NONE, STOP, 0, NONE, {{10, 0, 0, 0, 1}}, 1, NONE, 0, 0,
     SCHED, 0, 0, C_NO, -1, 0, 1, 0, 1, 0, 0, POLL},
    /* rule 7: completion */
    {"ONE_TIME completes when every execution is terminal",
     ONE, RUN, 0, NONE, NONE, STOP, 0, -60 * S, {{0, 0, 0, 10, 2, 1, 1, 0, 0}}, 0, NONE, 0, 0,
     DONE, 0, 0, C_NO, -1, 0, 0, 0, 0, 0, 0, NONE},
    {"zero targets complete at once",
     ONE, RUN, 0, NONE, NONE, STOP, 0, NONE, {{0}}, 0, NONE, 0, 0,
     DONE, 0, 0, C_NO, -1, 0, 0, 0, 0, 0, 0, NONE},
    {"zero targets before StartTime complete at once",
     ONE, SCHED, 0, H, NONE, STOP, 0, NONE, {{0}}, 0, NONE, 0, 0,
     DONE, 0, 0, C_NO, -1, 0, 0, 0, 0, 0, 0, NONE},
    {"due deadline: expire, no completion this tick",
     ONE, RUN, 0, NONE, NONE, STOP, 0, -60 * S, {{0, 0, 3, 5}}, 0, -500, 0, 0,
     RUN, 0, 0, C_NO, -1, 1, 1, 0, 1, 0, 0, POLL},
    {"CONTINUOUS without EndTime never completes: poll",
     CONT, RUN, 0, NONE, NONE, STOP, 0, -60 * S, {{0, 0, 0, 10}}, 0, NONE, 0, 0,
     RUN, 0, 0, C_NO, -1, 0, 1, 0, 1, 0, 0, POLL},
    {"CONTINUOUS after EndTime completes when settled",
     CONT, RUN, 1, NONE, -S, STOP, 0, -60 * S, {{0, 0, 0, 10}}, 0, NONE, 0, 0,
     DONE, 0, 0, C_NO, -1, 0, 0, 0, 0, 0, 0, NONE},
    {"CONTINUOUS at EndTime with only PLANNED left completes",
     CONT, RUN, 0, NONE, 0, STOP, 0, -60 * S, {{5, 0, 0, 3}}, 0, NONE, 0, 0,
     DONE, 1, 1, C_NO, -1, 0, 0, 0, 0, 0, 0, NONE},
    {"CONTINUOUS after EndTime, still in flight: poll",
     CONT, RUN, 1, NONE, -S, STOP, 0, -60 * S, {{0, 1, 0, 10}}, 0, NONE, 0, 0,
     RUN, 0, 0, C_NO, -1, 0, 0, 0, 0, 0, 0, POLL},
    /* rule 8: next wake choices */
    {"EndTime before the poll",
     CONT, RUN, 0, NONE, 500, STOP, 0, -60 * S, {{0, 0, 0, 1}}, 0, NONE, 0, 0,
     RUN, 0, 0, C_NO, -1, 0, 1, 0, 1, 0, 0, 500},
    {"deadline before the poll",
     ONE, SCHED, 0, H, NONE, STOP, 0, NONE, {{10, 0, 1}}, 0, 300, 0, 0,
     SCHED, 0, 0, C_NO, -1, 0, 1, 0, 1, 0, 0, 300},
    {"EndTime before the next window opening",
     ONE, SCHED, 0, NONE, H, STOP, 1, NONE, {{10}}, 0, NONE, 0, 0,
     SCHED, 0, 0, C_NO, -1, 0, 1, 0, 1, 0, 0, H},
    {"paused with only PLANNED: no poll, StartTime",
     ONE, SCHED, 0, 10 * H, NONE, STOP, 0, NONE, {{10}}, 0, NONE, 0, 0,
     SCHED, 0, 0, C_NO, -1, 0, 1, 0, 1, 0, 0, 10 * H},
    /* keep last: the next-wake tests start from it */
    {"stage started now: one slot, the next one a second later",
     ONE, RUN, 0, NONE, NONE, STOP, 0, 0, {{10}}, 0, NONE, 0, 0,
     RUN, 0, 0, C_NO, -1, 0, 1, 0, 0, 1, 0, S},
};
/* clang-format on */

struct fixture {
    struct window_set *w;
    struct task_schedule sched;
    struct rollout_config cfg;
    struct rollout_state st;
    struct planner_input in;
};

static void fixture_of(const struct row *r, struct fixture *f)
{
    struct oerr err;
    memset(f, 0, sizeof *f);
    f->w = window_set_new();
    if (r->window)
        ck_assert_msg(window_set_add(f->w, "cron(0 12 * * ? *)", 60, &err) == 0, "%s", err.msg);
    task_schedule_default(&f->sched);
    f->sched.start_at = r->start_at == NONE ? -1 : T0 + r->start_at;
    f->sched.end_at = r->end_at == NONE ? -1 : T0 + r->end_at;
    f->sched.end_behavior = r->end_behavior;
    f->sched.windows = f->w;
    rollout_config_default(&f->cfg);
    f->cfg.max_per_minute = 60.0;
    rollout_state_init(&f->st);
    if (r->stage_start != NONE)
        rollout_start(&f->cfg, &f->st, T0 + r->stage_start);
    f->in.type = r->type;
    f->in.status = r->status;
    f->in.end_applied = r->end_applied;
    f->in.schedule = &f->sched;
    f->in.rollout = &f->cfg;
    f->in.rollout_state = &f->st;
    f->in.abort = abort_lists[r->abort_list].list;
    f->in.n_abort = abort_lists[r->abort_list].n;
    for (int i = 0; i < 9; i++)
        f->in.counts.n[col_status[i]] = r->c.n[i];
    f->in.undecided = r->undecided;
    f->in.next_deadline = r->next_deadline == NONE ? -1 : T0 + r->next_deadline;
    f->in.poll_ms = POLL;
}

START_TEST(test_rows)
{
    const struct row *r = &rows[_i];
    struct fixture f;
    struct planner_plan p;
    fixture_of(r, &f);
    struct rollout_state before = f.st;
    planner_plan(&f.in, T0 + r->now, &p);

    ck_assert_msg(memcmp(&before, &f.st, sizeof before) == 0, "%s: state written", r->name);
    ck_assert_msg(p.status == r->x_status, "%s: status %s, want %s", r->name,
                  task_status_name(p.status), task_status_name(r->x_status));
    ck_assert_msg(p.status_changed == (r->x_status != r->status), "%s: status_changed", r->name);
    ck_assert_msg(p.apply_end == r->x_apply_end, "%s: apply_end %d", r->name, p.apply_end);
    ck_assert_msg(p.drop_planned == r->x_drop, "%s: drop_planned %d", r->name, p.drop_planned);
    ck_assert_msg(p.cancel == r->x_cancel, "%s: cancel %d", r->name, (int)p.cancel);
    ck_assert_msg(p.abort_index == r->x_abort, "%s: abort_index %d", r->name, p.abort_index);
    ck_assert_msg(p.expire == r->x_expire, "%s: expire %d", r->name, p.expire);
    ck_assert_msg(p.allow_retries == r->x_retries, "%s: allow_retries %d", r->name,
                  p.allow_retries);
    ck_assert_msg(p.start_rollout == r->x_start, "%s: start_rollout %d", r->name, p.start_rollout);
    ck_assert_msg(p.idle == r->x_idle, "%s: idle %d", r->name, p.idle);
    ck_assert_msg(p.queue == r->x_queue, "%s: queue %lld, want %lld", r->name, (long long)p.queue,
                  (long long)r->x_queue);
    ck_assert_msg(p.remove == r->x_remove, "%s: remove %d", r->name, p.remove);
    int64_t want = r->x_wake == NONE ? -1 : T0 + r->x_wake;
    ck_assert_msg(p.next_wake == want, "%s: next_wake %+lld ms, want %+lld ms", r->name,
                  (long long)(p.next_wake < 0 ? -1 : p.next_wake - T0),
                  (long long)(want < 0 ? -1 : want - T0));
    window_set_free(f.w);
}
END_TEST

/* ---- planner_next_wake on post-tick views ---- */

START_TEST(test_next_wake_deletion)
{
    struct fixture f;
    fixture_of(&rows[0], &f);
    ck_assert_int_eq(planner_next_wake(&f.in, T0), T0);
    window_set_free(f.w);
}
END_TEST

START_TEST(test_next_wake_final)
{
    struct fixture f;
    fixture_of(&rows[1], &f);
    ck_assert_int_eq(planner_next_wake(&f.in, T0), -1);
    f.in.status = TASK_CANCELED;
    f.in.next_deadline = T0 + 7 * S;
    f.in.counts.n[EXECUTION_IN_PROGRESS] = 1;
    ck_assert_int_eq(planner_next_wake(&f.in, T0), T0 + 7 * S);
    window_set_free(f.w);
}
END_TEST

/* After queuing k at now, the next wake is the next free slot: exactly what rollout says. */
START_TEST(test_next_wake_pacing)
{
    static const int64_t ks[] = {1, 5, 11};
    struct fixture f;
    fixture_of(&rows[NELEM(rows) - 1], &f); /* running, 10 PLANNED, stage started at T0 */
    f.in.counts.n[EXECUTION_PLANNED] = 100;
    f.st.stage_start = T0 - 10 * S;
    for (size_t i = 0; i < NELEM(ks); i++) {
        struct rollout_state st = f.st;
        rollout_record(&f.cfg, &st, ks[i], T0);
        f.in.rollout_state = &st;
        int64_t want = rollout_next_at(&f.cfg, &st, T0);
        ck_assert_int_gt(want, T0);
        ck_assert_int_eq(planner_next_wake(&f.in, T0), want);
    }
    /* 11 queued at T0 used all credit of 10 s at 1/s: the next slot is at T0 + 1 s */
    struct rollout_state st = f.st;
    rollout_record(&f.cfg, &st, 11, T0);
    f.in.rollout_state = &st;
    ck_assert_int_eq(planner_next_wake(&f.in, T0), T0 + S);
    window_set_free(f.w);
}
END_TEST

/* Anything due at now belongs to the tick just made: never a wake at or before now. */
START_TEST(test_next_wake_after_now)
{
    struct fixture f;
    fixture_of(&rows[NELEM(rows) - 1], &f);
    f.in.counts.n[EXECUTION_IN_PROGRESS] = 1;
    f.in.next_deadline = T0 - 5 * S; /* a deadline the store did not expire */
    ck_assert_int_eq(planner_next_wake(&f.in, T0), T0 + 1);
    window_set_free(f.w);
}
END_TEST

/* Exponential pacing: a batch never crosses the notified criterion. */
START_TEST(test_queue_stops_at_step)
{
    struct fixture f;
    fixture_of(&rows[NELEM(rows) - 1], &f);
    f.cfg.max_per_minute = 0.0;
    f.cfg.base_per_minute = 60.0;
    f.cfg.increment_factor = 2.0;
    f.cfg.notified_criterion = 7;
    f.in.counts.n[EXECUTION_PLANNED] = 1000;
    f.st.stage_start = T0 - 30 * S;
    struct planner_plan p;
    planner_plan(&f.in, T0, &p);
    ck_assert_int_eq(p.queue, 7);
    window_set_free(f.w);
}
END_TEST

START_TEST(test_abort_counts)
{
    struct planner_counts c;
    struct abort_counts a;
    memset(&c, 0, sizeof c);
    for (int s = 0; s < EXECUTION_STATUS_MAX; s++)
        c.n[s] = (int64_t)1 << s; /* distinct bits: a sum shows what it includes */
    planner_abort_counts(&c, &a);
    ck_assert_int_eq(a.failed, c.n[EXECUTION_FAILED]);
    ck_assert_int_eq(a.rejected, c.n[EXECUTION_REJECTED]);
    ck_assert_int_eq(a.timed_out, c.n[EXECUTION_TIMED_OUT]);
    ck_assert_int_eq(a.terminal, c.n[EXECUTION_SUCCEEDED] + c.n[EXECUTION_FAILED] +
                                     c.n[EXECUTION_TIMED_OUT] + c.n[EXECUTION_REJECTED] +
                                     c.n[EXECUTION_REMOVED] + c.n[EXECUTION_CANCELED]);
}
END_TEST

static Suite *planner_suite(void)
{
    Suite *s = suite_create("planner");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_rows, 0, (int)NELEM(rows));
    tcase_add_test(tc, test_next_wake_deletion);
    tcase_add_test(tc, test_next_wake_final);
    tcase_add_test(tc, test_next_wake_pacing);
    tcase_add_test(tc, test_next_wake_after_now);
    tcase_add_test(tc, test_queue_stops_at_step);
    tcase_add_test(tc, test_abort_counts);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(planner_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
