/*
 * settings: INSERT ... ON CONFLICT DO NOTHING, then read back what won.
 */
#include "store/settings.h"

#include <stdio.h>
#include <stdlib.h>

#include <libpq-fe.h>

int settings_clock_origin(const char *conninfo, int64_t real_now_ms, int64_t *origin_ms,
                          struct oerr *err)
{
    PGconn *conn = PQconnectdb(conninfo);
    PGresult *res = NULL;
    char now[32];

    if (PQstatus(conn) != CONNECTION_OK) {
        oerr_set(err, OERR_UNAVAILABLE, "could not connect to postgresql: %s",
                 PQerrorMessage(conn));
        goto fail;
    }
    snprintf(now, sizeof now, "%lld", (long long)real_now_ms);
    const char *params[1] = {now};
    res = PQexecParams(conn,
                       "WITH ins AS (INSERT INTO service_settings (key, value)"
                       " VALUES ('clock_origin_ms', $1) ON CONFLICT (key) DO NOTHING"
                       " RETURNING value)"
                       " SELECT value FROM ins UNION ALL"
                       " SELECT value FROM service_settings WHERE key = 'clock_origin_ms'",
                       1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1) {
        oerr_set(err, OERR_INTERNAL, "could not record the clock origin: %s",
                 PQresultErrorMessage(res));
        goto fail;
    }
    *origin_ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    PQfinish(conn);
    return 0;

fail:
    PQclear(res);
    PQfinish(conn);
    return -1;
}
