/*
 * httpc: the connection pool (see httpc.h). Invariants: a connection's `cur` is the one
 * request it carries (NULL = free); a request is either in the queue or on exactly one
 * connection; pump() runs whenever a connection frees up or a request is queued, so no request
 * waits while a connection is free. libevent calls the request callback after the connection
 * went idle again, so the callback may send the next request on the same connection.
 */
#include "sim/httpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "engine/mem.h"
#include "engine/sigv4.h"

struct hreq {
    struct hreq *next;
    const char *op;
    enum evhttp_cmd_type cmd;
    char *method;
    char *path, *query, *body;
    const char *service;
    httpc_done_fn done;
    void *arg;
};

struct conn {
    struct httpc *pool;
    struct evhttp_connection *evcon;
    struct hreq *cur;
    struct timespec sent;
    enum evhttp_request_error error; /* of the current request, if the error callback ran */
    int errored;
};

struct httpc {
    struct event_base *base;
    char *host, *hostport, *access_key, *secret_key, *region;
    int port, timeout_s;
    struct opstats *stats;
    struct conn *conns;
    int n_conns;
    struct hreq *head, *tail; /* queue */
    size_t queued, in_flight;
    char *buf; /* the answer being handed to a callback */
    size_t buf_cap;
};

static void pump(struct httpc *c);

struct httpc *httpc_new(struct event_base *base, const struct httpc_config *cfg, struct oerr *err)
{
    struct evhttp_uri *uri = evhttp_uri_parse(cfg->endpoint);
    struct httpc *c = NULL;
    if (uri == NULL) {
        oerr_set(err, OERR_INVALID, "endpoint '%s' is not a URL such as http://127.0.0.1:8080",
                 cfg->endpoint);
        goto fail;
    }
    const char *scheme = evhttp_uri_get_scheme(uri);
    const char *host = evhttp_uri_get_host(uri);
    const char *path = evhttp_uri_get_path(uri);
    if (scheme == NULL || strcmp(scheme, "http") != 0) {
        oerr_set(err, OERR_INVALID, "endpoint '%s': only http:// is supported", cfg->endpoint);
        goto fail;
    }
    if (host == NULL || host[0] == '\0') {
        oerr_set(err, OERR_INVALID, "endpoint '%s' has no host", cfg->endpoint);
        goto fail;
    }
    if (path != NULL && path[0] != '\0' && strcmp(path, "/") != 0) {
        oerr_set(err, OERR_INVALID, "endpoint '%s' must not have a path", cfg->endpoint);
        goto fail;
    }
    if (cfg->connections < 1 || cfg->connections > HTTPC_MAX_CONNECTIONS) {
        oerr_set(err, OERR_INVALID, "connections must be from 1 to %d", HTTPC_MAX_CONNECTIONS);
        goto fail;
    }
    c = xcalloc(1, sizeof *c);
    c->base = base;
    c->host = xstrdup(host);
    c->port = evhttp_uri_get_port(uri) > 0 ? evhttp_uri_get_port(uri) : 80;
    char hp[300];
    snprintf(hp, sizeof hp, "%s:%d", host, c->port);
    c->hostport = xstrdup(hp);
    c->access_key = cfg->access_key != NULL ? xstrdup(cfg->access_key) : NULL;
    c->secret_key = cfg->secret_key != NULL ? xstrdup(cfg->secret_key) : NULL;
    c->region = xstrdup(cfg->region != NULL ? cfg->region : "us-east-1");
    c->timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : 30;
    c->stats = cfg->stats;
    c->n_conns = cfg->connections;
    c->conns = xcalloc((size_t)c->n_conns, sizeof *c->conns);
    for (int i = 0; i < c->n_conns; i++) {
        struct conn *k = &c->conns[i];
        k->pool = c;
        k->evcon = evhttp_connection_base_new(base, NULL, c->host, (unsigned short)c->port);
        if (k->evcon == NULL) {
            oerr_set(err, OERR_INTERNAL, "could not create an HTTP connection to %s", hp);
            goto fail;
        }
        evhttp_connection_set_timeout(k->evcon, c->timeout_s);
        evhttp_connection_set_retries(k->evcon, 0);
    }
    evhttp_uri_free(uri);
    return c;
fail:
    if (uri != NULL)
        evhttp_uri_free(uri);
    httpc_free(c);
    return NULL;
}

static void hreq_free(struct hreq *q)
{
    if (q == NULL)
        return;
    free(q->method);
    free(q->path);
    free(q->query);
    free(q->body);
    free(q);
}

void httpc_free(struct httpc *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < c->n_conns; i++) {
        if (c->conns[i].evcon != NULL)
            evhttp_connection_free(c->conns[i].evcon); /* cancels its request: no callback */
        hreq_free(c->conns[i].cur);
    }
    while (c->head != NULL) {
        struct hreq *q = c->head;
        c->head = q->next;
        hreq_free(q);
    }
    free(c->conns);
    free(c->host);
    free(c->hostport);
    free(c->access_key);
    free(c->secret_key);
    free(c->region);
    free(c->buf);
    free(c);
}

static enum evhttp_cmd_type cmd_of(const char *method)
{
    if (strcmp(method, "POST") == 0)
        return EVHTTP_REQ_POST;
    if (strcmp(method, "PUT") == 0)
        return EVHTTP_REQ_PUT;
    if (strcmp(method, "DELETE") == 0)
        return EVHTTP_REQ_DELETE;
    return EVHTTP_REQ_GET;
}

void httpc_request(struct httpc *c, const char *op, const char *method, const char *path,
                   const char *query, const char *body, const char *service, httpc_done_fn done,
                   void *arg)
{
    struct hreq *q = xcalloc(1, sizeof *q);
    q->op = op;
    q->cmd = cmd_of(method);
    q->method = xstrdup(method);
    q->path = xstrdup(path);
    q->query = query != NULL && query[0] != '\0' ? xstrdup(query) : NULL;
    q->body = body != NULL ? xstrdup(body) : NULL;
    q->service = service;
    q->done = done;
    q->arg = arg;
    if (c->tail != NULL)
        c->tail->next = q;
    else
        c->head = q;
    c->tail = q;
    c->queued++;
    pump(c);
}

size_t httpc_pending(const struct httpc *c)
{
    return c->queued + c->in_flight;
}

size_t httpc_queued(const struct httpc *c)
{
    return c->queued;
}

const char *httpc_hostport(const struct httpc *c)
{
    return c->hostport;
}

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static const char *transport_error(const struct conn *k)
{
    if (!k->errored)
        return "transport: no answer";
    switch (k->error) {
    case EVREQ_HTTP_TIMEOUT:
        return "transport: timeout";
    case EVREQ_HTTP_EOF:
        return "transport: connection closed";
    case EVREQ_HTTP_INVALID_HEADER:
        return "transport: invalid answer";
    case EVREQ_HTTP_BUFFER_ERROR:
        return "transport: connection refused or reset";
    case EVREQ_HTTP_DATA_TOO_LONG:
        return "transport: answer too long";
    default:
        return "transport: request canceled";
    }
}

/* Finish the connection's request with answer `req` (NULL or code 0: no answer). */
static void on_done(struct evhttp_request *req, void *arg)
{
    struct conn *k = arg;
    struct httpc *c = k->pool;
    struct hreq *q = k->cur;
    struct httpc_response r;
    char etype[128];
    memset(&r, 0, sizeof r);
    k->cur = NULL;
    c->in_flight--;
    r.latency_s = since(&k->sent);
    r.status = req != NULL ? evhttp_request_get_response_code(req) : 0;
    r.body = "";
    if (r.status == 0) {
        r.error_type = transport_error(k);
    } else {
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        size_t len = evbuffer_get_length(in);
        if (len + 1 > c->buf_cap) {
            c->buf_cap = len + 1 > 4096 ? len + 1 : 4096;
            free(c->buf);
            c->buf = xmalloc(c->buf_cap);
        }
        evbuffer_remove(in, c->buf, len);
        c->buf[len] = '\0';
        r.body = c->buf;
        r.body_len = strlen(c->buf);
        if (r.status >= 300) {
            const char *t =
                evhttp_find_header(evhttp_request_get_input_headers(req), "X-Amzn-ErrorType");
            size_t n = t != NULL ? strcspn(t, ":") : 0;
            if (n >= sizeof etype)
                n = sizeof etype - 1;
            if (t != NULL)
                memcpy(etype, t, n);
            etype[n] = '\0';
            r.error_type = n > 0 ? etype : NULL;
        }
    }
    if (c->stats != NULL)
        opstats_record(c->stats, q->op, r.latency_s, r.status, r.error_type);
    q->done(q->arg, &r);
    hreq_free(q);
    pump(c);
}

static void on_error(enum evhttp_request_error e, void *arg)
{
    struct conn *k = arg;
    k->error = e;
    k->errored = 1;
}

static void fail_now(struct conn *k, const char *why)
{
    struct httpc *c = k->pool;
    struct hreq *q = k->cur;
    struct httpc_response r = {.status = 0, .error_type = why, .body = ""};
    k->cur = NULL;
    c->in_flight--;
    if (c->stats != NULL)
        opstats_record(c->stats, q->op, 0, 0, why);
    q->done(q->arg, &r);
    hreq_free(q);
}

/* Send q on k; the answer comes to on_done. */
static void send_on(struct conn *k, struct hreq *q)
{
    struct httpc *c = k->pool;
    char date[SIGV4_DATE_LEN + 1], clen[32], *auth = NULL, *uri = NULL;
    struct oerr err;
    struct timeval tv;
    k->cur = q;
    k->errored = 0;
    c->in_flight++;
    struct evhttp_request *req = evhttp_request_new(on_done, k);
    evhttp_request_set_error_cb(req, on_error);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    size_t blen = q->body != NULL ? strlen(q->body) : 0;
    gettimeofday(&tv, NULL);
    sigv4_format_date((int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000, date);
    evhttp_add_header(h, "Host", c->hostport);
    evhttp_add_header(h, "X-Amz-Date", date);
    evhttp_add_header(h, "Accept", "application/json");
    if (q->body != NULL) {
        evhttp_add_header(h, "Content-Type", "application/json");
        snprintf(clen, sizeof clen, "%zu", blen);
        evhttp_add_header(h, "Content-Length", clen);
        evbuffer_add(evhttp_request_get_output_buffer(req), q->body, blen);
    }
    if (c->access_key != NULL && c->secret_key != NULL) {
        struct sigv4_header sh[3] = {
            {"host", c->hostport}, {"x-amz-date", date}, {"content-type", "application/json"}};
        struct sigv4_request rq = {.method = q->method,
                                   .path = q->path,
                                   .query = q->query,
                                   .headers = sh,
                                   .nheaders = q->body != NULL ? 3 : 2,
                                   .body = q->body,
                                   .body_len = blen};
        if (sigv4_sign(&rq, c->access_key, c->secret_key, c->region, q->service, &auth, &err) < 0) {
            evhttp_request_free(req);
            fail_now(k, "signing failed");
            return;
        }
        evhttp_add_header(h, "Authorization", auth);
        free(auth);
    }
    size_t ulen = strlen(q->path) + (q->query != NULL ? strlen(q->query) + 1 : 0) + 1;
    uri = xmalloc(ulen);
    snprintf(uri, ulen, "%s%s%s", q->path, q->query != NULL ? "?" : "",
             q->query != NULL ? q->query : "");
    clock_gettime(CLOCK_MONOTONIC, &k->sent);
    /* on failure libevent has freed req already */
    if (evhttp_make_request(k->evcon, req, q->cmd, uri) != 0)
        fail_now(k, "transport: could not send");
    free(uri);
}

static void pump(struct httpc *c)
{
    for (int i = 0; i < c->n_conns && c->head != NULL; i++) {
        struct conn *k = &c->conns[i];
        if (k->cur != NULL)
            continue;
        struct hreq *q = c->head;
        c->head = q->next;
        if (c->head == NULL)
            c->tail = NULL;
        q->next = NULL;
        c->queued--;
        send_on(k, q);
    }
}
