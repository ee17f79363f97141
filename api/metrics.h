/*
 * metrics: request counters by route and status, a latency histogram per route, and gauges
 * read at render time (PostgreSQL pool, Redis link, and what other threads publish through
 * metrics_set_gauge()), rendered in the Prometheus text format for GET /metrics. Request
 * observations come from the API thread only; gauges may be set from any thread.
 */
#ifndef OTAD_API_METRICS_H
#define OTAD_API_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct app;
struct metrics;
struct route;

/** Metrics for the routes of table[0..n) (borrowed). Free with metrics_free(). */
struct metrics *metrics_new(const struct route *table, size_t n);

/** Free; accepts NULL. */
void metrics_free(struct metrics *m);

/** Count one request: route is an entry of the table, or NULL when nothing matched. */
void metrics_observe(struct metrics *m, const struct route *route, int status, double seconds);

/** Publish a named gauge or counter value (thread-safe); name must be a static string
 *  in Prometheus syntax, e.g. "otad_scheduler_ticks_total". */
void metrics_set_gauge(struct metrics *m, const char *name, const char *help, int64_t value);

/** Render everything; the caller frees the string. */
char *metrics_render(struct metrics *m, const struct app *app, size_t *len);

#endif
