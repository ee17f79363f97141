/*
 * jsonv: member getters with the model's constraints, character classes for the model's
 * patterns, and the canonical request hash used by idempotency. Unicode classes (\p{L}, \p{N})
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

/* ---- UTF-8 ---- */

static int utf8_next(const unsigned char **pp, uint32_t *cp)
{
    const unsigned char *p = *pp;
    uint32_t c = p[0];
    int n;
    if (c < 0x80) {
        *cp = c;
        *pp = p + 1;
        return 0;
    } else if ((c & 0xe0) == 0xc0) {
        n = 1;
        c &= 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 2;
        c &= 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 3;
        c &= 0x07;
    } else {
        return -1;
    }
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return -1;
        c = (c << 6) | (p[i] & 0x3f);
    }
    if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) || (n == 3 && c < 0x10000) || c > 0x10ffff ||
        (c >= 0xd800 && c <= 0xdfff))
        return -1;
    *cp = c;
    *pp = p + n + 1;
    return 0;
}

int jsonv_utf8_count(const char *s, size_t *count)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (*p != '\0') {
        uint32_t cp;
        if (utf8_next(&p, &cp) < 0)
            return -1;
        n++;
    }
    *count = n;
    return 0;
}

/* ---- paths and lookup ---- */

const char *jsonv_path(char *buf, size_t len, const char *prefix, const char *name)
{
    if (prefix == NULL || prefix[0] == '\0')
        snprintf(buf, len, "%s", name);
    else
        snprintf(buf, len, "%s.%s", prefix, name);
    return buf;
}

const cJSON *jsonv_member(const cJSON *obj, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (it == NULL || cJSON_IsNull(it))
        return NULL;
    return it;
}

#define PATH_MAX_LEN 256

int jsonv_check_str(const char *s, const char *path, const struct jsonv_str *spec, struct oerr *err)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p != '\0') {
        uint32_t cp;
        if (utf8_next(&p, &cp) < 0)
            return oerr_set(err, OERR_INVALID, "%s is not valid UTF-8", path);
        if (spec->allowed != NULL && !spec->allowed(cp)) {
            if (spec->allowed_what != NULL)
                return oerr_set(err, OERR_INVALID, "%s must contain only %s", path,
                                spec->allowed_what);
            return oerr_set(err, OERR_INVALID, "%s contains a character that is not allowed", path);
        }
        n++;
    }
    if (n < spec->min || (spec->max > 0 && n > spec->max)) {
        if (spec->max == 0)
            return oerr_set(err, OERR_INVALID, "%s must be at least %zu characters long", path,
                            spec->min);
        if (spec->min == spec->max)
            return oerr_set(err, OERR_INVALID, "%s must be exactly %zu characters long", path,
                            spec->min);
        return oerr_set(err, OERR_INVALID, "%s must be between %zu and %zu characters long", path,
                        spec->min, spec->max);
    }
    return 0;
}

int jsonv_string(const cJSON *obj, const char *prefix, const char *name, int required,
                 const struct jsonv_str *spec, const char **out, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    jsonv_path(path, sizeof path, prefix, name);
    const cJSON *it = jsonv_member(obj, name);
    *out = NULL;
    if (it == NULL) {
        if (required)
            return oerr_set(err, OERR_INVALID, "%s is required", path);
        return 0;
    }
    if (!cJSON_IsString(it))
        return oerr_set(err, OERR_INVALID, "%s must be a string", path);
    if (spec != NULL && jsonv_check_str(it->valuestring, path, spec, err) < 0)
        return -1;
    *out = it->valuestring;
    return 0;
}

int jsonv_int(const cJSON *obj, const char *prefix, const char *name, int required, int64_t min,
              int64_t max, int64_t *out, int *present, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    jsonv_path(path, sizeof path, prefix, name);
    const cJSON *it = jsonv_member(obj, name);
    if (present != NULL)
        *present = 0;
    if (it == NULL) {
        if (required)
            return oerr_set(err, OERR_INVALID, "%s is required", path);
        return 0;
    }
    double v = it->valuedouble;
    if (!cJSON_IsNumber(it) || !isfinite(v) || v != floor(v) || fabs(v) > 9.0e15)
        return oerr_set(err, OERR_INVALID, "%s must be an integer", path);
    if (v < (double)min || v > (double)max) {
        if (max == INT64_MAX)
            return oerr_set(err, OERR_INVALID, "%s must be at least %lld", path, (long long)min);
        return oerr_set(err, OERR_INVALID, "%s must be between %lld and %lld", path, (long long)min,
                        (long long)max);
    }
    *out = (int64_t)v;
    if (present != NULL)
        *present = 1;
    return 0;
}

int jsonv_number(const cJSON *obj, const char *prefix, const char *name, int required, double min,
                 double max, double *out, int *present, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    jsonv_path(path, sizeof path, prefix, name);
    const cJSON *it = jsonv_member(obj, name);
    if (present != NULL)
        *present = 0;
    if (it == NULL) {
        if (required)
            return oerr_set(err, OERR_INVALID, "%s is required", path);
        return 0;
    }
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
        return oerr_set(err, OERR_INVALID, "%s must be a number", path);
    if (it->valuedouble < min || it->valuedouble > max)
        return oerr_set(err, OERR_INVALID, "%s must be between %g and %g", path, min, max);
    *out = it->valuedouble;
    if (present != NULL)
        *present = 1;
    return 0;
}

int jsonv_bool(const cJSON *obj, const char *prefix, const char *name, int required, int *out,
               int *present, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    jsonv_path(path, sizeof path, prefix, name);
    const cJSON *it = jsonv_member(obj, name);
    if (present != NULL)
        *present = 0;
    if (it == NULL) {
        if (required)
            return oerr_set(err, OERR_INVALID, "%s is required", path);
        return 0;
    }
    if (!cJSON_IsBool(it))
        return oerr_set(err, OERR_INVALID, "%s must be a boolean", path);
    *out = cJSON_IsTrue(it);
    if (present != NULL)
        *present = 1;
    return 0;
}

static void list_values(const char *const *values, char *buf, size_t len)
{
    size_t pos = 0;
    buf[0] = '\0';
    for (size_t i = 0; values[i] != NULL && pos + 2 < len; i++) {
        int n = snprintf(buf + pos, len - pos, "%s%s", i > 0 ? ", " : "", values[i]);
        if (n < 0)
            break;
        pos += (size_t)n;
    }
}

int jsonv_enum(const cJSON *obj, const char *prefix, const char *name, int required,
               const char *const *values, int *out, int *present, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    jsonv_path(path, sizeof path, prefix, name);
    const cJSON *it = jsonv_member(obj, name);
    if (present != NULL)
        *present = 0;
    if (it == NULL) {
        if (required)
            return oerr_set(err, OERR_INVALID, "%s is required", path);
        return 0;
    }
    if (cJSON_IsString(it)) {
        for (int i = 0; values[i] != NULL; i++) {
            if (strcmp(values[i], it->valuestring) == 0) {
                *out = i;
                if (present != NULL)
                    *present = 1;
                return 0;
            }
        }
    }
    char list[256];
    list_values(values, list, sizeof list);
    return oerr_set(err, OERR_INVALID, "%s must be one of %s", path, list);
}

int jsonv_object(const cJSON *obj, const char *prefix, const char *name, int required,
                 const cJSON **out, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    jsonv_path(path, sizeof path, prefix, name);
    const cJSON *it = jsonv_member(obj, name);
    *out = NULL;
    if (it == NULL) {
        if (required)
            return oerr_set(err, OERR_INVALID, "%s is required", path);
        return 0;
    }
    if (!cJSON_IsObject(it))
        return oerr_set(err, OERR_INVALID, "%s must be an object", path);
    *out = it;
    return 0;
}

static int count_check(const char *path, size_t n, size_t min, size_t max, const char *noun,
                       struct oerr *err)
{
    if (n < min || (max > 0 && n > max)) {
        if (max == 0)
            return oerr_set(err, OERR_INVALID, "%s must have at least %zu %s", path, min, noun);
        return oerr_set(err, OERR_INVALID, "%s must have between %zu and %zu %s", path, min, max,
                        noun);
    }
    return 0;
}

int jsonv_array(const cJSON *obj, const char *prefix, const char *name, int required, size_t min,
                size_t max, const cJSON **out, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    jsonv_path(path, sizeof path, prefix, name);
    const cJSON *it = jsonv_member(obj, name);
    *out = NULL;
    if (it == NULL) {
        if (required)
            return oerr_set(err, OERR_INVALID, "%s is required", path);
        return 0;
    }
    if (!cJSON_IsArray(it))
        return oerr_set(err, OERR_INVALID, "%s must be a list", path);
    if (count_check(path, (size_t)cJSON_GetArraySize(it), min, max, "entries", err) < 0)
        return -1;
    *out = it;
    return 0;
}

int jsonv_string_map(const cJSON *obj, const char *prefix, const char *name, int required,
                     size_t min, size_t max, const struct jsonv_str *key,
                     const struct jsonv_str *value, const cJSON **out, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    jsonv_path(path, sizeof path, prefix, name);
    const cJSON *it = jsonv_member(obj, name);
    *out = NULL;
    if (it == NULL) {
        if (required)
            return oerr_set(err, OERR_INVALID, "%s is required", path);
        return 0;
    }
    if (!cJSON_IsObject(it))
        return oerr_set(err, OERR_INVALID, "%s must be a map of strings", path);
    if (count_check(path, (size_t)cJSON_GetArraySize(it), min, max, "entries", err) < 0)
        return -1;
    const cJSON *e;
    cJSON_ArrayForEach(e, it)
    {
        char epath[PATH_MAX_LEN + 140];
        snprintf(epath, sizeof epath, "%s key '%.100s'", path, e->string);
        if (key != NULL && jsonv_check_str(e->string, epath, key, err) < 0)
            return -1;
        snprintf(epath, sizeof epath, "%s.%.100s", path, e->string);
        if (!cJSON_IsString(e))
            return oerr_set(err, OERR_INVALID, "%s must be a string", epath);
        if (value != NULL && jsonv_check_str(e->valuestring, epath, value, err) < 0)
            return -1;
    }
    *out = it;
    return 0;
}

int jsonv_string_list(const cJSON *obj, const char *prefix, const char *name, int required,
                      size_t min, size_t max, const struct jsonv_str *spec, const cJSON **out,
                      struct oerr *err)
{
    char path[PATH_MAX_LEN];
    jsonv_path(path, sizeof path, prefix, name);
    if (jsonv_array(obj, prefix, name, required, min, max, out, err) < 0)
        return -1;
    if (*out == NULL)
        return 0;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, *out)
    {
        char epath[PATH_MAX_LEN + 16];
        snprintf(epath, sizeof epath, "%s[%d]", path, i);
        if (!cJSON_IsString(e))
            return oerr_set(err, OERR_INVALID, "%s must be a string", epath);
        if (spec != NULL && jsonv_check_str(e->valuestring, epath, spec, err) < 0)
            return -1;
        i++;
    }
    return 0;
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
    if (value[0] == '\0' || *end != '\0' || v < min || v > max)
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
