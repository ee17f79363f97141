/*
 * req: one HTTP request being served, as handlers see it. A handler receives a struct req,
 * reads its labels, query, headers and body, and must answer it exactly once with one of the
 * req_reply_*() functions, possibly later from a database callback. Everything a handler
 * allocates for the request comes from req_arena() and is released when the reply is sent.
 *
 * Errors reach the client only through req_reply_error() and its variants (the error funnel):
 * status and X-Amzn-ErrorType from the error's kind and the route's surface, the JSON body
 * {"__type", "Message"|"message", ...} with the surface's casing, the request id header, and a
 * log line; OERR_INTERNAL and OERR_UNAVAILABLE details go to the log only.
 */
#ifndef OTAD_API_REQ_H
#define OTAD_API_REQ_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "api/router.h"
#include "engine/oerr.h"

struct req;
struct app;
struct arena;

/** The process context. */
struct app *req_app(struct req *r);

/** The request's arena (freed when the reply is sent). */
struct arena *req_arena(struct req *r);

/** The request id (also sent as X-Amzn-RequestId). */
const char *req_id(const struct req *r);

/** The matched route's operation name ("GetOtaTask"). */
const char *req_op(const struct req *r);

/** The matched route's surface. */
enum api_service req_service(const struct req *r);

/** The service clock when the request arrived (ms). */
int64_t req_now(const struct req *r);

/** A decoded path label by template name, or NULL. */
const char *req_label(const struct req *r, const char *name);

/** A decoded query parameter (first occurrence), or NULL if absent. */
const char *req_query(const struct req *r, const char *key);

/** A request header (case-insensitive), or NULL. */
const char *req_header(const struct req *r, const char *name);

/** The request method ("GET", ...). */
const char *req_method(const struct req *r);

/** The raw request target's path and query as received. */
const char *req_uri(const struct req *r);

/** The body bytes (NUL-terminated copy) and length. */
const char *req_body(const struct req *r, size_t *len);

/**
 * The body parsed as a JSON object (an empty body counts as {}). Parsed once; owned by the
 * request. NULL with OERR_INVALID for malformed JSON or a non-object.
 */
const cJSON *req_json(struct req *r, struct oerr *err);

/** Reply with status and a JSON body; takes ownership of body (may be NULL for no body). */
void req_reply_json(struct req *r, int status, cJSON *body);

/** Reply with status and a pre-serialised JSON body (copied). */
void req_reply_raw_json(struct req *r, int status, const char *json, size_t len);

/** Reply with status and no body. */
void req_reply_empty(struct req *r, int status);

/** Reply with status, content type and body (copied); for /metrics and health. */
void req_reply_text(struct req *r, int status, const char *content_type, const char *body,
                    size_t len);

/** The error funnel: answer with the wire error for err on this route's surface. */
void req_reply_error(struct req *r, const struct oerr *err);

/** Error funnel, 404 ResourceNotFoundException with ResourceId/ResourceType (MI, Wireless). */
void req_reply_not_found(struct req *r, const char *resource_type, const char *id, const char *fmt,
                         ...) __attribute__((format(printf, 4, 5)));

/** Error funnel with an explicit status and X-Amzn-ErrorType. */
void req_reply_error_type(struct req *r, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** 1 once a reply has been sent. */
int req_replied(const struct req *r);

/** Attach cleanup to the request: fn(arg) runs when the request is freed. */
void req_on_free(struct req *r, void (*fn)(void *), void *arg);

#endif
