/*
 * db: an asynchronous PostgreSQL connection pool on one libevent loop (nonblocking libpq).
 *
 * Queries are parameterised only ($n with text parameters). A query goes to an idle connection
 * or waits in a bounded FIFO; its callback runs on the loop with the result, which is valid only
 * for the duration of the callback (the pool clears it afterwards). A lost connection fails its
 * in-flight query with OERR_UNAVAILABLE and is re-established in the background with capped
 * exponential backoff and jitter; while no connection is up, new queries fail at once with
 * OERR_UNAVAILABLE (the API answers 503) instead of queueing.
 *
 * A transaction takes a connection for itself: db_acquire() hands a struct dbconn to the
 * callback; the caller runs dbconn_query() calls (BEGIN ... COMMIT) and must call
 * dbconn_release() exactly once; a connection released inside an open transaction is rolled
 * back first.
 *
 * Not thread-safe: a pool belongs to the thread that runs its event loop.
 */
#ifndef OTAD_STORE_DB_H
#define OTAD_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include "engine/oerr.h"

struct event_base;
struct db;
struct dbconn;
struct dbres;

/** Called with the result (res non-NULL, err NULL) or the failure (res may be non-NULL for SQL
 *  errors so the SQLSTATE can be read; err non-NULL). Both are valid only during the call. */
typedef void (*db_result_fn)(void *arg, const struct dbres *res, const struct oerr *err);

/** Called with a leased connection, or with conn NULL and err set if none could be had. */
typedef void (*db_conn_fn)(void *arg, struct dbconn *conn, const struct oerr *err);

/** Pool statistics (for /metrics). */
struct db_stats {
    int size;         /* configured connections */
    int connected;    /* connections up */
    int busy;         /* connections running a query or leased */
    size_t queued;    /* requests waiting for a connection */
    uint64_t queries; /* queries completed */
    uint64_t errors;  /* queries failed */
    uint64_t reconnects;
};

/** A pool of size connections to conninfo on base; connecting starts at once in the
 *  background. Free with db_free(). */
struct db *db_new(struct event_base *base, const char *conninfo, int size);

/** Close every connection and fail pending requests with OERR_UNAVAILABLE; accepts NULL. */
void db_free(struct db *db);

/** 1 if at least one connection is up. */
int db_ready(const struct db *db);

/** Current statistics. */
void db_stats(const struct db *db, struct db_stats *out);

/** Run one statement with nparams text parameters (NULL entries are SQL NULL). The parameter
 *  strings are copied; cb runs later on the loop (never inside this call). */
void db_query(struct db *db, const char *sql, int nparams, const char *const *params,
              db_result_fn cb, void *arg);

/** Lease a connection for a transaction; cb runs later on the loop. */
void db_acquire(struct db *db, db_conn_fn cb, void *arg);

/** Run a statement on a leased connection (one at a time per connection). */
void dbconn_query(struct dbconn *c, const char *sql, int nparams, const char *const *params,
                  db_result_fn cb, void *arg);

/** BEGIN on a leased connection. */
void dbconn_begin(struct dbconn *c, db_result_fn cb, void *arg);

/** COMMIT on a leased connection. */
void dbconn_commit(struct dbconn *c, db_result_fn cb, void *arg);

/** Return a leased connection to the pool (rolling back an open transaction first). */
void dbconn_release(struct dbconn *c);

/** Rows in a result. */
int dbres_ntuples(const struct dbres *r);

/** Columns in a result. */
int dbres_nfields(const struct dbres *r);

/** The text of a value; "" for NULL. Valid while the result is. */
const char *dbres_get(const struct dbres *r, int row, int col);

/** Length in bytes of a value. */
int dbres_len(const struct dbres *r, int row, int col);

/** 1 if the value is SQL NULL. */
int dbres_isnull(const struct dbres *r, int row, int col);

/** A value parsed as int64 (0 for NULL or garbage). */
int64_t dbres_i64(const struct dbres *r, int row, int col);

/** A value parsed as double (0 for NULL or garbage). */
double dbres_f64(const struct dbres *r, int row, int col);

/** The SQLSTATE of a failed statement ("" if none), e.g. "23505" for unique_violation. */
const char *dbres_sqlstate(const struct dbres *r);

/** Rows affected by an INSERT/UPDATE/DELETE. */
int64_t dbres_affected(const struct dbres *r);

#endif
