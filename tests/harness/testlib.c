/*
 * testlib: the C test helpers declared in testlib.h.
 *
 * The HTTP client keeps one receive buffer per connection: a response is parsed from
 * buf[pos..len) with absolute offsets (the buffer only grows while a response is being read),
 * and what follows the response is moved to the front for the next one. Every blocking call
 * goes through poll() with the connection's timeout, so a silent server fails the test instead
 * of hanging it.
 */
#include "tests/harness/testlib.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/mem.h"

#define LINE_MAX_BYTES     (64 * 1024)
#define HEAD_MAX_BYTES     (1024 * 1024)
#define BODY_MAX_BYTES     ((size_t)256 * 1024 * 1024)
#define DEFAULT_TIMEOUT_MS 30000

struct testlib_http {
    char *host;     /* for getaddrinfo, without IPv6 brackets */
    char *port;     /* decimal */
    char *hostport; /* the Host header value, as in the URL */
    int fd;         /* -1 when not connected */
    int reused;     /* a response was already read on fd: it may have been closed since */
    int keepalive;
    int timeout_ms;
    char *buf;
    size_t pos, len, cap;
};

/* A growing NUL-terminated byte string. */
struct sbuf {
    char *p;
    size_t len, cap;
};

/* Room for n more bytes and the NUL. */
static void sb_reserve(struct sbuf *b, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;

        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
}

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    sb_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_vprintf(struct sbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void sb_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
    va_list again;
    int n;

    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0) {
        va_end(again);
        ck_abort_msg("testlib: bad format '%s'", fmt);
        return;
    }
    sb_reserve(b, (size_t)n);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
    b->len += (size_t)n;
    va_end(again);
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

const char *testlib_env(const char *name)
{
    const char *v = getenv(name);

    if (v == NULL || *v == '\0')
        ck_abort_msg("environment variable %s is not set: run the test through "
                     "tests/harness/harness.py run (or ctest)",
                     name);
    return v;
}

char *testlib_strf(const char *fmt, ...)
{
    struct sbuf b = {0};
    va_list ap;

    va_start(ap, fmt);
    sb_vprintf(&b, fmt, ap);
    va_end(ap);
    return b.p;
}

int64_t testlib_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void testlib_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* --- HTTP: connection --- */

static int parse_url(struct testlib_http *c, const char *url, struct oerr *err)
{
    const char *p, *end;
    size_t n;
    char *stop;
    long port;

    if (strncmp(url, "http://", 7) != 0)
        return oerr_set(err, OERR_INVALID, "url '%s': want http://host:port", url);
    p = url + 7;
    if (*p == '[') {
        end = strchr(p, ']');
        if (end == NULL || end == p + 1)
            return oerr_set(err, OERR_INVALID, "url '%s': bad IPv6 address", url);
        c->host = xstrndup(p + 1, (size_t)(end - p - 1));
        p = end + 1;
    } else {
        n = strcspn(p, ":/");
        if (n == 0)
            return oerr_set(err, OERR_INVALID, "url '%s': empty host", url);
        c->host = xstrndup(p, n);
        p += n;
    }
    if (*p == ':') {
        n = strspn(p + 1, "0123456789");
        errno = 0;
        port = strtol(p + 1, &stop, 10);
        if (n == 0 || n > 5 || stop != p + 1 + n || errno != 0 || port < 1 || port > 65535)
            return oerr_set(err, OERR_INVALID, "url '%s': port must be 1-65535", url);
        c->port = xstrndup(p + 1, n);
        p += 1 + n;
    } else {
        c->port = xstrdup("80");
    }
    c->hostport = xstrndup(url + 7, (size_t)(p - (url + 7)));
    if (*p == '/')
        p++;
    if (*p != '\0')
        return oerr_set(err, OERR_INVALID, "url '%s': unexpected '%s' after the port", url, p);
    return 0;
}

struct testlib_http *testlib_http_new(const char *url, struct oerr *err)
{
    struct testlib_http *c = xcalloc(1, sizeof(*c));

    c->fd = -1;
    c->keepalive = 1;
    c->timeout_ms = DEFAULT_TIMEOUT_MS;
    if (url == NULL)
        url = testlib_env("OTAD_TEST_URL");
    if (parse_url(c, url, err) != 0) {
        testlib_http_free(c);
        return NULL;
    }
    return c;
}

static void http_close(struct testlib_http *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->pos = c->len = 0;
}

void testlib_http_free(struct testlib_http *c)
{
    if (c == NULL)
        return;
    http_close(c);
    free(c->host);
    free(c->port);
    free(c->hostport);
    free(c->buf);
    free(c);
}

void testlib_http_set_keepalive(struct testlib_http *c, int on)
{
    c->keepalive = on != 0;
}

void testlib_http_set_timeout_ms(struct testlib_http *c, int ms)
{
    c->timeout_ms = ms;
}

static int http_connect(struct testlib_http *c, struct oerr *err)
{
    struct addrinfo hints, *res = NULL, *ai;
    int rc, fd = -1, saved = ECONNREFUSED;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(c->host, c->port, &hints, &res);
    if (rc != 0)
        return oerr_set(err, OERR_UNAVAILABLE, "resolve '%s': %s", c->host, gai_strerror(rc));
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return oerr_set(err, OERR_UNAVAILABLE, "connect to %s: %s", c->hostport, strerror(saved));
    c->fd = fd;
    c->reused = 0;
    c->pos = c->len = 0;
    return 0;
}

/* Wait until fd is ready for events; -1 with *err on timeout or error. */
static int wait_fd(struct testlib_http *c, short events, const char *what, struct oerr *err)
{
    struct pollfd pfd = {c->fd, events, 0};
    int r;

    do {
        r = poll(&pfd, 1, c->timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r == 0)
        return oerr_set(err, OERR_UNAVAILABLE, "%s %s: timed out after %d ms", what, c->hostport,
                        c->timeout_ms);
    if (r < 0)
        return oerr_set(err, OERR_UNAVAILABLE, "%s %s: %s", what, c->hostport, strerror(errno));
    return 0;
}

static int send_all(struct testlib_http *c, const char *p, size_t n, struct oerr *err)
{
    while (n > 0) {
        ssize_t w;

        if (wait_fd(c, POLLOUT, "send to", err) != 0)
            return -1;
        w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return oerr_set(err, OERR_UNAVAILABLE, "send to %s: %s", c->hostport, strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read more bytes into the buffer: 1 when some came, 0 at end of stream (or reset), -1 on
 * error. */
static int fill(struct testlib_http *c, struct oerr *err)
{
    ssize_t r;

    if (c->len == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16384;
        c->buf = xrealloc(c->buf, c->cap);
    }
    if (wait_fd(c, POLLIN, "receive from", err) != 0)
        return -1;
    do {
        r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0 && errno == ECONNRESET)
        return 0; /* a reset is an end of stream too */
    if (r < 0)
        return oerr_set(err, OERR_UNAVAILABLE, "receive from %s: %s", c->hostport, strerror(errno));
    c->len += (size_t)r;
    return r > 0;
}

/* Make at least n unread bytes available. */
static int need(struct testlib_http *c, size_t n, struct oerr *err)
{
    while (c->len - c->pos < n) {
        int r = fill(c, err);

        if (r < 0)
            return -1;
        if (r == 0)
            return oerr_set(err, OERR_UNAVAILABLE,
                            "%s closed the connection in the middle of a response", c->hostport);
    }
    return 0;
}

/* Make a whole line available at pos; *n is its length without the CRLF. */
static int need_line(struct testlib_http *c, size_t *n, struct oerr *err)
{
    for (;;) {
        const char *hit = memmem(c->buf + c->pos, c->len - c->pos, "\r\n", 2);

        if (hit != NULL) {
            *n = (size_t)(hit - (c->buf + c->pos));
            return 0;
        }
        if (c->len - c->pos > LINE_MAX_BYTES)
            return oerr_set(err, OERR_INVALID, "response line longer than %d bytes",
                            LINE_MAX_BYTES);
        if (need(c, c->len - c->pos + 1, err) != 0)
            return -1;
    }
}

/* --- HTTP: responses --- */

void testlib_response_free(struct testlib_response *resp)
{
    if (resp == NULL)
        return;
    for (size_t i = 0; i < resp->nheaders; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    free(resp->headers);
    free(resp->reason);
    free(resp->body);
    free(resp);
}

const char *testlib_response_header(const struct testlib_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->nheaders; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    return NULL;
}

/* Whether the comma-separated header value list contains token (case-insensitive). */
static int has_token(const char *list, const char *token)
{
    size_t n = strlen(token);

    while (list != NULL && *list != '\0') {
        list += strspn(list, " \t,");
        if (strncasecmp(list, token, n) == 0 && strchr(" \t,;", list[n]) != NULL)
            return 1;
        list = strchr(list, ',');
    }
    return 0;
}

static int parse_status_line(const char *line, size_t n, struct testlib_response *resp, int *http10,
                             struct oerr *err)
{
    if (n < 12 || memcmp(line, "HTTP/1.", 7) != 0 || (line[7] != '0' && line[7] != '1') ||
        line[8] != ' ' || !isdigit((unsigned char)line[9]) || !isdigit((unsigned char)line[10]) ||
        !isdigit((unsigned char)line[11]) || (n > 12 && line[12] != ' '))
        return oerr_set(err, OERR_INVALID, "malformed status line '%.*s'", (int)(n > 200 ? 200 : n),
                        line);
    *http10 = line[7] == '0';
    resp->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    resp->reason = n > 13 ? xstrndup(line + 13, n - 13) : xstrdup("");
    return 0;
}

static int parse_header_line(const char *line, size_t n, struct testlib_response *resp,
                             struct oerr *err)
{
    const char *colon = memchr(line, ':', n);
    const char *v, *end = line + n;
    size_t name_len;

    if (colon == NULL || colon == line)
        return oerr_set(err, OERR_INVALID, "malformed header line '%.*s'", (int)(n > 200 ? 200 : n),
                        line);
    name_len = (size_t)(colon - line);
    if (memchr(line, ' ', name_len) != NULL || memchr(line, '\t', name_len) != NULL)
        return oerr_set(err, OERR_INVALID, "space in header name '%.*s'", (int)name_len, line);
    v = colon + 1;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    resp->headers = xreallocarray(resp->headers, resp->nheaders + 1, sizeof(*resp->headers));
    resp->headers[resp->nheaders].name = xstrndup(line, name_len);
    resp->headers[resp->nheaders].value = xstrndup(v, (size_t)(end - v));
    resp->nheaders++;
    return 0;
}

/* Status line and headers, up to and including the empty line. */
static int read_head(struct testlib_http *c, struct testlib_response *resp, int *http10,
                     struct oerr *err)
{
    size_t n, start = c->pos;

    if (need_line(c, &n, err) != 0)
        return -1;
    if (parse_status_line(c->buf + c->pos, n, resp, http10, err) != 0)
        return -1;
    c->pos += n + 2;
    for (;;) {
        if (need_line(c, &n, err) != 0)
            return -1;
        if (n == 0)
            break;
        if (parse_header_line(c->buf + c->pos, n, resp, err) != 0)
            return -1;
        c->pos += n + 2;
        if (c->pos - start > HEAD_MAX_BYTES)
            return oerr_set(err, OERR_INVALID, "response head longer than %d bytes",
                            HEAD_MAX_BYTES);
    }
    c->pos += 2;
    return 0;
}

static int read_chunked(struct testlib_http *c, struct sbuf *body, struct oerr *err)
{
    for (;;) {
        size_t n, size = 0, digits = 0;
        const char *line;

        if (need_line(c, &n, err) != 0)
            return -1;
        line = c->buf + c->pos;
        while (digits < n && isxdigit((unsigned char)line[digits])) {
            int d = isdigit((unsigned char)line[digits])
                        ? line[digits] - '0'
                        : tolower((unsigned char)line[digits]) - 'a' + 10;
            if (size > (BODY_MAX_BYTES - (size_t)d) / 16)
                return oerr_set(err, OERR_INVALID, "chunk size over %zu bytes", BODY_MAX_BYTES);
            size = size * 16 + (size_t)d;
            digits++;
        }
        if (digits == 0 || (digits < n && strchr(" \t;", line[digits]) == NULL))
            return oerr_set(err, OERR_INVALID, "malformed chunk size line '%.*s'",
                            (int)(n > 100 ? 100 : n), line);
        c->pos += n + 2;
        if (size == 0)
            break;
        if (body->len + size > BODY_MAX_BYTES)
            return oerr_set(err, OERR_INVALID, "chunked body over %zu bytes", BODY_MAX_BYTES);
        if (need(c, size + 2, err) != 0)
            return -1;
        if (memcmp(c->buf + c->pos + size, "\r\n", 2) != 0)
            return oerr_set(err, OERR_INVALID, "chunk of %zu bytes not followed by CRLF", size);
        sb_put(body, c->buf + c->pos, size);
        c->pos += size + 2;
    }
    for (;;) { /* trailer fields, up to the empty line */
        size_t n;

        if (need_line(c, &n, err) != 0)
            return -1;
        c->pos += n + 2;
        if (n == 0)
            return 0;
    }
}

/* The body after the head; *until_eof is set when the body ended with the connection. */
static int read_body(struct testlib_http *c, struct testlib_response *resp, int head,
                     struct sbuf *body, int *until_eof, struct oerr *err)
{
    const char *te = testlib_response_header(resp, "Transfer-Encoding");
    const char *cl = testlib_response_header(resp, "Content-Length");

    if (head || resp->status == 204 || resp->status == 304)
        return 0;
    if (te != NULL && has_token(te, "chunked"))
        return read_chunked(c, body, err);
    if (cl != NULL) {
        char *stop;
        unsigned long long n;

        errno = 0;
        n = strtoull(cl, &stop, 10);
        if (!isdigit((unsigned char)cl[0]) || *stop != '\0' || errno != 0 || n > BODY_MAX_BYTES)
            return oerr_set(err, OERR_INVALID, "bad Content-Length '%s'", cl);
        if (need(c, (size_t)n, err) != 0)
            return -1;
        sb_put(body, c->buf + c->pos, (size_t)n);
        c->pos += (size_t)n;
        return 0;
    }
    *until_eof = 1;
    for (;;) {
        int r;

        sb_put(body, c->buf + c->pos, c->len - c->pos);
        c->pos = c->len;
        if (body->len > BODY_MAX_BYTES)
            return oerr_set(err, OERR_INVALID, "body over %zu bytes", BODY_MAX_BYTES);
        r = fill(c, err);
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
    }
}

/*
 * Read one final response (skipping 1xx). *early is set when the connection ended before any
 * byte of it arrived: the request may be sent again on a new connection.
 */
static int read_response(struct testlib_http *c, int head, struct testlib_response **out,
                         int *early, struct oerr *err)
{
    struct testlib_response *resp = NULL;
    struct sbuf body = {0};
    int http10 = 0, until_eof = 0, keep;
    const char *conn;

    if (c->pos == c->len) {
        int r = fill(c, err);

        if (r == 0) {
            *early = 1;
            oerr_set(err, OERR_UNAVAILABLE, "%s closed the connection without a response",
                     c->hostport);
        }
        if (r <= 0)
            goto fail;
    }
    for (;;) {
        resp = xcalloc(1, sizeof(*resp));
        if (read_head(c, resp, &http10, err) != 0)
            goto fail;
        if (resp->status >= 200)
            break;
        testlib_response_free(resp); /* 100 Continue, 103 Early Hints */
        resp = NULL;
    }
    if (read_body(c, resp, head, &body, &until_eof, err) != 0)
        goto fail;
    sb_put(&body, "", 0);
    resp->body = body.p;
    resp->body_len = body.len;
    conn = testlib_response_header(resp, "Connection");
    keep = c->keepalive && !until_eof && !(conn != NULL && has_token(conn, "close")) &&
           !(http10 && !(conn != NULL && has_token(conn, "keep-alive")));
    if (keep) {
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->pos = 0;
        c->reused = 1;
    } else {
        http_close(c);
    }
    *out = resp;
    return 0;

fail:
    free(body.p);
    testlib_response_free(resp);
    return -1;
}

/* Send a request and read its response, once more on a new connection when a kept one was
 * found closed. */
static int exchange(struct testlib_http *c, const char *req, size_t len, int head,
                    struct testlib_response **out, struct oerr *err)
{
    for (int attempt = 0;; attempt++) {
        int reused, early = 0;

        if (c->fd < 0 && http_connect(c, err) != 0)
            return -1;
        reused = c->reused;
        if (send_all(c, req, len, err) != 0)
            early = 1;
        else if (read_response(c, head, out, &early, err) == 0)
            return 0;
        http_close(c);
        if (!(reused && early && attempt == 0))
            return -1;
    }
}

static int header_is(const char *h, const char *name)
{
    size_t n = strlen(name);

    return strncasecmp(h, name, n) == 0 && h[n] == ':';
}

int testlib_http_request(struct testlib_http *c, const char *method, const char *path,
                         const char *const *headers, const char *body, size_t body_len,
                         struct testlib_response **out, struct oerr *err)
{
    struct sbuf req = {0};
    int has_host = 0, has_length = 0, rc;

    if (body != NULL && body_len == SIZE_MAX)
        body_len = strlen(body);
    sb_printf(&req, "%s %s HTTP/1.1\r\n", method, path);
    for (const char *const *h = headers; h != NULL && *h != NULL; h++) {
        has_host |= header_is(*h, "Host");
        has_length |= header_is(*h, "Content-Length") || header_is(*h, "Transfer-Encoding");
        sb_printf(&req, "%s\r\n", *h);
    }
    if (!has_host)
        sb_printf(&req, "Host: %s\r\n", c->hostport);
    if (!has_length && (body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
                        strcmp(method, "PATCH") == 0))
        sb_printf(&req, "Content-Length: %zu\r\n", body != NULL ? body_len : 0);
    if (!c->keepalive)
        sb_printf(&req, "Connection: close\r\n");
    sb_put(&req, "\r\n", 2);
    if (body != NULL)
        sb_put(&req, body, body_len);
    rc = exchange(c, req.p, req.len, strcmp(method, "HEAD") == 0, out, err);
    free(req.p);
    return rc;
}

int testlib_http_raw(struct testlib_http *c, const char *bytes, size_t len,
                     struct testlib_response **out, struct oerr *err)
{
    return exchange(c, bytes, len, len >= 5 && memcmp(bytes, "HEAD ", 5) == 0, out, err);
}

struct testlib_response *testlib_call(const char *method, const char *path,
                                      const char *const *headers, const char *body)
{
    static struct testlib_http *shared;
    struct testlib_response *resp = NULL;
    struct oerr err = {0};

    if (shared == NULL) {
        shared = testlib_http_new(NULL, &err);
        ck_assert_msg(shared != NULL, "OTAD_TEST_URL: %s", err.msg);
    }
    ck_assert_msg(
        testlib_http_request(shared, method, path, headers, body, SIZE_MAX, &resp, &err) == 0,
        "%s %s: %s", method, path, err.msg);
    return resp;
}

/* --- JSON --- */

cJSON *testlib_json(const struct testlib_response *resp)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(resp->body, resp->body_len + 1, &end, 1);

    ck_assert_msg(root != NULL, "response body is not JSON (error at byte %td): %.2000s",
                  end != NULL ? end - resp->body : (ptrdiff_t)-1, resp->body);
    return root;
}

const cJSON *testlib_json_at(const cJSON *root, const char *path)
{
    const cJSON *cur = root;
    const char *p = path;
    char name[256];

    while (cur != NULL && *p != '\0') {
        if (*p == '[') {
            char *stop;
            long i;

            if (!isdigit((unsigned char)p[1]) || !cJSON_IsArray(cur))
                return NULL;
            errno = 0;
            i = strtol(p + 1, &stop, 10);
            if (*stop != ']' || errno != 0 || i > INT_MAX)
                return NULL;
            cur = cJSON_GetArrayItem(cur, (int)i);
            p = stop + 1;
        } else {
            size_t n = strcspn(p, ".[");

            if (n == 0 || n >= sizeof(name) || !cJSON_IsObject(cur))
                return NULL;
            memcpy(name, p, n);
            name[n] = '\0';
            cur = cJSON_GetObjectItemCaseSensitive(cur, name);
            p += n;
        }
        if (*p == '.')
            p++;
    }
    return cur;
}

/* What an item is, for messages: its compact JSON (cut at 200 bytes) or "absent". */
static void describe(const cJSON *item, char *out, size_t n)
{
    char *s;

    if (item == NULL) {
        snprintf(out, n, "absent");
        return;
    }
    s = cJSON_PrintUnformatted(item);
    snprintf(out, n, "%.200s%s", s != NULL ? s : "(unprintable)",
             s != NULL && strlen(s) > 200 ? "..." : "");
    cJSON_free(s);
}

static const char *path_name(const char *path)
{
    return *path != '\0' ? path : "(root)";
}

int testlib_json_check_str(const cJSON *root, const char *path, const char *want, struct oerr *err)
{
    const cJSON *item = testlib_json_at(root, path);
    char got[256];

    if (cJSON_IsString(item) && strcmp(item->valuestring, want) == 0)
        return 0;
    describe(item, got, sizeof(got));
    return oerr_set(err, OERR_INVALID, "%s: is %s, want \"%s\"", path_name(path), got, want);
}

int testlib_json_check_int(const cJSON *root, const char *path, long long want, struct oerr *err)
{
    const cJSON *item = testlib_json_at(root, path);
    char got[256];

    if (cJSON_IsNumber(item) && item->valuedouble == (double)want)
        return 0;
    describe(item, got, sizeof(got));
    return oerr_set(err, OERR_INVALID, "%s: is %s, want %lld", path_name(path), got, want);
}

int testlib_json_check_bool(const cJSON *root, const char *path, int want, struct oerr *err)
{
    const cJSON *item = testlib_json_at(root, path);
    char got[256];

    if (cJSON_IsBool(item) && (cJSON_IsTrue(item) != 0) == (want != 0))
        return 0;
    describe(item, got, sizeof(got));
    return oerr_set(err, OERR_INVALID, "%s: is %s, want %s", path_name(path), got,
                    want ? "true" : "false");
}

int testlib_json_check_len(const cJSON *root, const char *path, size_t want, struct oerr *err)
{
    const cJSON *item = testlib_json_at(root, path);
    char got[256];

    if ((cJSON_IsArray(item) || cJSON_IsObject(item)) && (size_t)cJSON_GetArraySize(item) == want)
        return 0;
    describe(item, got, sizeof(got));
    return oerr_set(err, OERR_INVALID, "%s: is %s, want %zu elements", path_name(path), got, want);
}

int testlib_json_check_present(const cJSON *root, const char *path, struct oerr *err)
{
    if (testlib_json_at(root, path) != NULL)
        return 0;
    return oerr_set(err, OERR_INVALID, "%s: absent", path_name(path));
}

int testlib_json_check_absent(const cJSON *root, const char *path, struct oerr *err)
{
    const cJSON *item = testlib_json_at(root, path);
    char got[256];

    if (item == NULL)
        return 0;
    describe(item, got, sizeof(got));
    return oerr_set(err, OERR_INVALID, "%s: is %s, want it absent", path_name(path), got);
}

int testlib_check_header(const struct testlib_response *resp, const char *name, const char *want,
                         struct oerr *err)
{
    const char *got = testlib_response_header(resp, name);

    if (got != NULL && strcmp(got, want) == 0)
        return 0;
    return oerr_set(err, OERR_INVALID, "header %s: is %s%s%s, want '%s'", name,
                    got != NULL ? "'" : "", got != NULL ? got : "absent", got != NULL ? "'" : "",
                    want);
}

int testlib_check_error(const struct testlib_response *resp, int status, const char *code,
                        struct oerr *err)
{
    const char *type = testlib_response_header(resp, "X-Amzn-ErrorType");
    cJSON *body = NULL;
    const cJSON *msg;
    int rc = -1;

    if (resp->status != status) {
        oerr_set(err, OERR_INVALID, "HTTP status %d, want %d (%s); body: %.300s", resp->status,
                 status, code, resp->body);
        goto fail;
    }
    if (type == NULL || strlen(code) != strcspn(type, ":") ||
        strncmp(type, code, strlen(code)) != 0) {
        oerr_set(err, OERR_INVALID, "X-Amzn-ErrorType is %s, want %s; body: %.300s",
                 type != NULL ? type : "absent", code, resp->body);
        goto fail;
    }
    body = cJSON_ParseWithLength(resp->body, resp->body_len);
    if (body == NULL) {
        oerr_set(err, OERR_INVALID, "%s body is not JSON: %.300s", code, resp->body);
        goto fail;
    }
    msg = cJSON_GetObjectItemCaseSensitive(body, "Message");
    if (!cJSON_IsString(msg))
        msg = cJSON_GetObjectItemCaseSensitive(body, "message");
    if (!cJSON_IsString(msg)) {
        oerr_set(err, OERR_INVALID, "%s body has no Message or message string: %.300s", code,
                 resp->body);
        goto fail;
    }
    rc = 0;

fail:
    cJSON_Delete(body);
    return rc;
}
