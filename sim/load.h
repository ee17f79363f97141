/*
 * load: `otasim load`, a scenario run live against a running otad (sim/README.md). The
 * scenario's fleet is created as managed things (names and MetaData from the scenario, plus a
 * MetaData key otasim_run naming the run), its configuration and task through the public API;
 * then every device runs concurrently on one libevent loop as a small state machine driven by
 * sim/fleet.h (the same behaviour the rollout simulation gives device i): it learns of its job
 * from the Redis notify streams (sim/notify.h) or by polling GetPendingJobExecutions (its
 * group's `discovery`), starts it with StartNextPendingJobExecution after its accept delay
 * and reports its outcome with UpdateJobExecution after its duration, delays divided by the
 * time scale (the server's OTAD_TIME_SCALE). All HTTP goes through one pool of keep-alive
 * connections (sim/httpc.h).
 *
 * Times in the result are service time since the task's CreatedAt, like the simulation's
 * times since `start`: a device's observation at real time r counts as (r - r0) * scale, r0
 * being the real midpoint of the CreateOtaTask request; server timestamps count as
 * timestamp - CreatedAt.
 *
 * The run stops when the task is final with nothing queued or in progress (end DONE), when
 * nothing more can happen (end STUCK: devices idle, nothing in progress, every target
 * notified or the task final, and the server's counts unchanged for three polls), or at the
 * horizon (service time). Then it checks the server against the devices' own record (see
 * struct load_check).
 */
#ifndef OTAD_SIM_LOAD_H
#define OTAD_SIM_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/execution.h"
#include "engine/oerr.h"
#include "sim/opstats.h"
#include "sim/rollout.h"
#include "sim/scenario.h"

/** Mismatches described in the result (the count goes on beyond). */
#define LOAD_EXAMPLES 8

/** Where and how to run. Strings are borrowed for the call. */
struct load_opts {
    const char *endpoint;   /* otad base URL */
    const char *redis;      /* Redis address; NULL: every device polls */
    const char *access_key; /* with secret_key: SigV4-sign; both NULL: unsigned */
    const char *secret_key;
    const char *region;        /* SigV4 region */
    double time_scale;         /* > 0: the server's OTAD_TIME_SCALE */
    int connections;           /* HTTP connections */
    int notify_shards;         /* the server's OTAD_NOTIFY_SHARDS */
    const char *stream_prefix; /* the server's OTAD_STREAM_PREFIX */
    double poll_interval_s;    /* real seconds between polls of a polling device */
    int64_t horizon_ms;        /* stop after this much service time */
    int progress;              /* draw a progress line on stderr */
};

/** The checks of the server against the devices (all must be 0 for a sound run). */
struct load_check {
    int64_t things_checked;   /* executions listed by ListOtaTaskExecutions */
    int64_t thing_mismatches; /* attempts whose server state the devices contradict */
    int64_t count_mismatches; /* sum of |server - devices| over SUCCEEDED, FAILED, REJECTED */
    int64_t lost_updates;     /* thing_mismatches + count_mismatches */
    int64_t device_counts[EXECUTION_STATUS_MAX]; /* acknowledged device reports by status */
    char examples[LOAD_EXAMPLES][160];
    size_t n_examples;
};

/** What a live run produced. */
struct load_result {
    struct rollout_result run; /* the observed run, in otasim rollout's terms */
    char task_id[201];
    char config_id[65];
    char run_id[40];
    struct opstats *stats; /* every request of the run, by operation */
    struct load_check check;
    int64_t notifications;    /* notify entries received for the run's things */
    int64_t misrouted;        /* notify entries on a stream that is not their thing's shard */
    int64_t polls;            /* GetPendingJobExecutions made by polling devices */
    int64_t retried;          /* device requests repeated after no answer or a 5xx */
    int64_t device_errors;    /* device requests that failed for good (4xx other than 404/409) */
    double setup_s;           /* creating the fleet, the configuration and the task */
    double rollout_s;         /* from the task's creation to the stop */
    double check_s;           /* the final listing and checks */
    int64_t rollout_requests; /* requests made during the rollout phase */
    double time_scale;
};

/**
 * Run sc live. *out is filled on success and, as far as it got, on failure (free with
 * load_result_free() in both cases). -1 with err: OERR_INVALID for a bad option or a request
 * the server refused, OERR_AUTH when the server refused the signature or keys,
 * OERR_UNAVAILABLE when otad or Redis cannot be reached.
 */
int load_run(const struct scenario *sc, const struct load_opts *o, struct load_result *out,
             struct oerr *err);

/** Free what a result owns; accepts a zeroed result. */
void load_result_free(struct load_result *r);

/** A run id: "r" + 12 random lowercase hex digits, into buf (>= 14 bytes). */
void load_run_id(char *buf, size_t len);

#endif
