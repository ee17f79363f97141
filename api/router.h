/*
 * router: the route table lookup on (method, percent-decoded path). A path is split on '/'
 * before decoding, so "%2F" inside a label stays inside it; each segment is then decoded and
 * compared with the template's literal segments or bound to its {Label}. Literal segments win
 * over labels ("PUT /things/{t}/jobs/$next" over "POST /things/{t}/jobs/{jobId}"). A path that
 * matches only with another method is reported as such (405).
 */
#ifndef OTAD_API_ROUTER_H
#define OTAD_API_ROUTER_H

#include <stddef.h>

struct arena;
struct req;

#define ROUTER_MAX_LABELS   4
#define ROUTER_MAX_SEGMENTS 16

/** The surface a route belongs to: decides error shapes and the SigV4 service name. */
enum api_service {
    API_SVC_MI = 0,   /* Managed integrations (iotmanagedintegrations) */
    API_SVC_IOT,      /* AWS IoT (iot) */
    API_SVC_WIRELESS, /* IoT Wireless (iotwireless) */
    API_SVC_JOBS,     /* IoT Jobs data plane (iot-jobs-data) */
    API_SVC_INTERNAL, /* health, readiness, metrics: no auth */
    API_SVC_MAX
};

typedef void (*route_fn)(struct req *r);

struct route {
    const char *method;
    const char *path; /* template, e.g. "/ota-tasks/{Identifier}" */
    const char *op;   /* operation name, e.g. "GetOtaTask" */
    enum api_service svc;
    route_fn fn;
};

struct router_match {
    const struct route *route; /* NULL: no route */
    int method_mismatch;       /* the path exists with another method */
    char allow[64];            /* methods allowed for the path (for 405) */
    int nlabels;
    const char *names[ROUTER_MAX_LABELS];
    const char *values[ROUTER_MAX_LABELS]; /* decoded, in the arena */
};

struct router;

/** A router over table[0..n) (borrowed; must outlive the router). Free with router_free(). */
struct router *router_new(const struct route *table, size_t n);

/** Free; accepts NULL. */
void router_free(struct router *rt);

/** Match method and raw_path (no query string); decoded labels are allocated in a. Returns 0
 *  always; m->route is NULL when nothing matched. A malformed percent-escape matches nothing. */
int router_match(const struct router *rt, const char *method, const char *raw_path, struct arena *a,
                 struct router_match *m);

/** Percent-decode src[0..len) into a NUL-terminated arena string; NULL if malformed. */
char *router_decode(struct arena *a, const char *src, size_t len);

/** The SigV4 credential-scope service name of a surface ("iotmanagedintegrations", ...). */
const char *router_service_name(enum api_service svc);

#endif
