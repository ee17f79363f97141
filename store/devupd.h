/*
 * devupd: the SQL of the IoT Jobs device data plane, and the group-commit batcher that carries
 * its writes (DESIGN.md section 3).
 *
 * Writes (UpdateJobExecution, StartNextPendingJobExecution) go through a struct devupd: a small
 * pool of PostgreSQL connections of its own on the API event loop, each leased for good. Requests
 * of one kind queue; whenever a connection is idle and requests wait, all waiting requests (up to
 * a cap, at most one per (job, thing) for updates and one per thing for start-next; duplicates
 * wait for the next batch) go as ONE statement over unnest() arrays, one transaction and so one
 * WAL flush (the statement runs inside a PL/pgSQL function created in the connection's session,
 * so that its plan is prepared once). The statement locks its target executions in a fixed order,
 * applies each transition only if it is still legal (the engine's from-state mask is passed per
 * row) and the version matches when one is expected, and in the same statement applies the counter
 * deltas on the connection's shard, the outbox rows (notify-next, DEVICE_OTA execution events) and
 * the scheduler wake-ups. A lone request goes at once when a connection is idle; at high load the
 * batches grow. A lost connection fails its in-flight batch with OERR_UNAVAILABLE and is
 * re-acquired in the background; a batch chosen as a deadlock victim is run again.
 *
 * Reads (GetPendingJobExecutions, DescribeJobExecution) are single statements on the API pool.
 *
 * Visibility (SPEC.md sections 2 and 7): PLANNED executions are never shown; executions of tasks
 * in DELETION_IN_PROGRESS are invisible to devices; QUEUED executions of SCHEDULED tasks are
 * hidden from the pending list, from start-next and from "$next".
 *
 * Not thread-safe: a devupd belongs to the thread that runs its event loop.
 */
#ifndef OTAD_STORE_DEVUPD_H
#define OTAD_STORE_DEVUPD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/execution.h"
#include "engine/oerr.h"
#include "store/db.h"

struct event_base;
struct devupd;

/** What became of one request of a batch. */
enum devupd_outcome {
    DEVUPD_OK = 0,           /* applied (start-next: a QUEUED execution was started) */
    DEVUPD_NO_THING,         /* no managed thing with that id */
    DEVUPD_NO_JOB,           /* no task with that job id visible to devices */
    DEVUPD_NO_EXECUTION,     /* no such non-PLANNED execution of the job for the thing */
    DEVUPD_VERSION_CONFLICT, /* expected_version differs from the current version: nothing changed
                              */
    DEVUPD_ILLEGAL,      /* the transition is not legal from the current status: nothing changed */
    DEVUPD_NONE_PENDING, /* start-next: the thing has nothing pending */
    DEVUPD_UNCHANGED     /* start-next: the next pending was IN_PROGRESS, returned unchanged */
};

/** Configuration of a batcher. */
struct devupd_config {
    const char *conninfo;
    int conns;        /* connections (OTAD_DEVICE_CONNS), each leased for good; >= 1 */
    int worker;       /* worker index: connection i writes counter shard worker * 64 + i */
    size_t max_batch; /* requests per statement (0 = DEVUPD_DEFAULT_MAX_BATCH) */
    size_t max_queue; /* waiting requests before new ones fail with 503 (0 = default) */
};

#define DEVUPD_DEFAULT_CONNS     2
#define DEVUPD_DEFAULT_MAX_BATCH 2000
#define DEVUPD_DEFAULT_MAX_QUEUE 100000

/** An UpdateJobExecution request (strings are copied). */
struct devupd_update {
    const char *job_id;
    const char *thing;
    int64_t execution_number;   /* -1: the thing's latest execution of the job */
    enum execution_status to;   /* checked with execution_check_device_status() */
    int64_t expected_version;   /* -1: none */
    const char *status_details; /* a JSON object text; NULL: unchanged */
    int64_t step_timeout_ms;    /* 0: unchanged; -1: clear the step timer; > 0: a new one */
    int want_document;          /* return the job document */
};

/** A StartNextPendingJobExecution request (strings are copied). */
struct devupd_start {
    const char *thing;
    const char *status_details; /* a JSON object text; NULL: unchanged */
    int64_t step_timeout_ms;    /* 0: none; > 0: a step timer */
};

/** An execution as devices see it: times in service ms, -1 when absent. */
struct devupd_execution {
    const char *job_id;
    enum execution_status status;
    const char *status_details; /* a JSON object text, or NULL */
    int64_t queued_at, started_at, updated_at, deadline;
    int64_t version, execution_number;
    const char *job_document; /* NULL unless asked for (always given by start-next) */
};

/** The result of one request: the outcome and the execution's state after the batch (the
 *  current state for DEVUPD_VERSION_CONFLICT and DEVUPD_ILLEGAL; unset for the not-found outcomes).
 */
struct devupd_result {
    enum devupd_outcome outcome;
    struct devupd_execution ex;
};

/** Called once per request with its result (res; err NULL), or with err (OERR_UNAVAILABLE when
 *  the database cannot be reached, OERR_INTERNAL otherwise) and res NULL. Both are valid only
 *  during the call. Never called inside devupd_update()/devupd_start_next(). */
typedef void (*devupd_fn)(void *arg, const struct devupd_result *res, const struct oerr *err);

/** Counters of the batcher (for metrics and tests). */
struct devupd_stats {
    uint64_t batches;      /* statements completed */
    uint64_t requests;     /* requests answered by a statement */
    uint64_t max_batch;    /* the largest batch so far */
    uint64_t size_hist[5]; /* batches of 1, 2-9, 10-99, 100-999, >= 1000 requests */
    uint64_t retries;      /* batches run again after a deadlock */
    uint64_t failures;     /* requests failed by a database error */
    size_t waiting;        /* requests waiting now */
    int up;                /* connections leased now */
};

/** A batcher on base; its connections are acquired in the background. Free with devupd_free. */
struct devupd *devupd_new(struct event_base *base, const struct devupd_config *cfg);

/** Fail waiting and in-flight requests with OERR_UNAVAILABLE, close the connections, free;
 *  accepts NULL. */
void devupd_free(struct devupd *d);

/** Queue an UpdateJobExecution; cb runs later on the loop. */
void devupd_update(struct devupd *d, const struct devupd_update *u, devupd_fn cb, void *arg);

/** Queue a StartNextPendingJobExecution; cb runs later on the loop. */
void devupd_start_next(struct devupd *d, const struct devupd_start *s, devupd_fn cb, void *arg);

/** Current counters. */
void devupd_stats(const struct devupd *d, struct devupd_stats *out);

/** Columns of the rows of devupd_pending and devupd_describe. */
enum devupd_col {
    DEVUPD_COL_THING_OK = 0, /* "t" if the managed thing exists */
    DEVUPD_COL_JOB_OK,       /* "t" if the job exists (describe by job id) */
    DEVUPD_COL_JOB_ID,       /* NULL when there is no execution */
    DEVUPD_COL_STATUS,       /* smallint enum execution_status */
    DEVUPD_COL_DETAILS,      /* JSON object text or NULL */
    DEVUPD_COL_QUEUED_AT,    /* ms */
    DEVUPD_COL_STARTED_AT,   /* ms or NULL */
    DEVUPD_COL_UPDATED_AT,   /* ms */
    DEVUPD_COL_DEADLINE,     /* ms or NULL */
    DEVUPD_COL_VERSION,
    DEVUPD_COL_EXECUTION_NUMBER,
    DEVUPD_COL_DOCUMENT /* the job document, NULL unless asked for */
};

/** The thing's pending executions (IN_PROGRESS first, then QUEUED by queued_at), visible ones
 *  only: at least one row; a single row with DEVUPD_COL_JOB_ID NULL when none is pending. */
void devupd_pending(struct db *db, const char *thing, db_result_fn cb, void *arg);

/** One execution of the thing: of job_id (the latest, or execution_number when >= 0), or the
 *  next pending one when job_id is NULL ("$next"). Exactly one row; DEVUPD_COL_JOB_ID NULL when
 *  there is no such execution. */
void devupd_describe(struct db *db, const char *thing, const char *job_id, int64_t execution_number,
                     int want_document, db_result_fn cb, void *arg);

#endif
