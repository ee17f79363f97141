/*
 * page: keyset pagination on the wire. A NextToken is opaque to clients: URL-safe base64
 * (no padding, so it matches every model's token pattern) of "v1:<kind>:<cursor>:<check>",
 * where kind names the listing (a token of one listing is refused by another), cursor is the
 * last seen key and check a checksum; anything else is a ValidationException.
 */
#ifndef OTAD_API_PAGE_H
#define OTAD_API_PAGE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "engine/oerr.h"

struct arena;
struct dbres;
struct req;
struct page;

/** The shape of one paged listing. */
struct page_listing {
    const char *kind;  /* token kind: a token of one listing is refused by another */
    const char *items; /* the reply member holding the items ("Items", "Tasks", ...) */
    int seq_col;       /* the result column holding each row's keyset position */
    /** The item of a row (a new cJSON the reply takes). */
    cJSON *(*item)(const struct dbres *res, int row);
    /** Optional: the number of item rows in res, or -1 after replying itself (e.g. 404). */
    int (*rows)(struct req *r, const struct dbres *res);
};

/**
 * Read MaxResults (1..1000, default 100) and NextToken for listing; on a bad value reply with
 * the error and return NULL. Otherwise run the store query with *after and *fetch (the limit
 * plus one, to know whether a next page exists) and page_reply as its callback with the
 * returned page as its argument. The page lives in the request's arena.
 */
struct page *page_start(struct req *r, const struct page_listing *listing, int64_t *after,
                        int64_t *fetch);

/** The db_result_fn that answers a listing: {items: [...], "NextToken"?}. */
void page_reply(void *arg, const struct dbres *res, const struct oerr *err);

/** MaxResults from query parameter param: absent -> dflt; outside [min, max] -> error. */
int page_limit(struct req *r, const char *param, int64_t min, int64_t max, int64_t dflt,
               int64_t *out, struct oerr *err);

/** The cursor of the NextToken in query parameter param (absent -> 0). */
int page_cursor(struct req *r, const char *param, const char *kind, int64_t *cursor,
                struct oerr *err);

/** A token for kind continuing after cursor, allocated in a. */
char *page_token(struct arena *a, const char *kind, int64_t cursor);

/** Decode a token string (for tests and page_cursor); -1 if it is not a valid token of kind. */
int page_decode(const char *token, const char *kind, int64_t *cursor);

#endif
