/*
 * configs: OTA task configurations. Validation happens before anything is stored; the stored
 * PushConfig is the normalised copy (model members only), echoed by Get.
 */
#include "api/configs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/idem.h"
#include "api/ids.h"
#include "api/jsonv.h"
#include "api/page.h"
#include "api/pushcfg.h"
#include "api/reply.h"
#include "api/req.h"
#include "engine/arena.h"
#include "store/task_configs.h"

#define RESOURCE  "OtaTaskConfiguration"
#define PAGE_KIND "cfg"

static const struct jsonv_str name_spec = {1, 128, jsonv_class_description,
                                           "letters, digits, '-', '_' and spaces"};
static const struct jsonv_str id_spec = {1, 64, jsonv_class_alnum, "letters and digits"};

struct create {
    struct idem *op;
    char id[IDS_LEN + 1];
    const char *name;
    const char *description;
    const char *push;
};

static void on_inserted(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct create *c = arg;
    (void)res;
    if (err != NULL) {
        idem_fail(c->op, err);
        return;
    }
    char body[96];
    snprintf(body, sizeof body, "{\"TaskConfigurationId\":\"%s\"}", c->id);
    idem_done(c->op, 201, body);
}

static void create_step(struct idem *op, struct dbconn *conn, void *arg)
{
    struct create *c = arg;
    c->op = op;
    task_configs_insert(conn, c->id, c->name, c->description, c->push, req_now(idem_req(op)),
                        on_inserted, c);
}

void configs_create(struct req *r)
{
    struct oerr err;
    const cJSON *body = req_json(r, &err);
    struct create *c = arena_calloc(req_arena(r), 1, sizeof *c);
    const char *token = NULL;
    const cJSON *push = NULL;
    struct otaspec_push pc;
    cJSON *norm = NULL;

    if (body == NULL ||
        jsonv_string(body, "", "Description", 0, &jsonv_description, &c->description, &err) < 0 ||
        jsonv_string(body, "", "Name", 0, &name_spec, &c->name, &err) < 0 ||
        jsonv_string(body, "", "ClientToken", 0, &jsonv_client_token, &token, &err) < 0 ||
        jsonv_object(body, "", "PushConfig", 0, &push, &err) < 0 ||
        pushcfg_parse(push, "PushConfig", &pc, &norm, &err) < 0) {
        req_reply_error(r, &err);
        return;
    }
    if (norm != NULL) {
        char *text = cJSON_PrintUnformatted(norm);
        c->push = arena_strdup(req_arena(r), text);
        cJSON_free(text);
        cJSON_Delete(norm);
    }
    ids_new(c->id);
    idem_run(r, token, create_step, c);
}

/* One configuration row as the Get response (or a List item when item != 0). */
static cJSON *row_json(const struct dbres *res, int row, int item)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "TaskConfigurationId", dbres_get(res, row, TASK_CONFIGS_ID));
    if (!dbres_isnull(res, row, TASK_CONFIGS_NAME))
        cJSON_AddStringToObject(o, "Name", dbres_get(res, row, TASK_CONFIGS_NAME));
    if (!item) {
        if (!dbres_isnull(res, row, TASK_CONFIGS_PUSH_CONFIG)) {
            cJSON *pc = cJSON_Parse(dbres_get(res, row, TASK_CONFIGS_PUSH_CONFIG));
            if (pc != NULL)
                cJSON_AddItemToObject(o, "PushConfig", pc);
        }
        if (!dbres_isnull(res, row, TASK_CONFIGS_DESCRIPTION))
            cJSON_AddStringToObject(o, "Description",
                                    dbres_get(res, row, TASK_CONFIGS_DESCRIPTION));
    }
    cJSON_AddNumberToObject(o, "CreatedAt",
                            (double)dbres_i64(res, row, TASK_CONFIGS_CREATED_AT) / 1000.0);
    return o;
}

static cJSON *get_body(const struct dbres *res, int row)
{
    return row_json(res, row, 0);
}

static const struct reply_row get_shape = {RESOURCE, "Identifier", "OTA task configuration", 200,
                                           get_body};
static const struct reply_row delete_shape = {RESOURCE, "Identifier", "OTA task configuration", 204,
                                              NULL};

void configs_get(struct req *r)
{
    struct oerr err;
    const char *id = req_label(r, "Identifier");
    if (jsonv_check_label(id, "Identifier", &id_spec, &err) < 0) {
        req_reply_error(r, &err);
        return;
    }
    task_configs_get(req_app(r)->db, id, reply_row_done, reply_row_arg(r, &get_shape));
}

static cJSON *list_item(const struct dbres *res, int row)
{
    return row_json(res, row, 1);
}

static const struct page_listing listing = {PAGE_KIND, "Items", TASK_CONFIGS_SEQ, list_item, NULL};

void configs_list(struct req *r)
{
    int64_t after, fetch;
    struct page *p = page_start(r, &listing, &after, &fetch);
    if (p != NULL)
        task_configs_list(req_app(r)->db, after, fetch, page_reply, p);
}

void configs_delete(struct req *r)
{
    struct oerr err;
    const char *id = req_label(r, "Identifier");
    if (jsonv_check_label(id, "Identifier", &id_spec, &err) < 0) {
        req_reply_error(r, &err);
        return;
    }
    task_configs_delete(req_app(r)->db, id, reply_row_done, reply_row_arg(r, &delete_shape));
}
