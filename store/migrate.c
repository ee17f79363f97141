/*
 * migrate: applies the embedded migrations under a session advisory lock.
 */
#include "store/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store/log.h"

/* pg_advisory_lock key: "otadmigr" as a 64-bit number */
#define MIGRATE_LOCK_KEY "8031723651706201458"

/* Server notices ("relation ... already exists, skipping") go to the log at debug level, not
   to stderr as libpq would print them. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    log_debug("postgresql: %s", message);
}

static int exec_ok(PGconn *conn, const char *sql, int nparams, const char *const *params,
                   struct oerr *err, const char *what)
{
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        oerr_set(err, OERR_INTERNAL, "%s: %s", what, PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    PQclear(res);
    return 0;
}

int migrate_latest(void)
{
    int v = 0;
    for (const struct migrate_file *f = migrate_files; f->name != NULL; f++)
        v = f->version;
    return v;
}

int migrate_apply(const char *conninfo, int *applied, struct oerr *err)
{
    PGconn *conn = NULL;
    PGresult *res = NULL;
    int locked = 0;
    int count = 0;

    conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        oerr_set(err, OERR_UNAVAILABLE, "could not connect to postgresql: %s",
                 PQerrorMessage(conn));
        goto fail;
    }
    PQsetNoticeProcessor(conn, on_notice, NULL);
    const char *lock_params[1] = {MIGRATE_LOCK_KEY};
    if (exec_ok(conn, "SELECT pg_advisory_lock($1::bigint)", 1, lock_params, err,
                "could not take the migrations lock") < 0)
        goto fail;
    locked = 1;
    if (exec_ok(conn,
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())",
                0, NULL, err, "could not create schema_migrations") < 0)
        goto fail;

    for (const struct migrate_file *f = migrate_files; f->name != NULL; f++) {
        char version[16];
        snprintf(version, sizeof version, "%d", f->version);
        const char *params[2] = {version, f->name};
        res = PQexecParams(conn, "SELECT 1 FROM schema_migrations WHERE version = $1::integer", 1,
                           NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            oerr_set(err, OERR_INTERNAL, "could not read schema_migrations: %s",
                     PQresultErrorMessage(res));
            goto fail;
        }
        int done = PQntuples(res) > 0;
        PQclear(res);
        res = NULL;
        if (done)
            continue;
        if (exec_ok(conn, "BEGIN", 0, NULL, err, "could not begin") < 0)
            goto fail;
        res = PQexec(conn, f->sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
            oerr_set(err, OERR_INTERNAL, "migration %s failed: %s", f->name,
                     PQresultErrorMessage(res));
            PQclear(res);
            res = NULL;
            exec_ok(conn, "ROLLBACK", 0, NULL, NULL, "rollback");
            goto fail;
        }
        PQclear(res);
        res = NULL;
        if (exec_ok(conn, "INSERT INTO schema_migrations (version, name) VALUES ($1::integer, $2)",
                    2, params, err, "could not record migration") < 0 ||
            exec_ok(conn, "COMMIT", 0, NULL, err, "could not commit migration") < 0) {
            exec_ok(conn, "ROLLBACK", 0, NULL, NULL, "rollback");
            goto fail;
        }
        log_info("applied migration %s", f->name);
        count++;
    }
    exec_ok(conn, "SELECT pg_advisory_unlock($1::bigint)", 1, lock_params, NULL, "unlock");
    PQfinish(conn);
    if (applied != NULL)
        *applied = count;
    return 0;

fail:
    if (res != NULL)
        PQclear(res);
    if (locked) {
        const char *p[1] = {MIGRATE_LOCK_KEY};
        exec_ok(conn, "SELECT pg_advisory_unlock($1::bigint)", 1, p, NULL, "unlock");
    }
    PQfinish(conn);
    return -1;
}
