/*
 * notifications: parameterised SQL for notification configurations. The writes are single
 * statements whose CTEs report what happened (destination missing, type taken, row missing),
 * so the caller can answer precisely without a second round trip or an aborted transaction.
 */
#include "store/notifications.h"

#include <inttypes.h>
#include <stdio.h>

#define COLUMNS "event_type, destination_name, tags::text, created_at, updated_at, seq"

void notifications_create(struct dbconn *c, const char *event_type, const char *destination_name,
                          const char *tags, int64_t now, db_result_fn cb, void *arg)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, now);
    const char *p[4] = {event_type, destination_name, tags, at};
    dbconn_query(c,
                 "WITH d AS (SELECT name FROM destinations WHERE name = $2 FOR KEY SHARE),"
                 " ins AS (INSERT INTO notification_configurations (event_type, destination_name,"
                 " tags, created_at, updated_at) SELECT $1, d.name, $3::jsonb, $4::bigint,"
                 " $4::bigint FROM d ON CONFLICT (event_type) DO NOTHING RETURNING event_type)"
                 " SELECT EXISTS (SELECT 1 FROM d), EXISTS (SELECT 1 FROM ins)",
                 4, p, cb, arg);
}

void notifications_get(struct db *db, const char *event_type, db_result_fn cb, void *arg)
{
    const char *p[1] = {event_type};
    db_query(db, "SELECT " COLUMNS " FROM notification_configurations WHERE event_type = $1", 1, p,
             cb, arg);
}

void notifications_list(struct db *db, int64_t after, int64_t limit, db_result_fn cb, void *arg)
{
    char a[24], l[24];
    snprintf(a, sizeof a, "%" PRId64, after);
    snprintf(l, sizeof l, "%" PRId64, limit);
    const char *p[2] = {a, l};
    db_query(db,
             "SELECT " COLUMNS " FROM notification_configurations WHERE seq > $1::bigint"
             " ORDER BY seq LIMIT $2::bigint",
             2, p, cb, arg);
}

void notifications_update(struct db *db, const char *event_type, const char *destination_name,
                          int64_t now, db_result_fn cb, void *arg)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, now);
    const char *p[3] = {event_type, destination_name, at};
    db_query(db,
             "WITH d AS (SELECT name FROM destinations WHERE name = $2 FOR KEY SHARE),"
             " upd AS (UPDATE notification_configurations SET destination_name = $2,"
             " updated_at = $3::bigint WHERE event_type = $1 AND EXISTS (SELECT 1 FROM d)"
             " RETURNING event_type)"
             " SELECT EXISTS (SELECT 1 FROM d), EXISTS (SELECT 1 FROM upd),"
             " EXISTS (SELECT 1 FROM notification_configurations WHERE event_type = $1)",
             3, p, cb, arg);
}

void notifications_delete(struct db *db, const char *event_type, db_result_fn cb, void *arg)
{
    const char *p[1] = {event_type};
    db_query(db,
             "DELETE FROM notification_configurations WHERE event_type = $1 RETURNING event_type",
             1, p, cb, arg);
}
