/*
 * Unit tests of store/querysql: the SQL text and parameter list each query translates to
 * (a table), that no input byte ever reaches the SQL text (hostile values and keys), the
 * numbering from a chosen first parameter, the alias qualification of every field, and the
 * refusal of an out-of-range first parameter. The agreement of the SQL with query_match() on
 * real rows is tests/store/test_querysql.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mem.h"
#include "engine/query.h"
#include "store/querysql.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MAXP     8

struct text_case {
    const char *query;
    int first;
    const char *alias;
    const char *sql;
    const char *params[MAXP]; /* NULL-terminated */
};

static const struct text_case text_cases[] = {
    {"owner:alice", 1, NULL, "coalesce(owner = $1::text, false)", {"alice"}},
    {"owner:ali*", 1, NULL, "coalesce(starts_with(owner, $1::text), false)", {"ali"}},
    {"attributes.fw=1.2",
     3,
     NULL,
     "coalesce((metadata ->> $3::text) = $4::text, false)",
     {"fw", "1.2"}},
    {"attributes.fw:1*",
     1,
     "th",
     "coalesce(starts_with((th.metadata ->> $1::text), $2::text), false)",
     {"fw", "1"}},
    {"brand:Acme", 1, "th", "coalesce((th.doc ->> 'Brand') = $1::text, false)", {"Acme"}},
    {"NOT role:DEVICE", 1, NULL, "(NOT coalesce(role = $1::text, false))", {"DEVICE"}},
    {"owner:a model:b OR serialNumber:c*",
     2,
     NULL,
     "((coalesce(owner = $2::text, false) AND coalesce((doc ->> 'Model') = $3::text, false)) OR "
     "coalesce(starts_with(serial_number, $4::text), false))",
     {"a", "b", "c"}},
    {"NOT (id:x OR thingName:\"a b\")",
     1,
     NULL,
     "(NOT (coalesce(id = $1::text, false) OR coalesce(name = $2::text, false)))",
     {"x", "a b"}},
    {"provisioningStatus:ACTIVATED AND NOT NOT classification:*",
     1,
     NULL,
     "(coalesce(provisioning_status = $1::text, false) AND (NOT (NOT coalesce(starts_with((doc "
     "->> 'Classification'), $2::text), false))))",
     {"ACTIVATED", ""}},
    {"credentialLockerId:L1 parentControllerId:P1",
     1,
     NULL,
     "(coalesce(credential_locker_id = $1::text, false) AND coalesce(parent_controller_id = "
     "$2::text, false))",
     {"L1", "P1"}},
};

START_TEST(test_text)
{
    const struct text_case *tc = &text_cases[_i];
    struct oerr err;
    struct query *q = query_parse(tc->query, &err);
    ck_assert_msg(q != NULL, "%s: %s", tc->query, err.msg);
    struct querysql qs;
    ck_assert_int_eq(querysql_build(q, tc->first, tc->alias, &qs, &err), 0);
    ck_assert_str_eq(qs.sql, tc->sql);
    size_t n = 0;
    while (n < MAXP && tc->params[n] != NULL)
        n++;
    ck_assert_uint_eq(qs.nparams, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(qs.params[i], tc->params[i]);
    querysql_free(&qs);
    query_free(q);
}
END_TEST

/* Values and keys full of SQL syntax end up in the parameters, verbatim, never in the text. */
static const struct text_case hostile[] = {
    {"owner:\"x' OR '1'='1\"", 1, NULL, NULL, {"x' OR '1'='1"}},
    {"attributes.k--=\"v; DROP TABLE things\"", 1, NULL, NULL, {"k--", "v; DROP TABLE things"}},
    {"thingName:\"$1 \\\"quoted\\\" \\\\\"*", 1, NULL, NULL, {"$1 \"quoted\" \\"}},
    {"attributes.a:b=\"(doc ->> 'Brand')\"", 1, "th", NULL, {"a:b", "(doc ->> 'Brand')"}},
};

START_TEST(test_no_input_in_text)
{
    const struct text_case *tc = &hostile[_i];
    struct oerr err;
    struct query *q = query_parse(tc->query, &err);
    ck_assert_msg(q != NULL, "%s: %s", tc->query, err.msg);
    struct querysql qs;
    ck_assert_int_eq(querysql_build(q, tc->first, tc->alias, &qs, &err), 0);
    size_t n = 0;
    while (n < MAXP && tc->params[n] != NULL)
        n++;
    ck_assert_uint_eq(qs.nparams, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(qs.params[i], tc->params[i]);
    /* blank the fixed doc member names; no quote, semicolon, comment or input word remains */
    static const char *const fixed[] = {"'Brand'", "'Model'", "'Classification'"};
    char *copy = xstrdup(qs.sql);
    for (size_t i = 0; i < NELEM(fixed); i++)
        for (char *p = strstr(copy, fixed[i]); p != NULL; p = strstr(p, fixed[i]))
            memset(p, '_', strlen(fixed[i]));
    ck_assert_msg(strpbrk(copy, "'\";\\") == NULL && strstr(copy, "--") == NULL &&
                      strstr(copy, "DROP") == NULL && strstr(copy, "quoted") == NULL,
                  "input leaked into %s", qs.sql);
    free(copy);
    querysql_free(&qs);
    query_free(q);
}
END_TEST

/* Every field maps to its column, and the alias qualifies every one of them. */
START_TEST(test_fields)
{
    static const char *const want[QUERY_FIELD_MAX] = {"id",
                                                      "name",
                                                      "serial_number",
                                                      "(doc ->> 'Brand')",
                                                      "(doc ->> 'Model')",
                                                      "owner",
                                                      "role",
                                                      "(doc ->> 'Classification')",
                                                      "provisioning_status",
                                                      "credential_locker_id",
                                                      "parent_controller_id"};
    for (int f = 0; f < QUERY_FIELD_MAX; f++) {
        ck_assert_str_eq(querysql_column((enum query_field)f), want[f]);
        char text[128], expect[256];
        snprintf(text, sizeof text, "%s:v", query_field_name((enum query_field)f));
        struct oerr err;
        struct query *q = query_parse(text, &err);
        ck_assert_msg(q != NULL, "%s: %s", text, err.msg);
        struct querysql qs;
        ck_assert_int_eq(querysql_build(q, 7, "t", &qs, &err), 0);
        if (want[f][0] == '(')
            snprintf(expect, sizeof expect, "coalesce((t.%s = $7::text, false)", want[f] + 1);
        else
            snprintf(expect, sizeof expect, "coalesce(t.%s = $7::text, false)", want[f]);
        ck_assert_str_eq(qs.sql, expect);
        querysql_free(&qs);
        query_free(q);
    }
    ck_assert_ptr_null(querysql_column(QUERY_FIELD_MAX));
}
END_TEST

START_TEST(test_bad_first)
{
    static const int bad[] = {0, -1, 60001};
    struct oerr err;
    struct query *q = query_parse("owner:a", &err);
    ck_assert_ptr_nonnull(q);
    for (size_t i = 0; i < NELEM(bad); i++) {
        struct querysql qs;
        ck_assert_int_eq(querysql_build(q, bad[i], NULL, &qs, &err), -1);
        ck_assert_int_eq(err.code, OERR_INVALID);
        ck_assert_ptr_null(qs.sql);
        querysql_free(&qs);
    }
    querysql_free(NULL);
    query_free(q);
}
END_TEST

/* The limits of the parser (64 terms, depth 32) translate without trouble. */
START_TEST(test_large)
{
    char text[4096];
    size_t o = 0;
    for (int i = 0; i < 64; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "%sattributes.k%d=v%d", i ? " OR " : "", i,
                              i);
    struct oerr err;
    struct query *q = query_parse(text, &err);
    ck_assert_msg(q != NULL, "%s", err.msg);
    struct querysql qs;
    ck_assert_int_eq(querysql_build(q, 1, NULL, &qs, &err), 0);
    ck_assert_uint_eq(qs.nparams, 128);
    ck_assert_str_eq(qs.params[126], "k63");
    ck_assert_str_eq(qs.params[127], "v63");
    ck_assert_ptr_nonnull(strstr(qs.sql, "$128::text"));
    ck_assert_ptr_null(strstr(qs.sql, "$129"));
    querysql_free(&qs);
    query_free(q);
}
END_TEST

static Suite *querysql_suite(void)
{
    Suite *s = suite_create("querysql");
    TCase *tc = tcase_create("text");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_text, 0, NELEM(text_cases));
    tcase_add_loop_test(tc, test_no_input_in_text, 0, NELEM(hostile));
    tcase_add_test(tc, test_fields);
    tcase_add_test(tc, test_bad_first);
    tcase_add_test(tc, test_large);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(querysql_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
