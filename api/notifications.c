/*
 * notifications: which destination receives each event type. The event type is the key (one
 * configuration per type; a second Create is a ConflictException) and must be one of the
 * model's EventType values, in the body as in the path. The destination must exist when a
 * configuration is created or re-pointed: otherwise ValidationException naming it.
 */
#include "api/notifications.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/idem.h"
#include "api/jsonv.h"
#include "api/page.h"
#include "api/reply.h"
#include "api/req.h"
#include "engine/arena.h"
#include "store/notifications.h"

#define RESOURCE  "NotificationConfiguration"
#define PAGE_KIND "ntf"

static const char *const event_types[] = {"DEVICE_COMMAND",
                                          "DEVICE_COMMAND_REQUEST",
                                          "DEVICE_DISCOVERY_STATUS",
                                          "DEVICE_EVENT",
                                          "DEVICE_LIFE_CYCLE",
                                          "DEVICE_STATE",
                                          "DEVICE_OTA",
                                          "DEVICE_WSS",
                                          "CONNECTOR_ASSOCIATION",
                                          "ACCOUNT_ASSOCIATION",
                                          "CONNECTOR_ERROR_REPORT",
                                          NULL};

static const struct jsonv_str tag_key_spec = {1, 128, NULL, NULL};
static const struct jsonv_str tag_value_spec = {0, 256, NULL, NULL};

static int is_true(const struct dbres *res, int col)
{
    return strcmp(dbres_get(res, 0, col), "t") == 0;
}

/* The error for a DestinationName that names no destination. */
static void missing_destination(struct oerr *err, const char *name)
{
    oerr_set(err, OERR_INVALID, "DestinationName %s is not an existing destination", name);
}

/* ---- Create ---- */

struct create {
    struct idem *op;
    const char *event_type;
    const char *destination;
    const char *tags;
};

static void on_created(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct create *c = arg;
    if (err != NULL) {
        idem_fail(c->op, err);
        return;
    }
    if (!is_true(res, NOTIFICATIONS_DESTINATION_EXISTS)) {
        struct oerr e;
        missing_destination(&e, c->destination);
        idem_fail(c->op, &e);
        return;
    }
    if (!is_true(res, NOTIFICATIONS_CHANGED)) {
        struct oerr e;
        oerr_set(&e, OERR_CONFLICT, "a notification configuration for %s already exists",
                 c->event_type);
        idem_fail(c->op, &e);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "EventType", c->event_type);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    idem_done(c->op, 201, text);
    cJSON_free(text);
}

static void create_step(struct idem *op, struct dbconn *conn, void *arg)
{
    struct create *c = arg;
    c->op = op;
    notifications_create(conn, c->event_type, c->destination, c->tags, req_now(idem_req(op)),
                         on_created, c);
}

void notifications_handle_create(struct req *r)
{
    struct oerr err;
    const cJSON *body = req_json(r, &err);
    struct create *c = arena_calloc(req_arena(r), 1, sizeof *c);
    const char *token = NULL;
    const cJSON *tags = NULL;
    int type, present;
    if (body == NULL ||
        jsonv_enum(body, "", "EventType", 1, event_types, &type, &present, &err) < 0 ||
        jsonv_string(body, "", "DestinationName", 1, &jsonv_unicode_name128, &c->destination,
                     &err) < 0 ||
        jsonv_string(body, "", "ClientToken", 0, &jsonv_client_token, &token, &err) < 0 ||
        jsonv_string_map(body, "", "Tags", 0, 1, 50, &tag_key_spec, &tag_value_spec, &tags, &err) <
            0) {
        req_reply_error(r, &err);
        return;
    }
    c->event_type = event_types[type];
    if (tags != NULL) {
        char *text = cJSON_PrintUnformatted(tags);
        c->tags = arena_strdup(req_arena(r), text);
        cJSON_free(text);
    }
    idem_run(r, token, create_step, c);
}

/* ---- Get and List ---- */

/* One configuration row as the Get response (or a summary when item != 0). */
static cJSON *row_json(const struct dbres *res, int row, int item)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "EventType", dbres_get(res, row, NOTIFICATIONS_EVENT_TYPE));
    cJSON_AddStringToObject(o, "DestinationName",
                            dbres_get(res, row, NOTIFICATIONS_DESTINATION_NAME));
    if (!item) {
        cJSON_AddNumberToObject(o, "CreatedAt",
                                (double)dbres_i64(res, row, NOTIFICATIONS_CREATED_AT) / 1000.0);
        cJSON_AddNumberToObject(o, "UpdatedAt",
                                (double)dbres_i64(res, row, NOTIFICATIONS_UPDATED_AT) / 1000.0);
        if (!dbres_isnull(res, row, NOTIFICATIONS_TAGS)) {
            cJSON *tags = cJSON_Parse(dbres_get(res, row, NOTIFICATIONS_TAGS));
            if (tags != NULL)
                cJSON_AddItemToObject(o, "Tags", tags);
        }
    }
    return o;
}

/* The EventType label, one of the model's values; NULL after replying with the error. */
static const char *event_type_label(struct req *r)
{
    const char *value = req_label(r, "EventType");
    for (size_t i = 0; value != NULL && event_types[i] != NULL; i++)
        if (strcmp(value, event_types[i]) == 0)
            return event_types[i];
    char list[256];
    size_t pos = 0;
    list[0] = '\0';
    for (size_t i = 0; event_types[i] != NULL && pos < sizeof list; i++) {
        int n = snprintf(list + pos, sizeof list - pos, "%s%s", i > 0 ? ", " : "", event_types[i]);
        if (n < 0)
            break;
        pos += (size_t)n;
    }
    struct oerr err;
    oerr_set(&err, OERR_INVALID, "EventType must be one of %s", list);
    req_reply_error(r, &err);
    return NULL;
}

static cJSON *get_body(const struct dbres *res, int row)
{
    return row_json(res, row, 0);
}

static const struct reply_row get_shape = {RESOURCE, "EventType", "notification configuration for",
                                           200, get_body};
static const struct reply_row delete_shape = {RESOURCE, "EventType",
                                              "notification configuration for", 200, NULL};

void notifications_handle_get(struct req *r)
{
    const char *type = event_type_label(r);
    if (type != NULL)
        notifications_get(req_app(r)->db, type, reply_row_done, reply_row_arg(r, &get_shape));
}

static cJSON *list_item(const struct dbres *res, int row)
{
    return row_json(res, row, 1);
}

static const struct page_listing listing = {PAGE_KIND, "NotificationConfigurationList",
                                            NOTIFICATIONS_SEQ, list_item, NULL};

void notifications_handle_list(struct req *r)
{
    int64_t after, fetch;
    struct page *p = page_start(r, &listing, &after, &fetch);
    if (p != NULL)
        notifications_list(req_app(r)->db, after, fetch, page_reply, p);
}

/* ---- Update and Delete ---- */

struct update {
    struct req *r;
    const char *event_type;
    const char *destination;
};

static void on_updated(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct update *u = arg;
    if (err != NULL) {
        req_reply_error(u->r, err);
        return;
    }
    if (!is_true(res, NOTIFICATIONS_CONFIG_EXISTS)) {
        reply_row_not_found(u->r, &get_shape);
        return;
    }
    if (!is_true(res, NOTIFICATIONS_DESTINATION_EXISTS)) {
        struct oerr e;
        missing_destination(&e, u->destination);
        req_reply_error(u->r, &e);
        return;
    }
    req_reply_empty(u->r, 201);
}

void notifications_handle_update(struct req *r)
{
    struct oerr err;
    struct update *u = arena_calloc(req_arena(r), 1, sizeof *u);
    u->r = r;
    u->event_type = event_type_label(r);
    if (u->event_type == NULL)
        return;
    const cJSON *body = req_json(r, &err);
    if (body == NULL || jsonv_string(body, "", "DestinationName", 1, &jsonv_unicode_name128,
                                     &u->destination, &err) < 0) {
        req_reply_error(r, &err);
        return;
    }
    notifications_update(req_app(r)->db, u->event_type, u->destination, req_now(r), on_updated, u);
}

void notifications_handle_delete(struct req *r)
{
    const char *type = event_type_label(r);
    if (type != NULL)
        notifications_delete(req_app(r)->db, type, reply_row_done, reply_row_arg(r, &delete_shape));
}
