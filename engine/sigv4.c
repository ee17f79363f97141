/*
 * sigv4: AWS Signature Version 4 verification and signing (reference/wire.md section 4).
 *
 * Verification order: Authorization present (else MISSING), parsed (algorithm, Credential,
 * SignedHeaders, Signature), access key known (else UNKNOWN_KEY), credential scope (date,
 * region, service, terminator), X-Amz-Date well formed, matching the scope date and within
 * five minutes of now, host and x-amz-date signed, x-amz-security-token signed when present,
 * x-amz-content-sha256 equal to the body hash when present, then the signature, compared in
 * constant time. Every failure after the key lookup is INVALID.
 *
 * Both sides build the canonical request with canonical_request_with(), so a request signed
 * by sigv4_sign() verifies by construction and a divergence from the SDKs shows in both.
 * Strings are built in a small growable buffer (struct sbuf) and handed out with free().
 */
#include "engine/sigv4.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "engine/mem.h"
#include "engine/timefmt.h"

#define TERMINATOR "aws4_request"

/* ---- growable string ---- */

struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_reserve(struct sbuf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap > 0 ? b->cap : 64;
    while (cap < b->len + more + 1)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    sb_reserve(b, n);
    if (n > 0)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_adds(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_addc(struct sbuf *b, char c)
{
    sb_add(b, &c, 1);
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

static void sb_encode(struct sbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    sb_reserve(b, 3 * n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c)) {
            b->p[b->len++] = (char)c;
        } else {
            b->p[b->len++] = '%';
            b->p[b->len++] = hex[c >> 4];
            b->p[b->len++] = hex[c & 0xf];
        }
    }
    b->p[b->len] = '\0';
}

/* The built string (never NULL: an empty buffer gives ""); the buffer is left empty. */
static char *sb_take(struct sbuf *b)
{
    sb_reserve(b, 0);
    b->p[b->len] = '\0';
    char *p = b->p;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

/* ---- small helpers ---- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
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

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 0xf];
    }
    out[2 * n] = '\0';
}

static void hmac(const void *key, size_t keylen, const char *msg, size_t msglen,
                 unsigned char out[SIGV4_KEY_LEN])
{
    unsigned int outlen = SIGV4_KEY_LEN;
    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, msglen, out, &outlen);
}

/* The first value of header name, from the array or the callback; NULL if absent. */
static const char *find_header(const struct sigv4_request *rq, const char *name)
{
    if (rq->headers != NULL) {
        for (size_t i = 0; i < rq->nheaders; i++) {
            if (strcasecmp(rq->headers[i].name, name) == 0)
                return rq->headers[i].value;
        }
        return NULL;
    }
    return rq->header != NULL ? rq->header(rq->header_arg, name) : NULL;
}

/* Append the canonical form of value: trimmed, whitespace runs collapsed to one space. */
static void add_canonical_value(struct sbuf *b, const char *value)
{
    const char *s = value;
    while (is_space(*s))
        s++;
    int pending = 0;
    for (; *s != '\0'; s++) {
        if (is_space(*s)) {
            pending = 1;
            continue;
        }
        if (pending)
            sb_addc(b, ' ');
        pending = 0;
        sb_addc(b, *s);
    }
}

/* Append "name:value\n" for one signed header; -1 if the request lacks it. */
static int add_canonical_header(struct sbuf *b, const struct sigv4_request *rq, const char *name)
{
    sb_adds(b, name);
    sb_addc(b, ':');
    if (rq->headers != NULL) {
        int found = 0;
        for (size_t i = 0; i < rq->nheaders; i++) {
            if (strcasecmp(rq->headers[i].name, name) != 0)
                continue;
            if (found)
                sb_addc(b, ',');
            add_canonical_value(b, rq->headers[i].value);
            found = 1;
        }
        if (!found)
            return -1;
    } else {
        const char *v = find_header(rq, name);
        if (v == NULL)
            return -1;
        add_canonical_value(b, v);
    }
    sb_addc(b, '\n');
    return 0;
}

/* 1 if the ';'-separated list contains name (case-insensitive). */
static int list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *s = list;
    for (;;) {
        const char *semi = strchr(s, ';');
        size_t len = semi != NULL ? (size_t)(semi - s) : strlen(s);
        if (len == n && strncasecmp(s, name, n) == 0)
            return 1;
        if (semi == NULL)
            return 0;
        s = semi + 1;
    }
}

/* ---- public pieces ---- */

const char *sigv4_error_type(enum sigv4_result res)
{
    switch (res) {
    case SIGV4_MISSING:
        return "MissingAuthenticationTokenException";
    case SIGV4_UNKNOWN_KEY:
        return "UnrecognizedClientException";
    case SIGV4_INVALID:
        return "InvalidSignatureException";
    default:
        return NULL;
    }
}

char *sigv4_encode(const char *s, size_t len)
{
    struct sbuf b = {0};
    sb_encode(&b, s, len);
    return sb_take(&b);
}

char *sigv4_canonical_uri(const char *raw_path)
{
    struct segment {
        const char *p;
        size_t len;
    };
    const char *path = raw_path != NULL ? raw_path : "";
    size_t n = strlen(path), max = 1;
    for (size_t i = 0; i < n; i++)
        max += path[i] == '/';
    struct segment *segs = xcalloc(max, sizeof *segs);
    size_t nseg = 0;
    const char *s = path, *end = path + n;
    for (;;) {
        const char *slash = memchr(s, '/', (size_t)(end - s));
        size_t len = slash != NULL ? (size_t)(slash - s) : (size_t)(end - s);
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            if (nseg > 0)
                nseg--;
        } else if (len > 0 && !(len == 1 && s[0] == '.')) {
            segs[nseg].p = s;
            segs[nseg].len = len;
            nseg++;
        }
        if (slash == NULL)
            break;
        s = slash + 1;
    }
    struct sbuf b = {0};
    sb_addc(&b, '/');
    for (size_t i = 0; i < nseg; i++) {
        if (i > 0)
            sb_addc(&b, '/');
        sb_encode(&b, segs[i].p, segs[i].len);
    }
    if (nseg > 0 && n > 0 && path[n - 1] == '/')
        sb_addc(&b, '/');
    free(segs);
    return sb_take(&b);
}

/* Percent-decode s[0..n) and append it SigV4-encoded; -1 on a malformed escape. */
static int add_reencoded(struct sbuf *b, const char *s, size_t n)
{
    char *tmp = xmalloc(n + 1);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            tmp[len++] = s[i];
            continue;
        }
        int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
        int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            free(tmp);
            return -1;
        }
        tmp[len++] = (char)(hi * 16 + lo);
        i += 2;
    }
    sb_encode(b, tmp, len);
    free(tmp);
    return 0;
}

struct qpair {
    char *key, *value;
};

static int qpair_cmp(const void *a, const void *b)
{
    const struct qpair *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c != 0 ? c : strcmp(x->value, y->value);
}

char *sigv4_canonical_query(const char *raw_query, struct oerr *err)
{
    const char *q = raw_query != NULL ? raw_query : "";
    size_t max = 1;
    for (const char *s = q; *s != '\0'; s++)
        max += *s == '&';
    struct qpair *pairs = xcalloc(max, sizeof *pairs);
    size_t np = 0;
    char *out = NULL;
    struct sbuf b = {0};

    for (const char *s = q; *s != '\0';) {
        const char *amp = strchr(s, '&');
        size_t len = amp != NULL ? (size_t)(amp - s) : strlen(s);
        if (len > 0) {
            const char *eq = memchr(s, '=', len);
            size_t klen = eq != NULL ? (size_t)(eq - s) : len;
            struct sbuf k = {0}, v = {0};
            int bad = add_reencoded(&k, s, klen) < 0 ||
                      (eq != NULL && add_reencoded(&v, eq + 1, len - klen - 1) < 0);
            pairs[np].key = sb_take(&k);
            pairs[np].value = sb_take(&v);
            np++;
            if (bad) {
                oerr_set(err, OERR_INVALID, "malformed percent-encoding in the query string");
                goto fail;
            }
        }
        if (amp == NULL)
            break;
        s = amp + 1;
    }
    qsort(pairs, np, sizeof *pairs, qpair_cmp);
    for (size_t i = 0; i < np; i++) {
        if (i > 0)
            sb_addc(&b, '&');
        sb_adds(&b, pairs[i].key);
        sb_addc(&b, '=');
        sb_adds(&b, pairs[i].value);
    }
    out = sb_take(&b);
fail:
    for (size_t i = 0; i < np; i++) {
        free(pairs[i].key);
        free(pairs[i].value);
    }
    free(pairs);
    free(b.p);
    return out;
}

char *sigv4_canonical_value(const char *value)
{
    struct sbuf b = {0};
    add_canonical_value(&b, value);
    return sb_take(&b);
}

char *sigv4_canonical_request(const struct sigv4_request *rq, const char *signed_headers,
                              const char *payload_hash, struct oerr *err)
{
    struct sbuf b = {0};
    char *uri = NULL, *query = NULL, *names = NULL;

    query = sigv4_canonical_query(rq->query, err);
    if (query == NULL)
        goto fail;
    uri = sigv4_canonical_uri(rq->path);
    sb_adds(&b, rq->method);
    sb_addc(&b, '\n');
    sb_adds(&b, uri);
    sb_addc(&b, '\n');
    sb_adds(&b, query);
    sb_addc(&b, '\n');
    names = xstrdup(signed_headers);
    for (char *s = names;;) {
        char *semi = strchr(s, ';');
        if (semi != NULL)
            *semi = '\0';
        if (add_canonical_header(&b, rq, s) < 0) {
            oerr_set(err, OERR_INVALID, "signed header '%s' is missing from the request", s);
            goto fail;
        }
        if (semi == NULL)
            break;
        s = semi + 1;
    }
    sb_addc(&b, '\n');
    sb_adds(&b, signed_headers);
    sb_addc(&b, '\n');
    sb_adds(&b, payload_hash);
    free(uri);
    free(query);
    free(names);
    return sb_take(&b);
fail:
    free(uri);
    free(query);
    free(names);
    free(b.p);
    return NULL;
}

char *sigv4_string_to_sign(const char *amz_date, const char *scope, const char *canonical_request)
{
    char hash[SIGV4_HEX_LEN + 1];
    sigv4_sha256_hex(canonical_request, strlen(canonical_request), hash);
    struct sbuf b = {0};
    sb_adds(&b, SIGV4_ALGORITHM "\n");
    sb_adds(&b, amz_date);
    sb_addc(&b, '\n');
    sb_adds(&b, scope);
    sb_addc(&b, '\n');
    sb_adds(&b, hash);
    return sb_take(&b);
}

void sigv4_signing_key(const char *secret, const char *date8, const char *region,
                       const char *service, unsigned char key[SIGV4_KEY_LEN])
{
    size_t slen = strlen(secret);
    char *k0 = xmalloc(slen + 5);
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, slen + 1);
    unsigned char k1[SIGV4_KEY_LEN], k2[SIGV4_KEY_LEN], k3[SIGV4_KEY_LEN];
    hmac(k0, slen + 4, date8, strlen(date8), k1);
    hmac(k1, sizeof k1, region, strlen(region), k2);
    hmac(k2, sizeof k2, service, strlen(service), k3);
    hmac(k3, sizeof k3, TERMINATOR, strlen(TERMINATOR), key);
    OPENSSL_cleanse(k0, slen + 4);
    OPENSSL_cleanse(k1, sizeof k1);
    OPENSSL_cleanse(k2, sizeof k2);
    OPENSSL_cleanse(k3, sizeof k3);
    free(k0);
}

void sigv4_signature(const unsigned char key[SIGV4_KEY_LEN], const char *string_to_sign,
                     char out[SIGV4_HEX_LEN + 1])
{
    unsigned char mac[SIGV4_KEY_LEN];
    hmac(key, SIGV4_KEY_LEN, string_to_sign, strlen(string_to_sign), mac);
    to_hex(mac, sizeof mac, out);
}

void sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(len > 0 ? data : "", len, md, &mdlen, EVP_sha256(), NULL);
    to_hex(md, SIGV4_KEY_LEN, out);
}

/* The value of the n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int sigv4_parse_date(const char *s, int64_t *ms)
{
    if (s == NULL || strlen(s) != SIGV4_DATE_LEN || s[8] != 'T' || s[15] != 'Z')
        return -1;
    int y = digits(s, 4), mo = digits(s + 4, 2), d = digits(s + 6, 2);
    int h = digits(s + 9, 2), mi = digits(s + 11, 2), sec = digits(s + 13, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > timefmt_days_in_month(y, mo) || h < 0 ||
        h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
        return -1;
    *ms = timefmt_days_from_civil(y, mo, d) * TIMEFMT_MS_PER_DAY + h * TIMEFMT_MS_PER_HOUR +
          mi * TIMEFMT_MS_PER_MINUTE + sec * INT64_C(1000);
    return 0;
}

char *sigv4_format_date(int64_t ms, char out[SIGV4_DATE_LEN + 1])
{
    struct timefmt_civil c;
    timefmt_to_civil(ms, &c);
    int y = c.year < 0 ? 0 : c.year > 9999 ? 9999 : c.year;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%04d%02d%02dT%02d%02d%02dZ", y, c.month, c.mday, c.hour, c.minute,
             c.second);
    memcpy(out, tmp, SIGV4_DATE_LEN);
    out[SIGV4_DATE_LEN] = '\0';
    return out;
}

/* ---- verification ---- */

/* The parts of an Authorization header, pointing into buf (a modified copy of the header). */
struct authz {
    char *buf;
    char *akid, *date8, *region, *service, *terminator;
    char *signed_headers, *signature;
};

static char *trim(char *s)
{
    while (is_space(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && is_space(s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int malformed(struct oerr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int malformed(struct oerr *err, const char *fmt, ...)
{
    char msg[OERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return oerr_set(err, OERR_AUTH, "malformed Authorization header: %s", msg);
}

static int parse_credential(struct authz *a, char *cred, struct oerr *err)
{
    char **parts[] = {&a->akid, &a->date8, &a->region, &a->service, &a->terminator};
    size_t n = sizeof parts / sizeof parts[0];
    char *s = cred;
    for (size_t i = 0; i < n; i++) {
        char *slash = strchr(s, '/');
        if ((slash == NULL) != (i == n - 1))
            return malformed(err, "Credential must be <access key>/<date>/<region>/<service>/"
                                  "aws4_request");
        if (slash != NULL)
            *slash = '\0';
        if (*s == '\0')
            return malformed(err, "Credential has an empty part");
        *parts[i] = s;
        s = slash != NULL ? slash + 1 : s;
    }
    return 0;
}

static int parse_authorization(const char *header, struct authz *a, struct oerr *err)
{
    const size_t alen = strlen(SIGV4_ALGORITHM);
    char *cred = NULL;
    a->buf = xstrdup(header);
    char *s = trim(a->buf);
    size_t wlen = strcspn(s, " \t");
    if (wlen != alen || strncmp(s, SIGV4_ALGORITHM, alen) != 0) {
        s[wlen] = '\0';
        return oerr_set(
            err, OERR_AUTH,
            "unsupported signature algorithm '%.64s': only " SIGV4_ALGORITHM " is accepted", s);
    }
    s += alen;
    while (*s != '\0') {
        char *comma = strchr(s, ',');
        if (comma != NULL)
            *comma = '\0';
        char *item = trim(s);
        char *eq = strchr(item, '=');
        if (eq == NULL)
            return malformed(err, "'%.64s' is not a key=value pair", item);
        *eq = '\0';
        char *key = trim(item), *value = trim(eq + 1);
        char **slot = NULL;
        if (strcmp(key, "Credential") == 0)
            slot = &cred;
        else if (strcmp(key, "SignedHeaders") == 0)
            slot = &a->signed_headers;
        else if (strcmp(key, "Signature") == 0)
            slot = &a->signature;
        else
            return malformed(err, "unknown component '%.64s'", key);
        if (*slot != NULL)
            return malformed(err, "%s is given twice", key);
        *slot = value;
        if (comma == NULL)
            break;
        s = comma + 1;
    }
    if (cred == NULL || a->signed_headers == NULL || a->signature == NULL)
        return malformed(err, "%s is missing",
                         cred == NULL                ? "Credential"
                         : a->signed_headers == NULL ? "SignedHeaders"
                                                     : "Signature");
    if (parse_credential(a, cred, err) < 0)
        return -1;
    const char *h = a->signed_headers;
    if (*h == '\0' || h[strlen(h) - 1] == ';' || strstr(h, ";;") != NULL || *h == ';' ||
        strpbrk(h, " \t,=") != NULL)
        return malformed(err, "SignedHeaders must be a ';'-separated list of header names");
    const char *sig = a->signature;
    int hexok = strlen(sig) == SIGV4_HEX_LEN;
    for (size_t i = 0; hexok && i < SIGV4_HEX_LEN; i++)
        hexok = (sig[i] >= '0' && sig[i] <= '9') || (sig[i] >= 'a' && sig[i] <= 'f');
    if (!hexok)
        return malformed(err, "Signature must be %d lowercase hex digits", SIGV4_HEX_LEN);
    return 0;
}

/* The payload hash for the canonical request into hash; -1 if x-amz-content-sha256 lies. */
static int payload_hash(const struct sigv4_request *rq, char hash[SIGV4_HEX_LEN + 1],
                        struct oerr *err)
{
    sigv4_sha256_hex(rq->body, rq->body_len, hash);
    const char *claimed = find_header(rq, "x-amz-content-sha256");
    if (claimed == NULL || strcmp(claimed, SIGV4_UNSIGNED) == 0) {
        if (claimed != NULL)
            memcpy(hash, SIGV4_UNSIGNED, sizeof SIGV4_UNSIGNED);
        return 0;
    }
    if (strcmp(claimed, hash) != 0)
        return oerr_set(err, OERR_AUTH,
                        "x-amz-content-sha256 '%.80s' does not match the request body (its "
                        "SHA-256 is %s)",
                        claimed, hash);
    return 0;
}

/* The 5-minute window around now; the messages are the ones the JS SDK retries on. */
static int check_time(const char *amz_date, int64_t t, int64_t now_ms, struct oerr *err)
{
    char now_s[SIGV4_DATE_LEN + 1], limit[SIGV4_DATE_LEN + 1];
    if (now_ms - t > SIGV4_WINDOW_MS)
        return oerr_set(
            err, OERR_AUTH, "Signature expired: %s is now earlier than %s (%s - 5 min.)", amz_date,
            sigv4_format_date(now_ms - SIGV4_WINDOW_MS, limit), sigv4_format_date(now_ms, now_s));
    if (t - now_ms > SIGV4_WINDOW_MS)
        return oerr_set(err, OERR_AUTH,
                        "Signature not yet current: %s is still later than %s (%s + 5 min.)",
                        amz_date, sigv4_format_date(now_ms + SIGV4_WINDOW_MS, limit),
                        sigv4_format_date(now_ms, now_s));
    return 0;
}

/* Scope, date, required signed headers and payload: everything checked before the HMAC. */
static int check_request(const struct sigv4_request *rq, const struct authz *a, const char *region,
                         const char *service, int64_t now_ms, const char **amz_date,
                         char hash[SIGV4_HEX_LEN + 1], struct oerr *err)
{
    if (strcmp(a->terminator, TERMINATOR) != 0)
        return oerr_set(err, OERR_AUTH,
                        "credential scope must end with '" TERMINATOR "', not '%.64s'",
                        a->terminator);
    if (strcmp(a->region, region) != 0)
        return oerr_set(err, OERR_AUTH,
                        "credential should be scoped to a valid region: expected '%s', got "
                        "'%.64s'",
                        region, a->region);
    if (strcmp(a->service, service) != 0)
        return oerr_set(err, OERR_AUTH,
                        "credential should be scoped to the correct service: expected '%s', got "
                        "'%.64s'",
                        service, a->service);
    const char *date = find_header(rq, "x-amz-date");
    int64_t t;
    if (date == NULL)
        return oerr_set(err, OERR_AUTH, "the request has no X-Amz-Date header");
    if (sigv4_parse_date(date, &t) < 0)
        return oerr_set(err, OERR_AUTH,
                        "X-Amz-Date '%.64s' is not a date of the form YYYYMMDD'T'HHMMSS'Z'", date);
    if (strlen(a->date8) != 8 || strncmp(a->date8, date, 8) != 0)
        return oerr_set(err, OERR_AUTH,
                        "credential scope date '%.64s' does not match X-Amz-Date '%s'", a->date8,
                        date);
    if (check_time(date, t, now_ms, err) < 0)
        return -1;
    if (!list_has(a->signed_headers, "host") || !list_has(a->signed_headers, "x-amz-date"))
        return oerr_set(err, OERR_AUTH, "SignedHeaders must include host and x-amz-date");
    if (find_header(rq, "x-amz-security-token") != NULL &&
        !list_has(a->signed_headers, "x-amz-security-token"))
        return oerr_set(err, OERR_AUTH, "x-amz-security-token is present but not in SignedHeaders");
    *amz_date = date;
    return payload_hash(rq, hash, err);
}

enum sigv4_result sigv4_verify(const struct sigv4_request *rq, const char *region,
                               const char *service, int64_t now_ms, sigv4_secret_fn secret,
                               const void *secret_arg, struct oerr *err)
{
    struct authz a = {0};
    enum sigv4_result res = SIGV4_INVALID;
    char *creq = NULL, *sts = NULL, *scope = NULL;
    const char *amz_date = NULL;
    char hash[SIGV4_HEX_LEN + 1], sig[SIGV4_HEX_LEN + 1];
    unsigned char key[SIGV4_KEY_LEN];

    const char *header = find_header(rq, "authorization");
    if (header == NULL) {
        oerr_set(err, OERR_AUTH,
                 "missing authentication token: the request has no Authorization header");
        return SIGV4_MISSING;
    }
    if (parse_authorization(header, &a, err) < 0)
        goto done;
    const char *sec = secret(secret_arg, a.akid);
    if (sec == NULL) {
        oerr_set(err, OERR_AUTH, "The security token included in the request is invalid.");
        res = SIGV4_UNKNOWN_KEY;
        goto done;
    }
    if (check_request(rq, &a, region, service, now_ms, &amz_date, hash, err) < 0)
        goto done;
    creq = sigv4_canonical_request(rq, a.signed_headers, hash, err);
    if (creq == NULL) {
        if (err != NULL)
            err->code = OERR_AUTH;
        goto done;
    }
    struct sbuf sb = {0};
    sb_adds(&sb, a.date8);
    sb_addc(&sb, '/');
    sb_adds(&sb, a.region);
    sb_addc(&sb, '/');
    sb_adds(&sb, a.service);
    sb_adds(&sb, "/" TERMINATOR);
    scope = sb_take(&sb);
    sts = sigv4_string_to_sign(amz_date, scope, creq);
    sigv4_signing_key(sec, a.date8, a.region, a.service, key);
    sigv4_signature(key, sts, sig);
    OPENSSL_cleanse(key, sizeof key);
    if (CRYPTO_memcmp(sig, a.signature, SIGV4_HEX_LEN) != 0) {
        oerr_set(err, OERR_AUTH,
                 "the request signature does not match the one calculated with the secret of "
                 "access key %.64s; check the secret access key and the signing method",
                 a.akid);
        goto done;
    }
    res = SIGV4_OK;
done:
    free(a.buf);
    free(creq);
    free(sts);
    free(scope);
    return res;
}

/* ---- signing ---- */

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int sigv4_sign(const struct sigv4_request *rq, const char *access_key, const char *secret,
               const char *region, const char *service, char **authorization, struct oerr *err)
{
    char **names = NULL;
    size_t n = rq->nheaders, nuniq = 0, nowned = 0;
    char *signed_headers = NULL, *creq = NULL, *sts = NULL, *scope = NULL;
    struct sbuf b = {0};
    int64_t t;
    char hash[SIGV4_HEX_LEN + 1], sig[SIGV4_HEX_LEN + 1];
    unsigned char key[SIGV4_KEY_LEN];
    int rc = -1;

    *authorization = NULL;
    if (rq->headers == NULL || n == 0) {
        oerr_set(err, OERR_INVALID, "signing needs the headers to sign as an array");
        goto done;
    }
    names = xcalloc(n, sizeof *names);
    nowned = n;
    for (size_t i = 0; i < n; i++) {
        names[i] = xstrdup(rq->headers[i].name);
        for (char *p = names[i]; *p != '\0'; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        if (names[i][0] == '\0' || strpbrk(names[i], " \t;:,") != NULL) {
            oerr_set(err, OERR_INVALID, "header name '%.64s' cannot be signed",
                     rq->headers[i].name);
            goto done;
        }
    }
    qsort(names, n, sizeof *names, str_cmp);
    for (size_t i = 0; i < n; i++) {
        if (nuniq > 0 && strcmp(names[nuniq - 1], names[i]) == 0) {
            free(names[i]);
            continue;
        }
        names[nuniq++] = names[i];
    }
    nowned = nuniq;
    for (size_t i = 0; i < nuniq; i++) {
        if (i > 0)
            sb_addc(&b, ';');
        sb_adds(&b, names[i]);
    }
    signed_headers = sb_take(&b);
    if (!list_has(signed_headers, "host") || !list_has(signed_headers, "x-amz-date")) {
        oerr_set(err, OERR_INVALID, "the headers to sign must include host and x-amz-date");
        goto done;
    }
    const char *date = find_header(rq, "x-amz-date");
    if (sigv4_parse_date(date, &t) < 0) {
        oerr_set(err, OERR_INVALID,
                 "x-amz-date '%.64s' is not a date of the form YYYYMMDD'T'HHMMSS'Z'", date);
        goto done;
    }
    const char *claimed = find_header(rq, "x-amz-content-sha256");
    sigv4_sha256_hex(rq->body, rq->body_len, hash);
    creq = sigv4_canonical_request(rq, signed_headers, claimed != NULL ? claimed : hash, err);
    if (creq == NULL)
        goto done;
    sb_add(&b, date, 8);
    sb_addc(&b, '/');
    sb_adds(&b, region);
    sb_addc(&b, '/');
    sb_adds(&b, service);
    sb_adds(&b, "/" TERMINATOR);
    scope = sb_take(&b);
    sts = sigv4_string_to_sign(date, scope, creq);
    char date8[9];
    memcpy(date8, date, 8);
    date8[8] = '\0';
    sigv4_signing_key(secret, date8, region, service, key);
    sigv4_signature(key, sts, sig);
    OPENSSL_cleanse(key, sizeof key);
    sb_adds(&b, SIGV4_ALGORITHM " Credential=");
    sb_adds(&b, access_key);
    sb_addc(&b, '/');
    sb_adds(&b, scope);
    sb_adds(&b, ", SignedHeaders=");
    sb_adds(&b, signed_headers);
    sb_adds(&b, ", Signature=");
    sb_adds(&b, sig);
    *authorization = sb_take(&b);
    rc = 0;
done:
    for (size_t i = 0; i < nowned; i++)
        free(names[i]);
    free(names);
    free(signed_headers);
    free(creq);
    free(sts);
    free(scope);
    free(b.p);
    return rc;
}
