/*
 * rollout (sim): `otasim rollout`, a scenario run in virtual time. The production scheduler
 * (engine/scheduler.c) runs over the memory store (sim/mem_sched.c) with the scenario's fleet
 * acting as devices; no server, no real clock. Not to be confused with engine/rollout.h (the
 * pacing rules): this module's names are rollout_run and rollout_result_*.
 *
 * Virtual time: device actions wait in a min-heap keyed by (time, sequence number), so equal
 * times resolve in the order they were scheduled. At each instant the due device actions run
 * first, then one scheduler pass; the clock then jumps to the earliest of the next device action
 * and the store's next task wake. A device learns of a QUEUED execution from the store's
 * transition listener (the notification); unless OFFLINE it starts it after its accept delay
 * (StartNextPendingJobExecution, with its step timer), then after its duration reports its
 * outcome (SILENT never reports; REJECTED reports without starting). A device that finds
 * nothing pending because a maintenance window closed waits for the task to resume (the service
 * notifies devices when their pending list changes) and tries again after its accept delay.
 *
 * The run stops when the task is COMPLETED or CANCELED with nothing in progress (end DONE),
 * when nothing more can happen (end STUCK: e.g. OFFLINE devices keep executions QUEUED forever,
 * or a CONTINUOUS task without EndTime has reached every device), or at the horizon (end
 * HORIZON). While the store is quiet and only the EndTime or a window boundary is left, the
 * clock jumps there instead of ticking through idle polls.
 */
#ifndef OTAD_SIM_ROLLOUT_H
#define OTAD_SIM_ROLLOUT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/execution.h"
#include "engine/oerr.h"
#include "engine/task.h"
#include "sim/scenario.h"

/** Default horizon: 30 days of virtual time. */
#define ROLLOUT_HORIZON_DEFAULT_MS (INT64_C(30) * 86400000)
/** Most chart samples kept (see struct rollout_result). */
#define ROLLOUT_CHART_MAX 2048
/** Longest comment kept of an abort. */
#define ROLLOUT_COMMENT_MAX 256

struct rollout_opts {
    int64_t horizon_ms; /* stop after this much virtual time (> 0) */
};

enum rollout_end {
    ROLLOUT_END_DONE = 0, /* the task is final and nothing is in progress */
    ROLLOUT_END_STUCK,    /* nothing more can happen */
    ROLLOUT_END_HORIZON,  /* the horizon was reached first */
};

/** The state at one minute boundary. */
struct rollout_row {
    int64_t t_ms;                    /* since start; a multiple of 60000 */
    int64_t n[EXECUTION_STATUS_MAX]; /* attempts by status at t_ms (PLANNED included) */
    int64_t notified;                /* notifications in (t_ms - 60 s, t_ms] */
    double rate;                     /* rollout rate at t_ms; 0 while not rolling out */
};

/** A change of the rollout rate: the start of the rollout, then every step that changed it. */
struct rollout_step {
    int64_t at_ms; /* since start */
    int32_t stage;
    double rate; /* per minute */
};

/** A stretch of time during which a maintenance window was open (clipped to the run). */
struct rollout_span {
    int64_t from_ms, to_ms; /* since start */
};

/** What a run produced. All times are ms since the scenario's start; -1 = never. */
struct rollout_result {
    int64_t devices; /* fleet size */
    int64_t targets; /* executions created at task creation */
    enum task_status task_status;
    enum rollout_end end;
    int aborted;
    int abort_index;                         /* -1 none */
    char abort_comment[ROLLOUT_COMMENT_MAX]; /* engine/abort.h abort_describe() */
    int64_t abort_at_ms;
    int64_t abort_executed;               /* terminal executions the criterion was evaluated on */
    int64_t counts[EXECUTION_STATUS_MAX]; /* every attempt, by status, at the end */
    int64_t executions;                   /* attempts that were notified (PLANNED excluded) */
    int64_t notified;                     /* QUEUED transitions (retries included) */
    int64_t retries;                      /* retries created */
    int64_t first_queued_ms, last_queued_ms;
    int64_t final_at_ms; /* the task became COMPLETED or CANCELED */
    int64_t ended_ms;    /* end DONE: when the last execution settled */
    int64_t clock_ms;    /* the virtual clock when the run stopped */
    int32_t stages;      /* rollout steps taken */
    struct rollout_step *steps;
    size_t n_steps;
    struct rollout_row *rows; /* one per minute from 0 to the first minute >= clock_ms */
    size_t n_rows;
    /* Samples for a chart: every chart_step_ms from 0 (1 s, doubled whenever
     * ROLLOUT_CHART_MAX would be exceeded), then the state at clock_ms and at the last row's
     * time; notified is 0. */
    struct rollout_row *chart;
    size_t n_chart;
    int64_t chart_step_ms;
    struct rollout_span *windows;
    size_t n_windows;
    int64_t passes, ticks;  /* scheduler_run_once calls, task ticks */
    int64_t device_actions; /* start-next and update calls made by devices */
    int64_t late_reports;   /* reports dropped: the execution had timed out or was canceled */
    double setup_s, run_s;  /* wall time: building the fleet and task; the rollout itself */
};

/** Defaults: the 30-day horizon. */
void rollout_opts_default(struct rollout_opts *o);

/**
 * Run sc in virtual time. *out is filled (free with rollout_result_free() on success; on
 * failure there is nothing to free). Fails only when the scenario cannot be set up (e.g. the
 * fleet's names collide) or the scheduler fails.
 */
int rollout_run(const struct scenario *sc, const struct rollout_opts *o, struct rollout_result *out,
                struct oerr *err);

/** Free what a result owns; accepts a zeroed result. */
void rollout_result_free(struct rollout_result *r);

/** Wire name of an end ("done", "stuck", "horizon"). */
const char *rollout_end_name(enum rollout_end e);

#endif
