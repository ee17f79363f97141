/*
 * task_configs: SQL for OTA task configurations (table task_configurations).
 */
#ifndef OTAD_STORE_TASK_CONFIGS_H
#define OTAD_STORE_TASK_CONFIGS_H

#include <stdint.h>

#include "store/db.h"

/** Columns of the rows returned by task_configs_get and task_configs_list. */
enum task_configs_col {
    TASK_CONFIGS_ID = 0,
    TASK_CONFIGS_NAME,
    TASK_CONFIGS_DESCRIPTION,
    TASK_CONFIGS_PUSH_CONFIG, /* jsonb text or NULL */
    TASK_CONFIGS_CREATED_AT,  /* ms */
    TASK_CONFIGS_SEQ
};

/** Insert a configuration (name, description, push_config may be NULL). */
void task_configs_insert(struct dbconn *c, const char *id, const char *name,
                         const char *description, const char *push_config, int64_t created_at,
                         db_result_fn cb, void *arg);

/** The configuration id (0 or 1 row). */
void task_configs_get(struct db *db, const char *id, db_result_fn cb, void *arg);

/** Up to limit configurations with seq > after, in seq order. */
void task_configs_list(struct db *db, int64_t after, int64_t limit, db_result_fn cb, void *arg);

/** Delete configuration id; the result has one row (the id) if it existed. */
void task_configs_delete(struct db *db, const char *id, db_result_fn cb, void *arg);

#endif
