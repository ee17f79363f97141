/*
 * things: parameterised SQL for managed things. The list statement is one fixed text whose
 * filters are switched off by NULL parameters ($n IS NULL OR column = $n), so no SQL is ever
 * assembled at run time.
 */
#include "store/things.h"

#include <inttypes.h>
#include <stdio.h>

#define COLUMNS "id, arn, doc::text, provisioning_status, created_at, updated_at, activated_at, seq"

/* What a summary never shows: kept out of list rows so pages stay small. */
#define LIST_COLUMNS                                                                               \
    "id, arn, (doc - 'CapabilityReport' - 'CapabilitySchemas' - 'Capabilities' - 'MetaData'"       \
    " - 'Tags' - 'AuthenticationMaterial')::text, provisioning_status, created_at, updated_at,"    \
    " activated_at, seq"

void things_create(struct dbconn *c, const char *id, const char *arn, const char *doc,
                   const char *provisioning_status, int64_t now, db_result_fn cb, void *arg)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, now);
    const char *p[5] = {id, arn, doc, provisioning_status, at};
    dbconn_query(c,
                 "INSERT INTO things (id, arn, doc, provisioning_status, created_at, updated_at)"
                 " VALUES ($1, $2, $3::jsonb, $4, $5::bigint, $5::bigint) RETURNING id",
                 5, p, cb, arg);
}

void things_get(struct db *db, const char *id, db_result_fn cb, void *arg)
{
    const char *p[1] = {id};
    db_query(db, "SELECT " COLUMNS " FROM things WHERE id = $1", 1, p, cb, arg);
}

void things_list(struct db *db, const struct things_filter *f, int64_t after, int64_t limit,
                 db_result_fn cb, void *arg)
{
    char a[24], l[24];
    snprintf(a, sizeof a, "%" PRId64, after);
    snprintf(l, sizeof l, "%" PRId64, limit);
    const char *p[11] = {a,
                         l,
                         f->owner,
                         f->credential_locker_id,
                         f->role,
                         f->parent_controller_id,
                         f->connector_policy_id,
                         f->connector_destination_id,
                         f->connector_device_id,
                         f->serial_number,
                         f->provisioning_status};
    db_query(db,
             "SELECT " LIST_COLUMNS " FROM things WHERE seq > $1::bigint"
             " AND ($3::text IS NULL OR owner = $3)"
             " AND ($4::text IS NULL OR credential_locker_id = $4)"
             " AND ($5::text IS NULL OR role = $5)"
             " AND ($6::text IS NULL OR parent_controller_id = $6)"
             " AND ($7::text IS NULL OR connector_policy_id = $7)"
             " AND ($8::text IS NULL OR connector_destination_id = $8)"
             " AND ($9::text IS NULL OR connector_device_id = $9)"
             " AND ($10::text IS NULL OR serial_number = $10)"
             " AND ($11::text IS NULL OR provisioning_status = $11)"
             " ORDER BY seq LIMIT $2::bigint",
             11, p, cb, arg);
}

void things_update(struct db *db, const char *id, const char *patch, int64_t now, db_result_fn cb,
                   void *arg)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, now);
    const char *p[3] = {id, patch, at};
    db_query(db,
             "UPDATE things SET doc = doc || $2::jsonb, updated_at = $3::bigint WHERE id = $1"
             " RETURNING id",
             3, p, cb, arg);
}

void things_delete(struct db *db, const char *id, db_result_fn cb, void *arg)
{
    const char *p[1] = {id};
    db_query(db, "DELETE FROM things WHERE id = $1 RETURNING id", 1, p, cb, arg);
}
