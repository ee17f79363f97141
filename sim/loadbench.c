/*
 * loadbench: the update benchmark (see loadbench.h). Three phases on one loop: start (every
 * device StartNextPendingJobExecution until it holds an IN_PROGRESS execution), measure
 * (closed loop: each answer sends the device's next update until the phase ends), finish
 * (SUCCEEDED with the expected version). A device's `version` is the server's versionNumber
 * as the device knows it: 2 after the start, + 1 per acknowledged update.
 */
#include "sim/loadbench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "engine/mem.h"
#include "sim/httpc.h"
#include "sim/mi.h"

#define JOBS            "iot-jobs-data"
#define START_RETRY_S   1
#define RUN_KEY         "otasim_run"
#define TARGET_LIST_MAX 20000

enum phase { P_START = 0, P_MEASURE, P_FINISH };

struct bench;

struct bdev {
    struct bench *b;
    char *id;
    int64_t version;
    int started, busy, ambiguous, done;
    unsigned progress;
};

struct bench {
    const struct load_opts *o;
    struct loadbench_result *res;
    struct event_base *base;
    struct httpc *h;
    struct bdev *dev;
    int64_t n;
    enum phase phase;
    int64_t end_us;
    int64_t in_flight;
    int64_t last_answer_us;
    int64_t last_progress_us;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void show(struct bench *b, const char *what, int64_t done, int final)
{
    int64_t now = mono_us();
    if (!b->o->progress || (!final && now - b->last_progress_us < 250000))
        return;
    b->last_progress_us = now;
    if (final)
        fprintf(stderr, "\r\033[K");
    else
        fprintf(stderr, "\r%s: %lld/%lld\033[K", what, (long long)done, (long long)b->n);
    fflush(stderr);
}

/* ---- start ---- */

static void start_one(struct bdev *d);

static void on_start_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    start_one(arg);
}

static void on_started(void *arg, const struct httpc_response *r)
{
    struct bdev *d = arg;
    struct bench *b = d->b;
    cJSON *j = r->status == 200 ? cJSON_Parse(r->body) : NULL;
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(j, "execution");
    const char *job = mi_string(ex, "jobId");
    const char *st = mi_string(ex, "status");
    b->in_flight--;
    if (job != NULL && strcmp(job, b->res->task_id) == 0 && st != NULL &&
        strcmp(st, "IN_PROGRESS") == 0) {
        d->started = 1;
        d->version = (int64_t)mi_number(ex, "versionNumber", 0);
        b->res->started++;
        show(b, "devices IN_PROGRESS", b->res->started, 0);
    } else {
        struct timeval tv = {START_RETRY_S, 0}; /* not queued yet (or no answer): again */
        event_base_once(b->base, -1, EV_TIMEOUT, on_start_retry, d, &tv);
        b->in_flight++;
    }
    cJSON_Delete(j);
}

static void start_one(struct bdev *d)
{
    struct bench *b = d->b;
    char path[300];
    if (b->phase != P_START) {
        b->in_flight--;
        return;
    }
    snprintf(path, sizeof path, "/things/%s/jobs/$next", d->id);
    httpc_request(b->h, "StartNextPendingJobExecution", "PUT", path, NULL,
                  "{\"statusDetails\":{\"progress\":\"0%\"}}", JOBS, on_started, d);
}

/* ---- measure ---- */

static void update(struct bdev *d);

static void on_updated(void *arg, const struct httpc_response *r)
{
    struct bdev *d = arg;
    struct bench *b = d->b;
    int64_t now = mono_us();
    b->in_flight--;
    d->busy = 0;
    opstats_record(b->res->phase, "UpdateJobExecution", r->latency_s, r->status, r->error_type);
    b->last_answer_us = now;
    if (r->status == 200) {
        d->version++;
        b->res->updates++;
    } else if (r->status == 0 || r->status >= 500) {
        d->ambiguous = 1;
    }
    if (now < b->end_us)
        update(d);
}

static void update(struct bdev *d)
{
    struct bench *b = d->b;
    char path[400], body[160];
    snprintf(path, sizeof path, "/things/%s/jobs/%s", d->id, b->res->task_id);
    d->progress = (d->progress + 1) % 100;
    snprintf(body, sizeof body,
             "{\"status\":\"IN_PROGRESS\",\"statusDetails\":{\"progress\":\"%u%%\"}}", d->progress);
    d->busy = 1;
    b->in_flight++;
    httpc_request(b->h, "UpdateJobExecution", "POST", path, NULL, body, JOBS, on_updated, d);
}

/* ---- finish ---- */

static void on_finished(void *arg, const struct httpc_response *r)
{
    struct bdev *d = arg;
    struct bench *b = d->b;
    b->in_flight--;
    d->done = 1;
    if (r->status == 200) {
        cJSON *j = cJSON_Parse(r->body);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "executionState");
        int64_t v = (int64_t)mi_number(st, "versionNumber", -1);
        b->res->finished++;
        if (!d->ambiguous && v != d->version + 1)
            b->res->version_mismatches++;
        cJSON_Delete(j);
    } else if (!d->ambiguous && r->status == 409) {
        b->res->version_mismatches++; /* expectedVersion refused */
    }
    show(b, "finishing", b->res->finished, 0);
}

static void finish(struct bdev *d)
{
    struct bench *b = d->b;
    char path[400], body[200];
    snprintf(path, sizeof path, "/things/%s/jobs/%s", d->id, b->res->task_id);
    if (d->ambiguous)
        snprintf(body, sizeof body,
                 "{\"status\":\"SUCCEEDED\",\"includeJobExecutionState\":true,"
                 "\"statusDetails\":{\"progress\":\"100%%\"}}");
    else
        snprintf(body, sizeof body,
                 "{\"status\":\"SUCCEEDED\",\"expectedVersion\":%lld,"
                 "\"includeJobExecutionState\":true,\"statusDetails\":{\"progress\":\"100%%\"}}",
                 (long long)d->version);
    b->in_flight++;
    httpc_request(b->h, "UpdateJobExecution", "POST", path, NULL, body, JOBS, on_finished, d);
}

/* ---- set-up ---- */

static char *thing_body(void *arg, int64_t i)
{
    struct bench *b = arg;
    char buf[400];
    snprintf(buf, sizeof buf,
             "{\"Role\":\"DEVICE\",\"AuthenticationMaterial\":\"otasim-%s-%lld\","
             "\"AuthenticationMaterialType\":\"CUSTOM_PROTOCOL_QR_BAR_CODE\","
             "\"Name\":\"bench-%lld\",\"MetaData\":{\"%s\":\"%s\"},\"ClientToken\":\"%s-%lld\"}",
             b->res->run_id, (long long)i, (long long)i, RUN_KEY, b->res->run_id, b->res->run_id,
             (long long)i);
    return xstrdup(buf);
}

static void on_things(void *arg, int64_t done, int64_t total)
{
    struct bench *b = arg;
    (void)total;
    show(b, "creating managed things", done, 0);
}

static char *task_body(struct bench *b)
{
    char token[64];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "OtaType", "ONE_TIME");
    cJSON_AddStringToObject(o, "S3Url", "s3://otasim/bench-updates.bin");
    cJSON_AddStringToObject(o, "Description", "otasim load bench updates");
    if (b->n <= TARGET_LIST_MAX) {
        cJSON *t = cJSON_AddArrayToObject(o, "Target");
        for (int64_t i = 0; i < b->n; i++)
            cJSON_AddItemToArray(t, cJSON_CreateString(b->dev[i].id));
    } else {
        char q[96];
        snprintf(q, sizeof q, "attributes.%s=%s", RUN_KEY, b->res->run_id);
        cJSON_AddStringToObject(o, "OtaTargetQueryString", q);
    }
    snprintf(token, sizeof token, "%s-task", b->res->run_id);
    cJSON_AddStringToObject(o, "ClientToken", token);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        mem_oom(0);
    char *out = xstrdup(text);
    cJSON_free(text);
    return out;
}

static void run_until_quiet(struct bench *b)
{
    while (b->in_flight > 0)
        if (event_base_loop(b->base, EVLOOP_ONCE) < 0)
            break;
}

int loadbench_run(const struct load_opts *o, int64_t devices, double duration_s,
                  struct loadbench_result *out, struct oerr *err)
{
    struct bench b;
    cJSON *j = NULL;
    char *body = NULL;
    char **ids = NULL;
    int rc = -1;
    int64_t t0 = mono_us();
    memset(&b, 0, sizeof b);
    memset(out, 0, sizeof *out);
    out->devices = devices;
    out->stats = opstats_new();
    out->phase = opstats_new();
    load_run_id(out->run_id, sizeof out->run_id);
    b.o = o;
    b.res = out;
    b.n = devices;
    b.base = event_base_new();
    if (b.base == NULL) {
        oerr_set(err, OERR_INTERNAL, "could not create an event loop");
        goto done;
    }
    struct httpc_config hc = {.endpoint = o->endpoint,
                              .connections = o->connections,
                              .access_key = o->access_key,
                              .secret_key = o->secret_key,
                              .region = o->region,
                              .timeout_s = 30,
                              .stats = out->stats};
    b.h = httpc_new(b.base, &hc, err);
    if (b.h == NULL)
        goto done;
    b.dev = xcalloc((size_t)devices, sizeof *b.dev);
    ids = xcalloc((size_t)devices, sizeof *ids);
    int c = mi_create_things(b.base, b.h, devices, o->connections * 2, thing_body, &b, ids,
                             on_things, &b, err);
    for (int64_t i = 0; i < devices; i++) {
        b.dev[i].b = &b;
        b.dev[i].id = ids[i];
    }
    show(&b, "", 0, 1);
    if (c < 0)
        goto done;
    body = task_body(&b);
    if (mi_call(b.base, b.h, "CreateOtaTask", "POST", "/ota-tasks", NULL, body, 201, &j, err) < 0)
        goto done;
    snprintf(out->task_id, sizeof out->task_id, "%s",
             mi_string(j, "TaskId") != NULL ? mi_string(j, "TaskId") : "");
    int64_t t1 = mono_us();
    out->setup_s = (double)(t1 - t0) / 1e6;

    /* start: every device IN_PROGRESS */
    b.phase = P_START;
    for (int64_t i = 0; i < devices; i++) {
        b.in_flight++;
        start_one(&b.dev[i]);
    }
    int64_t limit = t1 + (int64_t)LOADBENCH_START_LIMIT_S * 1000000;
    while (out->started < devices && mono_us() < limit)
        if (event_base_loop(b.base, EVLOOP_ONCE) < 0)
            break;
    b.phase = P_MEASURE; /* pending start retries now end without a request */
    run_until_quiet(&b);
    show(&b, "", 0, 1);
    int64_t t2 = mono_us();
    out->start_s = (double)(t2 - t1) / 1e6;
    if (out->started < devices) {
        oerr_set(err, OERR_UNAVAILABLE,
                 "only %lld of %lld devices were IN_PROGRESS after %d s: the server's rollout "
                 "ceiling (OTAD_MAX_RATE_PER_MINUTE) should be at least the device count",
                 (long long)out->started, (long long)devices, LOADBENCH_START_LIMIT_S);
        goto done;
    }

    /* measure */
    b.end_us = t2 + (int64_t)(duration_s * 1e6);
    b.last_answer_us = t2;
    for (int64_t i = 0; i < devices; i++)
        update(&b.dev[i]);
    while (b.in_flight > 0) {
        if (event_base_loop(b.base, EVLOOP_ONCE) < 0)
            break;
        if (o->progress && mono_us() < b.end_us)
            show(&b, "updates", out->updates, 0);
    }
    show(&b, "", 0, 1);
    out->duration_s = (double)(b.last_answer_us - t2) / 1e6;
    out->updates_per_s = out->duration_s > 0 ? (double)out->updates / out->duration_s : 0;

    /* finish: SUCCEEDED, checking the version */
    b.phase = P_FINISH;
    for (int64_t i = 0; i < devices; i++)
        finish(&b.dev[i]);
    run_until_quiet(&b);
    show(&b, "", 0, 1);
    rc = 0;
done:
    cJSON_Delete(j);
    free(body);
    httpc_free(b.h);
    if (b.base != NULL)
        event_base_free(b.base);
    for (int64_t i = 0; ids != NULL && i < devices; i++)
        free(ids[i]);
    free(ids);
    free(b.dev);
    return rc;
}

void loadbench_result_free(struct loadbench_result *r)
{
    opstats_free(r->stats);
    opstats_free(r->phase);
    r->stats = r->phase = NULL;
}
