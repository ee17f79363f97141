/*
 * tasks: SQL for OTA tasks as the task API writes and reads them (tables tasks, executions,
 * task_counters, outbox; migrations/0010_create_tasks.sql). The scheduler (store/pg_sched.c)
 * reads what is written here: tasks.windows [{"cron","duration"}], tasks.retry [{"type","n"}],
 * push_config (the configuration's PushConfig, a snapshot), start_at/end_at in ms,
 * end_behavior, membership_cursor and next_tick_at.
 *
 * Every write that the scheduler must react to lowers next_tick_at to now and sends
 * pg_notify('otad_sched', '') in the same statement (delivered at commit).
 */
#ifndef OTAD_STORE_TASKS_H
#define OTAD_STORE_TASKS_H

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

struct querysql;

/** The parameter number the target query's translation must start at (querysql_build's
 *  `first`) for tasks_create. */
#define TASKS_QUERY_FIRST_PARAM 19

/** A validated CreateOtaTask. Strings are borrowed for the duration of the call. */
struct tasks_new {
    const char *id;
    const char *arn;
    const char *spec;             /* JSON object: the validated request members Get echoes */
    const char *job_document;     /* what devices receive */
    const char *description;      /* NULL = none */
    const char *ota_type;         /* "ONE_TIME" | "CONTINUOUS" */
    const char *target_query;     /* OtaTargetQueryString as given, NULL = none */
    const struct querysql *query; /* its translation with alias "th" from
                                     TASKS_QUERY_FIRST_PARAM; NULL iff target_query is NULL */
    const char *config_id;        /* NULL = none */
    int64_t start_at;             /* ms, -1 = none */
    int64_t end_at;               /* ms, -1 = none */
    const char *end_behavior;     /* "STOP_ROLLOUT" | "CANCEL" | "FORCE_CANCEL" */
    const char *windows;          /* JSON [{"cron": "...", "duration": minutes}] or NULL */
    const char *retry;            /* JSON [{"type": "FAILED", "n": 2}] or NULL */
    const char *status_empty;     /* the initial status if the task has no targets */
    const char *status_targets;   /* the initial status if it has at least one */
    const char *const *targets;   /* explicit target ids in request order (repeats allowed) */
    size_t n_targets;
    int64_t max_targets; /* more distinct targets than this: nothing is stored */
    int64_t now;         /* ms */
};

/** Columns of the one row tasks_create returns. */
enum tasks_create_col {
    TASKS_CREATE_CONFIG_FOUND = 0, /* "t", or "f" when config_id names no configuration */
    TASKS_CREATE_UNKNOWN,       /* JSON array of the first 10 explicit targets that are no managed
                                   thing, in request order ("[]" when all exist) */
    TASKS_CREATE_UNKNOWN_COUNT, /* how many explicit targets are no managed thing */
    TASKS_CREATE_TARGETS,       /* distinct targets: Target ∪ query matches */
    TASKS_CREATE_STATUS         /* the stored status; NULL when nothing was stored */
};

/**
 * Create task t in the transaction on c, in one statement: the task row, one PLANNED execution
 * per distinct target (seq from executions_seq in target order: Target in request order, then
 * query matches in managed-thing creation order), the PLANNED counter (shard 0), a CREATE_OTA
 * outbox event when a DEVICE_OTA notification configuration exists, next_tick_at = now and the
 * scheduler's wake-up. membership_cursor is max(thing_events.id) read in the same snapshot as
 * the query's matches. Nothing is stored when the configuration is unknown, a target is
 * unknown or the targets exceed t->max_targets; the row says which (the caller rolls back).
 */
void tasks_create(struct dbconn *c, const struct tasks_new *t, db_result_fn cb, void *arg);

/** Columns of the rows of tasks_get and tasks_list. */
enum tasks_col {
    TASKS_ID = 0,
    TASKS_ARN,
    TASKS_SPEC, /* jsonb text */
    TASKS_DESCRIPTION,
    TASKS_STATUS,
    TASKS_OTA_TYPE,
    TASKS_CONFIG_ID,
    TASKS_ABORT_REASON, /* NULL unless aborted */
    TASKS_ABORT_COMMENT,
    TASKS_CREATED_AT, /* ms */
    TASKS_UPDATED_AT, /* ms */
    TASKS_SEQ,
    /* tasks_get only: */
    TASKS_COUNTS,                       /* TASKS_COUNTS + s = executions with status s (all
                                           attempts), s = enum execution_status 0..8 */
    TASKS_PROCESSING = TASKS_COUNTS + 9 /* JSON array of up to 100 thing ids with a QUEUED or
                                           IN_PROGRESS execution, target order; NULL if none */
};

/** The task id with its counters (0 or 1 row). */
void tasks_get(struct db *db, const char *id, db_result_fn cb, void *arg);

/** Up to limit tasks with seq > after, in seq order (columns up to TASKS_SEQ). */
void tasks_list(struct db *db, int64_t after, int64_t limit, db_result_fn cb, void *arg);

/** Columns of the one row tasks_update returns. */
enum tasks_update_col {
    TASKS_UPDATE_FOUND = 0,    /* "t" if the task exists and is not being deleted */
    TASKS_UPDATE_CONFIG_FOUND, /* "t", or "f" when config_id names no configuration */
    TASKS_UPDATE_DONE          /* "t" if the task was updated */
};

/**
 * Update task id: description (NULL = unchanged) and/or the configuration (config_id NULL =
 * unchanged; else its PushConfig is copied into the task, config_version + 1 so the scheduler
 * re-reads it, next_tick_at lowered to now with a wake-up). Executions already started keep
 * the timeout they captured. Nothing changes unless the task exists, is not being deleted and
 * the configuration exists.
 */
void tasks_update(struct db *db, const char *id, const char *description, const char *config_id,
                  int64_t now, db_result_fn cb, void *arg);

/**
 * Mark task id DELETION_IN_PROGRESS (kept if it already is), next_tick_at lowered to now, and
 * wake the scheduler, which cancels and removes it. One row (the id) if the task exists.
 */
void tasks_delete(struct db *db, const char *id, int64_t now, db_result_fn cb, void *arg);

/** Columns of the rows of tasks_executions. */
enum tasks_exec_col {
    TASKS_EXEC_THING = 0, /* NULL in the single row of a task with nothing on this page */
    TASKS_EXEC_NUMBER,
    TASKS_EXEC_STATUS, /* enum execution_status */
    TASKS_EXEC_RETRY_ATTEMPT,
    TASKS_EXEC_QUEUED_AT,  /* ms or NULL */
    TASKS_EXEC_STARTED_AT, /* ms or NULL */
    TASKS_EXEC_UPDATED_AT, /* ms */
    TASKS_EXEC_SEQ
};

/**
 * The shown (latest) execution of each thing of task id, PLANNED ones excluded, with seq >
 * after in seq order, at most limit. No row: the task does not exist; one row with a NULL
 * thing: it exists but has nothing here.
 */
void tasks_executions(struct db *db, const char *id, int64_t after, int64_t limit, db_result_fn cb,
                      void *arg);

#endif
