/*
 * health: liveness, readiness and metrics. Readiness probes both dependencies for real (a
 * statement through the pool and a PING on the Redis link) and answers when both are back.
 */
#include "api/health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/metrics.h"
#include "api/req.h"
#include "engine/arena.h"
#include "store/db.h"
#include "store/rlink.h"

struct probe {
    struct req *r;
    int pending;
    int pg_ok;
    int redis_ok;
};

static void probe_done(struct probe *p)
{
    if (--p->pending > 0)
        return;
    struct req *r = p->r;
    if (p->pg_ok && p->redis_ok) {
        const char *body = "{\"status\":\"ready\",\"postgresql\":\"ok\",\"redis\":\"ok\"}";
        req_reply_text(r, 200, "application/json", body, strlen(body));
        return;
    }
    req_reply_error_type(r, 503, "ServiceUnavailableException",
                         "not ready: postgresql %s, redis %s", p->pg_ok ? "ok" : "unreachable",
                         p->redis_ok ? "ok" : "unreachable");
}

static void on_pg(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct probe *p = arg;
    p->pg_ok = (err == NULL && res != NULL && dbres_ntuples(res) == 1);
    probe_done(p);
}

static void on_redis(void *arg, int ok)
{
    struct probe *p = arg;
    p->redis_ok = ok;
    probe_done(p);
}

void health_live(struct req *r)
{
    const char *body = "{\"status\":\"up\"}";
    req_reply_text(r, 200, "application/json", body, strlen(body));
}

void health_ready(struct req *r)
{
    struct app *app = req_app(r);
    struct probe *p = arena_calloc(req_arena(r), 1, sizeof *p);
    p->r = r;
    p->pending = 2;
    db_query(app->db, "SELECT 1", 0, NULL, on_pg, p);
    rlink_ping(app->redis, on_redis, p);
}

void health_metrics(struct req *r)
{
    struct app *app = req_app(r);
    size_t len;
    char *text = metrics_render(app->metrics, app, &len);
    req_reply_text(r, 200, "text/plain; version=0.0.4", text, len);
    free(text);
}
