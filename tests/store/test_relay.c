/*
 * test_relay: the outbox relay thread against the harness's PostgreSQL and Redis. Outbox rows
 * and the executions they refer to are written with SQL; the test reads the streams back with
 * hiredis and checks the documented shapes (SPEC.md section 10, DESIGN.md section 5).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include "store/migrate.h"
#include "store/relay.h"
#include "store/rlink.h"

static PGconn *conn;
static redisContext *rc;

static const char *env(const char *k, const char *dflt)
{
    const char *v = getenv(k);
    return v != NULL ? v : dflt;
}

static void exec_sql(const char *q)
{
    PGresult *r = PQexec(conn, q);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
                  "%s: %s", q, PQresultErrorMessage(r));
    PQclear(r);
}

static void setup(void)
{
    struct oerr err;
    ck_assert_msg(migrate_apply(env("OTAD_TEST_PG", "dbname=otad"), NULL, &err) == 0, "%s",
                  err.msg);
    conn = PQconnectdb(env("OTAD_TEST_PG", "dbname=otad"));
    ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
    rc = redisConnectUnix(env("OTAD_TEST_REDIS", "/tmp/redis.sock"));
    ck_assert(rc != NULL && rc->err == 0);
    redisReply *r = redisCommand(rc, "FLUSHALL");
    freeReplyObject(r);
}

static void teardown(void)
{
    PQfinish(conn);
    redisFree(rc);
}

static struct relay *start(void)
{
    struct relay_config c;
    memset(&c, 0, sizeof c);
    struct oerr err;
    c.conninfo = env("OTAD_TEST_PG", "dbname=otad");
    ck_assert_int_eq(rlink_parse_addr(env("OTAD_TEST_REDIS", "/tmp/redis.sock"), &c.redis, &err),
                     0);
    c.prefix = "otad:";
    c.maxlen = 100000;
    c.shards = 4;
    c.region = "eu-west-1";
    c.account_id = "111122223333";
    struct relay *r = relay_start(&c, &err);
    ck_assert_msg(r != NULL, "%s", err.msg);
    return r;
}

static int64_t outbox_rows(void)
{
    PGresult *r = PQexec(conn, "SELECT count(*) FROM outbox");
    int64_t n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return n;
}

/* Wait (up to 10 s) for the outbox to drain. */
static void wait_drained(void)
{
    for (int i = 0; i < 1000 && outbox_rows() > 0; i++)
        usleep(10000);
    ck_assert_int_eq(outbox_rows(), 0);
}

/* The entries of a stream as (field, value) arrays; caller frees with freeReplyObject. */
static redisReply *xrange(const char *stream)
{
    redisReply *r = redisCommand(rc, "XRANGE %s - +", stream);
    ck_assert(r != NULL && r->type == REDIS_REPLY_ARRAY);
    return r;
}

static const char *field(const redisReply *entry, const char *name)
{
    const redisReply *kv = entry->element[1];
    for (size_t i = 0; i + 1 < kv->elements; i += 2) {
        if (strcmp(kv->element[i]->str, name) == 0)
            return kv->element[i + 1]->str;
    }
    return NULL;
}

START_TEST(test_notify_next_shape_and_shard)
{
    exec_sql("DELETE FROM outbox; DELETE FROM tasks WHERE id IN ('rl1', 'rl2')");
    exec_sql("INSERT INTO tasks (id, arn, job_id, spec, job_document, status, ota_type,"
             " created_at, updated_at) VALUES"
             " ('rl1', 'a', 'rl1', '{}', '{}', 'IN_PROGRESS', 'ONE_TIME', 0, 0),"
             " ('rl2', 'a', 'rl2', '{}', '{}', 'SCHEDULED', 'ONE_TIME', 0, 0)");
    /* thing dev-a: QUEUED in rl1 (queued at 100 s) and QUEUED in SCHEDULED rl2 (hidden);
       dev-b: nothing pending */
    exec_sql("INSERT INTO executions (task_id, thing_id, execution_number, status, seq,"
             " queued_at, updated_at, version) VALUES"
             " ('rl1', 'dev-a', 1, 1, 1, 100000, 100500, 1),"
             " ('rl2', 'dev-a', 1, 1, 2, 50000, 50000, 1)");
    exec_sql("INSERT INTO outbox (kind, key, payload, created_at) VALUES"
             " (1, 'dev-a', '', 0), (1, 'dev-b', '', 0)");
    struct relay *r = start();
    wait_drained();
    char stream[64];
    snprintf(stream, sizeof stream, "otad:notify:%u", relay_notify_shard("dev-a", 4));
    redisReply *x = xrange(stream);
    int found = 0;
    for (size_t i = 0; i < x->elements; i++) {
        if (strcmp(field(x->element[i], "thing"), "dev-a") != 0)
            continue;
        found++;
        cJSON *m = cJSON_Parse(field(x->element[i], "payload"));
        ck_assert(m != NULL);
        ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(m, "timestamp")));
        cJSON *e = cJSON_GetObjectItem(m, "execution");
        ck_assert_str_eq(cJSON_GetObjectItem(e, "jobId")->valuestring, "rl1");
        ck_assert_str_eq(cJSON_GetObjectItem(e, "status")->valuestring, "QUEUED");
        ck_assert_int_eq(cJSON_GetObjectItem(e, "queuedAt")->valueint, 100);
        ck_assert_int_eq(cJSON_GetObjectItem(e, "lastUpdatedAt")->valueint, 100);
        ck_assert_int_eq(cJSON_GetObjectItem(e, "versionNumber")->valueint, 1);
        ck_assert_int_eq(cJSON_GetObjectItem(e, "executionNumber")->valueint, 1);
        ck_assert(cJSON_GetObjectItem(e, "startedAt") == NULL);
        cJSON_Delete(m);
    }
    freeReplyObject(x);
    ck_assert_int_eq(found, 1);
    snprintf(stream, sizeof stream, "otad:notify:%u", relay_notify_shard("dev-b", 4));
    x = xrange(stream);
    found = 0;
    for (size_t i = 0; i < x->elements; i++) {
        if (strcmp(field(x->element[i], "thing"), "dev-b") != 0)
            continue;
        found++;
        cJSON *m = cJSON_Parse(field(x->element[i], "payload"));
        ck_assert(cJSON_GetObjectItem(m, "execution") == NULL); /* empty queue: timestamp only */
        ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(m, "timestamp")));
        cJSON_Delete(m);
    }
    freeReplyObject(x);
    ck_assert_int_eq(found, 1);
    relay_stop(r);
}
END_TEST

START_TEST(test_device_ota_envelope)
{
    exec_sql("DELETE FROM outbox");
    exec_sql("INSERT INTO outbox (kind, key, payload, created_at) VALUES"
             " (2, 'dest1', '{\"op\":\"CREATE_OTA\",\"task\":\"t9\",\"status\":\"IN_PROGRESS\","
             "\"type\":\"ONE_TIME\",\"at\":1795316705890}', 0),"
             " (3, 'dest1', '{\"task\":\"t9\",\"thing\":\"mt-1\",\"n\":2,\"s\":4,\"r\":1,"
             "\"at\":1795316706000}', 0)");
    struct relay *r = start();
    wait_drained();
    redisReply *x = xrange("otad:events:dest1");
    ck_assert_int_eq(x->elements, 2);
    cJSON *m = cJSON_Parse(field(x->element[0], "payload"));
    ck_assert_str_eq(cJSON_GetObjectItem(m, "version")->valuestring, "1.0.0");
    ck_assert_str_eq(cJSON_GetObjectItem(m, "messageType")->valuestring, "DEVICE_OTA");
    ck_assert_str_eq(cJSON_GetObjectItem(m, "source")->valuestring, "aws.iotmanagedintegrations");
    ck_assert_str_eq(cJSON_GetObjectItem(m, "customerAccountId")->valuestring, "111122223333");
    ck_assert_str_eq(cJSON_GetObjectItem(m, "region")->valuestring, "eu-west-1");
    ck_assert_str_eq(cJSON_GetObjectItem(m, "timestamp")->valuestring,
                     "2026-11-22T03:05:05.890000000Z");
    ck_assert_int_eq(strlen(cJSON_GetObjectItem(m, "messageId")->valuestring), 32);
    cJSON *res = cJSON_GetObjectItem(m, "resources");
    ck_assert_str_eq(cJSON_GetArrayItem(res, 0)->valuestring,
                     "arn:aws:iotmanagedintegrations:eu-west-1:111122223333:ota-task/t9");
    cJSON *p = cJSON_GetObjectItem(m, "payload");
    ck_assert_str_eq(cJSON_GetObjectItem(p, "operation")->valuestring, "CREATE_OTA");
    ck_assert_str_eq(cJSON_GetObjectItem(p, "otaTaskId")->valuestring, "t9");
    ck_assert_str_eq(cJSON_GetObjectItem(p, "status")->valuestring, "IN_PROGRESS");
    ck_assert_str_eq(cJSON_GetObjectItem(p, "otaType")->valuestring, "ONE_TIME");
    cJSON_Delete(m);
    m = cJSON_Parse(field(x->element[1], "payload"));
    p = cJSON_GetObjectItem(m, "payload");
    ck_assert_str_eq(cJSON_GetObjectItem(p, "operation")->valuestring, "OTA_EXECUTION_STATUS");
    ck_assert_str_eq(cJSON_GetObjectItem(p, "managedThingId")->valuestring, "mt-1");
    ck_assert_str_eq(cJSON_GetObjectItem(p, "status")->valuestring, "FAILED");
    ck_assert_int_eq(cJSON_GetObjectItem(p, "executionNumber")->valueint, 2);
    ck_assert_int_eq(cJSON_GetObjectItem(p, "retryAttempt")->valueint, 1);
    ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(m, "resources"), 1)->valuestring,
                     "arn:aws:iotmanagedintegrations:eu-west-1:111122223333:managed-thing/mt-1");
    cJSON_Delete(m);
    freeReplyObject(x);
    relay_stop(r);
}
END_TEST

START_TEST(test_many_rows_all_delivered_once)
{
    exec_sql("DELETE FROM outbox");
    exec_sql("INSERT INTO outbox (kind, key, payload, created_at) SELECT 3, 'bulk',"
             " json_build_object('task', 't', 'thing', 'x' || i, 'n', 1, 's', 3, 'r', 0,"
             " 'at', 0)::text, 0 FROM generate_series(1, 5000) i");
    struct relay *r = start();
    wait_drained();
    redisReply *len = redisCommand(rc, "XLEN otad:events:bulk");
    ck_assert_int_eq(len->integer, 5000);
    freeReplyObject(len);
    struct relay_stats st;
    relay_stats(r, &st);
    ck_assert_int_ge(st.relayed, 5000);
    relay_stop(r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("relay");
    TCase *tc = tcase_create("outbox to redis");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_notify_next_shape_and_shard);
    tcase_add_test(tc, test_device_ota_envelope);
    tcase_add_test(tc, test_many_rows_all_delivered_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
