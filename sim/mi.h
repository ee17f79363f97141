/*
 * mi: the Managed integrations calls of `otasim load` (reference/wire.md section 6.1), made
 * over the shared connection pool and waited for by running the caller's libevent loop until
 * they finish, so that set-up and the final checks read as straight-line code while devices
 * keep running on the same loop. Transient failures (no answer, 5xx, 429) are retried with
 * backoff up to MI_ATTEMPTS times; any other error fails the call with the server's error type
 * and message. Every request is signed with service "iotmanagedintegrations".
 */
#ifndef OTAD_SIM_MI_H
#define OTAD_SIM_MI_H

#include <stdint.h>

#include "engine/oerr.h"
#include "sim/httpc.h"

struct cJSON;
struct event_base;

/** Attempts of one call before a transient failure is final. */
#define MI_ATTEMPTS 8

/** A body for thing i (xmalloc'd; mi_create_things frees it). */
typedef char *(*mi_thing_body_fn)(void *arg, int64_t i);

/** Progress of a long call: done out of total. */
typedef void (*mi_progress_fn)(void *arg, int64_t done, int64_t total);

/**
 * One call: op names it in the statistics; expect is the success status (200, 201...). On
 * success *out (may be NULL) receives the parsed answer (NULL for an empty body; caller frees
 * with cJSON_Delete). -1 with err: OERR_AUTH for 401/403, OERR_UNAVAILABLE when every attempt
 * failed transiently, OERR_INVALID for other errors; the message names op, the status, the
 * error type and the server's message.
 */
int mi_call(struct event_base *base, struct httpc *h, const char *op, const char *method,
            const char *path, const char *query, const char *body, int expect, struct cJSON **out,
            struct oerr *err);

/**
 * CreateManagedThing for i = 0..count-1 with body(arg, i), at most `window` requests at a
 * time; ids[i] receives thing i's Id (xmalloc'd; caller frees). progress (may be NULL) is told
 * as things are created. On failure the ids created so far are set and the rest NULL.
 */
int mi_create_things(struct event_base *base, struct httpc *h, int64_t count, int window,
                     mi_thing_body_fn body, void *arg, char **ids, mi_progress_fn progress,
                     void *parg, struct oerr *err);

/** Each entry of ListOtaTaskExecutions, borrowed for the call. */
typedef void (*mi_execution_fn)(void *arg, const struct cJSON *summary);

/** ListOtaTaskExecutions of task_id, every page (MaxResults 1000): fn for each entry. */
int mi_list_executions(struct event_base *base, struct httpc *h, const char *task_id,
                       mi_execution_fn fn, void *arg, struct oerr *err);

/** A timestamp member (epoch seconds, fraction allowed) as ms; -1 if absent or not a number. */
int64_t mi_time_ms(const struct cJSON *obj, const char *name);

/** A string member (borrowed), or NULL. */
const char *mi_string(const struct cJSON *obj, const char *name);

/** A number member, or dflt. */
double mi_number(const struct cJSON *obj, const char *name, double dflt);

#endif
