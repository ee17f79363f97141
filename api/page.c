/*
 * page: token encoding. The checksum is FNV-1a over the plain text: it catches damaged or
 * hand-made tokens, it does not make them secret (they reveal only a position).
 */
#include "api/page.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsonv.h"
#include "api/req.h"
#include "engine/arena.h"
#include "store/db.h"

#define TOKEN_MAX 200

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static uint32_t fnv1a(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

char *page_token(struct arena *a, const char *kind, int64_t cursor)
{
    char plain[128];
    int n = snprintf(plain, sizeof plain, "v1:%s:%" PRId64 ":", kind, cursor);
    n += snprintf(plain + n, sizeof plain - (size_t)n, "%08x", fnv1a(plain, (size_t)n));
    size_t len = (size_t)n;
    char *out = arena_alloc(a, len * 4 / 3 + 4);
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)plain[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)(unsigned char)plain[i + 1] << 8;
        if (i + 2 < len)
            v |= (unsigned char)plain[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < len)
            out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < len)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
    return out;
}

static int b64val(char c)
{
    const char *p = strchr(b64, c);
    return (c != '\0' && p != NULL) ? (int)(p - b64) : -1;
}

int page_decode(const char *token, const char *kind, int64_t *cursor)
{
    size_t len = strlen(token);
    if (len == 0 || len > TOKEN_MAX || len % 4 == 1)
        return -1;
    char plain[TOKEN_MAX];
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        size_t k;
        for (k = 0; k < 4 && i + k < len; k++) {
            int d = b64val(token[i + k]);
            if (d < 0)
                return -1;
            v |= (uint32_t)d << (18 - 6 * k);
        }
        plain[o++] = (char)(v >> 16);
        if (k > 2)
            plain[o++] = (char)((v >> 8) & 0xff);
        if (k > 3)
            plain[o++] = (char)(v & 0xff);
    }
    plain[o] = '\0';
    if (o < 12 || strncmp(plain, "v1:", 3) != 0)
        return -1;
    size_t body = o - 8;
    char check[9];
    snprintf(check, sizeof check, "%08x", fnv1a(plain, body));
    if (memcmp(plain + body, check, 8) != 0)
        return -1;
    size_t klen = strlen(kind);
    if (strncmp(plain + 3, kind, klen) != 0 || plain[3 + klen] != ':')
        return -1;
    const char *digits = plain + 4 + klen;
    if (*digits < '0' || *digits > '9')
        return -1;
    char *end;
    long long c = strtoll(digits, &end, 10);
    if (end != plain + body - 1 || *end != ':' || c < 0)
        return -1;
    /* only the canonical encoding is a token (no alternative spellings of the same bytes) */
    char canon[TOKEN_MAX + 8];
    snprintf(canon, sizeof canon, "%s", token);
    struct arena *a = arena_new(512);
    int same = strcmp(page_token(a, kind, c), canon) == 0;
    arena_free(a);
    if (!same)
        return -1;
    *cursor = c;
    return 0;
}

int page_limit(struct req *r, const char *param, int64_t min, int64_t max, int64_t dflt,
               int64_t *out, struct oerr *err)
{
    int present;
    if (jsonv_query_int(req_query(r, param), param, min, max, out, &present, err) < 0)
        return -1;
    if (!present)
        *out = dflt;
    return 0;
}

int page_cursor(struct req *r, const char *param, const char *kind, int64_t *cursor,
                struct oerr *err)
{
    const char *tok = req_query(r, param);
    *cursor = 0;
    if (tok == NULL)
        return 0;
    if (page_decode(tok, kind, cursor) < 0)
        return oerr_set(err, OERR_INVALID, "%s is not a valid pagination token", param);
    return 0;
}

struct page {
    struct req *r;
    const struct page_listing *listing;
    int64_t limit;
};

struct page *page_start(struct req *r, const struct page_listing *listing, int64_t *after,
                        int64_t *fetch)
{
    struct oerr err;
    struct page *p = arena_calloc(req_arena(r), 1, sizeof *p);
    p->r = r;
    p->listing = listing;
    if (page_limit(r, "MaxResults", 1, 1000, 100, &p->limit, &err) < 0 ||
        page_cursor(r, "NextToken", listing->kind, after, &err) < 0) {
        req_reply_error(r, &err);
        return NULL;
    }
    *fetch = p->limit + 1;
    return p;
}

void page_reply(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct page *p = arg;
    const struct page_listing *l = p->listing;
    if (err != NULL) {
        req_reply_error(p->r, err);
        return;
    }
    int n = l->rows != NULL ? l->rows(p->r, res) : dbres_ntuples(res);
    if (n < 0)
        return;
    int shown = n > p->limit ? (int)p->limit : n;
    cJSON *o = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(o, l->items);
    for (int i = 0; i < shown; i++)
        cJSON_AddItemToArray(items, l->item(res, i));
    if (n > p->limit)
        cJSON_AddStringToObject(
            o, "NextToken",
            page_token(req_arena(p->r), l->kind, dbres_i64(res, shown - 1, l->seq_col)));
    req_reply_json(p->r, 200, o);
}
