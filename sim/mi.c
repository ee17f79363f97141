/*
 * mi: Managed integrations calls waited for on the loop (see mi.h). Never call these from a
 * loop callback: libevent's loop is not reentrant. Waiting is "run the loop once until a flag
 * is set"; a backoff is a one-shot timer that sets the flag.
 */
#include "sim/mi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "engine/mem.h"

#define SERVICE "iotmanagedintegrations"

struct answer {
    int done;
    int status;
    char type[128];
    char *body;
};

static void on_answer(void *arg, const struct httpc_response *r)
{
    struct answer *a = arg;
    a->status = r->status;
    snprintf(a->type, sizeof a->type, "%s", r->error_type != NULL ? r->error_type : "");
    a->body = xstrdup(r->body);
    a->done = 1;
}

static void on_flag(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    *(int *)arg = 1;
}

static void wait_flag(struct event_base *base, const int *flag)
{
    while (!*flag)
        if (event_base_loop(base, EVLOOP_ONCE) < 0)
            break;
}

static void pause_ms(struct event_base *base, int ms)
{
    int flag = 0;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_once(base, -1, EV_TIMEOUT, on_flag, &flag, &tv);
    wait_flag(base, &flag);
}

static int transient(int status)
{
    return status == 0 || status == 429 || status >= 500;
}

/* The server's message of an error answer ("Message" or "message"). */
static void error_message(const char *body, char *buf, size_t len)
{
    cJSON *j = cJSON_Parse(body);
    const char *m = mi_string(j, "Message");
    if (m == NULL)
        m = mi_string(j, "message");
    snprintf(buf, len, "%s", m != NULL ? m : body);
    cJSON_Delete(j);
}

int mi_call(struct event_base *base, struct httpc *h, const char *op, const char *method,
            const char *path, const char *query, const char *body, int expect, struct cJSON **out,
            struct oerr *err)
{
    struct answer a;
    char msg[300];
    if (out != NULL)
        *out = NULL;
    for (int attempt = 1;; attempt++) {
        memset(&a, 0, sizeof a);
        httpc_request(h, op, method, path, query, body, SERVICE, on_answer, &a);
        wait_flag(base, &a.done);
        if (a.status == expect) {
            int rc = 0;
            if (out != NULL && a.body[0] != '\0') {
                *out = cJSON_Parse(a.body);
                if (*out == NULL)
                    rc = oerr_set(err, OERR_INVALID, "%s: the answer is not JSON: %.200s", op,
                                  a.body);
            }
            free(a.body);
            return rc;
        }
        if (!transient(a.status) || attempt >= MI_ATTEMPTS)
            break;
        free(a.body);
        pause_ms(base, 100 << (attempt < 6 ? attempt : 6));
    }
    error_message(a.body, msg, sizeof msg);
    free(a.body);
    if (a.status == 0)
        return oerr_set(err, OERR_UNAVAILABLE, "%s: no answer from the endpoint (%s)", op, a.type);
    return oerr_set(err,
                    a.status == 401 || a.status == 403 ? OERR_AUTH
                    : transient(a.status)              ? OERR_UNAVAILABLE
                                                       : OERR_INVALID,
                    "%s: HTTP %d %s: %s", op, a.status, a.type[0] != '\0' ? a.type : "(no type)",
                    msg);
}

/* ---- CreateManagedThing, many at a time ---- */

struct creator;

struct slot {
    struct creator *cr;
    int64_t i;
    int attempt;
    char *body;
};

struct creator {
    struct event_base *base;
    struct httpc *h;
    int64_t count, next, created, in_flight;
    char **ids;
    int failed;
    struct oerr *err;
    mi_thing_body_fn body;
    void *arg;
    mi_progress_fn progress;
    void *parg;
};

static void create_one(struct creator *cr, struct slot *s);

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct slot *s = arg;
    create_one(s->cr, s);
}

static void on_created(void *arg, const struct httpc_response *r)
{
    struct slot *s = arg;
    struct creator *cr = s->cr;
    char msg[300];
    if (r->status == 201) {
        cJSON *j = cJSON_Parse(r->body);
        const char *id = mi_string(j, "Id");
        if (id != NULL) {
            cr->ids[s->i] = xstrdup(id);
            cr->created++;
        } else if (!cr->failed) {
            cr->failed = 1;
            oerr_set(cr->err, OERR_INVALID, "CreateManagedThing: no Id in the answer: %.200s",
                     r->body);
        }
        cJSON_Delete(j);
    } else if (transient(r->status) && s->attempt < MI_ATTEMPTS && !cr->failed) {
        struct timeval tv = {0, 100000 * s->attempt};
        s->attempt++;
        event_base_once(cr->base, -1, EV_TIMEOUT, on_retry, s, &tv);
        return;
    } else if (!cr->failed) {
        cr->failed = 1;
        error_message(r->body, msg, sizeof msg);
        oerr_set(cr->err,
                 r->status == 401 || r->status == 403     ? OERR_AUTH
                 : r->status == 0 || transient(r->status) ? OERR_UNAVAILABLE
                                                          : OERR_INVALID,
                 "CreateManagedThing: HTTP %d %s: %s", r->status,
                 r->error_type != NULL ? r->error_type : "", msg);
    }
    free(s->body);
    cr->in_flight--;
    if (cr->progress != NULL)
        cr->progress(cr->parg, cr->created, cr->count);
    if (cr->next < cr->count && !cr->failed) {
        s->i = cr->next++;
        s->attempt = 1;
        s->body = NULL;
        cr->in_flight++;
        create_one(cr, s);
        return;
    }
    free(s);
}

static void create_one(struct creator *cr, struct slot *s)
{
    if (s->body == NULL)
        s->body = cr->body(cr->arg, s->i);
    httpc_request(cr->h, "CreateManagedThing", "POST", "/managed-things", NULL, s->body, SERVICE,
                  on_created, s);
}

int mi_create_things(struct event_base *base, struct httpc *h, int64_t count, int window,
                     mi_thing_body_fn body, void *arg, char **ids, mi_progress_fn progress,
                     void *parg, struct oerr *err)
{
    struct creator cr = {.base = base,
                         .h = h,
                         .count = count,
                         .ids = ids,
                         .err = err,
                         .body = body,
                         .arg = arg,
                         .progress = progress,
                         .parg = parg};
    for (int k = 0; k < window && cr.next < count; k++) {
        struct slot *s = xcalloc(1, sizeof *s);
        s->cr = &cr;
        s->i = cr.next++;
        s->attempt = 1;
        cr.in_flight++;
        create_one(&cr, s);
    }
    while (cr.in_flight > 0)
        if (event_base_loop(base, EVLOOP_ONCE) < 0)
            break;
    return cr.failed ? -1 : 0;
}

/* ---- ListOtaTaskExecutions ---- */

int mi_list_executions(struct event_base *base, struct httpc *h, const char *task_id,
                       mi_execution_fn fn, void *arg, struct oerr *err)
{
    char path[300];
    char *token = NULL;
    int rc = -1;
    snprintf(path, sizeof path, "/ota-tasks/%s/devices", task_id);
    for (;;) {
        cJSON *page = NULL;
        size_t qlen = 32 + (token != NULL ? strlen(token) * 3 : 0);
        char *query = xmalloc(qlen);
        size_t o = (size_t)snprintf(query, qlen, "MaxResults=1000");
        if (token != NULL) {
            o += (size_t)snprintf(query + o, qlen - o, "&NextToken=");
            for (const char *p = token; *p != '\0' && o + 4 < qlen; p++) {
                /* the token alphabet is [A-Za-z0-9=_+/-]: encode what is not unreserved */
                if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')
                    query[o++] = *p;
                else
                    o += (size_t)snprintf(query + o, qlen - o, "%%%02X", (unsigned char)*p);
            }
            query[o] = '\0';
        }
        int c =
            mi_call(base, h, "ListOtaTaskExecutions", "GET", path, query, NULL, 200, &page, err);
        free(query);
        if (c < 0)
            goto done;
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "ExecutionSummaries");
        const cJSON *it;
        cJSON_ArrayForEach(it, items)
        {
            fn(arg, it);
        }
        const char *next = mi_string(page, "NextToken");
        free(token);
        token = next != NULL ? xstrdup(next) : NULL;
        cJSON_Delete(page);
        if (token == NULL)
            break;
    }
    rc = 0;
done:
    free(token);
    return rc;
}

int64_t mi_time_ms(const struct cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(v))
        return -1;
    double ms = v->valuedouble * 1000.0;
    return (int64_t)(ms + (ms >= 0 ? 0.5 : -0.5));
}

const char *mi_string(const struct cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double mi_number(const struct cJSON *obj, const char *name, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}
