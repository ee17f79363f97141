/*
 * task_configs: parameterised SQL for task configurations.
 */
#include "store/task_configs.h"

#include <inttypes.h>
#include <stdio.h>

#define COLUMNS "id, name, description, push_config::text, created_at, seq"

void task_configs_insert(struct dbconn *c, const char *id, const char *name,
                         const char *description, const char *push_config, int64_t created_at,
                         db_result_fn cb, void *arg)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, created_at);
    const char *p[5] = {id, name, description, push_config, at};
    dbconn_query(c,
                 "INSERT INTO task_configurations (id, name, description, push_config,"
                 " created_at) VALUES ($1, $2, $3, $4::jsonb, $5::bigint)",
                 5, p, cb, arg);
}

void task_configs_get(struct db *db, const char *id, db_result_fn cb, void *arg)
{
    const char *p[1] = {id};
    db_query(db, "SELECT " COLUMNS " FROM task_configurations WHERE id = $1", 1, p, cb, arg);
}

void task_configs_list(struct db *db, int64_t after, int64_t limit, db_result_fn cb, void *arg)
{
    char a[24], l[24];
    snprintf(a, sizeof a, "%" PRId64, after);
    snprintf(l, sizeof l, "%" PRId64, limit);
    const char *p[2] = {a, l};
    db_query(db,
             "SELECT " COLUMNS " FROM task_configurations WHERE seq > $1::bigint"
             " ORDER BY seq LIMIT $2::bigint",
             2, p, cb, arg);
}

void task_configs_delete(struct db *db, const char *id, db_result_fn cb, void *arg)
{
    const char *p[1] = {id};
    db_query(db, "DELETE FROM task_configurations WHERE id = $1 RETURNING id", 1, p, cb, arg);
}
