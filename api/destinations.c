/*
 * destinations: where DEVICE_OTA (and other) events are delivered. The name is the key chosen
 * by the caller; a second Create with a taken name is a ConflictException. The stored document
 * keeps the model members of the request (Tags are deprecated but still accepted and echoed).
 */
#include "api/destinations.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/idem.h"
#include "api/jsonv.h"
#include "api/page.h"
#include "api/reply.h"
#include "api/req.h"
#include "engine/arena.h"
#include "store/destinations.h"

#define RESOURCE  "Destination"
#define PAGE_KIND "dst"

static const struct jsonv_str arn_spec = {20, 2048, NULL, NULL};
static const struct jsonv_str role_arn_spec = {0, 0, NULL, NULL};
static const struct jsonv_str tag_key_spec = {1, 128, NULL, NULL};
static const struct jsonv_str tag_value_spec = {0, 256, NULL, NULL};

static const char *const destination_types[] = {"KINESIS", NULL};

#define ON_CREATE 1u
#define ON_UPDATE 2u

static int is_alnum(char c)
{
    return jsonv_class_alnum((unsigned char)c);
}

/* Past a run of one or more letters, digits or characters of extra; NULL if the run is empty. */
static const char *span(const char *p, const char *extra)
{
    const char *start = p;
    while (*p != '\0' && (is_alnum(*p) || (extra != NULL && strchr(extra, *p) != NULL)))
        p++;
    return p == start ? NULL : p;
}

/* arn:aws:[0-9a-zA-Z]+:[0-9a-zA-Z-]+:[0-9]+:[0-9a-zA-Z]+/[0-9a-zA-Z._-]+ */
static int is_delivery_arn(const char *s)
{
    if (strncmp(s, "arn:aws:", 8) != 0)
        return 0;
    const char *p = span(s + 8, NULL); /* service */
    if (p == NULL || *p != ':')
        return 0;
    p = span(p + 1, "-"); /* region */
    if (p == NULL || *p != ':')
        return 0;
    const char *account = ++p;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p == account || *p != ':')
        return 0;
    p = span(p + 1, NULL); /* resource type */
    if (p == NULL || *p != '/')
        return 0;
    p = span(p + 1, "._-"); /* resource name */
    return p != NULL && *p == '\0';
}

/* The members op takes from body, validated, as a JSON object text in the request arena
 * (*name set on Create); NULL on error. */
static const char *parse_doc(struct req *r, const cJSON *body, unsigned op, const char **name,
                             struct oerr *err)
{
    int create = op == ON_CREATE;
    const char *arn, *role, *description;
    const cJSON *tags = NULL;
    int type = 0, has_type;
    if (create && jsonv_string(body, "", "Name", 1, &jsonv_unicode_name128, name, err) < 0)
        return NULL;
    if (jsonv_string(body, "", "DeliveryDestinationArn", create, &arn_spec, &arn, err) < 0)
        return NULL;
    if (arn != NULL && !is_delivery_arn(arn)) {
        oerr_set(err, OERR_INVALID,
                 "DeliveryDestinationArn must be an ARN like "
                 "arn:aws:<service>:<region>:<account>:<type>/<name>");
        return NULL;
    }
    if (jsonv_enum(body, "", "DeliveryDestinationType", create, destination_types, &type, &has_type,
                   err) < 0 ||
        jsonv_string(body, "", "RoleArn", create, &role_arn_spec, &role, err) < 0 ||
        jsonv_string(body, "", "Description", 0, &jsonv_description, &description, err) < 0 ||
        (create && jsonv_string_map(body, "", "Tags", 0, 1, 50, &tag_key_spec, &tag_value_spec,
                                    &tags, err) < 0))
        return NULL;

    cJSON *doc = cJSON_CreateObject();
    if (arn != NULL)
        cJSON_AddStringToObject(doc, "DeliveryDestinationArn", arn);
    if (has_type)
        cJSON_AddStringToObject(doc, "DeliveryDestinationType", destination_types[type]);
    if (role != NULL)
        cJSON_AddStringToObject(doc, "RoleArn", role);
    if (description != NULL)
        cJSON_AddStringToObject(doc, "Description", description);
    if (tags != NULL)
        cJSON_AddItemToObject(doc, "Tags", cJSON_Duplicate(tags, 1));
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    const char *out = arena_strdup(req_arena(r), text);
    cJSON_free(text);
    return out;
}

/* ---- Create ---- */

struct create {
    struct idem *op;
    const char *name;
    const char *doc;
};

static void on_created(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct create *c = arg;
    if (err != NULL) {
        idem_fail(c->op, err);
        return;
    }
    if (dbres_ntuples(res) == 0) {
        struct oerr e;
        oerr_set(&e, OERR_CONFLICT, "destination %s already exists", c->name);
        idem_fail(c->op, &e);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Name", c->name);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    idem_done(c->op, 201, text);
    cJSON_free(text);
}

static void create_step(struct idem *op, struct dbconn *conn, void *arg)
{
    struct create *c = arg;
    c->op = op;
    destinations_create(conn, c->name, c->doc, req_now(idem_req(op)), on_created, c);
}

void destinations_handle_create(struct req *r)
{
    struct oerr err;
    const cJSON *body = req_json(r, &err);
    struct create *c = arena_calloc(req_arena(r), 1, sizeof *c);
    const char *token = NULL;
    if (body == NULL ||
        jsonv_string(body, "", "ClientToken", 0, &jsonv_client_token, &token, &err) < 0) {
        req_reply_error(r, &err);
        return;
    }
    c->doc = parse_doc(r, body, ON_CREATE, &c->name, &err);
    if (c->doc == NULL) {
        req_reply_error(r, &err);
        return;
    }
    idem_run(r, token, create_step, c);
}

/* ---- Get and List ---- */

/* One destination row as the Get response (or a DestinationSummary when item != 0). */
static cJSON *row_json(const struct dbres *res, int row, int item)
{
    static const char *const members[] = {"Description", "DeliveryDestinationArn",
                                          "DeliveryDestinationType", NULL};
    cJSON *o = cJSON_CreateObject();
    cJSON *doc = cJSON_Parse(dbres_get(res, row, DESTINATIONS_DOC));
    for (size_t i = 0; doc != NULL && members[i] != NULL; i++) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(doc, members[i]);
        if (it != NULL)
            cJSON_AddItemToObject(o, members[i], cJSON_Duplicate(it, 1));
    }
    cJSON_AddStringToObject(o, "Name", dbres_get(res, row, DESTINATIONS_NAME));
    const cJSON *role = doc != NULL ? cJSON_GetObjectItemCaseSensitive(doc, "RoleArn") : NULL;
    if (role != NULL)
        cJSON_AddItemToObject(o, "RoleArn", cJSON_Duplicate(role, 1));
    if (!item) {
        cJSON_AddNumberToObject(o, "CreatedAt",
                                (double)dbres_i64(res, row, DESTINATIONS_CREATED_AT) / 1000.0);
        cJSON_AddNumberToObject(o, "UpdatedAt",
                                (double)dbres_i64(res, row, DESTINATIONS_UPDATED_AT) / 1000.0);
        const cJSON *tags = doc != NULL ? cJSON_GetObjectItemCaseSensitive(doc, "Tags") : NULL;
        if (tags != NULL)
            cJSON_AddItemToObject(o, "Tags", cJSON_Duplicate(tags, 1));
    }
    cJSON_Delete(doc);
    return o;
}

/* The Name label, validated; NULL after replying with the error. */
static const char *name_label(struct req *r)
{
    struct oerr err;
    const char *name = req_label(r, "Name");
    if (jsonv_check_label(name, "Name", &jsonv_unicode_name128, &err) < 0) {
        req_reply_error(r, &err);
        return NULL;
    }
    return name;
}

static cJSON *get_body(const struct dbres *res, int row)
{
    return row_json(res, row, 0);
}

static const struct reply_row get_shape = {RESOURCE, "Name", "destination", 200, get_body};
static const struct reply_row update_shape = {RESOURCE, "Name", "destination", 201, NULL};
static const struct reply_row delete_shape = {RESOURCE, "Name", "destination", 200, NULL};

void destinations_handle_get(struct req *r)
{
    const char *name = name_label(r);
    if (name != NULL)
        destinations_get(req_app(r)->db, name, reply_row_done, reply_row_arg(r, &get_shape));
}

static cJSON *list_item(const struct dbres *res, int row)
{
    return row_json(res, row, 1);
}

static const struct page_listing listing = {PAGE_KIND, "DestinationList", DESTINATIONS_SEQ,
                                            list_item, NULL};

void destinations_handle_list(struct req *r)
{
    int64_t after, fetch;
    struct page *p = page_start(r, &listing, &after, &fetch);
    if (p != NULL)
        destinations_list(req_app(r)->db, after, fetch, page_reply, p);
}

/* ---- Update and Delete ---- */

void destinations_handle_update(struct req *r)
{
    struct oerr err;
    const char *name = name_label(r);
    if (name == NULL)
        return;
    const cJSON *body = req_json(r, &err);
    const char *patch = body != NULL ? parse_doc(r, body, ON_UPDATE, NULL, &err) : NULL;
    if (patch == NULL) {
        req_reply_error(r, &err);
        return;
    }
    destinations_update(req_app(r)->db, name, patch, req_now(r), reply_row_done,
                        reply_row_arg(r, &update_shape));
}

void destinations_handle_delete(struct req *r)
{
    const char *name = name_label(r);
    if (name != NULL)
        destinations_delete(req_app(r)->db, name, reply_row_done, reply_row_arg(r, &delete_shape));
}
