/*
 * things: managed things. A request body is validated member by member against the model
 * (a table says which members Create and Update take) into a normalised document holding only
 * model members; Create stores it whole, Update merges it (each member given replaces the
 * stored one, so MetaData given replaces the whole map). Patterns the jsonv classes cannot
 * express (capability ids, extrinsic ids, "contains at least one of") are checked by hand here.
 */
#include "api/things.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/idem.h"
#include "api/ids.h"
#include "api/jsonv.h"
#include "api/page.h"
#include "api/reply.h"
#include "api/req.h"
#include "engine/arena.h"
#include "store/things.h"

#define RESOURCE       "ManagedThing"
#define PAGE_KIND      "thg"
#define PATH_LEN       256
#define INITIAL_STATUS "PRE_ASSOCIATED"

/* ---- character classes of the model's patterns ---- */

static int is_alnum(uint32_t cp)
{
    return jsonv_class_alnum(cp);
}

static int is_digit(uint32_t cp)
{
    return cp >= '0' && cp <= '9';
}

/* 1 if cp is one of the ASCII characters of set. */
static int in_set(uint32_t cp, const char *set)
{
    return cp != 0 && cp < 0x80 && strchr(set, (int)cp) != NULL;
}

/* [0-9A-Za-z!#$%&()*\+\-;<=>?@^_`{|}~\/: {},\\"] */
static int class_auth_material(uint32_t cp)
{
    return is_alnum(cp) || in_set(cp, "!#$%&()*+-;<=>?@^_`{|}~/: {},\\\"");
}

/* [a-zA-Z0-9\s'\x{0022},.:\\\/{$}\[\]=_\-\+] (\s: the ASCII white space of ECMA 262 we accept) */
static int class_capabilities(uint32_t cp)
{
    return is_alnum(cp) || in_set(cp, " \t\n\v\f\r'\",.:\\/{$}[]=_-+");
}

/* [a-zA-Z0-9=_.,@\+\-/] */
static int class_node_id(uint32_t cp)
{
    return is_alnum(cp) || in_set(cp, "=_.,@+-/");
}

/* [a-zA-Z0-9=_. ,@\+\-/] */
static int class_device_type(uint32_t cp)
{
    return class_node_id(cp) || cp == ' ';
}

/* [/a-zA-Z0-9\._ -] */
static int class_capability_name(uint32_t cp)
{
    return is_alnum(cp) || cp == '/' || cp == '.' || cp == '_' || cp == ' ' || cp == '-';
}

/* [A-Za-z0-9-_] */
static int class_connector_id(uint32_t cp)
{
    return is_alnum(cp) || cp == '-' || cp == '_';
}

/* One of [a-zA-Z0-9_.,@/:#-], which a MetaData key must contain. */
static int is_metadata_key_char(char c)
{
    return is_alnum((unsigned char)c) || in_set((unsigned char)c, "_.,@/:#-");
}

/* [a-zA-Z0-9.]+@(\d+\.\d+(\.\d+)?|\$latest) */
static int is_capability_id(const char *s)
{
    const char *at = strchr(s, '@');
    if (at == NULL || at == s)
        return 0;
    for (const char *p = s; p < at; p++)
        if (!is_alnum((unsigned char)*p) && *p != '.')
            return 0;
    const char *p = at + 1;
    if (strcmp(p, "$latest") == 0)
        return 1;
    int parts = 0;
    for (;;) {
        const char *start = p;
        while (is_digit((unsigned char)*p))
            p++;
        if (p == start)
            return 0;
        parts++;
        if (*p == '\0')
            break;
        if (*p != '.')
            return 0;
        p++;
    }
    return parts == 2 || parts == 3;
}

/* 0[xX][0-9a-fA-F]+ or [0-9]+ */
static int is_extrinsic_id(const char *s)
{
    const char *p = s;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2] != '\0') {
        for (p = s + 2; *p != '\0'; p++)
            if (!is_digit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f') &&
                !(*p >= 'A' && *p <= 'F'))
                return 0;
        return 1;
    }
    for (p = s; *p != '\0'; p++)
        if (!is_digit((unsigned char)*p))
            return 0;
    return p != s;
}

/* 0|[1-9][0-9]* */
static int is_decimal_version(const char *s)
{
    if (strcmp(s, "0") == 0)
        return 1;
    if (s[0] < '1' || s[0] > '9')
        return 0;
    for (const char *p = s + 1; *p != '\0'; p++)
        if (!is_digit((unsigned char)*p))
            return 0;
    return 1;
}

/* ---- string rules ---- */

static const struct jsonv_str id_spec = {1, 64, jsonv_class_thing_id,
                                         "letters, digits, ':', '_' and '-'"};
static const struct jsonv_str owner_spec = {1, 64, jsonv_class_owner,
                                            "letters, digits, '_', '.', ',', '@' and '-'"};
static const struct jsonv_str locker_spec = {1, 64, jsonv_class_alnum, "letters and digits"};
static const struct jsonv_str auth_spec = {
    1, 512, class_auth_material,
    "letters, digits, spaces and the characters !#$%&()*+-;<=>?@^_`{|}~/:{},\\\""};
static const struct jsonv_str product_spec = {1, 128, jsonv_class_description,
                                              "letters, digits, '-', '_' and spaces"};
static const struct jsonv_str capabilities_spec = {
    1, 65535, class_capabilities,
    "letters, digits, white space and the characters '\",.:\\/{$}[]=_-+"};
static const struct jsonv_str classification_spec = {1, 64, NULL, NULL};
static const struct jsonv_str tag_key_spec = {1, 128, NULL, NULL};
static const struct jsonv_str tag_value_spec = {0, 256, NULL, NULL};
static const struct jsonv_str meta_key_spec = {0, 128, NULL, NULL};
static const struct jsonv_str meta_value_spec = {0, 800, NULL, NULL};
static const struct jsonv_str report_version_spec = {1, 10, NULL, NULL};
static const struct jsonv_str node_id_spec = {1, 64, class_node_id,
                                              "letters, digits and the characters =_.,@+-/"};
static const struct jsonv_str endpoint_id_spec = {1, 64, jsonv_class_alnum, "letters and digits"};
/* The model says 0..256, but the pattern ([...]+) needs one character. */
static const struct jsonv_str device_type_spec = {
    1, 256, class_device_type, "letters, digits, spaces and the characters =_.,@+-/"};
static const struct jsonv_str capability_id_spec = {7, 128, NULL, NULL};
static const struct jsonv_str capability_name_spec = {
    1, 128, class_capability_name, "letters, digits, spaces and the characters /._-"};
static const struct jsonv_str capability_version_spec = {1, 64, NULL, NULL};
static const struct jsonv_str extrinsic_id_spec = {1, 10, NULL, NULL};
static const struct jsonv_str parent_spec = {1, 64, jsonv_class_alnum, "letters and digits"};
static const struct jsonv_str connector_id_spec = {1, 64, class_connector_id,
                                                   "letters, digits, '-' and '_'"};
static const struct jsonv_str connector_device_spec = {
    1, 256, jsonv_class_owner, "letters, digits, '_', '.', ',', '@' and '-'"};

static const char *const roles[] = {"CONTROLLER", "DEVICE", NULL};
static const char *const auth_types[] = {"CUSTOM_PROTOCOL_QR_BAR_CODE",
                                         "WIFI_SETUP_QR_BAR_CODE",
                                         "ZWAVE_QR_BAR_CODE",
                                         "ZIGBEE_QR_BAR_CODE",
                                         "DISCOVERED_DEVICE",
                                         "PRE_ONBOARDED_CLOUD",
                                         NULL};
static const char *const hub_modes[] = {"STANDARD", "NETWORK_WIDE_EXCLUSION", NULL};
static const char *const schema_formats[] = {"AWS", "ZCL", "CONNECTOR", NULL};
static const char *const provisioning_statuses[] = {
    "UNASSOCIATED",       "PRE_ASSOCIATED", "DISCOVERED", "ACTIVATED", "DELETION_FAILED",
    "DELETE_IN_PROGRESS", "ISOLATED",       "DELETED",    NULL};

/* ---- the request members ---- */

enum kind {
    K_STRING,
    K_ENUM,
    K_WIFI,
    K_CAPABILITY_REPORT,
    K_CAPABILITY_SCHEMAS,
    K_TAGS,
    K_METADATA
};

#define ON_CREATE 1u
#define ON_UPDATE 2u

struct member {
    const char *name;
    enum kind kind;
    unsigned ops;      /* ON_CREATE | ON_UPDATE: the operations that take it */
    unsigned required; /* the operations that require it */
    const struct jsonv_str *spec;
    const char *const *values;
};

/* In model order, which is also the order validation errors are found in. */
static const struct member members[] = {
    {"Role", K_ENUM, ON_CREATE, ON_CREATE, NULL, roles},
    {"Owner", K_STRING, ON_CREATE | ON_UPDATE, 0, &owner_spec, NULL},
    {"CredentialLockerId", K_STRING, ON_CREATE | ON_UPDATE, 0, &locker_spec, NULL},
    {"AuthenticationMaterial", K_STRING, ON_CREATE, ON_CREATE, &auth_spec, NULL},
    {"AuthenticationMaterialType", K_ENUM, ON_CREATE, ON_CREATE, NULL, auth_types},
    {"WiFiSimpleSetupConfiguration", K_WIFI, ON_CREATE | ON_UPDATE, 0, NULL, NULL},
    {"SerialNumber", K_STRING, ON_CREATE | ON_UPDATE, 0, &product_spec, NULL},
    {"Brand", K_STRING, ON_CREATE | ON_UPDATE, 0, &product_spec, NULL},
    {"Model", K_STRING, ON_CREATE | ON_UPDATE, 0, &product_spec, NULL},
    {"Name", K_STRING, ON_CREATE | ON_UPDATE, 0, &jsonv_unicode_name128, NULL},
    {"CapabilityReport", K_CAPABILITY_REPORT, ON_CREATE | ON_UPDATE, 0, NULL, NULL},
    {"CapabilitySchemas", K_CAPABILITY_SCHEMAS, ON_CREATE | ON_UPDATE, 0, NULL, NULL},
    {"Capabilities", K_STRING, ON_CREATE | ON_UPDATE, 0, &capabilities_spec, NULL},
    {"Classification", K_STRING, ON_CREATE | ON_UPDATE, 0, &classification_spec, NULL},
    {"HubNetworkMode", K_ENUM, ON_UPDATE, 0, NULL, hub_modes},
    {"Tags", K_TAGS, ON_CREATE, 0, NULL, NULL},
    {"MetaData", K_METADATA, ON_CREATE | ON_UPDATE, 0, NULL, NULL},
};

static int parse_wifi(const cJSON *w, const char *path, cJSON *out, struct oerr *err)
{
    int provisioner = 0, provisionee = 0, p1, p2, p3;
    int64_t timeout = 0;
    if (jsonv_bool(w, path, "EnableAsProvisioner", 0, &provisioner, &p1, err) < 0 ||
        jsonv_bool(w, path, "EnableAsProvisionee", 0, &provisionee, &p2, err) < 0 ||
        jsonv_int(w, path, "TimeoutInMinutes", 0, 5, 15, &timeout, &p3, err) < 0)
        return -1;
    if (p1)
        cJSON_AddBoolToObject(out, "EnableAsProvisioner", provisioner);
    if (p2)
        cJSON_AddBoolToObject(out, "EnableAsProvisionee", provisionee);
    if (p3)
        cJSON_AddNumberToObject(out, "TimeoutInMinutes", (double)timeout);
    return 0;
}

/* A string member copied into out when present and valid; *value (if not NULL) is it. */
static int copy_string(const cJSON *obj, const char *path, const char *name, int required,
                       const struct jsonv_str *spec, cJSON *out, const char **value,
                       struct oerr *err)
{
    const char *s;
    if (jsonv_string(obj, path, name, required, spec, &s, err) < 0)
        return -1;
    if (s != NULL)
        cJSON_AddStringToObject(out, name, s);
    if (value != NULL)
        *value = s;
    return 0;
}

static int check_capability_id(const char *s, const char *path, const char *name, struct oerr *err)
{
    char p[PATH_LEN];
    if (s != NULL && !is_capability_id(s))
        return oerr_set(err, OERR_INVALID,
                        "%s must be <name>@<major>.<minor>[.<patch>] or <name>@$latest",
                        jsonv_path(p, sizeof p, path, name));
    return 0;
}

static int parse_capability(const cJSON *c, const char *path, cJSON *out, struct oerr *err)
{
    static const char *const lists[] = {"properties", "actions", "events", NULL};
    const char *s;
    char p[PATH_LEN];
    if (copy_string(c, path, "id", 1, &capability_id_spec, out, &s, err) < 0 ||
        check_capability_id(s, path, "id", err) < 0 ||
        copy_string(c, path, "name", 1, &capability_name_spec, out, NULL, err) < 0 ||
        copy_string(c, path, "version", 1, &capability_version_spec, out, &s, err) < 0)
        return -1;
    if (!is_decimal_version(s))
        return oerr_set(err, OERR_INVALID, "%s must be a decimal number without leading zeros",
                        jsonv_path(p, sizeof p, path, "version"));
    for (size_t i = 0; lists[i] != NULL; i++) {
        const cJSON *l;
        if (jsonv_string_list(c, path, lists[i], 1, 0, 100, &capability_name_spec, &l, err) < 0)
            return -1;
        cJSON_AddItemToObject(out, lists[i], cJSON_Duplicate(l, 1));
    }
    return 0;
}

static int parse_endpoint(const cJSON *e, const char *path, cJSON *out, struct oerr *err)
{
    const cJSON *types, *caps, *c;
    if (copy_string(e, path, "id", 1, &endpoint_id_spec, out, NULL, err) < 0 ||
        jsonv_string_list(e, path, "deviceTypes", 1, 0, 50, &device_type_spec, &types, err) < 0 ||
        jsonv_array(e, path, "capabilities", 1, 0, 40, &caps, err) < 0)
        return -1;
    cJSON_AddItemToObject(out, "deviceTypes", cJSON_Duplicate(types, 1));
    cJSON *ncaps = cJSON_AddArrayToObject(out, "capabilities");
    int i = 0;
    cJSON_ArrayForEach(c, caps)
    {
        char p[PATH_LEN + 32];
        snprintf(p, sizeof p, "%s.capabilities[%d]", path, i++);
        if (!cJSON_IsObject(c))
            return oerr_set(err, OERR_INVALID, "%s must be an object", p);
        cJSON *nc = cJSON_CreateObject();
        cJSON_AddItemToArray(ncaps, nc);
        if (parse_capability(c, p, nc, err) < 0)
            return -1;
    }
    return 0;
}

static int parse_capability_report(const cJSON *rep, const char *path, cJSON *out, struct oerr *err)
{
    const char *version;
    const cJSON *endpoints, *e;
    char p[PATH_LEN];
    if (copy_string(rep, path, "version", 1, &report_version_spec, out, &version, err) < 0)
        return -1;
    if (strcmp(version, "1.0.0") != 0)
        return oerr_set(err, OERR_INVALID, "%s must be 1.0.0",
                        jsonv_path(p, sizeof p, path, "version"));
    if (copy_string(rep, path, "nodeId", 0, &node_id_spec, out, NULL, err) < 0 ||
        jsonv_array(rep, path, "endpoints", 1, 0, 40, &endpoints, err) < 0)
        return -1;
    cJSON *neps = cJSON_AddArrayToObject(out, "endpoints");
    int i = 0;
    cJSON_ArrayForEach(e, endpoints)
    {
        snprintf(p, sizeof p, "%s.endpoints[%d]", path, i++);
        if (!cJSON_IsObject(e))
            return oerr_set(err, OERR_INVALID, "%s must be an object", p);
        cJSON *ne = cJSON_CreateObject();
        cJSON_AddItemToArray(neps, ne);
        if (parse_endpoint(e, p, ne, err) < 0)
            return -1;
    }
    return 0;
}

static int parse_schema_item(const cJSON *it, const char *path, cJSON *out, struct oerr *err)
{
    int format, present;
    int64_t version;
    const char *s;
    char p[PATH_LEN];
    if (jsonv_enum(it, path, "Format", 1, schema_formats, &format, &present, err) < 0)
        return -1;
    cJSON_AddStringToObject(out, "Format", schema_formats[format]);
    if (copy_string(it, path, "CapabilityId", 1, &capability_id_spec, out, &s, err) < 0 ||
        check_capability_id(s, path, "CapabilityId", err) < 0)
        return -1;
    if (copy_string(it, path, "ExtrinsicId", 1, &extrinsic_id_spec, out, &s, err) < 0)
        return -1;
    if (!is_extrinsic_id(s))
        return oerr_set(err, OERR_INVALID,
                        "%s must be a decimal number or a hexadecimal number starting with 0x",
                        jsonv_path(p, sizeof p, path, "ExtrinsicId"));
    if (jsonv_int(it, path, "ExtrinsicVersion", 1, 1, 10, &version, &present, err) < 0)
        return -1;
    cJSON_AddNumberToObject(out, "ExtrinsicVersion", (double)version);
    const cJSON *schema = jsonv_member(it, "Schema");
    if (schema == NULL)
        return oerr_set(err, OERR_INVALID, "%s is required",
                        jsonv_path(p, sizeof p, path, "Schema"));
    cJSON_AddItemToObject(out, "Schema", cJSON_Duplicate(schema, 1));
    return 0;
}

static int parse_metadata(const cJSON *body, cJSON *doc, struct oerr *err)
{
    const cJSON *map, *e;
    if (jsonv_string_map(body, "", "MetaData", 0, 1, 50, &meta_key_spec, &meta_value_spec, &map,
                         err) < 0)
        return -1;
    if (map == NULL)
        return 0;
    cJSON_ArrayForEach(e, map)
    {
        const char *k = e->string;
        while (*k != '\0' && !is_metadata_key_char(*k))
            k++;
        if (*k == '\0')
            return oerr_set(err, OERR_INVALID,
                            "MetaData key '%.100s' must contain a letter, a digit or one of "
                            "'_', '.', ',', '@', '/', ':', '#', '-'",
                            e->string);
    }
    cJSON_AddItemToObject(doc, "MetaData", cJSON_Duplicate(map, 1));
    return 0;
}

/* Validate one member of body into doc (absent members add nothing). */
static int parse_member(const cJSON *body, const struct member *m, unsigned op, cJSON *doc,
                        struct oerr *err)
{
    int required = (m->required & op) != 0;
    const cJSON *it;
    switch (m->kind) {
    case K_STRING:
        return copy_string(body, "", m->name, required, m->spec, doc, NULL, err);
    case K_ENUM: {
        int v, present;
        if (jsonv_enum(body, "", m->name, required, m->values, &v, &present, err) < 0)
            return -1;
        if (present)
            cJSON_AddStringToObject(doc, m->name, m->values[v]);
        return 0;
    }
    case K_WIFI:
    case K_CAPABILITY_REPORT: {
        if (jsonv_object(body, "", m->name, required, &it, err) < 0)
            return -1;
        if (it == NULL)
            return 0;
        cJSON *o = cJSON_AddObjectToObject(doc, m->name);
        if (m->kind == K_WIFI)
            return parse_wifi(it, m->name, o, err);
        return parse_capability_report(it, m->name, o, err);
    }
    case K_CAPABILITY_SCHEMAS: {
        if (jsonv_array(body, "", m->name, required, 0, 40, &it, err) < 0)
            return -1;
        if (it == NULL)
            return 0;
        cJSON *list = cJSON_AddArrayToObject(doc, m->name);
        const cJSON *e;
        int i = 0;
        cJSON_ArrayForEach(e, it)
        {
            char p[PATH_LEN];
            snprintf(p, sizeof p, "%s[%d]", m->name, i++);
            if (!cJSON_IsObject(e))
                return oerr_set(err, OERR_INVALID, "%s must be an object", p);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToArray(list, o);
            if (parse_schema_item(e, p, o, err) < 0)
                return -1;
        }
        return 0;
    }
    case K_TAGS:
        if (jsonv_string_map(body, "", m->name, required, 1, 50, &tag_key_spec, &tag_value_spec,
                             &it, err) < 0)
            return -1;
        if (it != NULL)
            cJSON_AddItemToObject(doc, m->name, cJSON_Duplicate(it, 1));
        return 0;
    case K_METADATA:
        return parse_metadata(body, doc, err);
    }
    return 0;
}

/* The normalised document of the members op takes, as text in the request arena; NULL on
 * error. */
static const char *parse_doc(struct req *r, const cJSON *body, unsigned op, struct oerr *err)
{
    cJSON *doc = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        if ((members[i].ops & op) == 0)
            continue;
        if (parse_member(body, &members[i], op, doc, err) < 0) {
            cJSON_Delete(doc);
            return NULL;
        }
    }
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    const char *out = arena_strdup(req_arena(r), text);
    cJSON_free(text);
    return out;
}

/* ---- Create ---- */

struct create {
    struct idem *op;
    char id[IDS_LEN + 1];
    const char *arn;
    const char *doc;
};

static void on_created(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct create *c = arg;
    (void)res;
    if (err != NULL) {
        idem_fail(c->op, err);
        return;
    }
    struct req *r = idem_req(c->op);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Id", c->id);
    cJSON_AddStringToObject(o, "Arn", c->arn);
    cJSON_AddNumberToObject(o, "CreatedAt", (double)req_now(r) / 1000.0);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    idem_done(c->op, 201, text);
    cJSON_free(text);
}

static void create_step(struct idem *op, struct dbconn *conn, void *arg)
{
    struct create *c = arg;
    c->op = op;
    things_create(conn, c->id, c->arn, c->doc, INITIAL_STATUS, req_now(idem_req(op)), on_created,
                  c);
}

void things_handle_create(struct req *r)
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
    c->doc = parse_doc(r, body, ON_CREATE, &err);
    if (c->doc == NULL) {
        req_reply_error(r, &err);
        return;
    }
    ids_new(c->id);
    c->arn =
        ids_arn(req_arena(r), req_app(r)->cfg, "iotmanagedintegrations", "managed-thing", c->id);
    idem_run(r, token, create_step, c);
}

/* ---- Get and List ---- */

/* Members of the stored document a Get echoes, in model order. */
static const char *const get_members[] = {"Owner",
                                          "CredentialLockerId",
                                          "AdvertisedProductId",
                                          "Role",
                                          "Name",
                                          "Model",
                                          "Brand",
                                          "SerialNumber",
                                          "UniversalProductCode",
                                          "InternationalArticleNumber",
                                          "ConnectorPolicyId",
                                          "ConnectorDestinationId",
                                          "ConnectorDeviceId",
                                          "DeviceSpecificKey",
                                          "MacAddress",
                                          "ParentControllerId",
                                          "Classification",
                                          "HubNetworkMode",
                                          "MetaData",
                                          "Tags",
                                          "WiFiSimpleSetupConfiguration",
                                          "CapabilityReport",
                                          "CapabilitySchemas",
                                          "Capabilities",
                                          NULL};

/* Members of the stored document a ManagedThingSummary shows. */
static const char *const summary_members[] = {"AdvertisedProductId",
                                              "Brand",
                                              "Classification",
                                              "ConnectorDeviceId",
                                              "ConnectorPolicyId",
                                              "ConnectorDestinationId",
                                              "Model",
                                              "Name",
                                              "Owner",
                                              "CredentialLockerId",
                                              "ParentControllerId",
                                              "Role",
                                              "SerialNumber",
                                              NULL};

static void add_time(cJSON *o, const char *name, const struct dbres *res, int row, int col)
{
    if (!dbres_isnull(res, row, col))
        cJSON_AddNumberToObject(o, name, (double)dbres_i64(res, row, col) / 1000.0);
}

/* One thing row as the Get response (or a List item when item != 0). */
static cJSON *row_json(const struct dbres *res, int row, int item)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Id", dbres_get(res, row, THINGS_ID));
    cJSON_AddStringToObject(o, "Arn", dbres_get(res, row, THINGS_ARN));
    cJSON *doc = cJSON_Parse(dbres_get(res, row, THINGS_DOC));
    const char *const *names = item ? summary_members : get_members;
    for (size_t i = 0; doc != NULL && names[i] != NULL; i++) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(doc, names[i]);
        if (it != NULL)
            cJSON_AddItemToObject(o, names[i], cJSON_Duplicate(it, 1));
    }
    cJSON_Delete(doc);
    cJSON_AddStringToObject(o, "ProvisioningStatus",
                            dbres_get(res, row, THINGS_PROVISIONING_STATUS));
    add_time(o, "CreatedAt", res, row, THINGS_CREATED_AT);
    add_time(o, "UpdatedAt", res, row, THINGS_UPDATED_AT);
    add_time(o, "ActivatedAt", res, row, THINGS_ACTIVATED_AT);
    return o;
}

static cJSON *get_body(const struct dbres *res, int row)
{
    return row_json(res, row, 0);
}

static const struct reply_row get_shape = {RESOURCE, "Identifier", "managed thing", 200, get_body};
static const struct reply_row change_shape = {RESOURCE, "Identifier", "managed thing", 204, NULL};

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

void things_handle_get(struct req *r)
{
    const char *id = identifier(r);
    if (id != NULL)
        things_get(req_app(r)->db, id, reply_row_done, reply_row_arg(r, &get_shape));
}

static cJSON *list_item(const struct dbres *res, int row)
{
    return row_json(res, row, 1);
}

static const struct page_listing listing = {PAGE_KIND, "Items", THINGS_SEQ, list_item, NULL};

/* A string filter from the query: *out NULL when absent. */
static int query_str(struct req *r, const char *name, const struct jsonv_str *spec,
                     const char **out, struct oerr *err)
{
    *out = req_query(r, name);
    if (*out == NULL)
        return 0;
    return jsonv_check_label(*out, name, spec, err);
}

/* An enum filter from the query: *out NULL when absent. */
static int query_enum(struct req *r, const char *name, const char *const *values, const char **out,
                      struct oerr *err)
{
    *out = req_query(r, name);
    if (*out == NULL)
        return 0;
    for (size_t i = 0; values[i] != NULL; i++)
        if (strcmp(values[i], *out) == 0)
            return 0;
    char list[256];
    size_t pos = 0;
    list[0] = '\0';
    for (size_t i = 0; values[i] != NULL && pos < sizeof list; i++) {
        int n = snprintf(list + pos, sizeof list - pos, "%s%s", i > 0 ? ", " : "", values[i]);
        if (n < 0)
            break;
        pos += (size_t)n;
    }
    return oerr_set(err, OERR_INVALID, "%s must be one of %s", name, list);
}

void things_handle_list(struct req *r)
{
    struct oerr err;
    struct things_filter f = {0};
    if (query_str(r, "OwnerFilter", &owner_spec, &f.owner, &err) < 0 ||
        query_str(r, "CredentialLockerFilter", &locker_spec, &f.credential_locker_id, &err) < 0 ||
        query_enum(r, "RoleFilter", roles, &f.role, &err) < 0 ||
        query_str(r, "ParentControllerIdentifierFilter", &parent_spec, &f.parent_controller_id,
                  &err) < 0 ||
        query_str(r, "ConnectorPolicyIdFilter", &connector_id_spec, &f.connector_policy_id, &err) <
            0 ||
        query_str(r, "ConnectorDestinationIdFilter", &connector_id_spec,
                  &f.connector_destination_id, &err) < 0 ||
        query_str(r, "ConnectorDeviceIdFilter", &connector_device_spec, &f.connector_device_id,
                  &err) < 0 ||
        query_str(r, "SerialNumberFilter", &product_spec, &f.serial_number, &err) < 0 ||
        query_enum(r, "ProvisioningStatusFilter", provisioning_statuses, &f.provisioning_status,
                   &err) < 0) {
        req_reply_error(r, &err);
        return;
    }
    int64_t after, fetch;
    struct page *p = page_start(r, &listing, &after, &fetch);
    if (p != NULL)
        things_list(req_app(r)->db, &f, after, fetch, page_reply, p);
}

/* ---- Update and Delete ---- */

void things_handle_update(struct req *r)
{
    struct oerr err;
    const char *id = identifier(r);
    if (id == NULL)
        return;
    const cJSON *body = req_json(r, &err);
    const char *patch = body != NULL ? parse_doc(r, body, ON_UPDATE, &err) : NULL;
    if (patch == NULL) {
        req_reply_error(r, &err);
        return;
    }
    things_update(req_app(r)->db, id, patch, req_now(r), reply_row_done,
                  reply_row_arg(r, &change_shape));
}

void things_handle_delete(struct req *r)
{
    struct oerr err;
    int force, present;
    const char *id = identifier(r);
    if (id == NULL)
        return;
    if (jsonv_query_bool(req_query(r, "Force"), "Force", &force, &present, &err) < 0) {
        req_reply_error(r, &err);
        return;
    }
    things_delete(req_app(r)->db, id, reply_row_done, reply_row_arg(r, &change_shape));
}
