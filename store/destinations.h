/*
 * destinations: SQL for notification destinations (table destinations). The name is the key;
 * the validated request members live in the jsonb `doc`.
 */
#ifndef OTAD_STORE_DESTINATIONS_H
#define OTAD_STORE_DESTINATIONS_H

#include <stdint.h>

#include "store/db.h"

/** Columns of the rows returned by destinations_get and destinations_list. */
enum destinations_col {
    DESTINATIONS_NAME = 0,
    DESTINATIONS_DOC,        /* jsonb text */
    DESTINATIONS_CREATED_AT, /* ms */
    DESTINATIONS_UPDATED_AT, /* ms */
    DESTINATIONS_SEQ
};

/** Create destination name in the transaction on c (doc: a JSON object text). The result has
 *  one row (the name), or none when a destination of that name exists (nothing is changed). */
void destinations_create(struct dbconn *c, const char *name, const char *doc, int64_t now,
                         db_result_fn cb, void *arg);

/** The destination name (0 or 1 row). */
void destinations_get(struct db *db, const char *name, db_result_fn cb, void *arg);

/** Up to limit destinations with seq > after, in seq order. */
void destinations_list(struct db *db, int64_t after, int64_t limit, db_result_fn cb, void *arg);

/** Merge patch (a JSON object text) into destination name's doc, each member given replacing
 *  the stored one; updated_at = now. The result has one row (the name) if it exists. */
void destinations_update(struct db *db, const char *name, const char *patch, int64_t now,
                         db_result_fn cb, void *arg);

/** Delete destination name; the result has one row (the name) if it existed. */
void destinations_delete(struct db *db, const char *name, db_result_fn cb, void *arg);

#endif
