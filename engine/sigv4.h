/*
 * sigv4: AWS Signature Version 4 (AWS4-HMAC-SHA256 in the Authorization header), both sides:
 * sigv4_verify() checks a received request exactly as reference/wire.md section 4 steps 1-12
 * describe, and sigv4_sign() produces the Authorization value a client would send (the load
 * tester and the tests sign with it), from the same canonical-request code, so that the two
 * cannot drift apart. The intermediate pieces (encoder, canonical URI, query and request,
 * signing key) are exported for known-answer tests.
 *
 * Pure: no libevent, no clock read (the caller passes now), no global state. Strings returned
 * by the builders are xmalloc'd and the caller frees them with free().
 */
#ifndef OTAD_ENGINE_SIGV4_H
#define OTAD_ENGINE_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "engine/oerr.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_KEY_LEN   32                 /* bytes of a signing key (SHA-256) */
#define SIGV4_HEX_LEN   64                 /* hex digits of a hash or a signature */
#define SIGV4_DATE_LEN  16                 /* "20261122T030505Z" */
#define SIGV4_WINDOW_MS (5 * 60 * 1000)    /* allowed |now - X-Amz-Date| */
#define SIGV4_UNSIGNED  "UNSIGNED-PAYLOAD" /* x-amz-content-sha256 value for an unsigned body */

/** The outcome of sigv4_verify(); each failure maps to one wire error type. */
enum sigv4_result {
    SIGV4_OK = 0,
    SIGV4_MISSING,     /* no Authorization header: MissingAuthenticationTokenException */
    SIGV4_UNKNOWN_KEY, /* access key not configured: UnrecognizedClientException */
    SIGV4_INVALID,     /* malformed, wrong scope, expired or mismatch: InvalidSignatureException */
    SIGV4_RESULT_MAX
};

/** A request header for the array form of struct sigv4_request (borrowed strings). */
struct sigv4_header {
    const char *name; /* any case */
    const char *value;
};

/** Header lookup by name (case-insensitive; name is given as written in SignedHeaders): the
 *  value (repeated headers joined with ","), or NULL if absent. Borrowed by the caller. */
typedef const char *(*sigv4_header_fn)(const void *arg, const char *name);

/** The secret access key of access_key, or NULL if the key is unknown. */
typedef const char *(*sigv4_secret_fn)(const void *arg, const char *access_key);

/**
 * One request as the signature sees it; all pointers are borrowed. Headers come from the
 * array when headers is not NULL (a name may repeat: values are joined with ","), else from
 * the header callback.
 */
struct sigv4_request {
    const char *method; /* "GET", ... */
    const char *path;   /* raw request-target path as received (still percent-encoded) */
    const char *query;  /* raw query string without '?'; NULL or "" for none */
    const struct sigv4_header *headers;
    size_t nheaders;
    sigv4_header_fn header;
    const void *header_arg;
    const void *body; /* may be NULL when body_len is 0 */
    size_t body_len;
};

/** The wire error type of a failed result ("InvalidSignatureException", ...); NULL for OK. */
const char *sigv4_error_type(enum sigv4_result res);

/**
 * Verify the signature of rq for the expected region and credential-scope service at now_ms
 * (ms since the epoch; pass the capture time to verify an old request). SIGV4_OK, or the
 * failure with err set to OERR_AUTH and the message for the client. secret(secret_arg, akid)
 * looks up the key.
 */
enum sigv4_result sigv4_verify(const struct sigv4_request *rq, const char *region,
                               const char *service, int64_t now_ms, sigv4_secret_fn secret,
                               const void *secret_arg, struct oerr *err);

/**
 * Sign rq (array form: every header of rq->headers is signed; host and x-amz-date must be
 * among them, and x-amz-content-sha256 when present is used as the payload hash) with the
 * access key, secret, region and service. *authorization receives the Authorization header
 * value (caller frees). 0, or -1 with OERR_INVALID.
 */
int sigv4_sign(const struct sigv4_request *rq, const char *access_key, const char *secret,
               const char *region, const char *service, char **authorization, struct oerr *err);

/** The SigV4 URI encoding of s[0..len): A-Z a-z 0-9 - _ . ~ kept, every other byte %XX. */
char *sigv4_encode(const char *s, size_t len);

/** The canonical URI of a raw path: empty and '.' segments dropped, '..' pops, trailing '/'
 *  kept, each segment encoded once more (non-S3 double encoding); "" gives "/". */
char *sigv4_canonical_uri(const char *raw_path);

/** The canonical query of a raw query string (NULL or "" gives ""): pairs split on the first
 *  '=', decoded, re-encoded, sorted by key then value. NULL with OERR_INVALID on a malformed
 *  percent-escape. */
char *sigv4_canonical_query(const char *raw_query, struct oerr *err);

/** A header value trimmed, with internal whitespace runs collapsed to one space. */
char *sigv4_canonical_value(const char *value);

/**
 * The canonical request of rq for signed_headers ("host;x-amz-date", names as they appear in
 * the canonical headers) and payload_hash (hex or UNSIGNED-PAYLOAD). NULL with OERR_INVALID
 * when a signed header is absent or the query is malformed.
 */
char *sigv4_canonical_request(const struct sigv4_request *rq, const char *signed_headers,
                              const char *payload_hash, struct oerr *err);

/** The string to sign for amz_date ("20261122T030505Z"), scope ("20261122/us-east-1/iot/
 *  aws4_request") and canonical request. */
char *sigv4_string_to_sign(const char *amz_date, const char *scope, const char *canonical_request);

/** kSigning = HMAC chain over "AWS4" + secret, date8 ("20261122"), region, service and
 *  "aws4_request". */
void sigv4_signing_key(const char *secret, const char *date8, const char *region,
                       const char *service, unsigned char key[SIGV4_KEY_LEN]);

/** hex(HMAC-SHA256(key, string_to_sign)) into out (SIGV4_HEX_LEN + 1 bytes). */
void sigv4_signature(const unsigned char key[SIGV4_KEY_LEN], const char *string_to_sign,
                     char out[SIGV4_HEX_LEN + 1]);

/** Lowercase hex SHA-256 of data[0..len) into out (SIGV4_HEX_LEN + 1 bytes). */
void sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_LEN + 1]);

/** Parse an X-Amz-Date ("20261122T030505Z", UTC) into ms since the epoch; 0 or -1. */
int sigv4_parse_date(const char *s, int64_t *ms);

/** Format ms since the epoch as an X-Amz-Date into out (SIGV4_DATE_LEN + 1 bytes); out. */
char *sigv4_format_date(int64_t ms, char out[SIGV4_DATE_LEN + 1]);

#endif
