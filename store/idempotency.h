/*
 * idempotency: ClientToken records (SPEC.md section 11). Within a transaction, a token's
 * advisory lock serialises requests carrying the same token, so two concurrent retries cannot
 * both create the resource; the record keeps the request's canonical hash and the response.
 */
#ifndef OTAD_STORE_IDEMPOTENCY_H
#define OTAD_STORE_IDEMPOTENCY_H

#include <stdint.h>

#include "store/db.h"

/** Hours a token is remembered. */
#define IDEMPOTENCY_TTL_MS (INT64_C(24) * 3600 * 1000)

/** Result columns of idempotency_lock_get (0 or 1 row). */
enum idempotency_col { IDEMPOTENCY_HASH = 0, IDEMPOTENCY_STATUS, IDEMPOTENCY_RESPONSE };

/** In the transaction on c: lock (scope, token) and read its unexpired record. */
void idempotency_lock_get(struct dbconn *c, const char *scope, const char *token, int64_t now,
                          db_result_fn cb, void *arg);

/** In the transaction on c: store (or replace an expired) record, expiring 24 h after now. */
void idempotency_put(struct dbconn *c, const char *scope, const char *token, const char *hash,
                     int status, const char *response, int64_t now, db_result_fn cb, void *arg);

/** Delete records that expired before now (housekeeping). */
void idempotency_purge(struct db *db, int64_t now, db_result_fn cb, void *arg);

#endif
