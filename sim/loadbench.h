/*
 * loadbench: `otasim load --bench updates`, the device-update throughput benchmark against a
 * running otad. It creates N managed things and a task targeting them (no configuration: the
 * rollout runs at the server's ceiling, so the server should run with OTAD_MAX_RATE_PER_MINUTE
 * of at least N for a quick start), gets every device IN_PROGRESS (StartNextPendingJobExecution,
 * retried every second until the device's execution is queued), then for the measured phase
 * every device sends UpdateJobExecution IN_PROGRESS with statusDetails {"progress": "k%"} as
 * fast as the service answers: one request outstanding per device, all over the connection
 * pool. At the end each device reports SUCCEEDED with includeJobExecutionState and checks the
 * version the server returns against its own count of acknowledged updates (a lost or doubled
 * update shows as a mismatch).
 */
#ifndef OTAD_SIM_LOADBENCH_H
#define OTAD_SIM_LOADBENCH_H

#include <stdint.h>

#include "engine/oerr.h"
#include "sim/load.h"
#include "sim/opstats.h"

/** Longest start phase (real seconds) before the benchmark gives up. */
#define LOADBENCH_START_LIMIT_S 600

struct loadbench_result {
    char run_id[40];
    char task_id[201];
    int64_t devices;
    int64_t started;            /* devices that reached IN_PROGRESS */
    double setup_s;             /* creating the things and the task */
    double start_s;             /* until every device was IN_PROGRESS */
    double duration_s;          /* the measured phase, as measured */
    int64_t updates;            /* acknowledged progress updates in the measured phase */
    double updates_per_s;       /* updates / duration_s */
    int64_t version_mismatches; /* devices whose final version disagrees with their count */
    int64_t finished;           /* devices whose final SUCCEEDED was acknowledged */
    struct opstats *stats;      /* every request of the run */
    struct opstats *phase;      /* the measured phase's UpdateJobExecution requests only */
};

/**
 * Run the benchmark with `devices` devices for duration_s seconds of measurement (o: the
 * endpoint, keys, connections, progress; redis, time scale and notify settings are not used).
 * *out is filled as far as it got (free with loadbench_result_free() in every case).
 */
int loadbench_run(const struct load_opts *o, int64_t devices, double duration_s,
                  struct loadbench_result *out, struct oerr *err);

/** Free what a result owns; accepts a zeroed result. */
void loadbench_result_free(struct loadbench_result *r);

#endif
