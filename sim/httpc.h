/*
 * httpc: the HTTP client of `otasim load`: a bounded pool of keep-alive connections to one
 * endpoint, shared by every simulated device, on the caller's libevent loop (evhttp). Each
 * connection carries one request at a time; requests wait in a FIFO queue while every
 * connection is busy. Requests are SigV4-signed (engine/sigv4.h sigv4_sign, the code otad
 * verifies with) when the pool has keys; the credential-scope service is given per request
 * ("iotmanagedintegrations" or "iot-jobs-data"). Every answer is recorded in the pool's
 * opstats under the request's operation name.
 *
 * Lifetime: callbacks run on the loop; a callback may issue new requests. httpc_free() drops
 * queued and in-flight requests without calling their callbacks.
 */
#ifndef OTAD_SIM_HTTPC_H
#define OTAD_SIM_HTTPC_H

#include <stddef.h>

#include "engine/oerr.h"
#include "sim/opstats.h"

struct event_base;
struct httpc;

/** Default number of connections. */
#define HTTPC_DEFAULT_CONNECTIONS 64
/** Most connections a pool may have. */
#define HTTPC_MAX_CONNECTIONS 4096

struct httpc_config {
    const char *endpoint;   /* "http://host:port" (no path); https is not supported */
    int connections;        /* 1..HTTPC_MAX_CONNECTIONS */
    const char *access_key; /* with secret_key: sign every request; both NULL: do not sign */
    const char *secret_key;
    const char *region;    /* SigV4 region ("us-east-1") */
    int timeout_s;         /* per request, > 0 */
    struct opstats *stats; /* borrowed: every answer is recorded here */
};

/** An answer, borrowed for the duration of the callback. */
struct httpc_response {
    int status;             /* HTTP status; 0 = no answer (connection refused, reset, timeout) */
    const char *error_type; /* X-Amzn-ErrorType (cut at ':'), or what went wrong in transport;
                               NULL for a success */
    const char *body;       /* NUL-terminated (binary bodies are cut at a NUL) */
    size_t body_len;
    double latency_s; /* from sending on a connection to the end of the answer */
};

typedef void (*httpc_done_fn)(void *arg, const struct httpc_response *r);

/** A pool for cfg on base (strings copied). NULL with OERR_INVALID on a bad endpoint. */
struct httpc *httpc_new(struct event_base *base, const struct httpc_config *cfg, struct oerr *err);

/** Free the pool and its connections; accepts NULL. Pending callbacks are never called. */
void httpc_free(struct httpc *c);

/**
 * Queue a request: op names it in the statistics (borrowed: a string literal), method is
 * "GET", "PUT", "POST" or "DELETE", path is already percent-encoded, query (NULL = none) is
 * without '?', body (NULL = none) is JSON, service is the SigV4 service. done(arg, answer) is
 * called once, later, on the loop.
 */
void httpc_request(struct httpc *c, const char *op, const char *method, const char *path,
                   const char *query, const char *body, const char *service, httpc_done_fn done,
                   void *arg);

/** Requests queued or in flight. */
size_t httpc_pending(const struct httpc *c);

/** Requests waiting for a free connection. */
size_t httpc_queued(const struct httpc *c);

/** The endpoint's "host:port" (borrowed). */
const char *httpc_hostport(const struct httpc *c);

#endif
