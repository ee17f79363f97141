/*
 * http: the libevent evhttp server: listening socket(s), request intake (request id, arena,
 * body cap, routing, authentication hook), replies, the access log and per-route metrics.
 */
#ifndef OTAD_API_HTTP_H
#define OTAD_API_HTTP_H

#include "engine/oerr.h"

struct app;
struct http;

/** Create a listening TCP socket bound to host:port (port 0 = any); *port gets the bound port.
 *  Returns the fd, or -1 with err. */
int http_listen_socket(const char *host, int port, int *bound_port, struct oerr *err);

/** A server for app on an already listening fd. Free with http_free(). */
struct http *http_new(struct app *app, int fd, struct oerr *err);

/** Stop accepting; in-flight requests finish. */
void http_stop_accepting(struct http *h);

/** Requests in flight. */
int http_inflight(const struct http *h);

/** Free the server; accepts NULL. */
void http_free(struct http *h);

#endif
