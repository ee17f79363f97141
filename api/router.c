/*
 * router: route templates are split into segments once at router_new(); matching splits the
 * raw path, decodes each segment into the request arena and scores candidate routes: a literal
 * segment match outranks a label, earlier segments weigh more, so the most specific template
 * wins regardless of table order.
 */
#include "api/router.h"

#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/mem.h"

struct compiled {
    const struct route *route;
    int nseg;
    const char *seg[ROUTER_MAX_SEGMENTS]; /* literal text, or label name when is_label */
    size_t seglen[ROUTER_MAX_SEGMENTS];
    int is_label[ROUTER_MAX_SEGMENTS];
};

struct router {
    size_t n;
    struct compiled *routes;
};

struct router *router_new(const struct route *table, size_t n)
{
    struct router *rt = xcalloc(1, sizeof *rt);
    rt->n = n;
    rt->routes = xcalloc(n, sizeof *rt->routes);
    for (size_t i = 0; i < n; i++) {
        struct compiled *c = &rt->routes[i];
        c->route = &table[i];
        const char *p = table[i].path;
        while (*p == '/' && c->nseg < ROUTER_MAX_SEGMENTS) {
            p++;
            const char *end = strchr(p, '/');
            size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
            if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
                c->is_label[c->nseg] = 1;
                c->seg[c->nseg] = p + 1;
                c->seglen[c->nseg] = len - 2;
            } else {
                c->seg[c->nseg] = p;
                c->seglen[c->nseg] = len;
            }
            c->nseg++;
            p += len;
        }
    }
    return rt;
}

void router_free(struct router *rt)
{
    if (rt == NULL)
        return;
    free(rt->routes);
    free(rt);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *router_decode(struct arena *a, const char *src, size_t len)
{
    char *out = arena_alloc(a, len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '%') {
            if (i + 2 >= len)
                return NULL;
            int hi = hexval(src[i + 1]);
            int lo = hexval(src[i + 2]);
            if (hi < 0 || lo < 0)
                return NULL;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = src[i];
        }
    }
    out[o] = '\0';
    return out;
}

int router_match(const struct router *rt, const char *method, const char *raw_path, struct arena *a,
                 struct router_match *m)
{
    memset(m, 0, sizeof *m);
    const char *seg[ROUTER_MAX_SEGMENTS];
    size_t nseg = 0;
    const char *p = raw_path;
    if (*p != '/')
        return 0;
    while (*p == '/') {
        if (nseg == ROUTER_MAX_SEGMENTS)
            return 0;
        p++;
        const char *end = strchr(p, '/');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        char *d = router_decode(a, p, len);
        if (d == NULL)
            return 0;
        seg[nseg++] = d;
        p += len;
    }

    long best_score = -1;
    const struct compiled *best = NULL;
    size_t allow_len = 0;
    for (size_t i = 0; i < rt->n; i++) {
        const struct compiled *c = &rt->routes[i];
        if ((size_t)c->nseg != nseg)
            continue;
        long score = 0;
        int ok = 1;
        for (size_t s = 0; s < nseg && ok; s++) {
            score <<= 1;
            if (c->is_label[s]) {
                if (seg[s][0] == '\0')
                    ok = 0;
            } else if (strlen(seg[s]) == c->seglen[s] &&
                       memcmp(seg[s], c->seg[s], c->seglen[s]) == 0) {
                score |= 1;
            } else {
                ok = 0;
            }
        }
        if (!ok)
            continue;
        if (strcmp(c->route->method, method) != 0) {
            m->method_mismatch = 1;
            size_t ml = strlen(c->route->method);
            if (strstr(m->allow, c->route->method) == NULL &&
                allow_len + ml + 2 < sizeof m->allow) {
                if (allow_len > 0) {
                    memcpy(m->allow + allow_len, ", ", 2);
                    allow_len += 2;
                }
                memcpy(m->allow + allow_len, c->route->method, ml);
                allow_len += ml;
                m->allow[allow_len] = '\0';
            }
            continue;
        }
        if (score > best_score) {
            best_score = score;
            best = c;
        }
    }
    if (best == NULL)
        return 0;
    m->route = best->route;
    m->method_mismatch = 0;
    for (int s = 0; s < best->nseg && m->nlabels < ROUTER_MAX_LABELS; s++) {
        if (!best->is_label[s])
            continue;
        m->names[m->nlabels] = arena_strndup(a, best->seg[s], best->seglen[s]);
        m->values[m->nlabels] = seg[s];
        m->nlabels++;
    }
    return 0;
}

const char *router_service_name(enum api_service svc)
{
    switch (svc) {
    case API_SVC_MI:
        return "iotmanagedintegrations";
    case API_SVC_IOT:
        return "iot";
    case API_SVC_WIRELESS:
        return "iotwireless";
    case API_SVC_JOBS:
        return "iot-jobs-data";
    default:
        return "";
    }
}
