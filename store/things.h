/*
 * things: SQL for managed things (table things). The validated request members live in the
 * jsonb `doc`; the generated columns (owner, role, serial_number, metadata, ...) serve the list
 * filters and the OTA target queries.
 *
 * Every change to a thing goes through exactly one of things_create, things_update and
 * things_delete. Each is a single statement, so whatever must happen atomically with a change
 * (the change events CONTINUOUS OTA tasks consume) can be added to that statement, in this file
 * only, as a data-modifying CTE.
 */
#ifndef OTAD_STORE_THINGS_H
#define OTAD_STORE_THINGS_H

#include <stdint.h>

#include "store/db.h"

/** Columns of the rows returned by things_get and things_list. */
enum things_col {
    THINGS_ID = 0,
    THINGS_ARN,
    THINGS_DOC, /* jsonb text: the stored request members (trimmed by things_list) */
    THINGS_PROVISIONING_STATUS,
    THINGS_CREATED_AT,   /* ms */
    THINGS_UPDATED_AT,   /* ms */
    THINGS_ACTIVATED_AT, /* ms or NULL */
    THINGS_SEQ
};

/** The list filters; NULL members do not filter. Strings are borrowed. */
struct things_filter {
    const char *owner;
    const char *credential_locker_id;
    const char *role;
    const char *parent_controller_id;
    const char *connector_policy_id;
    const char *connector_destination_id;
    const char *connector_device_id;
    const char *serial_number;
    const char *provisioning_status;
};

/** Create a thing in the transaction on c (doc: a JSON object text); the result has one row
 *  (the id). The one entry point for creating a thing. */
void things_create(struct dbconn *c, const char *id, const char *arn, const char *doc,
                   const char *provisioning_status, int64_t now, db_result_fn cb, void *arg);

/** The thing id (0 or 1 row). */
void things_get(struct db *db, const char *id, db_result_fn cb, void *arg);

/** Up to limit things with seq > after matching every non-NULL filter, in seq order; the doc
 *  column leaves out the bulky members a summary does not show. */
void things_list(struct db *db, const struct things_filter *f, int64_t after, int64_t limit,
                 db_result_fn cb, void *arg);

/** Merge patch (a JSON object text) into thing id's doc: each member given replaces the stored
 *  one whole; updated_at = now. The result has one row (the id) if the thing exists. The one
 *  entry point for changing a thing. */
void things_update(struct db *db, const char *id, const char *patch, int64_t now, db_result_fn cb,
                   void *arg);

/** Delete thing id; the result has one row (the id) if it existed. The one entry point for
 *  removing a thing. */
void things_delete(struct db *db, const char *id, db_result_fn cb, void *arg);

#endif
