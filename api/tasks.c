/*
 * tasks: OTA tasks. CreateOtaTask validates every member (the scheduling and retry rules are
 * engine/otaspec.c's, the target query engine/query.c's) before anything is stored, then
 * creates the task, its PLANNED executions and its counter in one statement of one transaction
 * (store/tasks.c), with ClientToken idempotency. The stored `spec` is a normalised copy of the
 * request members (model members only), echoed by GetOtaTask; the scheduler's inputs (times in
 * ms, windows, retry criteria, the configuration's PushConfig) are stored in their own columns.
 */
#include "api/tasks.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/idem.h"
#include "api/ids.h"
#include "api/jsonv.h"
#include "api/page.h"
#include "api/req.h"
#include "engine/arena.h"
#include "engine/execution.h"
#include "engine/otaspec.h"
#include "engine/query.h"
#include "engine/retry.h"
#include "engine/task.h"
#include "store/querysql.h"
#include "store/tasks.h"

#define RESOURCE        "OtaTask"
#define CONFIG_RESOURCE "OtaTaskConfiguration"
#define PAGE_KIND       "otk"
#define EXEC_PAGE_KIND  "otx"
#define MAX_PROCESSING  100
#define UNKNOWN_SHOWN   10

static const struct jsonv_str id_spec = {1, 200, jsonv_class_alnum, "letters and digits"};
static const struct jsonv_str config_id_spec = {1, 64, jsonv_class_alnum, "letters and digits"};
static const struct jsonv_str s3_url_spec = {1, 1000, NULL, NULL};
/* a managed-thing id (1..64) or an ARN (up to 1011, the longest ARN the model allows) */
static const struct jsonv_str target_spec = {1, 1011, NULL, NULL};
static const struct jsonv_str query_spec = {1, QUERY_MAX_LEN, NULL, NULL};
static const struct jsonv_str tag_key_spec = {1, 128, NULL, NULL};
static const struct jsonv_str tag_value_spec = {0, 256, NULL, NULL};

static const char *const protocols[] = {"HTTP", NULL};
static const char *const mechanisms[] = {"PUSH", NULL};
static const char *const ota_types[] = {"ONE_TIME", "CONTINUOUS", NULL};

/* TaskProcessingDetails members by execution status (the model's mixed casing); PLANNED is
 * counted nowhere. */
static const char *const count_names[EXECUTION_STATUS_MAX] = {
    [EXECUTION_PLANNED] = NULL,
    [EXECUTION_QUEUED] = "numberOfQueuedThings",
    [EXECUTION_IN_PROGRESS] = "NumberOfInProgressThings",
    [EXECUTION_SUCCEEDED] = "numberOfSucceededThings",
    [EXECUTION_FAILED] = "NumberOfFailedThings",
    [EXECUTION_TIMED_OUT] = "numberOfTimedOutThings",
    [EXECUTION_REJECTED] = "numberOfRejectedThings",
    [EXECUTION_REMOVED] = "numberOfRemovedThings",
    [EXECUTION_CANCELED] = "NumberOfCanceledThings",
};

/* A cJSON tree as text in the request's arena; deletes the tree. */
static const char *print(struct req *r, cJSON *tree)
{
    char *text = cJSON_PrintUnformatted(tree);
    const char *out = arena_strdup(req_arena(r), text);
    cJSON_free(text);
    cJSON_Delete(tree);
    return out;
}

static void add_str(cJSON *o, const char *name, const char *v)
{
    if (v != NULL)
        cJSON_AddStringToObject(o, name, v);
}

static void add_ms(cJSON *o, const char *name, const struct dbres *res, int row, int col)
{
    if (!dbres_isnull(res, row, col))
        cJSON_AddNumberToObject(o, name, (double)dbres_i64(res, row, col) / 1000.0);
}

static void reply_task_not_found(struct req *r, const char *id)
{
    req_reply_not_found(r, RESOURCE, id, "OTA task %s not found", id);
}

static void reply_config_not_found(struct req *r, const char *id)
{
    req_reply_not_found(r, CONFIG_RESOURCE, id, "OTA task configuration %s not found", id);
}

/* ---- Create ---- */

struct create {
    struct idem *op;
    char id[IDS_LEN + 1];
    struct tasks_new t;
    struct query *query;
    struct querysql qs;
    const char *description;
    const char *arn;
};

static void create_free(void *arg)
{
    struct create *c = arg;
    querysql_free(&c->qs);
    query_free(c->query);
}

/* "a, b, c" of a JSON array of strings, in the request's arena. */
static const char *join_ids(struct req *r, const char *json)
{
    cJSON *arr = cJSON_Parse(json);
    const cJSON *e;
    const char *out = "";
    cJSON_ArrayForEach(e, arr)
    {
        if (cJSON_IsString(e))
            out = arena_printf(req_arena(r), "%s%s%s", out, out[0] != '\0' ? ", " : "",
                               e->valuestring);
    }
    cJSON_Delete(arr);
    return out;
}

static void on_created(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct create *c = arg;
    struct req *r = idem_req(c->op);
    struct oerr e;
    if (err != NULL) {
        idem_fail(c->op, err);
        return;
    }
    if (dbres_ntuples(res) != 1) {
        oerr_set(&e, OERR_INTERNAL, "task create returned %d rows", dbres_ntuples(res));
        idem_fail(c->op, &e);
        return;
    }
    if (strcmp(dbres_get(res, 0, TASKS_CREATE_CONFIG_FOUND), "t") != 0) {
        idem_abort(c->op);
        reply_config_not_found(r, c->t.config_id);
        return;
    }
    int64_t unknown = dbres_i64(res, 0, TASKS_CREATE_UNKNOWN_COUNT);
    if (unknown > 0) {
        const char *ids = join_ids(r, dbres_get(res, 0, TASKS_CREATE_UNKNOWN));
        if (unknown > UNKNOWN_SHOWN)
            oerr_set(&e, OERR_INVALID, "Target: %lld managed things do not exist, the first %d: %s",
                     (long long)unknown, UNKNOWN_SHOWN, ids);
        else
            oerr_set(&e, OERR_INVALID, "Target: unknown managed thing%s: %s",
                     unknown > 1 ? "s" : "", ids);
        idem_fail(c->op, &e);
        return;
    }
    int64_t n = dbres_i64(res, 0, TASKS_CREATE_TARGETS);
    if (n > c->t.max_targets) {
        oerr_set(&e, OERR_INVALID,
                 "the task would have %lld targets (Target and OtaTargetQueryString), more than "
                 "the limit of %lld",
                 (long long)n, (long long)c->t.max_targets);
        idem_fail(c->op, &e);
        return;
    }
    if (dbres_isnull(res, 0, TASKS_CREATE_STATUS)) {
        oerr_set(&e, OERR_INTERNAL, "task %s was not stored", c->id);
        idem_fail(c->op, &e);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "TaskId", c->id);
    cJSON_AddStringToObject(o, "TaskArn", c->arn);
    add_str(o, "Description", c->description);
    idem_done(c->op, 201, print(r, o));
}

static void create_step(struct idem *op, struct dbconn *conn, void *arg)
{
    struct create *c = arg;
    c->op = op;
    tasks_create(conn, &c->t, on_created, c);
}

/* Target: the list as given (echoed) and the managed-thing ids (ARNs -> last segment). */
static int parse_targets(struct req *r, const cJSON *body, struct create *c, cJSON *spec,
                         struct oerr *err)
{
    const cJSON *list, *e;
    int64_t max = req_app(r)->cfg->max_targets;
    if (jsonv_string_list(body, "", "Target", 0, 0, 0, &target_spec, &list, err) < 0)
        return -1;
    if (list == NULL)
        return 0;
    size_t n = (size_t)cJSON_GetArraySize(list);
    if ((int64_t)n > max)
        return oerr_set(err, OERR_INVALID, "Target must have at most %lld entries", (long long)max);
    const char **ids = arena_calloc(req_arena(r), n + 1, sizeof *ids);
    size_t i = 0;
    cJSON_ArrayForEach(e, list) ids[i++] = ids_from_arn(e->valuestring);
    c->t.targets = ids;
    c->t.n_targets = n;
    cJSON_AddItemToObject(spec, "Target", cJSON_Duplicate(list, 1));
    return 0;
}

/* OtaTargetQueryString: parsed (syntax errors name the position) and translated to SQL. */
static int parse_query(const cJSON *body, struct create *c, cJSON *spec, struct oerr *err)
{
    const char *text;
    if (jsonv_string(body, "", "OtaTargetQueryString", 0, &query_spec, &text, err) < 0)
        return -1;
    if (text == NULL)
        return 0;
    c->query = query_parse(text, err);
    if (c->query == NULL) {
        oerr_prefix(err, "OtaTargetQueryString: ");
        return -1;
    }
    if (querysql_build(c->query, TASKS_QUERY_FIRST_PARAM, "th", &c->qs, err) < 0)
        return -1;
    c->t.target_query = text;
    c->t.query = &c->qs;
    cJSON_AddStringToObject(spec, "OtaTargetQueryString", text);
    return 0;
}

/* OtaSchedulingConfig: the rules (engine/otaspec), the echo, the scheduler's columns and the
 * initial statuses. */
static int parse_schedule(struct req *r, const cJSON *body, enum task_type type, struct create *c,
                          cJSON *spec, struct oerr *err)
{
    const cJSON *given = jsonv_member(body, "OtaSchedulingConfig");
    struct jview view = jsonv_view(given);
    struct otaspec_schedule s;
    if (otaspec_schedule(&view, "OtaSchedulingConfig", req_now(r), &s, err) < 0)
        return -1;
    c->t.start_at = s.schedule.start_at;
    c->t.end_at = s.schedule.end_at;
    c->t.end_behavior = task_end_behavior_name(s.schedule.end_behavior);
    c->t.status_empty = task_status_name(task_initial_status(type, &s.schedule, 0, req_now(r)));
    c->t.status_targets = task_status_name(task_initial_status(type, &s.schedule, 1, req_now(r)));
    if (given != NULL) {
        cJSON *echo = cJSON_AddObjectToObject(spec, "OtaSchedulingConfig");
        static const char *const strings[] = {"StartTime", "EndTime", "EndBehavior", NULL};
        for (size_t i = 0; strings[i] != NULL; i++) {
            const cJSON *it = jsonv_member(given, strings[i]);
            if (it != NULL)
                cJSON_AddStringToObject(echo, strings[i], it->valuestring);
        }
        if (jsonv_member(given, "MaintenanceWindows") != NULL) {
            cJSON *wins = cJSON_AddArrayToObject(echo, "MaintenanceWindows");
            cJSON *cols = cJSON_CreateArray();
            for (size_t i = 0; i < s.n_windows; i++) {
                cJSON *w = cJSON_CreateObject();
                cJSON_AddStringToObject(w, "StartTime", s.window[i].cron);
                cJSON_AddNumberToObject(w, "DurationInMinutes", (double)s.window[i].duration_min);
                cJSON_AddItemToArray(wins, w);
                cJSON *col = cJSON_CreateObject();
                cJSON_AddStringToObject(col, "cron", s.window[i].cron);
                cJSON_AddNumberToObject(col, "duration", (double)s.window[i].duration_min);
                cJSON_AddItemToArray(cols, col);
            }
            c->t.windows = s.n_windows > 0 ? print(r, cols) : NULL;
            if (s.n_windows == 0)
                cJSON_Delete(cols);
        }
    }
    otaspec_schedule_free(&s);
    return 0;
}

/* OtaTaskExecutionRetryConfig: the rules (engine/otaspec), the echo and the scheduler's column. */
static int parse_retry(struct req *r, const cJSON *body, struct create *c, cJSON *spec,
                       struct oerr *err)
{
    const cJSON *given = jsonv_member(body, "OtaTaskExecutionRetryConfig");
    struct jview view = jsonv_view(given);
    struct retry_config rc;
    if (otaspec_retry(&view, "OtaTaskExecutionRetryConfig", &rc, err) < 0)
        return -1;
    if (given == NULL)
        return 0;
    cJSON *echo = cJSON_AddObjectToObject(spec, "OtaTaskExecutionRetryConfig");
    if (jsonv_member(given, "RetryConfigCriteria") == NULL)
        return 0;
    cJSON *list = cJSON_AddArrayToObject(echo, "RetryConfigCriteria");
    cJSON *col = cJSON_CreateArray();
    for (size_t i = 0; i < rc.n; i++) {
        const char *type = retry_failure_name(rc.c[i].failure_type);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "FailureType", type);
        cJSON_AddNumberToObject(e, "MinNumberOfRetries", rc.c[i].retries);
        cJSON_AddItemToArray(list, e);
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "type", type);
        cJSON_AddNumberToObject(s, "n", rc.c[i].retries);
        cJSON_AddItemToArray(col, s);
    }
    if (rc.n > 0)
        c->t.retry = print(r, col);
    else
        cJSON_Delete(col);
    return 0;
}

/* {"otaTask":{"taskId","taskArn","s3Url","protocol"?,"otaType"}}: what devices receive. */
static const char *job_document(struct req *r, const struct create *c, const char *s3_url,
                                const char *protocol)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *t = cJSON_AddObjectToObject(doc, "otaTask");
    cJSON_AddStringToObject(t, "taskId", c->id);
    cJSON_AddStringToObject(t, "taskArn", c->arn);
    cJSON_AddStringToObject(t, "s3Url", s3_url);
    add_str(t, "protocol", protocol);
    cJSON_AddStringToObject(t, "otaType", c->t.ota_type);
    return print(r, doc);
}

/* Validate the whole request into c (model order); nothing is stored yet. */
static int parse_create(struct req *r, const cJSON *body, struct create *c, const char **token,
                        struct oerr *err)
{
    const char *s3_url, *protocol = NULL, *mechanism = NULL;
    int proto_i, mech_i, type_i, present;
    const cJSON *tags;
    cJSON *spec = cJSON_CreateObject();

    if (jsonv_string(body, "", "Description", 0, &jsonv_description, &c->description, err) < 0 ||
        jsonv_string(body, "", "S3Url", 1, &s3_url_spec, &s3_url, err) < 0 ||
        jsonv_enum(body, "", "Protocol", 0, protocols, &proto_i, &present, err) < 0)
        goto fail;
    if (present)
        protocol = protocols[proto_i];
    cJSON_AddStringToObject(spec, "S3Url", s3_url);
    add_str(spec, "Protocol", protocol);
    if (parse_targets(r, body, c, spec, err) < 0 ||
        jsonv_string(body, "", "TaskConfigurationId", 0, &config_id_spec, &c->t.config_id, err) <
            0 ||
        jsonv_enum(body, "", "OtaMechanism", 0, mechanisms, &mech_i, &present, err) < 0)
        goto fail;
    if (present)
        mechanism = mechanisms[mech_i];
    add_str(spec, "OtaMechanism", mechanism);
    if (jsonv_enum(body, "", "OtaType", 1, ota_types, &type_i, &present, err) < 0)
        goto fail;
    enum task_type type = type_i == 0 ? TASK_ONE_TIME : TASK_CONTINUOUS;
    c->t.ota_type = task_type_name(type);
    cJSON_AddStringToObject(spec, "OtaType", c->t.ota_type);
    if (parse_query(body, c, spec, err) < 0 ||
        jsonv_string(body, "", "ClientToken", 0, &jsonv_client_token, token, err) < 0 ||
        parse_schedule(r, body, type, c, spec, err) < 0 || parse_retry(r, body, c, spec, err) < 0 ||
        jsonv_string_map(body, "", "Tags", 0, 1, 50, &tag_key_spec, &tag_value_spec, &tags, err) <
            0)
        goto fail;
    if (tags != NULL)
        cJSON_AddItemToObject(spec, "Tags", cJSON_Duplicate(tags, 1));

    c->t.id = c->id;
    c->t.arn = c->arn;
    c->t.description = c->description;
    c->t.job_document = job_document(r, c, s3_url, protocol);
    c->t.spec = print(r, spec);
    c->t.max_targets = req_app(r)->cfg->max_targets;
    c->t.now = req_now(r);
    return 0;
fail:
    cJSON_Delete(spec);
    return -1;
}

void tasks_handle_create(struct req *r)
{
    struct oerr err;
    const cJSON *body = req_json(r, &err);
    struct create *c = arena_calloc(req_arena(r), 1, sizeof *c);
    const char *token = NULL;
    req_on_free(r, create_free, c);
    ids_new(c->id);
    c->arn = ids_arn(req_arena(r), req_app(r)->cfg, "iotmanagedintegrations", "ota-task", c->id);
    if (body == NULL || parse_create(r, body, c, &token, &err) < 0) {
        req_reply_error(r, &err);
        return;
    }
    idem_run(r, token, create_step, c);
}

/* ---- Get and List ---- */

/* The task row as GetOtaTask's response. */
static cJSON *task_json(const struct dbres *res)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "TaskId", dbres_get(res, 0, TASKS_ID));
    cJSON_AddStringToObject(o, "TaskArn", dbres_get(res, 0, TASKS_ARN));
    if (!dbres_isnull(res, 0, TASKS_DESCRIPTION))
        cJSON_AddStringToObject(o, "Description", dbres_get(res, 0, TASKS_DESCRIPTION));
    cJSON *spec = cJSON_Parse(dbres_get(res, 0, TASKS_SPEC));
    static const char *const echoed[] = {
        "S3Url", "Protocol", "OtaType", "OtaTargetQueryString", "OtaMechanism", "Target", NULL};
    for (size_t i = 0; spec != NULL && echoed[i] != NULL; i++) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(spec, echoed[i]);
        if (it != NULL)
            cJSON_AddItemToObject(o, echoed[i], cJSON_Duplicate(it, 1));
    }
    add_ms(o, "CreatedAt", res, 0, TASKS_CREATED_AT);
    add_ms(o, "LastUpdatedAt", res, 0, TASKS_UPDATED_AT);
    if (!dbres_isnull(res, 0, TASKS_CONFIG_ID))
        cJSON_AddStringToObject(o, "TaskConfigurationId", dbres_get(res, 0, TASKS_CONFIG_ID));

    cJSON *details = cJSON_AddObjectToObject(o, "TaskProcessingDetails");
    for (int s = 0; s < EXECUTION_STATUS_MAX; s++)
        if (count_names[s] != NULL)
            cJSON_AddNumberToObject(details, count_names[s],
                                    (double)dbres_i64(res, 0, TASKS_COUNTS + s));
    if (!dbres_isnull(res, 0, TASKS_PROCESSING)) {
        cJSON *targets = cJSON_Parse(dbres_get(res, 0, TASKS_PROCESSING));
        if (targets != NULL)
            cJSON_AddItemToObject(details, "processingTargets", targets);
    }

    static const char *const configs[] = {"OtaSchedulingConfig", "OtaTaskExecutionRetryConfig",
                                          NULL};
    for (size_t i = 0; spec != NULL && configs[i] != NULL; i++) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(spec, configs[i]);
        if (it != NULL)
            cJSON_AddItemToObject(o, configs[i], cJSON_Duplicate(it, 1));
    }
    cJSON_AddStringToObject(o, "Status", dbres_get(res, 0, TASKS_STATUS));
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(spec, "Tags");
    if (tags != NULL)
        cJSON_AddItemToObject(o, "Tags", cJSON_Duplicate(tags, 1));
    cJSON_Delete(spec);
    if (!dbres_isnull(res, 0, TASKS_ABORT_REASON)) {
        cJSON *ab = cJSON_AddObjectToObject(o, "AbortDetails");
        cJSON_AddStringToObject(ab, "ReasonCode", dbres_get(res, 0, TASKS_ABORT_REASON));
        if (!dbres_isnull(res, 0, TASKS_ABORT_COMMENT))
            cJSON_AddStringToObject(ab, "Comment", dbres_get(res, 0, TASKS_ABORT_COMMENT));
    }
    return o;
}

static void on_get(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct req *r = arg;
    if (err != NULL) {
        req_reply_error(r, err);
        return;
    }
    if (dbres_ntuples(res) == 0) {
        reply_task_not_found(r, req_label(r, "Identifier"));
        return;
    }
    req_reply_json(r, 200, task_json(res));
}

/* The Identifier label, validated; NULL after replying with the error. */
static const char *identifier(struct req *r)
{
    struct oerr err;
    const char *id = req_label(r, "Identifier");
    if (jsonv_check_label(id, "Identifier", &id_spec, &err) < 0) {
        req_reply_error(r, &err);
        return NULL;
    }
    return id;
}

void tasks_handle_get(struct req *r)
{
    const char *id = identifier(r);
    if (id != NULL)
        tasks_get(req_app(r)->db, id, on_get, r);
}

static cJSON *task_item(const struct dbres *res, int i)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "TaskId", dbres_get(res, i, TASKS_ID));
    cJSON_AddStringToObject(t, "TaskArn", dbres_get(res, i, TASKS_ARN));
    add_ms(t, "CreatedAt", res, i, TASKS_CREATED_AT);
    add_ms(t, "LastUpdatedAt", res, i, TASKS_UPDATED_AT);
    if (!dbres_isnull(res, i, TASKS_CONFIG_ID))
        cJSON_AddStringToObject(t, "TaskConfigurationId", dbres_get(res, i, TASKS_CONFIG_ID));
    cJSON_AddStringToObject(t, "Status", dbres_get(res, i, TASKS_STATUS));
    return t;
}

static const struct page_listing task_listing = {PAGE_KIND, "Tasks", TASKS_SEQ, task_item, NULL};

void tasks_handle_list(struct req *r)
{
    int64_t after, fetch;
    struct page *p = page_start(r, &task_listing, &after, &fetch);
    if (p != NULL)
        tasks_list(req_app(r)->db, after, fetch, page_reply, p);
}

/* ---- Update and Delete ---- */

struct update {
    struct req *r;
    const char *id;
    const char *config_id;
};

static void on_updated(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct update *u = arg;
    if (err != NULL) {
        req_reply_error(u->r, err);
        return;
    }
    if (strcmp(dbres_get(res, 0, TASKS_UPDATE_FOUND), "t") != 0) {
        reply_task_not_found(u->r, u->id);
        return;
    }
    if (strcmp(dbres_get(res, 0, TASKS_UPDATE_CONFIG_FOUND), "t") != 0) {
        reply_config_not_found(u->r, u->config_id);
        return;
    }
    if (strcmp(dbres_get(res, 0, TASKS_UPDATE_DONE), "t") != 0) {
        /* the task went away (deleted) between the checks and the update */
        reply_task_not_found(u->r, u->id);
        return;
    }
    req_reply_empty(u->r, 204);
}

void tasks_handle_update(struct req *r)
{
    struct oerr err;
    struct update *u = arena_calloc(req_arena(r), 1, sizeof *u);
    const char *description;
    u->r = r;
    u->id = identifier(r);
    if (u->id == NULL)
        return;
    const cJSON *body = req_json(r, &err);
    if (body == NULL ||
        jsonv_string(body, "", "Description", 0, &jsonv_description, &description, &err) < 0 ||
        jsonv_string(body, "", "TaskConfigurationId", 0, &config_id_spec, &u->config_id, &err) <
            0) {
        req_reply_error(r, &err);
        return;
    }
    tasks_update(req_app(r)->db, u->id, description, u->config_id, req_now(r), on_updated, u);
}

static void on_deleted(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct req *r = arg;
    if (err != NULL) {
        req_reply_error(r, err);
        return;
    }
    if (dbres_ntuples(res) == 0) {
        reply_task_not_found(r, req_label(r, "Identifier"));
        return;
    }
    req_reply_empty(r, 200);
}

void tasks_handle_delete(struct req *r)
{
    const char *id = identifier(r);
    if (id != NULL)
        tasks_delete(req_app(r)->db, id, req_now(r), on_deleted, r);
}

/* ---- ListOtaTaskExecutions ---- */

static cJSON *execution_item(const struct dbres *res, int i)
{
    cJSON *item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "ManagedThingId", dbres_get(res, i, TASKS_EXEC_THING));
    cJSON *s = cJSON_AddObjectToObject(item, "TaskExecutionSummary");
    cJSON_AddNumberToObject(s, "ExecutionNumber", (double)dbres_i64(res, i, TASKS_EXEC_NUMBER));
    add_ms(s, "LastUpdatedAt", res, i, TASKS_EXEC_UPDATED_AT);
    add_ms(s, "QueuedAt", res, i, TASKS_EXEC_QUEUED_AT);
    cJSON_AddNumberToObject(s, "RetryAttempt", (double)dbres_i64(res, i, TASKS_EXEC_RETRY_ATTEMPT));
    add_ms(s, "StartedAt", res, i, TASKS_EXEC_STARTED_AT);
    int64_t st = dbres_i64(res, i, TASKS_EXEC_STATUS);
    if (st > EXECUTION_PLANNED && st < EXECUTION_STATUS_MAX)
        cJSON_AddStringToObject(s, "Status", execution_status_name((enum execution_status)st));
    return item;
}

/* No row: no such task; one row with no thing: the task has no visible execution. */
static int execution_rows(struct req *r, const struct dbres *res)
{
    int n = dbres_ntuples(res);
    if (n == 0) {
        reply_task_not_found(r, req_label(r, "Identifier"));
        return -1;
    }
    return dbres_isnull(res, 0, TASKS_EXEC_THING) ? 0 : n;
}

static const struct page_listing execution_listing = {
    EXEC_PAGE_KIND, "ExecutionSummaries", TASKS_EXEC_SEQ, execution_item, execution_rows};

void tasks_handle_executions(struct req *r)
{
    const char *id = identifier(r);
    if (id == NULL)
        return;
    int64_t after, fetch;
    struct page *p = page_start(r, &execution_listing, &after, &fetch);
    if (p != NULL)
        tasks_executions(req_app(r)->db, id, after, fetch, page_reply, p);
}
