/*
 * jsonview: typed, constraint-checked member getters over the caller's JSON values. Everything
 * reads through struct jview_ops; nothing here knows which JSON library is behind it.
 */
#include "engine/jsonview.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PATH_MAX_LEN 256

enum jview_type jview_type_of(const struct jview *j)
{
    if (j->v == NULL)
        return JVIEW_ABSENT;
    return j->ops->type(j->v);
}

struct jview jview_member(const struct jview *j, const char *name)
{
    struct jview out = {j->ops, NULL};
    if (jview_type_of(j) != JVIEW_OBJECT)
        return out;
    out.v = j->ops->member(j->v, name);
    if (out.v != NULL && j->ops->type(out.v) == JVIEW_NULL)
        out.v = NULL;
    return out;
}

struct jview jview_first(const struct jview *j)
{
    struct jview out = {j->ops, NULL};
    enum jview_type t = jview_type_of(j);
    if (t == JVIEW_ARRAY || t == JVIEW_OBJECT)
        out.v = j->ops->first(j->v);
    return out;
}

struct jview jview_next(const struct jview *entry)
{
    struct jview out = {entry->ops, NULL};
    if (entry->v != NULL)
        out.v = entry->ops->next(entry->v);
    return out;
}

size_t jview_count(const struct jview *j)
{
    enum jview_type t = jview_type_of(j);
    return (t == JVIEW_ARRAY || t == JVIEW_OBJECT) ? j->ops->count(j->v) : 0;
}

const char *jview_key(const struct jview *entry)
{
    return entry->v != NULL ? entry->ops->key(entry->v) : NULL;
}

const char *jview_path(char *buf, size_t len, const char *prefix, const char *name)
{
    if (prefix == NULL || prefix[0] == '\0')
        snprintf(buf, len, "%s", name);
    else
        snprintf(buf, len, "%s.%s", prefix, name);
    return buf;
}

int jview_utf8_next(const unsigned char **pp, uint32_t *cp)
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
        c = (c << 6) | (p[i] & 0x3fu);
    }
    if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) || (n == 3 && c < 0x10000) || c > 0x10ffff ||
        (c >= 0xd800 && c <= 0xdfff))
        return -1;
    *cp = c;
    *pp = p + n + 1;
    return 0;
}

int jview_utf8_count(const char *s, size_t *count)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (*p != '\0') {
        uint32_t cp;
        if (jview_utf8_next(&p, &cp) < 0)
            return -1;
        n++;
    }
    *count = n;
    return 0;
}

int jview_check_str(const char *s, const char *path, const struct jview_str *spec, struct oerr *err)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p != '\0') {
        uint32_t cp;
        if (jview_utf8_next(&p, &cp) < 0)
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

/* The member, or an error if required and absent; *path receives its full path. */
static int lookup(const struct jview *obj, const char *prefix, const char *name, int required,
                  char *path, struct jview *it, struct oerr *err)
{
    jview_path(path, PATH_MAX_LEN, prefix, name);
    *it = jview_member(obj, name);
    if (it->v == NULL && required)
        return oerr_set(err, OERR_INVALID, "%s is required", path);
    return 0;
}

int jview_string(const struct jview *obj, const char *prefix, const char *name, int required,
                 const struct jview_str *spec, const char **out, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    struct jview it;
    *out = NULL;
    if (lookup(obj, prefix, name, required, path, &it, err) < 0)
        return -1;
    if (it.v == NULL)
        return 0;
    if (jview_type_of(&it) != JVIEW_STRING)
        return oerr_set(err, OERR_INVALID, "%s must be a string", path);
    const char *s = it.ops->string(it.v);
    if (spec != NULL && jview_check_str(s, path, spec, err) < 0)
        return -1;
    *out = s;
    return 0;
}

int jview_int(const struct jview *obj, const char *prefix, const char *name, int required,
              int64_t min, int64_t max, int64_t *out, int *present, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    struct jview it;
    if (present != NULL)
        *present = 0;
    if (lookup(obj, prefix, name, required, path, &it, err) < 0)
        return -1;
    if (it.v == NULL)
        return 0;
    double v = jview_type_of(&it) == JVIEW_NUMBER ? it.ops->number(it.v) : NAN;
    if (!isfinite(v) || v != floor(v) || fabs(v) > 9.0e15)
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

int jview_number(const struct jview *obj, const char *prefix, const char *name, int required,
                 double min, double max, double *out, int *present, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    struct jview it;
    if (present != NULL)
        *present = 0;
    if (lookup(obj, prefix, name, required, path, &it, err) < 0)
        return -1;
    if (it.v == NULL)
        return 0;
    double v = jview_type_of(&it) == JVIEW_NUMBER ? it.ops->number(it.v) : NAN;
    if (!isfinite(v))
        return oerr_set(err, OERR_INVALID, "%s must be a number", path);
    if (v < min || v > max)
        return oerr_set(err, OERR_INVALID, "%s must be between %g and %g", path, min, max);
    *out = v;
    if (present != NULL)
        *present = 1;
    return 0;
}

int jview_bool(const struct jview *obj, const char *prefix, const char *name, int required,
               int *out, int *present, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    struct jview it;
    if (present != NULL)
        *present = 0;
    if (lookup(obj, prefix, name, required, path, &it, err) < 0)
        return -1;
    if (it.v == NULL)
        return 0;
    if (jview_type_of(&it) != JVIEW_BOOL)
        return oerr_set(err, OERR_INVALID, "%s must be a boolean", path);
    *out = it.ops->boolean(it.v) != 0;
    if (present != NULL)
        *present = 1;
    return 0;
}

int jview_enum(const struct jview *obj, const char *prefix, const char *name, int required,
               const char *const *values, int *out, int *present, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    struct jview it;
    if (present != NULL)
        *present = 0;
    if (lookup(obj, prefix, name, required, path, &it, err) < 0)
        return -1;
    if (it.v == NULL)
        return 0;
    if (jview_type_of(&it) == JVIEW_STRING) {
        const char *s = it.ops->string(it.v);
        for (int i = 0; values[i] != NULL; i++) {
            if (strcmp(values[i], s) == 0) {
                *out = i;
                if (present != NULL)
                    *present = 1;
                return 0;
            }
        }
    }
    char list[256];
    size_t pos = 0;
    list[0] = '\0';
    for (size_t i = 0; values[i] != NULL && pos + 2 < sizeof list; i++) {
        int n = snprintf(list + pos, sizeof list - pos, "%s%s", i > 0 ? ", " : "", values[i]);
        if (n < 0)
            break;
        pos += (size_t)n;
    }
    return oerr_set(err, OERR_INVALID, "%s must be one of %s", path, list);
}

int jview_object(const struct jview *obj, const char *prefix, const char *name, int required,
                 struct jview *out, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    struct jview it;
    out->ops = obj->ops;
    out->v = NULL;
    if (lookup(obj, prefix, name, required, path, &it, err) < 0)
        return -1;
    if (it.v == NULL)
        return 0;
    if (jview_type_of(&it) != JVIEW_OBJECT)
        return oerr_set(err, OERR_INVALID, "%s must be an object", path);
    *out = it;
    return 0;
}

static int count_check(const char *path, size_t n, size_t min, size_t max, struct oerr *err)
{
    if (n < min || (max > 0 && n > max)) {
        if (max == 0)
            return oerr_set(err, OERR_INVALID, "%s must have at least %zu entries", path, min);
        return oerr_set(err, OERR_INVALID, "%s must have between %zu and %zu entries", path, min,
                        max);
    }
    return 0;
}

int jview_array(const struct jview *obj, const char *prefix, const char *name, int required,
                size_t min, size_t max, struct jview *out, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    struct jview it;
    out->ops = obj->ops;
    out->v = NULL;
    if (lookup(obj, prefix, name, required, path, &it, err) < 0)
        return -1;
    if (it.v == NULL)
        return 0;
    if (jview_type_of(&it) != JVIEW_ARRAY)
        return oerr_set(err, OERR_INVALID, "%s must be a list", path);
    if (count_check(path, jview_count(&it), min, max, err) < 0)
        return -1;
    *out = it;
    return 0;
}

int jview_string_map(const struct jview *obj, const char *prefix, const char *name, int required,
                     size_t min, size_t max, const struct jview_str *key,
                     const struct jview_str *value, struct jview *out, struct oerr *err)
{
    char path[PATH_MAX_LEN];
    struct jview it;
    out->ops = obj->ops;
    out->v = NULL;
    if (lookup(obj, prefix, name, required, path, &it, err) < 0)
        return -1;
    if (it.v == NULL)
        return 0;
    if (jview_type_of(&it) != JVIEW_OBJECT)
        return oerr_set(err, OERR_INVALID, "%s must be a map of strings", path);
    size_t n = jview_count(&it);
    if (count_check(path, n, min, max, err) < 0)
        return -1;
    for (struct jview e = jview_first(&it); e.v != NULL; e = jview_next(&e)) {
        const char *k = jview_key(&e);
        char epath[PATH_MAX_LEN + 140];
        snprintf(epath, sizeof epath, "%s key '%.100s'", path, k);
        if (key != NULL && jview_check_str(k, epath, key, err) < 0)
            return -1;
        snprintf(epath, sizeof epath, "%s.%.100s", path, k);
        if (jview_type_of(&e) != JVIEW_STRING)
            return oerr_set(err, OERR_INVALID, "%s must be a string", epath);
        if (value != NULL && jview_check_str(e.ops->string(e.v), epath, value, err) < 0)
            return -1;
    }
    *out = it;
    return 0;
}

int jview_string_list(const struct jview *obj, const char *prefix, const char *name, int required,
                      size_t min, size_t max, const struct jview_str *spec, struct jview *out,
                      struct oerr *err)
{
    char path[PATH_MAX_LEN];
    jview_path(path, sizeof path, prefix, name);
    if (jview_array(obj, prefix, name, required, min, max, out, err) < 0)
        return -1;
    size_t i = 0;
    for (struct jview e = jview_first(out); e.v != NULL; e = jview_next(&e), i++) {
        char epath[PATH_MAX_LEN + 24];
        snprintf(epath, sizeof epath, "%s[%zu]", path, i);
        if (jview_type_of(&e) != JVIEW_STRING)
            return oerr_set(err, OERR_INVALID, "%s must be a string", epath);
        if (spec != NULL && jview_check_str(e.ops->string(e.v), epath, spec, err) < 0)
            return -1;
    }
    return 0;
}
