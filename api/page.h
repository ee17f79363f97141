/*
 * page: keyset pagination on the wire. A NextToken is opaque to clients: URL-safe base64
 * (no padding, so it matches every model's token pattern) of "v1:<kind>:<cursor>:<check>",
 * where kind names the listing (a token of one listing is refused by another), cursor is the
 * last seen key and check a checksum; anything else is a ValidationException.
 */
#ifndef OTAD_API_PAGE_H
#define OTAD_API_PAGE_H

#include <stdint.h>

#include "engine/oerr.h"

struct arena;
struct req;

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
