/*
 * testlib: helpers shared by the C store and api tests (tests/harness/README.md).
 *
 * - the environment the harness exports (OTAD_TEST_URL, OTAD_TEST_PG, OTAD_TEST_REDIS);
 * - a blocking HTTP/1.1 client over TCP: Content-Length, chunked and close-delimited bodies,
 *   interim 1xx responses skipped, keep-alive by default with one reconnect when a kept
 *   connection turns out closed, a timeout on every read and write;
 * - JSON member checks over cJSON with a path syntax ("Items[0].Id");
 * - assertion macros that report the caller's line through Check.
 *
 * Fallible functions return 0/-1 and fill a struct oerr; the testlib_call/testlib_json
 * conveniences and the TESTLIB_ASSERT_* macros fail the current test instead. This library links
 * engine, Check and cJSON only: libpq and hiredis stay in the tests that use them.
 */
#ifndef OTAD_TESTS_HARNESS_TESTLIB_H
#define OTAD_TESTS_HARNESS_TESTLIB_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "engine/oerr.h"

/* --- environment --- */

/** The value of environment variable name; fails the current test when unset or empty. */
const char *testlib_env(const char *name);

/** A malloc'd printf-formatted string (xmalloc; the caller frees). */
char *testlib_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Milliseconds of the monotonic clock. */
int64_t testlib_now_ms(void);

/** Sleep for ms milliseconds (restarting after signals). */
void testlib_sleep_ms(int ms);

/* --- HTTP client --- */

struct testlib_http;

struct testlib_header {
    char *name;
    char *value;
};

struct testlib_response {
    int status;
    char *reason;
    struct testlib_header *headers; /* in received order */
    size_t nheaders;
    char *body;      /* always NUL-terminated; the NUL is not counted in body_len */
    size_t body_len; /* decoded length (chunked bodies are joined) */
};

/** A client for url ("http://host:port", NULL for $OTAD_TEST_URL); connects at first use.
 *  Returns NULL with *err set when the URL is malformed. */
struct testlib_http *testlib_http_new(const char *url, struct oerr *err);

/** Close the connection and free c; NULL is allowed. */
void testlib_http_free(struct testlib_http *c);

/** Keep the connection between requests (on, the default) or send Connection: close (off). */
void testlib_http_set_keepalive(struct testlib_http *c, int on);

/** Time limit of each connect, read and write in milliseconds (default 30000). */
void testlib_http_set_timeout_ms(struct testlib_http *c, int ms);

/**
 * Send one request and read its response into *out (freed with testlib_response_free).
 * headers: NULL or a NULL-terminated array of "Name: value" strings; Host is added unless
 * given, Content-Length when there is a body or the method is POST, PUT or PATCH. body may be
 * NULL; body_len SIZE_MAX means strlen(body). Returns 0, or -1 with *err on a transport or
 * protocol error (an HTTP error status is a response, not an error).
 */
int testlib_http_request(struct testlib_http *c, const char *method, const char *path,
                         const char *const *headers, const char *body, size_t body_len,
                         struct testlib_response **out, struct oerr *err);

/** Send len raw bytes as they are and read one response (for malformed-request tests). */
int testlib_http_raw(struct testlib_http *c, const char *bytes, size_t len,
                     struct testlib_response **out, struct oerr *err);

/** Free a response; NULL is allowed. */
void testlib_response_free(struct testlib_response *resp);

/** The value of the first header called name (case-insensitive), or NULL. */
const char *testlib_response_header(const struct testlib_response *resp, const char *name);

/**
 * One request to $OTAD_TEST_URL on a connection kept for the process; a transport error fails
 * the current test. headers as for testlib_http_request; body NULL or a NUL-terminated string.
 */
struct testlib_response *testlib_call(const char *method, const char *path,
                                      const char *const *headers, const char *body);

/* --- JSON --- */

/** Parse the body of resp as JSON; fails the test when it is not. Free with cJSON_Delete. */
cJSON *testlib_json(const struct testlib_response *resp);

/** The item at path under root: members joined by '.', array elements as [i]
 *  ("Items[0].Id", "[2]"); "" is root itself. NULL when absent. */
const cJSON *testlib_json_at(const cJSON *root, const char *path);

/** 0 when the item at path is the string want; else -1 with *err saying what is there. */
int testlib_json_check_str(const cJSON *root, const char *path, const char *want, struct oerr *err);

/** 0 when the item at path is a number equal to want; else -1 with *err. */
int testlib_json_check_int(const cJSON *root, const char *path, long long want, struct oerr *err);

/** 0 when the item at path is a boolean equal to want (0 or 1); else -1 with *err. */
int testlib_json_check_bool(const cJSON *root, const char *path, int want, struct oerr *err);

/** 0 when path is an array or object with want elements; else -1 with *err. */
int testlib_json_check_len(const cJSON *root, const char *path, size_t want, struct oerr *err);

/** 0 when there is an item at path; else -1 with *err. */
int testlib_json_check_present(const cJSON *root, const char *path, struct oerr *err);

/** 0 when there is no item at path; else -1 with *err. */
int testlib_json_check_absent(const cJSON *root, const char *path, struct oerr *err);

/** 0 when header name of resp has the value want; else -1 with *err. */
int testlib_check_header(const struct testlib_response *resp, const char *name, const char *want,
                         struct oerr *err);

/**
 * 0 when resp is the AWS error the SDKs read as code with HTTP status (reference/wire.md
 * section 3): the status, X-Amzn-ErrorType naming code (cut at ':'), a JSON body with a
 * message or Message string. Else -1 with *err.
 */
int testlib_check_error(const struct testlib_response *resp, int status, const char *code,
                        struct oerr *err);

/* --- assertions (fail the current test at the caller's line) --- */

#define TESTLIB_ASSERT_OK_(call)                                                                   \
    do {                                                                                           \
        struct oerr testlib_err_ = {0};                                                            \
        ck_assert_msg((call) == 0, "%s", testlib_err_.msg);                                        \
    } while (0)

/** resp has HTTP status want; the failure shows the body. */
#define TESTLIB_ASSERT_STATUS(resp, want)                                                          \
    ck_assert_msg((resp)->status == (want), "HTTP status %d, want %d; body: %.2000s",              \
                  (resp)->status, (want), (resp)->body)

#define TESTLIB_ASSERT_JSON_STR(root, path, want)                                                  \
    TESTLIB_ASSERT_OK_(testlib_json_check_str((root), (path), (want), &testlib_err_))
#define TESTLIB_ASSERT_JSON_INT(root, path, want)                                                  \
    TESTLIB_ASSERT_OK_(testlib_json_check_int((root), (path), (want), &testlib_err_))
#define TESTLIB_ASSERT_JSON_BOOL(root, path, want)                                                 \
    TESTLIB_ASSERT_OK_(testlib_json_check_bool((root), (path), (want), &testlib_err_))
#define TESTLIB_ASSERT_JSON_LEN(root, path, want)                                                  \
    TESTLIB_ASSERT_OK_(testlib_json_check_len((root), (path), (want), &testlib_err_))
#define TESTLIB_ASSERT_JSON_PRESENT(root, path)                                                    \
    TESTLIB_ASSERT_OK_(testlib_json_check_present((root), (path), &testlib_err_))
#define TESTLIB_ASSERT_JSON_ABSENT(root, path)                                                     \
    TESTLIB_ASSERT_OK_(testlib_json_check_absent((root), (path), &testlib_err_))
#define TESTLIB_ASSERT_HEADER(resp, name, want)                                                    \
    TESTLIB_ASSERT_OK_(testlib_check_header((resp), (name), (want), &testlib_err_))
#define TESTLIB_ASSERT_ERROR(resp, status, code)                                                   \
    TESTLIB_ASSERT_OK_(testlib_check_error((resp), (status), (code), &testlib_err_))

/** Poll cond every 20 ms until it holds; fail the test after timeout_ms. */
#define TESTLIB_WAIT_UNTIL(cond, timeout_ms)                                                       \
    do {                                                                                           \
        int64_t testlib_until_ = testlib_now_ms() + (timeout_ms);                                  \
        while (!(cond)) {                                                                          \
            ck_assert_msg(testlib_now_ms() < testlib_until_, "timed out after %d ms: %s",          \
                          (int)(timeout_ms), #cond);                                               \
            testlib_sleep_ms(20);                                                                  \
        }                                                                                          \
    } while (0)

#endif
