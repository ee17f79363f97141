/*
 * pgarray: a growing buffer holding "{" + elements; pgarray_str() appends the closing brace
 * without counting it, so appending may continue afterwards.
 */
#include "store/pgarray.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mem.h"

struct pgarray {
    char *s;
    size_t len, cap; /* len excludes the closing brace */
    size_t n;
};

static void grow(struct pgarray *a, size_t more)
{
    if (a->len + more + 2 <= a->cap)
        return;
    while (a->len + more + 2 > a->cap)
        a->cap *= 2;
    a->s = xrealloc(a->s, a->cap);
}

struct pgarray *pgarray_new(void)
{
    struct pgarray *a = xmalloc(sizeof *a);
    a->cap = 256;
    a->s = xmalloc(a->cap);
    pgarray_reset(a);
    return a;
}

void pgarray_free(struct pgarray *a)
{
    if (a == NULL)
        return;
    free(a->s);
    free(a);
}

void pgarray_reset(struct pgarray *a)
{
    a->s[0] = '{';
    a->len = 1;
    a->n = 0;
}

static void separator(struct pgarray *a)
{
    if (a->n++ > 0)
        a->s[a->len++] = ',';
}

void pgarray_text(struct pgarray *a, const char *s)
{
    if (s == NULL) {
        pgarray_null(a);
        return;
    }
    grow(a, 2 * strlen(s) + 3);
    separator(a);
    a->s[a->len++] = '"';
    for (const char *c = s; *c != '\0'; c++) {
        if (*c == '"' || *c == '\\')
            a->s[a->len++] = '\\';
        a->s[a->len++] = *c;
    }
    a->s[a->len++] = '"';
}

void pgarray_int(struct pgarray *a, int64_t v)
{
    grow(a, 24);
    separator(a);
    a->len += (size_t)snprintf(a->s + a->len, 23, "%" PRId64, v);
}

void pgarray_bool(struct pgarray *a, int v)
{
    grow(a, 2);
    separator(a);
    a->s[a->len++] = v ? 't' : 'f';
}

void pgarray_null(struct pgarray *a)
{
    grow(a, 5);
    separator(a);
    memcpy(a->s + a->len, "NULL", 4);
    a->len += 4;
}

const char *pgarray_str(struct pgarray *a)
{
    a->s[a->len] = '}';
    a->s[a->len + 1] = '\0';
    return a->s;
}

char *pgarray_texts(const char *const *v, size_t n)
{
    struct pgarray *a = pgarray_new();
    for (size_t i = 0; i < n; i++)
        pgarray_text(a, v[i]);
    char *out = xstrdup(pgarray_str(a));
    pgarray_free(a);
    return out;
}

char *pgarray_ints(const int64_t *v, size_t n)
{
    struct pgarray *a = pgarray_new();
    for (size_t i = 0; i < n; i++)
        pgarray_int(a, v[i]);
    char *out = xstrdup(pgarray_str(a));
    pgarray_free(a);
    return out;
}
