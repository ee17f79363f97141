/*
 * jsonv: cJSON adapted to engine/jsonview.h (where the constraint-checked getters live),
 * character classes for the model's patterns, query-string helpers, and the canonical request
 * hash used by idempotency. Unicode classes (\p{L}, \p{N})
 * come from glibc's C.UTF-8 ctype tables through iswalnum_l; the locale object is created once.
 */
#include "api/jsonv.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include <openssl/evp.h>

#include "engine/jsonview.h"
#include "engine/mem.h"

/* ---- character classes ---- */

static int is_alnum_ascii(uint32_t cp)
{
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

int jsonv_class_alnum(uint32_t cp)
{
    return is_alnum_ascii(cp);
}

int jsonv_class_description(uint32_t cp)
{
    return is_alnum_ascii(cp) || cp == '_' || cp == '-' || cp == ' ';
}

int jsonv_class_token(uint32_t cp)
{
    return is_alnum_ascii(cp) || cp == '=' || cp == '_' || cp == '-';
}

int jsonv_class_thing_id(uint32_t cp)
{
    return is_alnum_ascii(cp) || cp == ':' || cp == '_' || cp == '-';
}

int jsonv_class_owner(uint32_t cp)
{
    return is_alnum_ascii(cp) || cp == '_' || cp == '.' || cp == ',' || cp == '@' || cp == '-';
}

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static locale_t utf8(void)
{
    pthread_once(&utf8_once, utf8_init);
    return utf8_locale;
}

int jsonv_class_unicode_name(uint32_t cp)
{
    if (is_alnum_ascii(cp) || cp == ' ' || cp == '.' || cp == '_' || cp == '-')
        return 1;
    if (cp < 0x80)
        return 0;
    locale_t l = utf8();
    return l != (locale_t)0 && iswalnum_l((wint_t)cp, l);
}

int jsonv_class_not_control(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
        return 0;
    if ((cp >= 0xe000 && cp <= 0xf8ff) || cp >= 0xf0000)
        return 0; /* private use */
    if (cp == 0xad || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
        (cp >= 0x2060 && cp <= 0x2064) || cp == 0xfeff)
        return 0; /* common format characters */
    return 1;
}

const struct jsonv_str jsonv_description = {1, 256, jsonv_class_description,
                                            "letters, digits, '_', '-' and spaces"};
const struct jsonv_str jsonv_client_token = {1, 64, jsonv_class_token,
                                             "letters, digits, '=', '_' and '-'"};
const struct jsonv_str jsonv_unicode_name128 = {1, 128, jsonv_class_unicode_name,
                                                "letters, digits, spaces, '.', '_' and '-'"};

/* ---- the cJSON view for engine/jsonview.h ---- */

static enum jview_type cj_type(const void *v)
{
    const cJSON *c = v;
    if (cJSON_IsNull(c))
        return JVIEW_NULL;
    if (cJSON_IsBool(c))
        return JVIEW_BOOL;
    if (cJSON_IsNumber(c))
        return JVIEW_NUMBER;
    if (cJSON_IsString(c))
        return JVIEW_STRING;
    if (cJSON_IsArray(c))
        return JVIEW_ARRAY;
    if (cJSON_IsObject(c))
        return JVIEW_OBJECT;
    return JVIEW_NULL;
}

static const void *cj_member(const void *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static double cj_number(const void *v)
{
    return ((const cJSON *)v)->valuedouble;
}

static const char *cj_string(const void *v)
{
    return ((const cJSON *)v)->valuestring;
}

static int cj_boolean(const void *v)
{
    return cJSON_IsTrue((const cJSON *)v);
}

static size_t cj_count(const void *v)
{
    return (size_t)cJSON_GetArraySize(v);
}

static const void *cj_first(const void *v)
{
    return ((const cJSON *)v)->child;
}

static const void *cj_next(const void *e)
{
    return ((const cJSON *)e)->next;
}

static const char *cj_key(const void *e)
{
    return ((const cJSON *)e)->string;
}

static const struct jview_ops cjson_ops = {cj_type,  cj_member, cj_number, cj_string, cj_boolean,
                                           cj_count, cj_first,  cj_next,   cj_key};

struct jview jsonv_view(const cJSON *item)
{
    struct jview j = {&cjson_ops, item};
    return j;
}

static struct jview_str conv(const struct jsonv_str *s)
{
    struct jview_str j = {s->min, s->max, s->allowed, s->allowed_what};
    return j;
}

int jsonv_utf8_count(const char *s, size_t *count)
{
    return jview_utf8_count(s, count);
}

const char *jsonv_path(char *buf, size_t len, const char *prefix, const char *name)
{
    return jview_path(buf, len, prefix, name);
}

const cJSON *jsonv_member(const cJSON *obj, const char *name)
{
    struct jview o = jsonv_view(obj);
    return jview_member(&o, name).v;
}

int jsonv_check_str(const char *s, const char *path, const struct jsonv_str *spec, struct oerr *err)
{
    struct jview_str j = conv(spec);
    return jview_check_str(s, path, &j, err);
}

int jsonv_string(const cJSON *obj, const char *prefix, const char *name, int required,
                 const struct jsonv_str *spec, const char **out, struct oerr *err)
{
    struct jview o = jsonv_view(obj);
    struct jview_str j;
    if (spec != NULL)
        j = conv(spec);
    return jview_string(&o, prefix, name, required, spec != NULL ? &j : NULL, out, err);
}

int jsonv_int(const cJSON *obj, const char *prefix, const char *name, int required, int64_t min,
              int64_t max, int64_t *out, int *present, struct oerr *err)
{
    struct jview o = jsonv_view(obj);
    return jview_int(&o, prefix, name, required, min, max, out, present, err);
}

int jsonv_number(const cJSON *obj, const char *prefix, const char *name, int required, double min,
                 double max, double *out, int *present, struct oerr *err)
{
    struct jview o = jsonv_view(obj);
    return jview_number(&o, prefix, name, required, min, max, out, present, err);
}

int jsonv_bool(const cJSON *obj, const char *prefix, const char *name, int required, int *out,
               int *present, struct oerr *err)
{
    struct jview o = jsonv_view(obj);
    return jview_bool(&o, prefix, name, required, out, present, err);
}

int jsonv_enum(const cJSON *obj, const char *prefix, const char *name, int required,
               const char *const *values, int *out, int *present, struct oerr *err)
{
    struct jview o = jsonv_view(obj);
    return jview_enum(&o, prefix, name, required, values, out, present, err);
}

int jsonv_object(const cJSON *obj, const char *prefix, const char *name, int required,
                 const cJSON **out, struct oerr *err)
{
    struct jview o = jsonv_view(obj), it;
    int rc = jview_object(&o, prefix, name, required, &it, err);
    *out = rc == 0 ? it.v : NULL;
    return rc;
}

int jsonv_array(const cJSON *obj, const char *prefix, const char *name, int required, size_t min,
                size_t max, const cJSON **out, struct oerr *err)
{
    struct jview o = jsonv_view(obj), it;
    int rc = jview_array(&o, prefix, name, required, min, max, &it, err);
    *out = rc == 0 ? it.v : NULL;
    return rc;
}

int jsonv_string_map(const cJSON *obj, const char *prefix, const char *name, int required,
                     size_t min, size_t max, const struct jsonv_str *key,
                     const struct jsonv_str *value, const cJSON **out, struct oerr *err)
{
    struct jview o = jsonv_view(obj), it;
    struct jview_str k, v;
    if (key != NULL)
        k = conv(key);
    if (value != NULL)
        v = conv(value);
    int rc = jview_string_map(&o, prefix, name, required, min, max, key != NULL ? &k : NULL,
                              value != NULL ? &v : NULL, &it, err);
    *out = rc == 0 ? it.v : NULL;
    return rc;
}

int jsonv_string_list(const cJSON *obj, const char *prefix, const char *name, int required,
                      size_t min, size_t max, const struct jsonv_str *spec, const cJSON **out,
                      struct oerr *err)
{
    struct jview o = jsonv_view(obj), it;
    struct jview_str j;
    if (spec != NULL)
        j = conv(spec);
    int rc =
        jview_string_list(&o, prefix, name, required, min, max, spec != NULL ? &j : NULL, &it, err);
    *out = rc == 0 ? it.v : NULL;
    return rc;
}

int jsonv_check_label(const char *value, const char *name, const struct jsonv_str *spec,
                      struct oerr *err)
{
    if (value == NULL)
        return oerr_set(err, OERR_INVALID, "%s is required", name);
    return jsonv_check_str(value, name, spec, err);
}

int jsonv_query_int(const char *value, const char *name, int64_t min, int64_t max, int64_t *out,
                    int *present, struct oerr *err)
{
    *present = 0;
    if (value == NULL)
        return 0;
    char *end;
    long long v = strtoll(value, &end, 10);
    int digits = (value[0] >= '0' && value[0] <= '9') ||
                 (value[0] == '-' && value[1] >= '0' && value[1] <= '9');
    if (!digits || *end != '\0' || v < min || v > max)
        return oerr_set(err, OERR_INVALID, "%s must be an integer between %lld and %lld", name,
                        (long long)min, (long long)max);
    *out = v;
    *present = 1;
    return 0;
}

int jsonv_query_bool(const char *value, const char *name, int *out, int *present, struct oerr *err)
{
    *present = 0;
    if (value == NULL)
        return 0;
    if (strcmp(value, "true") == 0)
        *out = 1;
    else if (strcmp(value, "false") == 0)
        *out = 0;
    else
        return oerr_set(err, OERR_INVALID, "%s must be true or false", name);
    *present = 1;
    return 0;
}

/* ---- canonical hash ---- */

static int cmp_items(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a;
    const cJSON *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

static void sort_keys(cJSON *node)
{
    if (cJSON_IsArray(node)) {
        cJSON *c;
        cJSON_ArrayForEach(c, node) sort_keys(c);
        return;
    }
    if (!cJSON_IsObject(node))
        return;
    size_t n = (size_t)cJSON_GetArraySize(node);
    if (n == 0)
        return;
    cJSON **items = xcalloc(n, sizeof *items);
    size_t i = 0;
    for (cJSON *c = node->child; c != NULL; c = c->next)
        items[i++] = c;
    qsort(items, n, sizeof *items, cmp_items);
    for (i = 0; i < n; i++) {
        items[i]->prev = i > 0 ? items[i - 1] : items[n - 1];
        items[i]->next = i + 1 < n ? items[i + 1] : NULL;
        sort_keys(items[i]);
    }
    node->child = items[0];
    free(items);
}

void jsonv_canonical_hash(const cJSON *obj, const char *skip, char out[65])
{
    cJSON *copy = cJSON_Duplicate(obj, 1);
    if (copy == NULL)
        mem_oom(0);
    if (skip != NULL)
        cJSON_DeleteItemFromObjectCaseSensitive(copy, skip);
    sort_keys(copy);
    char *text = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    if (text == NULL)
        mem_oom(0);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL);
    cJSON_free(text);
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < 32 && i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}
