/*
 * metrics: fixed arrays indexed by route; statuses per route are kept in a small list (a route
 * answers only a handful of distinct codes). Gauges from other threads live in a mutex-guarded
 * list of (name, value).
 */
#include "api/metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/router.h"
#include "engine/mem.h"
#include "store/db.h"
#include "store/relay.h"
#include "store/rlink.h"
#include "store/schedthread.h"

#define METRICS_STATUSES 16
#define METRICS_GAUGES   64

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

struct route_stats {
    int status[METRICS_STATUSES];
    uint64_t count[METRICS_STATUSES];
    int nstatus;
    uint64_t hist[NBUCKETS + 1];
    double sum;
    uint64_t total;
};

struct gauge {
    const char *name;
    const char *help;
    int64_t value;
};

struct metrics {
    const struct route *table;
    size_t n;
    struct route_stats *stats; /* n + 1: the last is "unmatched" */
    pthread_mutex_t lock;
    struct gauge gauges[METRICS_GAUGES];
    int ngauges;
};

struct metrics *metrics_new(const struct route *table, size_t n)
{
    struct metrics *m = xcalloc(1, sizeof *m);
    m->table = table;
    m->n = n;
    m->stats = xcalloc(n + 1, sizeof *m->stats);
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void metrics_free(struct metrics *m)
{
    if (m == NULL)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m->stats);
    free(m);
}

void metrics_observe(struct metrics *m, const struct route *route, int status, double seconds)
{
    size_t idx = route != NULL ? (size_t)(route - m->table) : m->n;
    if (idx > m->n)
        idx = m->n;
    struct route_stats *s = &m->stats[idx];
    int i;
    for (i = 0; i < s->nstatus; i++) {
        if (s->status[i] == status)
            break;
    }
    if (i == s->nstatus && s->nstatus < METRICS_STATUSES) {
        s->status[i] = status;
        s->nstatus++;
    }
    if (i < METRICS_STATUSES)
        s->count[i]++;
    size_t b = 0;
    while (b < NBUCKETS && seconds > buckets[b])
        b++;
    s->hist[b]++;
    s->sum += seconds;
    s->total++;
}

void metrics_set_gauge(struct metrics *m, const char *name, const char *help, int64_t value)
{
    pthread_mutex_lock(&m->lock);
    int i;
    for (i = 0; i < m->ngauges; i++) {
        if (m->gauges[i].name == name || strcmp(m->gauges[i].name, name) == 0)
            break;
    }
    if (i == m->ngauges && m->ngauges < METRICS_GAUGES) {
        m->gauges[i].name = name;
        m->gauges[i].help = help;
        m->ngauges++;
    }
    if (i < METRICS_GAUGES)
        m->gauges[i].value = value;
    pthread_mutex_unlock(&m->lock);
}

struct out {
    char *buf;
    size_t len, cap;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void outf(struct out *o, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        o->cap = o->cap * 2 + (size_t)n;
        o->buf = xrealloc(o->buf, o->cap);
    }
}

char *metrics_render(struct metrics *m, const struct app *app, size_t *len)
{
    struct out o = {xmalloc(8192), 0, 8192};
    o.buf[0] = '\0';
    outf(&o, "# HELP otad_http_requests_total HTTP requests by operation and status.\n"
             "# TYPE otad_http_requests_total counter\n");
    for (size_t r = 0; r <= m->n; r++) {
        const char *op = r < m->n ? m->table[r].op : "unmatched";
        const struct route_stats *s = &m->stats[r];
        for (int i = 0; i < s->nstatus; i++)
            outf(&o, "otad_http_requests_total{op=\"%s\",status=\"%d\"} %llu\n", op, s->status[i],
                 (unsigned long long)s->count[i]);
    }
    outf(&o, "# HELP otad_http_request_duration_seconds Request latency by operation.\n"
             "# TYPE otad_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r <= m->n; r++) {
        const struct route_stats *s = &m->stats[r];
        if (s->total == 0)
            continue;
        const char *op = r < m->n ? m->table[r].op : "unmatched";
        uint64_t cum = 0;
        for (size_t b = 0; b < NBUCKETS; b++) {
            cum += s->hist[b];
            outf(&o, "otad_http_request_duration_seconds_bucket{op=\"%s\",le=\"%g\"} %llu\n", op,
                 buckets[b], (unsigned long long)cum);
        }
        outf(&o, "otad_http_request_duration_seconds_bucket{op=\"%s\",le=\"+Inf\"} %llu\n", op,
             (unsigned long long)s->total);
        outf(&o, "otad_http_request_duration_seconds_sum{op=\"%s\"} %.6f\n", op, s->sum);
        outf(&o, "otad_http_request_duration_seconds_count{op=\"%s\"} %llu\n", op,
             (unsigned long long)s->total);
    }
    if (app != NULL && app->db != NULL) {
        struct db_stats ds;
        db_stats(app->db, &ds);
        outf(&o,
             "# HELP otad_db_pool_connections PostgreSQL pool connections by state.\n"
             "# TYPE otad_db_pool_connections gauge\n"
             "otad_db_pool_connections{state=\"configured\"} %d\n"
             "otad_db_pool_connections{state=\"connected\"} %d\n"
             "otad_db_pool_connections{state=\"busy\"} %d\n"
             "# HELP otad_db_pool_queued Requests waiting for a PostgreSQL connection.\n"
             "# TYPE otad_db_pool_queued gauge\n"
             "otad_db_pool_queued %zu\n"
             "# HELP otad_db_queries_total Statements run by the API pool.\n"
             "# TYPE otad_db_queries_total counter\n"
             "otad_db_queries_total{result=\"ok\"} %llu\n"
             "otad_db_queries_total{result=\"error\"} %llu\n"
             "# HELP otad_db_reconnects_total PostgreSQL connections lost by the API pool.\n"
             "# TYPE otad_db_reconnects_total counter\n"
             "otad_db_reconnects_total %llu\n",
             ds.size, ds.connected, ds.busy, ds.queued, (unsigned long long)ds.queries,
             (unsigned long long)ds.errors, (unsigned long long)ds.reconnects);
    }
    if (app != NULL && app->redis != NULL)
        outf(&o,
             "# HELP otad_redis_connected 1 if the API thread's Redis link is up.\n"
             "# TYPE otad_redis_connected gauge\n"
             "otad_redis_connected %d\n",
             rlink_connected(app->redis));
    if (app != NULL && app->sched != NULL) {
        struct scheduler_stats ss;
        schedthread_stats(app->sched, &ss);
        outf(&o,
             "# HELP otad_scheduler_events_total Scheduler work by kind.\n"
             "# TYPE otad_scheduler_events_total counter\n"
             "otad_scheduler_events_total{kind=\"pass\"} %lld\n"
             "otad_scheduler_events_total{kind=\"tick\"} %lld\n"
             "otad_scheduler_events_total{kind=\"queued\"} %lld\n"
             "otad_scheduler_events_total{kind=\"timed_out\"} %lld\n"
             "otad_scheduler_events_total{kind=\"retried\"} %lld\n"
             "otad_scheduler_events_total{kind=\"canceled\"} %lld\n"
             "otad_scheduler_events_total{kind=\"aborted\"} %lld\n"
             "otad_scheduler_events_total{kind=\"failed_tick\"} %lld\n",
             (long long)ss.passes, (long long)ss.ticks, (long long)ss.queued, (long long)ss.expired,
             (long long)ss.retried, (long long)ss.canceled, (long long)ss.aborted,
             (long long)ss.failures);
    }
    if (app != NULL && app->relay != NULL) {
        struct relay_stats rs;
        relay_stats(app->relay, &rs);
        outf(&o,
             "# HELP otad_relay_messages_total Outbox messages acknowledged by Redis.\n"
             "# TYPE otad_relay_messages_total counter\n"
             "otad_relay_messages_total %lld\n"
             "# HELP otad_relay_failures_total Relay batches rolled back.\n"
             "# TYPE otad_relay_failures_total counter\n"
             "otad_relay_failures_total %lld\n"
             "# HELP otad_relay_redis_up 1 if the relay's Redis connection is up.\n"
             "# TYPE otad_relay_redis_up gauge\n"
             "otad_relay_redis_up %d\n",
             (long long)rs.relayed, (long long)rs.failures, rs.redis_up);
    }
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < m->ngauges; i++) {
        const struct gauge *g = &m->gauges[i];
        int counter = strstr(g->name, "_total") != NULL;
        outf(&o, "# HELP %s %s\n# TYPE %s %s\n%s %lld\n", g->name, g->help, g->name,
             counter ? "counter" : "gauge", g->name, (long long)g->value);
    }
    pthread_mutex_unlock(&m->lock);
    *len = o.len;
    return o.buf;
}
