/*
 * http: intake and reply of every HTTP request on libevent's evhttp.
 *
 * Intake: request id, arena (from a free list), query parsing, routing (404/405), the body cap
 * (400 in the surface's error shape; evhttp's own hard limit is 8x the cap, so only absurd
 * bodies meet libevent's plain 413), authentication, then the handler. Replies: exactly one per
 * request, through send_reply(), which adds X-Amzn-RequestId, counts metrics, writes the
 * access log line and recycles the request. Errors all pass through send_error() (the funnel).
 *
 * A client that disconnects before the reply does not invalidate the request: evhttp keeps it
 * until evhttp_send_reply(), which then frees it.
 */
#include "api/http.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "api/app.h"
#include "api/auth.h"
#include "api/config.h"
#include "api/metrics.h"
#include "api/req.h"
#include "api/router.h"
#include "api/routes.h"
#include "engine/arena.h"
#include "engine/mem.h"
#include "store/clock.h"
#include "store/log.h"

#define REQ_ARENA_CHUNK 16384
#define REQ_MAX_QUERY   64
#define REQ_FREE_MAX    256
#define REQ_HEADERS_CAP (64 * 1024)
#define REQ_TIMEOUT_S   60

struct cleanup {
    struct cleanup *next;
    void (*fn)(void *);
    void *arg;
};

struct req {
    struct req *next_free;
    struct http *http;
    struct evhttp_request *ev;
    struct arena *arena;
    char id[40];
    struct timespec t0;
    int64_t now;
    const char *method;
    const char *uri;
    struct router_match match;
    const char *qkeys[REQ_MAX_QUERY];
    const char *qvals[REQ_MAX_QUERY];
    int nq;
    const char *body;
    size_t body_len;
    cJSON *json;
    int json_done;
    struct oerr json_err;
    int replied;
    struct cleanup *cleanups;
};

struct http {
    struct app *app;
    struct evhttp *evh;
    struct evhttp_bound_socket *sock;
    struct router *router;
    int inflight;
    struct req *free_list;
    int nfree;
    uint64_t rng[2];
};

/* ---- request ids ---- */

static uint64_t rng_next(struct http *h)
{
    /* xorshift128+ */
    uint64_t s1 = h->rng[0];
    const uint64_t s0 = h->rng[1];
    h->rng[0] = s0;
    s1 ^= s1 << 23;
    h->rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    return h->rng[1] + s0;
}

static void make_id(struct http *h, char *out, size_t len)
{
    uint64_t a = rng_next(h), b = rng_next(h);
    snprintf(out, len, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)((a >> 16) & 0xffff), (unsigned)(a & 0xfff),
             (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
             (unsigned long long)(b & 0xffffffffffffULL));
}

/* ---- request lifecycle ---- */

static struct req *req_get(struct http *h)
{
    struct req *r = h->free_list;
    if (r != NULL) {
        h->free_list = r->next_free;
        h->nfree--;
        struct arena *a = r->arena;
        memset(r, 0, sizeof *r);
        r->arena = a;
    } else {
        r = xcalloc(1, sizeof *r);
        r->arena = arena_new(REQ_ARENA_CHUNK);
    }
    r->http = h;
    h->inflight++;
    return r;
}

static void req_put(struct req *r)
{
    struct http *h = r->http;
    while (r->cleanups != NULL) {
        struct cleanup *c = r->cleanups;
        r->cleanups = c->next;
        c->fn(c->arg);
    }
    if (r->json != NULL)
        cJSON_Delete(r->json);
    r->json = NULL;
    h->inflight--;
    arena_reset(r->arena);
    if (h->nfree < REQ_FREE_MAX) {
        r->next_free = h->free_list;
        h->free_list = r;
        h->nfree++;
    } else {
        arena_free(r->arena);
        free(r);
    }
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

static double elapsed_s(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The one place a response leaves the process. */
static void send_reply(struct req *r, int status, const char *ctype, const char *body, size_t len,
                       const char *errtype)
{
    if (r->replied) {
        log_error("second reply to request %s ignored", r->id);
        return;
    }
    r->replied = 1;
    struct evkeyvalq *hdrs = evhttp_request_get_output_headers(r->ev);
    evhttp_add_header(hdrs, "X-Amzn-RequestId", r->id);
    if (errtype != NULL)
        evhttp_add_header(hdrs, "X-Amzn-ErrorType", errtype);
    struct evbuffer *buf = evbuffer_new();
    if (status != 204 && body != NULL && len > 0) {
        evhttp_add_header(hdrs, "Content-Type", ctype);
        evbuffer_add(buf, body, len);
    }
    evhttp_send_reply(r->ev, status, reason(status), buf);
    evbuffer_free(buf);

    double secs = elapsed_s(&r->t0);
    struct app *app = r->http->app;
    metrics_observe(app->metrics, r->match.route, status, secs);
    if (log_threshold <= LOG_INFO)
        rlog_info(r->id, "%s %s %d op=%s ms=%.3f", r->method, r->uri, status,
                  r->match.route != NULL ? r->match.route->op : "-", secs * 1000.0);
    req_put(r);
}

/* The error funnel: every error response is built here. */
static void send_error(struct req *r, int status, const char *type, const char *msg,
                       const char *resource_type, const char *resource_id)
{
    enum api_service svc = r->match.route != NULL ? r->match.route->svc : API_SVC_INTERNAL;
    const char *key = (svc == API_SVC_MI || svc == API_SVC_WIRELESS) ? "Message" : "message";
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "__type", type);
    cJSON_AddStringToObject(o, key, msg);
    if (resource_id != NULL)
        cJSON_AddStringToObject(o, "ResourceId", resource_id);
    if (resource_type != NULL)
        cJSON_AddStringToObject(o, "ResourceType", resource_type);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (status >= 500)
        rlog_warn(r->id, "%s %s: %d %s: %s", r->method, r->uri, status, type, msg);
    else
        rlog_debug(r->id, "%s %s: %d %s: %s", r->method, r->uri, status, type, msg);
    send_reply(r, status, "application/json", text, strlen(text), type);
    cJSON_free(text);
}

static void error_shape(enum api_service svc, enum oerr_code code, int *status, const char **type)
{
    int iotlike = (svc == API_SVC_IOT || svc == API_SVC_JOBS);
    switch (code) {
    case OERR_INVALID:
    case OERR_TOO_LARGE:
        *status = 400;
        *type = iotlike ? "InvalidRequestException" : "ValidationException";
        return;
    case OERR_NOT_FOUND:
        *status = 404;
        *type = "ResourceNotFoundException";
        return;
    case OERR_CONFLICT:
        *status = 409;
        *type = svc == API_SVC_IOT ? "ResourceAlreadyExistsException" : "ConflictException";
        return;
    case OERR_STATE:
        *status = 409;
        *type = svc == API_SVC_MI || svc == API_SVC_WIRELESS ? "ConflictException"
                                                             : "InvalidStateTransitionException";
        return;
    case OERR_VERSION:
        *status = 409;
        *type = "VersionConflictException";
        return;
    case OERR_TERMINAL:
        *status = 410;
        *type = "TerminalStateException";
        return;
    case OERR_LIMIT:
        *status = 410;
        *type = "LimitExceededException";
        return;
    case OERR_AUTH:
        *status = 403;
        *type = "AccessDeniedException";
        return;
    case OERR_UNAVAILABLE:
        *status = 503;
        *type = "ServiceUnavailableException";
        return;
    default:
        *status = 500;
        *type = svc == API_SVC_IOT || svc == API_SVC_JOBS ? "InternalFailureException"
                                                          : "InternalServerException";
        return;
    }
}

/* ---- public request API ---- */

struct app *req_app(struct req *r)
{
    return r->http->app;
}

struct arena *req_arena(struct req *r)
{
    return r->arena;
}

const char *req_id(const struct req *r)
{
    return r->id;
}

const char *req_op(const struct req *r)
{
    return r->match.route != NULL ? r->match.route->op : "";
}

enum api_service req_service(const struct req *r)
{
    return r->match.route != NULL ? r->match.route->svc : API_SVC_INTERNAL;
}

int64_t req_now(const struct req *r)
{
    return r->now;
}

const char *req_label(const struct req *r, const char *name)
{
    for (int i = 0; i < r->match.nlabels; i++) {
        if (strcmp(r->match.names[i], name) == 0)
            return r->match.values[i];
    }
    return NULL;
}

const char *req_query(const struct req *r, const char *key)
{
    for (int i = 0; i < r->nq; i++) {
        if (strcmp(r->qkeys[i], key) == 0)
            return r->qvals[i];
    }
    return NULL;
}

const char *req_header(const struct req *r, const char *name)
{
    return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
}

const char *req_method(const struct req *r)
{
    return r->method;
}

const char *req_uri(const struct req *r)
{
    return r->uri;
}

const char *req_body(const struct req *r, size_t *len)
{
    *len = r->body_len;
    return r->body;
}

const cJSON *req_json(struct req *r, struct oerr *err)
{
    if (!r->json_done) {
        r->json_done = 1;
        size_t i = 0;
        while (i < r->body_len && (r->body[i] == ' ' || r->body[i] == '\n' || r->body[i] == '\r' ||
                                   r->body[i] == '\t'))
            i++;
        if (i == r->body_len) {
            r->json = cJSON_CreateObject();
        } else {
            const char *end = NULL;
            r->json = cJSON_ParseWithLengthOpts(r->body, r->body_len, &end, 0);
            if (r->json != NULL) {
                while (end < r->body + r->body_len &&
                       (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
                    end++;
                if (end != r->body + r->body_len) {
                    cJSON_Delete(r->json);
                    r->json = NULL;
                }
            }
            if (r->json == NULL) {
                size_t at = end != NULL ? (size_t)(end - r->body) : 0;
                oerr_set(&r->json_err, OERR_INVALID,
                         "the request body is not valid JSON (near byte %zu)", at);
            } else if (!cJSON_IsObject(r->json)) {
                cJSON_Delete(r->json);
                r->json = NULL;
                oerr_set(&r->json_err, OERR_INVALID, "the request body must be a JSON object");
            }
        }
    }
    if (r->json == NULL && err != NULL)
        *err = r->json_err;
    return r->json;
}

void req_reply_json(struct req *r, int status, cJSON *body)
{
    if (body == NULL) {
        send_reply(r, status, NULL, NULL, 0, NULL);
        return;
    }
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    send_reply(r, status, "application/json", text, strlen(text), NULL);
    cJSON_free(text);
}

void req_reply_raw_json(struct req *r, int status, const char *json, size_t len)
{
    send_reply(r, status, "application/json", json, len, NULL);
}

void req_reply_empty(struct req *r, int status)
{
    send_reply(r, status, NULL, NULL, 0, NULL);
}

void req_reply_text(struct req *r, int status, const char *content_type, const char *body,
                    size_t len)
{
    send_reply(r, status, content_type, body, len, NULL);
}

void req_reply_error(struct req *r, const struct oerr *err)
{
    int status;
    const char *type;
    error_shape(req_service(r), err->code, &status, &type);
    if (err->code == OERR_INTERNAL || err->code == OERR_UNAVAILABLE || err->code == OERR_OK) {
        rlog_error(r->id, "%s %s failed: %s", r->method, r->uri, err->msg);
        char msg[160];
        snprintf(msg, sizeof msg, "%s (request id %s)",
                 err->code == OERR_UNAVAILABLE ? "service temporarily unavailable"
                                               : "internal error",
                 r->id);
        send_error(r, status, type, msg, NULL, NULL);
        return;
    }
    send_error(r, status, type, err->msg, NULL, NULL);
}

void req_reply_not_found(struct req *r, const char *resource_type, const char *id, const char *fmt,
                         ...)
{
    char msg[OERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    enum api_service svc = req_service(r);
    int members = (svc == API_SVC_MI || svc == API_SVC_WIRELESS);
    send_error(r, 404, "ResourceNotFoundException", msg, members ? resource_type : NULL,
               members ? id : NULL);
}

void req_reply_error_type(struct req *r, int status, const char *type, const char *fmt, ...)
{
    char msg[OERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    send_error(r, status, type, msg, NULL, NULL);
}

int req_replied(const struct req *r)
{
    return r->replied;
}

void req_on_free(struct req *r, void (*fn)(void *), void *arg)
{
    struct cleanup *c = arena_alloc(r->arena, sizeof *c);
    c->fn = fn;
    c->arg = arg;
    c->next = r->cleanups;
    r->cleanups = c;
}

/* ---- intake ---- */

static const char *method_name(enum evhttp_cmd_type t)
{
    switch (t) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    default:
        return "UNKNOWN";
    }
}

static int parse_query(struct req *r, const char *q)
{
    while (q != NULL && *q != '\0') {
        const char *amp = strchr(q, '&');
        size_t len = amp != NULL ? (size_t)(amp - q) : strlen(q);
        if (len > 0) {
            const char *eq = memchr(q, '=', len);
            size_t klen = eq != NULL ? (size_t)(eq - q) : len;
            char *k = router_decode(r->arena, q, klen);
            char *v = eq != NULL ? router_decode(r->arena, eq + 1, len - klen - 1)
                                 : arena_strdup(r->arena, "");
            if (k == NULL || v == NULL)
                return -1;
            if (r->nq < REQ_MAX_QUERY) {
                r->qkeys[r->nq] = k;
                r->qvals[r->nq] = v;
                r->nq++;
            }
        }
        q = amp != NULL ? amp + 1 : NULL;
    }
    return 0;
}

static void on_request(struct evhttp_request *ev, void *arg)
{
    struct http *h = arg;
    struct app *app = h->app;
    struct req *r = req_get(h);
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    r->now = clock_now_ms();
    r->ev = ev;
    make_id(h, r->id, sizeof r->id);
    r->method = method_name(evhttp_request_get_command(ev));
    const char *uri = evhttp_request_get_uri(ev);
    r->uri = arena_strdup(r->arena, uri != NULL ? uri : "/");

    const char *qmark = strchr(r->uri, '?');
    const char *path =
        qmark != NULL ? arena_strndup(r->arena, r->uri, (size_t)(qmark - r->uri)) : r->uri;
    router_match(h->router, r->method, path, r->arena, &r->match);
    if (r->match.route == NULL) {
        if (r->match.method_mismatch) {
            evhttp_add_header(evhttp_request_get_output_headers(ev), "Allow", r->match.allow);
            send_error(r, 405, "MethodNotAllowedException", "method not allowed for this path",
                       NULL, NULL);
        } else {
            send_error(r, 404, "UnknownOperationException", "unknown operation", NULL, NULL);
        }
        return;
    }
    if (qmark != NULL && parse_query(r, qmark + 1) < 0) {
        struct oerr err;
        oerr_set(&err, OERR_INVALID, "malformed percent-encoding in the query string");
        req_reply_error(r, &err);
        return;
    }

    struct evbuffer *in = evhttp_request_get_input_buffer(ev);
    size_t len = evbuffer_get_length(in);
    if (len > app->cfg->body_cap) {
        struct oerr err;
        oerr_set(&err, OERR_TOO_LARGE, "the request body is larger than %zu bytes",
                 app->cfg->body_cap);
        req_reply_error(r, &err);
        return;
    }
    char *body = arena_alloc(r->arena, len + 1);
    if (len > 0)
        evbuffer_copyout(in, body, len);
    body[len] = '\0';
    r->body = body;
    r->body_len = len;

    if (r->match.route->svc != API_SVC_INTERNAL) {
        const char *type = NULL;
        struct oerr err;
        if (auth_check(app->auth, r, &type, &err) < 0) {
            send_error(r, 403, type != NULL ? type : "AccessDeniedException", err.msg, NULL, NULL);
            return;
        }
    }
    r->match.route->fn(r);
}

int http_listen_socket(const char *host, int port, int *bound_port, struct oerr *err)
{
    struct evutil_addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICSERV;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    int rc = evutil_getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0)
        return oerr_set(err, OERR_INVALID, "could not resolve listen address %s: %s", host,
                        evutil_gai_strerror(rc));
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        evutil_freeaddrinfo(res);
        return oerr_set(err, OERR_INTERNAL, "could not create socket: %s", strerror(errno));
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, (socklen_t)res->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
        int e = errno;
        evutil_freeaddrinfo(res);
        close(fd);
        return oerr_set(err, OERR_INTERNAL, "could not listen on %s:%d: %s", host, port,
                        strerror(e));
    }
    evutil_freeaddrinfo(res);
    evutil_make_socket_nonblocking(fd);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    if (ss.ss_family == AF_INET)
        *bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    else
        *bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

struct http *http_new(struct app *app, int fd, struct oerr *err)
{
    struct http *h = xcalloc(1, sizeof *h);
    h->app = app;
    if (getrandom(h->rng, sizeof h->rng, 0) != (ssize_t)sizeof h->rng) {
        h->rng[0] = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        h->rng[1] = (uint64_t)(uintptr_t)h;
    }
    h->rng[0] |= 1;
    h->router = router_new(api_routes, api_nroutes);
    h->evh = evhttp_new(app->base);
    evhttp_set_max_body_size(h->evh, (ev_ssize_t)(app->cfg->body_cap * 8));
    evhttp_set_max_headers_size(h->evh, REQ_HEADERS_CAP);
    evhttp_set_timeout(h->evh, REQ_TIMEOUT_S);
    evhttp_set_allowed_methods(h->evh, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                           EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                           EVHTTP_REQ_PATCH);
    evhttp_set_gencb(h->evh, on_request, h);
    h->sock = evhttp_accept_socket_with_handle(h->evh, fd);
    if (h->sock == NULL) {
        oerr_set(err, OERR_INTERNAL, "could not accept on the listening socket");
        http_free(h);
        return NULL;
    }
    return h;
}

void http_stop_accepting(struct http *h)
{
    if (h->sock != NULL) {
        evhttp_del_accept_socket(h->evh, h->sock);
        h->sock = NULL;
    }
}

int http_inflight(const struct http *h)
{
    return h->inflight;
}

void http_free(struct http *h)
{
    if (h == NULL)
        return;
    if (h->evh != NULL)
        evhttp_free(h->evh);
    router_free(h->router);
    while (h->free_list != NULL) {
        struct req *r = h->free_list;
        h->free_list = r->next_free;
        arena_free(r->arena);
        free(r);
    }
    free(h);
}
