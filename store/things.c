/*
 * things: parameterised SQL for managed things. The list statement is one fixed text whose
 * filters are switched off by NULL parameters ($n IS NULL OR column = $n), so no SQL is ever
 * assembled at run time.
 */
#include "store/things.h"

#include <inttypes.h>
#include <stdio.h>

#include "store/clock.h"

#define COLUMNS "id, arn, doc::text, provisioning_status, created_at, updated_at, activated_at, seq"

/* pg_advisory_xact_lock key: "otadthev" as a 64-bit number. Every thing change takes it before
 * its thing_events row gets an id and holds it until commit, so event ids commit in id order and
 * a CONTINUOUS task's cursor (tasks.membership_cursor, store/pg_sched.c) never skips an event
 * that commits late. */
#define EVENTS_LOCK "8031151119586059638"

/* CTEs after `chg` (the changed thing's id): its change event for CONTINUOUS OTA tasks, and the
 * wake-up of the active CONTINUOUS tasks (next_tick_at lowered to now, pg_notify at commit).
 * The event's insert draws from the lock, and the wake-up waits for the event, so the lock is
 * taken before the id and before any task row. The statement returns the thing's id (and how
 * many notifications were sent, 0 or 1) when it changed, no row otherwise. */
#define THING_EVENT(deleted, now)                                                                  \
    " ev AS (INSERT INTO thing_events (thing_id, deleted, at) SELECT chg.id, " deleted ", " now    \
    "   FROM chg, (SELECT pg_advisory_xact_lock(" EVENTS_LOCK ")) lk RETURNING id),"               \
    " wake AS (UPDATE tasks SET next_tick_at = " now " WHERE ota_type = 'CONTINUOUS'"              \
    "   AND status IN ('SCHEDULED', 'IN_PROGRESS')"                                                \
    "   AND (next_tick_at IS NULL OR next_tick_at > " now ") AND EXISTS (SELECT 1 FROM ev)"        \
    "   RETURNING 1),"                                                                             \
    " woken AS (SELECT pg_notify('otad_sched', '') FROM (SELECT 1 FROM wake LIMIT 1) w)"           \
    " SELECT id, (SELECT count(*) FROM woken) FROM chg"

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
                 "WITH chg AS (INSERT INTO things (id, arn, doc, provisioning_status, created_at,"
                 " updated_at) VALUES ($1, $2, $3::jsonb, $4, $5::bigint, $5::bigint) RETURNING "
                 "id)," THING_EVENT("false", "$5::bigint"),
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
             "WITH chg AS (UPDATE things SET doc = doc || $2::jsonb, updated_at = $3::bigint"
             " WHERE id = $1 RETURNING id)," THING_EVENT("false", "$3::bigint"),
             3, p, cb, arg);
}

void things_delete(struct db *db, const char *id, db_result_fn cb, void *arg)
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, clock_now_ms());
    const char *p[2] = {id, at};
    db_query(db,
             "WITH chg AS (DELETE FROM things WHERE id = $1 RETURNING id)," THING_EVENT(
                 "true", "$2::bigint"),
             2, p, cb, arg);
}
