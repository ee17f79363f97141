/*
 * health: GET /healthz (the process is up), GET /readyz (PostgreSQL and Redis reachable: a live
 * SELECT 1 and PING, 503 ServiceUnavailableException otherwise), GET /metrics (Prometheus).
 */
#ifndef OTAD_API_HEALTH_H
#define OTAD_API_HEALTH_H

struct req;

/** GET /healthz */
void health_live(struct req *r);

/** GET /readyz */
void health_ready(struct req *r);

/** GET /metrics */
void health_metrics(struct req *r);

#endif
