/*
 * test_querysql: store/querysql's SQL against engine query_match() on real PostgreSQL. A set
 * of managed things (fields set and unset, MetaData present, absent and partial, values with
 * spaces, quotes, backslashes, '*' and non-ASCII text) is inserted as the things API stores
 * them; for every query of a table (AND/OR/NOT, juxtaposition, prefixes, quoted values, every
 * field, missing attributes) the ids the SQL selects must be exactly the ids query_match()
 * accepts, and each query must select at least one thing and reject at least one unless the
 * table says it matches all or none. Each test inserts the things under ids unique to its
 * process and deletes them afterwards, so the test shares the database with anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "engine/mem.h"
#include "engine/query.h"
#include "store/migrate.h"
#include "store/querysql.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_META 4

struct thing {
    const char *suffix; /* id = <run prefix><suffix> */
    const char *name, *serial, *brand, *model, *owner, *role, *classification, *status, *locker,
        *parent;
    const char *meta[MAX_META][2];
};

/* Unset members are NULL; provisioning_status is never NULL in the table (NOT NULL). */
static const struct thing things[] = {
    {"a",
     "lamp one",
     "SN-001",
     "Acme",
     "L1",
     "alice",
     "DEVICE",
     "light",
     "ACTIVATED",
     "LK1",
     "P1",
     {{"fw", "1.2.3"}, {"site", "berlin"}, {"group", "beta"}}},
    {"b",
     "lamp two",
     "SN-002",
     "Acme",
     "L2",
     "bob",
     "DEVICE",
     "light",
     "PRE_ASSOCIATED",
     NULL,
     "P1",
     {{"fw", "1.3.0"}, {"site", "paris"}}},
    {"c",
     "hub",
     "SN-100",
     "Globex",
     "H1",
     "alice",
     "CONTROLLER",
     NULL,
     "ACTIVATED",
     "LK1",
     NULL,
     {{"site", "berlin"}}},
    {"d", NULL, NULL, NULL, NULL, NULL, "DEVICE", NULL, "UNASSOCIATED", NULL, NULL, {{NULL}}},
    {"e",
     "quoted \"one\"",
     "SN 200",
     "Initech",
     "Q-1",
     "carol",
     "DEVICE",
     "sensor",
     "DISCOVERED",
     NULL,
     "P2",
     {{"note", "a \"b\" \\c"}, {"fw", "2.0*"}, {"empty", ""}}},
    {"f",
     "Kühlschrank",
     "SN-300",
     "Acme",
     "K1",
     "dave",
     "DEVICE",
     "fridge",
     "ACTIVATED",
     "LK2",
     "P2",
     {{"fw", "1.2"}, {"site", "zürich"}, {"group", "beta"}}},
    {"g",
     "lamp three",
     "SN-003",
     "acme",
     "L1",
     "alice.b",
     "DEVICE",
     "light",
     "ISOLATED",
     "LK1",
     "P1",
     {{"fw", "1.2.30"}, {"site", "berlin west"}}},
    {"h",
     "x",
     "SN-004",
     "Acme",
     "L3",
     "eve",
     "DEVICE",
     "light",
     "ACTIVATED",
     NULL,
     "P1",
     {{"group", "alpha"}, {"a:b", "colon"}}},
};

struct qcase {
    const char *query;
    int all_or_none; /* 1: may match every thing or none (e.g. a tautology) */
};

/* >= 20 queries; results checked against query_match, never written down by hand. */
static const struct qcase queries[] = {
    {"owner:alice", 0},
    {"owner:ali*", 0},
    {"attributes.fw=1.2", 0},
    {"attributes.fw:1.2*", 0},
    {"attributes.fw=1.2*", 0},
    {"NOT attributes.fw=1.2.3", 0},
    {"NOT attributes.group:beta", 0},
    {"attributes.missing=x", 1},
    {"NOT attributes.missing=x", 1},
    {"attributes.group=beta AND brand:Acme", 0},
    {"attributes.group=beta brand:Acme model:K1", 0},
    {"attributes.site=berlin OR attributes.site=paris", 0},
    {"(attributes.site:berlin* OR owner:carol) AND NOT role:CONTROLLER", 0},
    {"NOT (brand:Acme OR brand:Globex)", 0},
    {"brand:acme", 0},
    {"brand:Ac*", 0},
    {"thingName:\"lamp one\"", 0},
    {"thingName:\"lamp \"*", 0},
    {"name:\"quoted \\\"one\\\"\"", 0},
    {"attributes.note=\"a \\\"b\\\" \\\\c\"", 0},
    {"attributes.fw=\"2.0*\"", 0},
    {"attributes.fw=\"2.0\"*", 0},
    {"attributes.empty=*", 0},
    {"classification:*", 0},
    {"NOT classification:*", 0},
    {"serialNumber:\"SN 200\" OR serialNumber:SN-00*", 0},
    {"provisioningStatus:ACTIVATED AND credentialLockerId:LK1", 0},
    {"parentControllerId:P2 OR NOT parentControllerId:*", 0},
    {"thingName:Kühl*", 0},
    {"attributes.site=zürich", 0},
    {"attributes.a:b=colon", 0},
    {"model:L1 OR model:H1 AND owner:alice", 0},
    {"NOT NOT NOT role:DEVICE", 0},
    {"role:DEVICE AND (attributes.fw:1* OR attributes.fw:2*) AND NOT owner:bob", 0},
};

static PGconn *conn;
static char prefix[64];

static PGresult *sql(const char *q, int n, const char *const *p)
{
    PGresult *r = PQexecParams(conn, q, n, NULL, p, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    ck_assert_msg(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s", q,
                  PQresultErrorMessage(r));
    return r;
}

static char *thing_id(const struct thing *t)
{
    size_t n = strlen(prefix) + strlen(t->suffix) + 1;
    char *id = xmalloc(n);
    snprintf(id, n, "%s%s", prefix, t->suffix);
    return id;
}

/* Append s to the string out of size len. */
static void append(char *out, size_t len, const char *s)
{
    size_t o = strlen(out), n = strlen(s);
    ck_assert_uint_lt(o + n, len);
    memcpy(out + o, s, n + 1);
}

static void add_str(cJSON *o, const char *name, const char *v)
{
    if (v != NULL)
        cJSON_AddStringToObject(o, name, v);
}

/* Insert every thing with the doc the things API would store. */
static void setup(void)
{
    struct oerr err;
    const char *ci = getenv("OTAD_TEST_PG");
    ck_assert_msg(migrate_apply(ci != NULL ? ci : "dbname=otad", NULL, &err) == 0, "migrate: %s",
                  err.msg);
    conn = PQconnectdb(ci != NULL ? ci : "dbname=otad");
    ck_assert_int_eq(PQstatus(conn), CONNECTION_OK);
    snprintf(prefix, sizeof prefix, "qs%d-", (int)getpid());
    for (size_t i = 0; i < NELEM(things); i++) {
        const struct thing *t = &things[i];
        cJSON *doc = cJSON_CreateObject();
        add_str(doc, "Name", t->name);
        add_str(doc, "SerialNumber", t->serial);
        add_str(doc, "Brand", t->brand);
        add_str(doc, "Model", t->model);
        add_str(doc, "Owner", t->owner);
        add_str(doc, "Role", t->role);
        add_str(doc, "Classification", t->classification);
        add_str(doc, "CredentialLockerId", t->locker);
        add_str(doc, "ParentControllerId", t->parent);
        if (t->meta[0][0] != NULL) {
            cJSON *m = cJSON_AddObjectToObject(doc, "MetaData");
            for (size_t k = 0; k < MAX_META && t->meta[k][0] != NULL; k++)
                cJSON_AddStringToObject(m, t->meta[k][0], t->meta[k][1]);
        }
        char *text = cJSON_PrintUnformatted(doc);
        char *id = thing_id(t);
        const char *p[3] = {id, text, t->status};
        PQclear(sql("INSERT INTO things (id, arn, doc, provisioning_status, created_at,"
                    " updated_at) VALUES ($1, 'arn:x/' || $1, $2::jsonb, $3, 0, 0)",
                    3, p));
        free(id);
        cJSON_free(text);
        cJSON_Delete(doc);
    }
}

static void teardown(void)
{
    const char *p[1] = {prefix};
    PQclear(sql("DELETE FROM things WHERE starts_with(id, $1)", 1, p));
    PQfinish(conn);
}

static int engine_match(const struct query *q, const struct thing *t)
{
    struct query_thing qt;
    const char *keys[MAX_META], *values[MAX_META];
    memset(&qt, 0, sizeof qt);
    char *id = thing_id(t);
    qt.fields[QUERY_FIELD_ID] = id;
    qt.fields[QUERY_FIELD_NAME] = t->name;
    qt.fields[QUERY_FIELD_SERIAL_NUMBER] = t->serial;
    qt.fields[QUERY_FIELD_BRAND] = t->brand;
    qt.fields[QUERY_FIELD_MODEL] = t->model;
    qt.fields[QUERY_FIELD_OWNER] = t->owner;
    qt.fields[QUERY_FIELD_ROLE] = t->role;
    qt.fields[QUERY_FIELD_CLASSIFICATION] = t->classification;
    qt.fields[QUERY_FIELD_PROVISIONING_STATUS] = t->status;
    qt.fields[QUERY_FIELD_CREDENTIAL_LOCKER] = t->locker;
    qt.fields[QUERY_FIELD_PARENT_CONTROLLER] = t->parent;
    size_t n = 0;
    while (n < MAX_META && t->meta[n][0] != NULL) {
        keys[n] = t->meta[n][0];
        values[n] = t->meta[n][1];
        n++;
    }
    qt.n_meta = n;
    qt.meta_keys = keys;
    qt.meta_values = values;
    int m = query_match(q, &qt);
    free(id);
    return m;
}

/* The set of matching things as a string of suffixes in table order ("abg"). */
static void sql_set(const struct query *q, const char *alias, char *out, size_t len)
{
    struct oerr err;
    struct querysql qs;
    ck_assert_int_eq(querysql_build(q, 2, alias, &qs, &err), 0);
    const char **p = xcalloc(qs.nparams + 1, sizeof *p);
    p[0] = prefix;
    for (size_t i = 0; i < qs.nparams; i++)
        p[i + 1] = qs.params[i];
    size_t qlen = strlen(qs.sql) + 128;
    char *text = xmalloc(qlen);
    if (alias != NULL)
        snprintf(text, qlen, "SELECT %s.id FROM things %s WHERE starts_with(%s.id, $1) AND %s",
                 alias, alias, alias, qs.sql);
    else
        snprintf(text, qlen, "SELECT id FROM things WHERE starts_with(id, $1) AND %s", qs.sql);
    PGresult *r = sql(text, (int)qs.nparams + 1, p);
    out[0] = '\0';
    for (size_t i = 0; i < NELEM(things); i++) {
        char *id = thing_id(&things[i]);
        for (int row = 0; row < PQntuples(r); row++)
            if (strcmp(PQgetvalue(r, row, 0), id) == 0)
                append(out, len, things[i].suffix);
        free(id);
    }
    PQclear(r);
    free(text);
    free(p);
    querysql_free(&qs);
}

START_TEST(test_sql_agrees_with_engine)
{
    const struct qcase *qc = &queries[_i];
    struct oerr err;
    struct query *q = query_parse(qc->query, &err);
    ck_assert_msg(q != NULL, "%s: %s", qc->query, err.msg);
    char want[NELEM(things) + 1] = "";
    for (size_t i = 0; i < NELEM(things); i++)
        if (engine_match(q, &things[i]))
            append(want, sizeof want, things[i].suffix);
    if (!qc->all_or_none)
        ck_assert_msg(want[0] != '\0' && strlen(want) < NELEM(things),
                      "%s: matches %s, pick a query that tells things apart", qc->query, want);
    char got[NELEM(things) + 1], got_alias[NELEM(things) + 1];
    sql_set(q, NULL, got, sizeof got);
    sql_set(q, "th", got_alias, sizeof got_alias);
    ck_assert_msg(strcmp(got, want) == 0, "%s: sql selects {%s}, engine {%s}", qc->query, got,
                  want);
    ck_assert_msg(strcmp(got_alias, want) == 0, "%s (alias): sql selects {%s}, engine {%s}",
                  qc->query, got_alias, want);
    query_free(q);
}
END_TEST

/* A thing whose row changes is matched by its new values (the SQL reads the stored doc). */
START_TEST(test_follows_updates)
{
    struct oerr err;
    struct query *q = query_parse("attributes.fw=9.9 AND NOT owner:alice", &err);
    ck_assert_ptr_nonnull(q);
    char got[NELEM(things) + 1];
    sql_set(q, NULL, got, sizeof got);
    ck_assert_str_eq(got, "");
    char *id = thing_id(&things[3]); /* "d": nothing set */
    const char *p[1] = {id};
    PQclear(sql("UPDATE things SET doc = doc || '{\"MetaData\":{\"fw\":\"9.9\"}}' WHERE id = $1", 1,
                p));
    sql_set(q, NULL, got, sizeof got);
    ck_assert_str_eq(got, "d");
    PQclear(sql("UPDATE things SET doc = doc - 'MetaData' WHERE id = $1", 1, p));
    free(id);
    query_free(q);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("querysql_pg");
    TCase *tc = tcase_create("agreement");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_sql_agrees_with_engine, 0, NELEM(queries));
    tcase_add_test(tc, test_follows_updates);
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
