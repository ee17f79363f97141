/*
 * cjview: the jview_ops of a cJSON document (see cjview.h). JSON null reads as JVIEW_NULL,
 * which jsonview treats as absent.
 */
#include "sim/cjview.h"

#include <string.h>

#include <cjson/cJSON.h>

static enum jview_type cj_type(const void *v)
{
    const cJSON *c = v;
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

static const struct jview_ops ops = {cj_type,  cj_member, cj_number, cj_string, cj_boolean,
                                     cj_count, cj_first,  cj_next,   cj_key};

struct jview cjview_of(const struct cJSON *item)
{
    struct jview j = {&ops, item};
    return j;
}

int cjview_known_members(const struct jview *obj, const char *prefix, const char *const *names,
                         struct oerr *err)
{
    if (jview_type_of(obj) != JVIEW_OBJECT)
        return 0;
    for (struct jview e = jview_first(obj); e.v != NULL; e = jview_next(&e)) {
        const char *key = jview_key(&e);
        size_t i = 0;
        while (names[i] != NULL && strcmp(names[i], key) != 0)
            i++;
        if (names[i] == NULL && key[0] != '_') {
            char path[300];
            return oerr_set(err, OERR_INVALID, "%s is not a known member",
                            jview_path(path, sizeof path, prefix, key));
        }
    }
    return 0;
}
