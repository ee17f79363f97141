/*
 * notifications: SQL for notification configurations (table notification_configurations):
 * one per event type, naming the destination its events go to. Create and Update check in the
 * same statement that the destination exists (and hold it against a concurrent delete until the
 * transaction ends), so a configuration never starts out pointing at nothing.
 */
#ifndef OTAD_STORE_NOTIFICATIONS_H
#define OTAD_STORE_NOTIFICATIONS_H

#include <stdint.h>

#include "store/db.h"

/** Columns of the rows returned by notifications_get and notifications_list. */
enum notifications_col {
    NOTIFICATIONS_EVENT_TYPE = 0,
    NOTIFICATIONS_DESTINATION_NAME,
    NOTIFICATIONS_TAGS,       /* jsonb text or NULL */
    NOTIFICATIONS_CREATED_AT, /* ms */
    NOTIFICATIONS_UPDATED_AT, /* ms */
    NOTIFICATIONS_SEQ
};

/** Columns of the one row notifications_create and notifications_update return ("t"/"f"). */
enum notifications_write_col {
    NOTIFICATIONS_DESTINATION_EXISTS = 0, /* the named destination exists */
    NOTIFICATIONS_CHANGED,                /* the row was inserted / updated */
    NOTIFICATIONS_CONFIG_EXISTS           /* (update only) a configuration for the type exists */
};

/** In the transaction on c: create the configuration of event_type (tags: JSON object text or
 *  NULL) if destination_name exists and event_type has none yet. */
void notifications_create(struct dbconn *c, const char *event_type, const char *destination_name,
                          const char *tags, int64_t now, db_result_fn cb, void *arg);

/** The configuration of event_type (0 or 1 row). */
void notifications_get(struct db *db, const char *event_type, db_result_fn cb, void *arg);

/** Up to limit configurations with seq > after, in seq order. */
void notifications_list(struct db *db, int64_t after, int64_t limit, db_result_fn cb, void *arg);

/** Point the configuration of event_type at destination_name if both exist. */
void notifications_update(struct db *db, const char *event_type, const char *destination_name,
                          int64_t now, db_result_fn cb, void *arg);

/** Delete the configuration of event_type; the result has one row if it existed. */
void notifications_delete(struct db *db, const char *event_type, db_result_fn cb, void *arg);

#endif
