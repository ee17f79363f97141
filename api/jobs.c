/*
 * jobs: the IoT Jobs device data plane. Every request is validated whole (path labels, query,
 * body members with the model's and the engine's rules) before it reaches the store; the
 * outcomes of the store become the Jobs errors: 404 ResourceNotFoundException (unknown thing,
 * job or execution), 409 InvalidStateTransitionException (a transition the engine forbids),
 * 409 VersionConflictException (expectedVersion differs; nothing changes), 503 when the
 * database is unreachable. Times on the wire are integer epoch seconds.
 */
#include "api/jobs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/jsonv.h"
#include "api/metrics.h"
#include "api/req.h"
#include "engine/arena.h"
#include "engine/execution.h"
#include "store/devupd.h"

#define STEP_MINUTES_MAX 10080

/* ---- validation ---- */

/* [a-zA-Z0-9_-] */
static int class_job_id(uint32_t cp)
{
    return jsonv_class_alnum(cp) || cp == '_' || cp == '-';
}

static const struct jsonv_str thing_spec = {1, 128, jsonv_class_thing_id,
                                            "letters, digits, ':', '_' and '-'"};
static const struct jsonv_str job_spec = {1, 64, class_job_id, "letters, digits, '_' and '-'"};

/* JobExecutionStatus, in the order of enum execution_status from QUEUED on. */
static const char *const status_values[] = {"QUEUED",  "IN_PROGRESS", "SUCCEEDED",
                                            "FAILED",  "TIMED_OUT",   "REJECTED",
                                            "REMOVED", "CANCELED",    NULL};

/* The thingName label, validated; NULL after replying with the error. */
static const char *thing_label(struct req *r)
{
    struct oerr err;
    const char *thing = req_label(r, "thingName");
    if (jsonv_check_label(thing, "thingName", &thing_spec, &err) < 0) {
        req_reply_error(r, &err);
        return NULL;
    }
    return thing;
}

/*
 * statusDetails of body: *out the JSON object text (in the request's arena) or NULL when absent.
 * Values must be strings; the limits are the engine's (execution_check_status_details).
 */
static int status_details(struct req *r, const cJSON *body, const char **out, struct oerr *err)
{
    const cJSON *obj;
    *out = NULL;
    if (jsonv_object(body, "", "statusDetails", 0, &obj, err) < 0)
        return -1;
    if (obj == NULL)
        return 0;
    size_t n = (size_t)cJSON_GetArraySize(obj);
    const char **keys = arena_alloc(req_arena(r), (n + 1) * sizeof *keys);
    const char **values = arena_alloc(req_arena(r), (n + 1) * sizeof *values);
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        if (!cJSON_IsString(it))
            return oerr_set(err, OERR_INVALID, "statusDetails.%s must be a string", it->string);
        keys[i] = it->string;
        values[i] = it->valuestring;
        i++;
    }
    if (execution_check_status_details(keys, values, n, err) < 0)
        return -1;
    char *text = cJSON_PrintUnformatted(obj);
    *out = arena_strdup(req_arena(r), text);
    cJSON_free(text);
    return 0;
}

/* stepTimeoutInMinutes of body in ms: 0 when absent, -1 to clear (allow_clear), else > 0. */
static int step_timeout(const cJSON *body, int allow_clear, int64_t *ms, struct oerr *err)
{
    int64_t minutes;
    int present;
    *ms = 0;
    if (jsonv_int(body, "", "stepTimeoutInMinutes", 0, INT64_MIN, INT64_MAX, &minutes, &present,
                  err) < 0)
        return -1;
    if (!present)
        return 0;
    if (execution_check_step_timeout(minutes, allow_clear, err) < 0)
        return -1;
    *ms = minutes < 0 ? -1 : minutes * 60000;
    return 0;
}

/* ---- replies ---- */

static int64_t seconds(int64_t ms)
{
    return ms / 1000;
}

/* A JobExecution (reference/wire.md section 6.4). */
static cJSON *execution_json(const struct devupd_execution *ex, const char *thing, int64_t now)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "jobId", ex->job_id);
    cJSON_AddStringToObject(o, "thingName", thing);
    cJSON_AddStringToObject(o, "status", execution_status_name(ex->status));
    if (ex->status_details != NULL) {
        cJSON *d = cJSON_Parse(ex->status_details);
        if (d != NULL)
            cJSON_AddItemToObject(o, "statusDetails", d);
    }
    cJSON_AddNumberToObject(o, "queuedAt", (double)seconds(ex->queued_at));
    if (ex->started_at >= 0)
        cJSON_AddNumberToObject(o, "startedAt", (double)seconds(ex->started_at));
    cJSON_AddNumberToObject(o, "lastUpdatedAt", (double)seconds(ex->updated_at));
    if (ex->status == EXECUTION_IN_PROGRESS && ex->deadline >= 0) {
        int64_t left = ex->deadline > now ? seconds(ex->deadline - now) : 0;
        cJSON_AddNumberToObject(o, "approximateSecondsBeforeTimedOut", (double)left);
    }
    cJSON_AddNumberToObject(o, "versionNumber", (double)ex->version);
    cJSON_AddNumberToObject(o, "executionNumber", (double)ex->execution_number);
    if (ex->job_document != NULL)
        cJSON_AddStringToObject(o, "jobDocument", ex->job_document);
    return o;
}

/* A JobExecutionSummary. */
static cJSON *summary_json(const struct devupd_execution *ex)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "jobId", ex->job_id);
    cJSON_AddNumberToObject(o, "queuedAt", (double)seconds(ex->queued_at));
    if (ex->started_at >= 0)
        cJSON_AddNumberToObject(o, "startedAt", (double)seconds(ex->started_at));
    cJSON_AddNumberToObject(o, "lastUpdatedAt", (double)seconds(ex->updated_at));
    cJSON_AddNumberToObject(o, "versionNumber", (double)ex->version);
    cJSON_AddNumberToObject(o, "executionNumber", (double)ex->execution_number);
    return o;
}

static int64_t col_ms(const struct dbres *res, int row, int col)
{
    return dbres_isnull(res, row, col) ? -1 : dbres_i64(res, row, col);
}

/* Row `row` of devupd_pending/devupd_describe; strings valid while res is. */
static void execution_of_row(const struct dbres *res, int row, struct devupd_execution *ex)
{
    memset(ex, 0, sizeof *ex);
    ex->job_id = dbres_get(res, row, DEVUPD_COL_JOB_ID);
    ex->status = (enum execution_status)dbres_i64(res, row, DEVUPD_COL_STATUS);
    ex->status_details =
        dbres_isnull(res, row, DEVUPD_COL_DETAILS) ? NULL : dbres_get(res, row, DEVUPD_COL_DETAILS);
    ex->queued_at = col_ms(res, row, DEVUPD_COL_QUEUED_AT);
    ex->started_at = col_ms(res, row, DEVUPD_COL_STARTED_AT);
    ex->updated_at = col_ms(res, row, DEVUPD_COL_UPDATED_AT);
    ex->deadline = col_ms(res, row, DEVUPD_COL_DEADLINE);
    ex->version = dbres_i64(res, row, DEVUPD_COL_VERSION);
    ex->execution_number = dbres_i64(res, row, DEVUPD_COL_EXECUTION_NUMBER);
    ex->job_document = dbres_isnull(res, row, DEVUPD_COL_DOCUMENT)
                           ? NULL
                           : dbres_get(res, row, DEVUPD_COL_DOCUMENT);
}

static void reply_no_thing(struct req *r, const char *thing)
{
    req_reply_error_type(r, 404, "ResourceNotFoundException", "thing %s not found", thing);
}

/* The batcher's counters as metrics (cheap: a few gauges under one lock each). */
static void publish_stats(struct app *app)
{
    struct devupd_stats s;
    devupd_stats(app->devupd, &s);
    struct metrics *m = app->metrics;
    metrics_set_gauge(m, "otad_device_batches_total", "device group-commit statements",
                      (int64_t)s.batches);
    metrics_set_gauge(m, "otad_device_batch_requests_total",
                      "device requests answered by group-commit statements", (int64_t)s.requests);
    metrics_set_gauge(m, "otad_device_batch_max", "the largest device batch", (int64_t)s.max_batch);
    metrics_set_gauge(m, "otad_device_batches_10_plus", "device batches of 10 requests or more",
                      (int64_t)(s.size_hist[2] + s.size_hist[3] + s.size_hist[4]));
    metrics_set_gauge(m, "otad_device_batch_retries_total", "device batches run again",
                      (int64_t)s.retries);
}

/* ---- GetPendingJobExecutions ---- */

struct pending {
    struct req *r;
    const char *thing;
};

static void on_pending(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct pending *p = arg;
    if (err != NULL) {
        req_reply_error(p->r, err);
        return;
    }
    if (dbres_ntuples(res) < 1 || dbres_get(res, 0, DEVUPD_COL_THING_OK)[0] != 't') {
        reply_no_thing(p->r, p->thing);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *running = cJSON_AddArrayToObject(o, "inProgressJobs");
    cJSON *queued = cJSON_AddArrayToObject(o, "queuedJobs");
    for (int i = 0; i < dbres_ntuples(res); i++) {
        if (dbres_isnull(res, i, DEVUPD_COL_JOB_ID))
            continue;
        struct devupd_execution ex;
        execution_of_row(res, i, &ex);
        cJSON_AddItemToArray(ex.status == EXECUTION_IN_PROGRESS ? running : queued,
                             summary_json(&ex));
    }
    req_reply_json(p->r, 200, o);
}

void jobs_handle_pending(struct req *r)
{
    const char *thing = thing_label(r);
    if (thing == NULL)
        return;
    struct pending *p = arena_alloc(req_arena(r), sizeof *p);
    p->r = r;
    p->thing = thing;
    devupd_pending(req_app(r)->db, thing, on_pending, p);
}

/* ---- DescribeJobExecution ---- */

struct describe {
    struct req *r;
    const char *thing;
    const char *job_id; /* NULL for $next */
    int64_t number;     /* -1: latest */
};

static void on_describe(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct describe *q = arg;
    if (err != NULL) {
        req_reply_error(q->r, err);
        return;
    }
    if (dbres_ntuples(res) < 1 || dbres_get(res, 0, DEVUPD_COL_THING_OK)[0] != 't') {
        reply_no_thing(q->r, q->thing);
        return;
    }
    if (dbres_get(res, 0, DEVUPD_COL_JOB_OK)[0] != 't') {
        req_reply_error_type(q->r, 404, "ResourceNotFoundException", "job %s not found", q->job_id);
        return;
    }
    if (dbres_isnull(res, 0, DEVUPD_COL_JOB_ID)) {
        if (q->job_id == NULL)
            req_reply_error_type(q->r, 404, "ResourceNotFoundException",
                                 "thing %s has no pending job execution", q->thing);
        else if (q->number >= 0)
            req_reply_error_type(q->r, 404, "ResourceNotFoundException",
                                 "job %s has no execution %" PRId64 " for thing %s", q->job_id,
                                 q->number, q->thing);
        else
            req_reply_error_type(q->r, 404, "ResourceNotFoundException",
                                 "job %s has no execution for thing %s", q->job_id, q->thing);
        return;
    }
    struct devupd_execution ex;
    execution_of_row(res, 0, &ex);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "execution", execution_json(&ex, q->thing, req_now(q->r)));
    req_reply_json(q->r, 200, o);
}

void jobs_handle_describe(struct req *r)
{
    struct oerr err;
    const char *thing = thing_label(r);
    if (thing == NULL)
        return;
    const char *job = req_label(r, "jobId");
    int next = job != NULL && strcmp(job, "$next") == 0;
    int64_t number = -1;
    int present, want_doc = 1;
    if ((!next && jsonv_check_label(job, "jobId", &job_spec, &err) < 0) ||
        jsonv_query_int(req_query(r, "executionNumber"), "executionNumber", 0, INT64_MAX, &number,
                        &present, &err) < 0 ||
        jsonv_query_bool(req_query(r, "includeJobDocument"), "includeJobDocument", &want_doc,
                         &present, &err) < 0) {
        req_reply_error(r, &err);
        return;
    }
    if (!present)
        want_doc = 1;
    if (req_query(r, "executionNumber") == NULL)
        number = -1;
    struct describe *q = arena_alloc(req_arena(r), sizeof *q);
    q->r = r;
    q->thing = thing;
    q->job_id = next ? NULL : job;
    q->number = next ? -1 : number;
    devupd_describe(req_app(r)->db, thing, q->job_id, q->number, want_doc, on_describe, q);
}

/* ---- StartNextPendingJobExecution ---- */

struct write {
    struct req *r;
    const char *thing;
    const char *job_id;
    int64_t number;
    enum execution_status to;
    int64_t expected;
    int want_state, want_doc;
};

static void on_start(void *arg, const struct devupd_result *res, const struct oerr *err)
{
    struct write *w = arg;
    publish_stats(req_app(w->r));
    if (err != NULL) {
        req_reply_error(w->r, err);
        return;
    }
    if (res->outcome == DEVUPD_NO_THING) {
        reply_no_thing(w->r, w->thing);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    if (res->outcome == DEVUPD_OK || res->outcome == DEVUPD_UNCHANGED)
        cJSON_AddItemToObject(o, "execution", execution_json(&res->ex, w->thing, req_now(w->r)));
    req_reply_json(w->r, 200, o);
}

void jobs_handle_start_next(struct req *r)
{
    struct oerr err;
    const char *thing = thing_label(r);
    if (thing == NULL)
        return;
    struct devupd_start s = {.thing = thing};
    const cJSON *body = req_json(r, &err);
    if (body == NULL || status_details(r, body, &s.status_details, &err) < 0 ||
        step_timeout(body, 0, &s.step_timeout_ms, &err) < 0) {
        req_reply_error(r, &err);
        return;
    }
    struct app *app = req_app(r);
    if (app->devupd == NULL) {
        oerr_set(&err, OERR_UNAVAILABLE, "device batcher not running");
        req_reply_error(r, &err);
        return;
    }
    struct write *w = arena_alloc(req_arena(r), sizeof *w);
    memset(w, 0, sizeof *w);
    w->r = r;
    w->thing = thing;
    devupd_start_next(app->devupd, &s, on_start, w);
}

/* ---- UpdateJobExecution ---- */

static void on_update(void *arg, const struct devupd_result *res, const struct oerr *err)
{
    struct write *w = arg;
    publish_stats(req_app(w->r));
    if (err != NULL) {
        req_reply_error(w->r, err);
        return;
    }
    const char *from = execution_status_name(res->ex.status);
    const char *to = execution_status_name(w->to);
    switch (res->outcome) {
    case DEVUPD_OK:
        break;
    case DEVUPD_NO_THING:
        reply_no_thing(w->r, w->thing);
        return;
    case DEVUPD_NO_JOB:
        req_reply_error_type(w->r, 404, "ResourceNotFoundException", "job %s not found", w->job_id);
        return;
    case DEVUPD_NO_EXECUTION:
        if (w->number >= 0)
            req_reply_error_type(w->r, 404, "ResourceNotFoundException",
                                 "job %s has no execution %" PRId64 " for thing %s", w->job_id,
                                 w->number, w->thing);
        else
            req_reply_error_type(w->r, 404, "ResourceNotFoundException",
                                 "job %s has no execution for thing %s", w->job_id, w->thing);
        return;
    case DEVUPD_VERSION_CONFLICT:
        req_reply_error_type(w->r, 409, "VersionConflictException",
                             "expectedVersion %" PRId64
                             " does not match the current version %" PRId64
                             " of the execution of job %s for thing %s",
                             w->expected, res->ex.version, w->job_id, w->thing);
        return;
    case DEVUPD_ILLEGAL:
        req_reply_error_type(w->r, 409, "InvalidStateTransitionException",
                             "the execution of job %s for thing %s is %s and cannot become %s",
                             w->job_id, w->thing, from, to);
        return;
    default:
        req_reply_error_type(w->r, 500, "InternalFailureException", "internal error");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    if (w->want_state) {
        cJSON *st = cJSON_AddObjectToObject(o, "executionState");
        cJSON_AddStringToObject(st, "status", from);
        if (res->ex.status_details != NULL) {
            cJSON *d = cJSON_Parse(res->ex.status_details);
            if (d != NULL)
                cJSON_AddItemToObject(st, "statusDetails", d);
        }
        cJSON_AddNumberToObject(st, "versionNumber", (double)res->ex.version);
    }
    if (w->want_doc && res->ex.job_document != NULL)
        cJSON_AddStringToObject(o, "jobDocument", res->ex.job_document);
    req_reply_json(w->r, 200, o);
}

void jobs_handle_update(struct req *r)
{
    struct oerr err;
    const char *thing = thing_label(r);
    if (thing == NULL)
        return;
    const char *job = req_label(r, "jobId");
    if (jsonv_check_label(job, "jobId", &job_spec, &err) < 0) {
        req_reply_error(r, &err);
        return;
    }
    struct devupd_update u = {.job_id = job, .thing = thing};
    int status, present, want_state = 0, want_doc = 0;
    const cJSON *body = req_json(r, &err);
    if (body == NULL ||
        jsonv_enum(body, "", "status", 1, status_values, &status, &present, &err) < 0) {
        req_reply_error(r, &err);
        return;
    }
    u.to = (enum execution_status)(status + EXECUTION_QUEUED);
    if (execution_check_device_status(u.to, &err) < 0 ||
        status_details(r, body, &u.status_details, &err) < 0 ||
        step_timeout(body, 1, &u.step_timeout_ms, &err) < 0 ||
        jsonv_int(body, "", "expectedVersion", 0, 0, INT64_MAX, &u.expected_version, &present,
                  &err) < 0) {
        req_reply_error(r, &err);
        return;
    }
    if (!present)
        u.expected_version = -1;
    if (jsonv_int(body, "", "executionNumber", 0, 0, INT64_MAX, &u.execution_number, &present,
                  &err) < 0) {
        req_reply_error(r, &err);
        return;
    }
    if (!present)
        u.execution_number = -1;
    if (jsonv_bool(body, "", "includeJobExecutionState", 0, &want_state, &present, &err) < 0 ||
        jsonv_bool(body, "", "includeJobDocument", 0, &want_doc, &present, &err) < 0) {
        req_reply_error(r, &err);
        return;
    }
    struct app *app = req_app(r);
    if (app->devupd == NULL) {
        oerr_set(&err, OERR_UNAVAILABLE, "device batcher not running");
        req_reply_error(r, &err);
        return;
    }
    u.want_document = want_doc;
    struct write *w = arena_alloc(req_arena(r), sizeof *w);
    w->r = r;
    w->thing = thing;
    w->job_id = job;
    w->number = u.execution_number;
    w->to = u.to;
    w->expected = u.expected_version;
    w->want_state = want_state;
    w->want_doc = want_doc;
    devupd_update(app->devupd, &u, on_update, w);
}
