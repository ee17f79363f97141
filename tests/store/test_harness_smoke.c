/*
 * Store-layer smoke test of the test harness (tests/harness/): the PostgreSQL and Redis that
 * `harness.py run --pg --redis` starts are reachable through OTAD_TEST_PG (libpq) and
 * OTAD_TEST_REDIS (hiredis) and configured as the harness promises (database otad, fsync off,
 * no TCP listener, no Redis persistence). Also tests the C test library: the HTTP client against
 * a scripted server in a child process (Content-Length, chunked, close-delimited and interim
 * responses, keep-alive and the reconnect of a dropped kept connection, timeouts, malformed
 * input, the exact request bytes), and the JSON and AWS-error checks.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include "engine/oerr.h"
#include "tests/harness/testlib.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* --- PostgreSQL --- */

static const struct {
    const char *sql;
    const char *want;
} pg_cases[] = {
    {"SELECT current_database()", "otad"}, {"SHOW fsync", "off"},    {"SHOW listen_addresses", ""},
    {"SHOW server_encoding", "UTF8"},      {"SHOW TimeZone", "UTC"},
};

START_TEST(test_pg_settings)
{
    PGconn *conn = PQconnectdb(testlib_env("OTAD_TEST_PG"));
    PGresult *res;

    ck_assert_msg(PQstatus(conn) == CONNECTION_OK, "connect: %s", PQerrorMessage(conn));
    res = PQexec(conn, pg_cases[_i].sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", pg_cases[_i].sql,
                  PQresultErrorMessage(res));
    ck_assert_int_eq(PQntuples(res), 1);
    ck_assert_str_eq(PQgetvalue(res, 0, 0), pg_cases[_i].want);
    PQclear(res);
    PQfinish(conn);
}
END_TEST

START_TEST(test_pg_parameters)
{
    static const char *const values[] = {"plain", "it's \"quoted\"", "", "new\nline", "ünï"};
    PGconn *conn = PQconnectdb(testlib_env("OTAD_TEST_PG"));

    ck_assert_msg(PQstatus(conn) == CONNECTION_OK, "connect: %s", PQerrorMessage(conn));
    for (size_t i = 0; i < NELEM(values); i++) {
        PGresult *res =
            PQexecParams(conn, "SELECT $1::text || '!'", 1, NULL, &values[i], NULL, NULL, 0);
        char *want = testlib_strf("%s!", values[i]);

        ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s", PQresultErrorMessage(res));
        ck_assert_str_eq(PQgetvalue(res, 0, 0), want);
        free(want);
        PQclear(res);
    }
    PQfinish(conn);
}
END_TEST

/* --- Redis --- */

static const struct {
    const char *cmd[3];
    int type;
    const char *want; /* the string, or for arrays the second element */
} redis_cases[] = {
    {{"PING", NULL, NULL}, REDIS_REPLY_STATUS, "PONG"},
    {{"CONFIG", "GET", "port"}, REDIS_REPLY_ARRAY, "0"},
    {{"CONFIG", "GET", "appendonly"}, REDIS_REPLY_ARRAY, "no"},
    {{"CONFIG", "GET", "save"}, REDIS_REPLY_ARRAY, ""},
    {{"SET", "smoke", "v"}, REDIS_REPLY_STATUS, "OK"},
    {{"GET", "smoke", NULL}, REDIS_REPLY_STRING, "v"},
};

START_TEST(test_redis)
{
    struct timeval tv = {10, 0};
    redisContext *ctx = redisConnectUnixWithTimeout(testlib_env("OTAD_TEST_REDIS"), tv);
    const char *argv[3];
    size_t argc = 0;
    redisReply *reply;

    ck_assert_ptr_nonnull(ctx);
    ck_assert_msg(ctx->err == 0, "connect: %s", ctx->errstr);
    for (; argc < 3 && redis_cases[_i].cmd[argc] != NULL; argc++)
        argv[argc] = redis_cases[_i].cmd[argc];
    reply = redisCommandArgv(ctx, (int)argc, argv, NULL);
    ck_assert_msg(reply != NULL, "%s: %s", argv[0], ctx->errstr);
    ck_assert_int_eq(reply->type, redis_cases[_i].type);
    if (reply->type == REDIS_REPLY_ARRAY) {
        ck_assert_uint_eq(reply->elements, 2);
        ck_assert_str_eq(reply->element[1]->str, redis_cases[_i].want);
    } else {
        ck_assert_str_eq(reply->str, redis_cases[_i].want);
    }
    freeReplyObject(reply);
    redisFree(ctx);
}
END_TEST

/* --- testlib HTTP client against a scripted server --- */

/*
 * The server's script: one step per request it reads, across connections. A step is a raw
 * response, or ECHO (answer 200 with the request bytes as the body), DROP (close the
 * connection without answering, then accept the next one) or HANG (never answer). A response
 * containing "Connection: close" closes the connection after it is written.
 */
#define ECHO "ECHO"
#define DROP "DROP"
#define HANG "HANG"

static const struct http_case {
    const char *name;
    const char *script[3];
    int nrequests;         /* requests the client sends; the last response is checked */
    int keepalive;         /* testlib_http_set_keepalive */
    int want_status;       /* 0: want the transport error want */
    const char *want;      /* the body (NULL: the echo of the request), or the error */
    const char *want_head; /* "Name=value" of a response header, or NULL */
    int want_conns;        /* connections the server accepted */
} http_cases[] = {
    {"content-length",
     {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  b c \r\n\r\nhello"},
     1,
     1,
     200,
     "hello",
     "x-a=b c",
     1},
    {"chunked with extension and trailer",
     {"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n"
      "6\r\n world\r\n0\r\nT: x\r\n\r\n"},
     1,
     1,
     201,
     "hello world",
     "Transfer-Encoding=chunked",
     1},
    {"close-delimited",
     {"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"},
     1,
     1,
     200,
     "until the end",
     NULL,
     1},
    {"interim 100 skipped",
     {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"},
     1,
     1,
     204,
     "",
     NULL,
     1},
    {"keep-alive reuses the connection",
     {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none",
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"},
     2,
     1,
     200,
     "two",
     NULL,
     1},
    {"dropped kept connection is redialled once",
     {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none", DROP,
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"},
     2,
     1,
     200,
     "two",
     NULL,
     2},
    {"keep-alive off: one connection per request",
     {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none", ECHO},
     2,
     0,
     200,
     NULL,
     NULL,
     2},
    {"request bytes", {ECHO}, 1, 1, 200, NULL, NULL, 1},
    {"fresh connection dropped is an error",
     {DROP},
     1,
     1,
     0,
     "closed the connection without a response",
     NULL,
     1},
    {"truncated body",
     {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nshort"},
     1,
     1,
     0,
     "closed the connection in the middle of a response",
     NULL,
     1},
    {"malformed status line",
     {"HTTP/1.1 2x0 OK\r\n\r\n"},
     1,
     1,
     0,
     "malformed status line",
     NULL,
     1},
    {"bad chunk size",
     {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
     1,
     1,
     0,
     "malformed chunk size line 'zz'",
     NULL,
     1},
    {"silent server times out", {HANG}, 1, 1, 0, "timed out after 300 ms", NULL, 1},
};

/* Read one request (head and Content-Length body) into buf; its length, or -1 at EOF. */
static ssize_t read_request(int fd, char *buf, size_t cap)
{
    size_t len = 0;

    for (;;) {
        char *end = memmem(buf, len, "\r\n\r\n", 4);
        ssize_t r;

        if (end != NULL) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            size_t head = (size_t)(end - buf) + 4, body = 0;

            if (cl != NULL && cl < end)
                body = (size_t)strtoul(cl + 17, NULL, 10);
            if (len >= head + body)
                return (ssize_t)len;
        }
        if (len == cap - 1)
            return -1;
        r = read(fd, buf + len, cap - 1 - len);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = '\0';
    }
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w <= 0)
            _exit(1);
        p += w;
        n -= (size_t)w;
    }
}

/* The server child: runs the script, writes one byte to report for every accepted connection. */
static void serve(int lfd, const char *const *script, size_t nsteps, int report)
{
    static char req[65536];
    size_t step = 0;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    alarm(20);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);

        if (fd < 0)
            _exit(1);
        write_all(report, "c", 1);
        for (;;) {
            ssize_t n = read_request(fd, req, sizeof(req));
            const char *s = step < nsteps ? script[step] : NULL;

            if (n < 0)
                break;
            step++;
            if (s == NULL || strcmp(s, DROP) == 0)
                break;
            if (strcmp(s, HANG) == 0)
                pause();
            if (strcmp(s, ECHO) == 0) {
                char head[128];
                int hn = snprintf(head, sizeof(head),
                                  "HTTP/1.1 200 OK\r\nContent-Length: %zd\r\n\r\n", n);

                write_all(fd, head, (size_t)hn);
                write_all(fd, req, (size_t)n);
                continue;
            }
            write_all(fd, s, strlen(s));
            if (strstr(s, "Connection: close") != NULL)
                break;
        }
        close(fd);
    }
}

/* Listen on 127.0.0.1:0 and fork the scripted server; fills *port and the report pipe. */
static pid_t start_server(const char *const *script, size_t nsteps, int *port, int *report)
{
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    int lfd = socket(AF_INET, SOCK_STREAM, 0), pipefd[2];
    pid_t pid;

    ck_assert_int_ge(lfd, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(lfd, 8), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &salen), 0);
    ck_assert_int_eq(pipe(pipefd), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(pipefd[0]);
        serve(lfd, script, nsteps, pipefd[1]);
        _exit(0);
    }
    close(lfd);
    close(pipefd[1]);
    *port = ntohs(sa.sin_port);
    *report = pipefd[0];
    return pid;
}

/* Stop the server; returns how many connections it accepted. */
static int stop_server(pid_t pid, int report)
{
    char buf[64];
    int conns = 0;
    ssize_t n;

    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    while ((n = read(report, buf, sizeof(buf))) > 0)
        conns += (int)n;
    close(report);
    return conns;
}

START_TEST(test_http_scripted)
{
    const struct http_case *tc = &http_cases[_i];
    static const char *const headers[] = {"X-Test: 1", NULL};
    struct testlib_response *resp = NULL;
    struct testlib_http *c;
    struct oerr err = {0};
    int port, report, rc = 0, conns;
    char *url, *echo;
    pid_t pid;

    pid = start_server(tc->script, NELEM(tc->script), &port, &report);
    url = testlib_strf("http://127.0.0.1:%d/", port);
    c = testlib_http_new(url, &err);
    ck_assert_msg(c != NULL, "%s", err.msg);
    testlib_http_set_keepalive(c, tc->keepalive);
    testlib_http_set_timeout_ms(c, 300);
    for (int i = 0; i < tc->nrequests && rc == 0; i++) {
        testlib_response_free(resp);
        resp = NULL;
        rc = testlib_http_request(c, "POST", "/x?y=1", headers, "{}", SIZE_MAX, &resp, &err);
    }
    testlib_http_free(c);
    conns = stop_server(pid, report);
    echo = testlib_strf("POST /x?y=1 HTTP/1.1\r\nX-Test: 1\r\nHost: 127.0.0.1:%d\r\n"
                        "Content-Length: 2\r\n%s\r\n{}",
                        port, tc->keepalive ? "" : "Connection: close\r\n");
    ck_assert_msg(conns == tc->want_conns, "%s: %d connections, want %d", tc->name, conns,
                  tc->want_conns);
    if (tc->want_status == 0) {
        ck_assert_msg(rc == -1, "%s: no error", tc->name);
        ck_assert_msg(strstr(err.msg, tc->want) != NULL, "%s: error '%s', want '%s'", tc->name,
                      err.msg, tc->want);
    } else {
        ck_assert_msg(rc == 0, "%s: %s", tc->name, err.msg);
        ck_assert_int_eq(resp->status, tc->want_status);
        ck_assert_str_eq(resp->body, tc->want != NULL ? tc->want : echo);
        ck_assert_uint_eq(resp->body_len, strlen(resp->body));
    }
    if (tc->want_head != NULL) {
        const char *eq = strchr(tc->want_head, '=');
        char *name = testlib_strf("%.*s", (int)(eq - tc->want_head), tc->want_head);

        TESTLIB_ASSERT_HEADER(resp, name, eq + 1);
        free(name);
    }
    free(echo);
    free(url);
    testlib_response_free(resp);
}
END_TEST

static const struct {
    const char *url;
    const char *want_error; /* NULL: valid */
} url_cases[] = {
    {"http://127.0.0.1:8080", NULL},
    {"http://127.0.0.1:8080/", NULL},
    {"http://localhost", NULL},
    {"http://[::1]:9", NULL},
    {"https://127.0.0.1:1", "want http://host:port"},
    {"http://:80", "empty host"},
    {"http://h:0", "port must be 1-65535"},
    {"http://h:65536", "port must be 1-65535"},
    {"http://h:x", "port must be 1-65535"},
    {"http://h:1/api", "unexpected 'api' after the port"},
    {"http://[::1", "bad IPv6 address"},
};

START_TEST(test_http_url)
{
    struct oerr err = {0};
    struct testlib_http *c = testlib_http_new(url_cases[_i].url, &err);

    if (url_cases[_i].want_error == NULL) {
        ck_assert_msg(c != NULL, "%s: %s", url_cases[_i].url, err.msg);
    } else {
        ck_assert_msg(c == NULL, "%s: accepted", url_cases[_i].url);
        ck_assert_msg(strstr(err.msg, url_cases[_i].want_error) != NULL, "%s: '%s', want '%s'",
                      url_cases[_i].url, err.msg, url_cases[_i].want_error);
    }
    testlib_http_free(c);
}
END_TEST

/* --- testlib JSON and error checks --- */

enum check_kind { STR, INT, BOOL, LEN, PRESENT, ABSENT };

static const struct {
    enum check_kind kind;
    const char *path;
    const char *s;
    long long n;
    const char *want_error; /* NULL: the check passes */
} json_cases[] = {
    {STR, "Id", "a", 0, NULL},
    {STR, "Items[1].Id", "y", 0, NULL},
    {STR, "Items[1].Tags.k", "v", 0, NULL},
    {STR, "Id", "b", 0, "Id: is \"a\", want \"b\""},
    {STR, "N", "3", 0, "N: is 3, want \"3\""},
    {STR, "Items[2].Id", "x", 0, "Items[2].Id: is absent, want \"x\""},
    {STR, "Items.0", "x", 0, "Items.0: is absent, want \"x\""},
    {STR, "Items[x]", "x", 0, "Items[x]: is absent, want \"x\""},
    {STR, "Id.x", "x", 0, "Id.x: is absent, want \"x\""},
    {INT, "N", NULL, 3, NULL},
    {INT, "N", NULL, 4, "N: is 3, want 4"},
    {INT, "Id", NULL, 1, "Id: is \"a\", want 1"},
    {BOOL, "B", NULL, 1, NULL},
    {BOOL, "B", NULL, 0, "B: is true, want false"},
    {LEN, "Items", NULL, 2, NULL},
    {LEN, "Empty", NULL, 0, NULL},
    {LEN, "", NULL, 6, NULL},
    {LEN, "Items[1]", NULL, 2, NULL},
    {LEN, "Id", NULL, 1, "Id: is \"a\", want 1 elements"},
    {PRESENT, "Null", NULL, 0, NULL},
    {PRESENT, "Nope", NULL, 0, "Nope: absent"},
    {ABSENT, "Nope", NULL, 0, NULL},
    {ABSENT, "Null", NULL, 0, "Null: is null, want it absent"},
};

START_TEST(test_json_checks)
{
    static const char doc[] = "{\"Id\":\"a\",\"N\":3,\"B\":true,\"Items\":[{\"Id\":\"x\"},"
                              "{\"Id\":\"y\",\"Tags\":{\"k\":\"v\"}}],\"Empty\":[],\"Null\":null}";
    cJSON *root = cJSON_Parse(doc);
    struct oerr err = {0};
    int rc = -2;

    ck_assert_ptr_nonnull(root);
    switch (json_cases[_i].kind) {
    case STR:
        rc = testlib_json_check_str(root, json_cases[_i].path, json_cases[_i].s, &err);
        break;
    case INT:
        rc = testlib_json_check_int(root, json_cases[_i].path, json_cases[_i].n, &err);
        break;
    case BOOL:
        rc = testlib_json_check_bool(root, json_cases[_i].path, (int)json_cases[_i].n, &err);
        break;
    case LEN:
        rc = testlib_json_check_len(root, json_cases[_i].path, (size_t)json_cases[_i].n, &err);
        break;
    case PRESENT:
        rc = testlib_json_check_present(root, json_cases[_i].path, &err);
        break;
    case ABSENT:
        rc = testlib_json_check_absent(root, json_cases[_i].path, &err);
        break;
    }
    if (json_cases[_i].want_error == NULL) {
        ck_assert_msg(rc == 0, "%s: %s", json_cases[_i].path, err.msg);
    } else {
        ck_assert_int_eq(rc, -1);
        ck_assert_str_eq(err.msg, json_cases[_i].want_error);
    }
    cJSON_Delete(root);
}
END_TEST

static const struct {
    const char *response;
    const char *want_error; /* NULL: it is a 404 ResourceNotFoundException */
} error_cases[] = {
    {"HTTP/1.1 404 Not Found\r\nX-Amzn-ErrorType: ResourceNotFoundException\r\n"
     "Content-Length: 17\r\n\r\n{\"Message\":\"no\"}\n",
     NULL},
    {"HTTP/1.1 404 Not Found\r\nx-amzn-errortype: ResourceNotFoundException:http://x/\r\n"
     "Content-Length: 16\r\n\r\n{\"message\":\"no\"}",
     NULL},
    {"HTTP/1.1 400 Bad Request\r\nX-Amzn-ErrorType: ResourceNotFoundException\r\n"
     "Content-Length: 16\r\n\r\n{\"Message\":\"no\"}",
     "HTTP status 400, want 404"},
    {"HTTP/1.1 404 Not Found\r\nContent-Length: 16\r\n\r\n{\"Message\":\"no\"}",
     "X-Amzn-ErrorType is absent"},
    {"HTTP/1.1 404 Not Found\r\nX-Amzn-ErrorType: ResourceNotFoundExceptionX\r\n"
     "Content-Length: 16\r\n\r\n{\"Message\":\"no\"}",
     "X-Amzn-ErrorType is ResourceNotFoundExceptionX"},
    {"HTTP/1.1 404 Not Found\r\nX-Amzn-ErrorType: ResourceNotFoundException\r\n"
     "Content-Length: 2\r\n\r\nno",
     "body is not JSON"},
    {"HTTP/1.1 404 Not Found\r\nX-Amzn-ErrorType: ResourceNotFoundException\r\n"
     "Content-Length: 12\r\n\r\n{\"Msg\":\"no\"}",
     "no Message or message string"},
};

START_TEST(test_aws_error_check)
{
    const char *script[1] = {error_cases[_i].response};
    struct testlib_response *resp = NULL;
    struct testlib_http *c;
    struct oerr err = {0};
    int port, report, rc;
    char *url;
    pid_t pid;

    pid = start_server(script, 1, &port, &report);
    url = testlib_strf("http://127.0.0.1:%d", port);
    c = testlib_http_new(url, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_msg(testlib_http_request(c, "GET", "/", NULL, NULL, 0, &resp, &err) == 0, "%s",
                  err.msg);
    testlib_http_free(c);
    stop_server(pid, report);
    rc = testlib_check_error(resp, 404, "ResourceNotFoundException", &err);
    if (error_cases[_i].want_error == NULL) {
        ck_assert_msg(rc == 0, "%s", err.msg);
        TESTLIB_ASSERT_ERROR(resp, 404, "ResourceNotFoundException");
    } else {
        ck_assert_int_eq(rc, -1);
        ck_assert_msg(strstr(err.msg, error_cases[_i].want_error) != NULL, "'%s', want '%s'",
                      err.msg, error_cases[_i].want_error);
    }
    testlib_response_free(resp);
    free(url);
}
END_TEST

static Suite *harness_smoke_suite(void)
{
    Suite *s = suite_create("harness_smoke");
    TCase *servers = tcase_create("servers");
    TCase *testlib = tcase_create("testlib");

    tcase_set_timeout(servers, 30);
    tcase_add_loop_test(servers, test_pg_settings, 0, (int)NELEM(pg_cases));
    tcase_add_test(servers, test_pg_parameters);
    tcase_add_loop_test(servers, test_redis, 0, (int)NELEM(redis_cases));
    suite_add_tcase(s, servers);
    tcase_set_timeout(testlib, 30);
    tcase_add_loop_test(testlib, test_http_scripted, 0, (int)NELEM(http_cases));
    tcase_add_loop_test(testlib, test_http_url, 0, (int)NELEM(url_cases));
    tcase_add_loop_test(testlib, test_json_checks, 0, (int)NELEM(json_cases));
    tcase_add_loop_test(testlib, test_aws_error_check, 0, (int)NELEM(error_cases));
    suite_add_tcase(s, testlib);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(harness_smoke_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
