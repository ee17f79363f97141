/*
 * idempotency: SQL for ClientToken records.
 */
#include "store/idempotency.h"

#include <inttypes.h>
#include <stdio.h>

void idempotency_lock_get(struct dbconn *c, const char *scope, const char *token, int64_t now,
                          db_result_fn cb, void *arg)
{
    char nowbuf[24];
    snprintf(nowbuf, sizeof nowbuf, "%" PRId64, now);
    const char *p[3] = {scope, token, nowbuf};
    dbconn_query(c,
                 "SELECT i.request_hash, i.status, i.response"
                 " FROM (SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 0))) l"
                 " JOIN idempotency i ON i.scope = $1 AND i.token = $2"
                 " AND i.expires_at > $3::bigint",
                 3, p, cb, arg);
}

void idempotency_put(struct dbconn *c, const char *scope, const char *token, const char *hash,
                     int status, const char *response, int64_t now, db_result_fn cb, void *arg)
{
    char st[16], exp[24];
    snprintf(st, sizeof st, "%d", status);
    snprintf(exp, sizeof exp, "%" PRId64, now + IDEMPOTENCY_TTL_MS);
    const char *p[6] = {scope, token, hash, st, response, exp};
    dbconn_query(c,
                 "INSERT INTO idempotency (scope, token, request_hash, status, response,"
                 " expires_at) VALUES ($1, $2, $3, $4::integer, $5, $6::bigint)"
                 " ON CONFLICT (scope, token) DO UPDATE SET request_hash = EXCLUDED.request_hash,"
                 " status = EXCLUDED.status, response = EXCLUDED.response,"
                 " expires_at = EXCLUDED.expires_at",
                 6, p, cb, arg);
}

void idempotency_purge(struct db *db, int64_t now, db_result_fn cb, void *arg)
{
    char nowbuf[24];
    snprintf(nowbuf, sizeof nowbuf, "%" PRId64, now);
    const char *p[1] = {nowbuf};
    db_query(db, "DELETE FROM idempotency WHERE expires_at <= $1::bigint", 1, p, cb, arg);
}
