/*
 * destinations: parameterised SQL for destinations. Create uses ON CONFLICT DO NOTHING so a
 * taken name is an empty result, not an error that would abort the caller's transaction.
 */
#include "store/destinations.h"

#include <inttypes.h>
#include <stdio.h>

#define COLUMNS "name, doc::text, created_at, updated_at, seq"

void destinations_create(struct dbconn *c, const char *name, const char *doc, int64_t now,
                         db_result_fn cb, void *arg)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, now);
    const char *p[3] = {name, doc, at};
    dbconn_query(c,
                 "INSERT INTO destinations (name, doc, created_at, updated_at)"
                 " VALUES ($1, $2::jsonb, $3::bigint, $3::bigint)"
                 " ON CONFLICT (name) DO NOTHING RETURNING name",
                 3, p, cb, arg);
}

void destinations_get(struct db *db, const char *name, db_result_fn cb, void *arg)
{
    const char *p[1] = {name};
    db_query(db, "SELECT " COLUMNS " FROM destinations WHERE name = $1", 1, p, cb, arg);
}

void destinations_list(struct db *db, int64_t after, int64_t limit, db_result_fn cb, void *arg)
{
    char a[24], l[24];
    snprintf(a, sizeof a, "%" PRId64, after);
    snprintf(l, sizeof l, "%" PRId64, limit);
    const char *p[2] = {a, l};
    db_query(db,
             "SELECT " COLUMNS " FROM destinations WHERE seq > $1::bigint"
             " ORDER BY seq LIMIT $2::bigint",
             2, p, cb, arg);
}

void destinations_update(struct db *db, const char *name, const char *patch, int64_t now,
                         db_result_fn cb, void *arg)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, now);
    const char *p[3] = {name, patch, at};
    db_query(db,
             "UPDATE destinations SET doc = doc || $2::jsonb, updated_at = $3::bigint"
             " WHERE name = $1 RETURNING name",
             3, p, cb, arg);
}

void destinations_delete(struct db *db, const char *name, db_result_fn cb, void *arg)
{
    const char *p[1] = {name};
    db_query(db, "DELETE FROM destinations WHERE name = $1 RETURNING name", 1, p, cb, arg);
}
