/*
 * test_pgarray: PostgreSQL array literals: quoting, NULLs, integers, reuse, growth.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "store/pgarray.h"

START_TEST(test_texts)
{
    const char *v[] = {"a", "b c", "q\"uote", "back\\slash", ""};
    char *s = pgarray_texts(v, 5);
    ck_assert_str_eq(s, "{\"a\",\"b c\",\"q\\\"uote\",\"back\\\\slash\",\"\"}");
    free(s);
    s = pgarray_texts(NULL, 0);
    ck_assert_str_eq(s, "{}");
    free(s);
}
END_TEST

START_TEST(test_ints_nulls_and_reuse)
{
    int64_t v[] = {1, -2, INT64_MAX};
    char *s = pgarray_ints(v, 3);
    ck_assert_str_eq(s, "{1,-2,9223372036854775807}");
    free(s);
    struct pgarray *a = pgarray_new();
    pgarray_text(a, NULL);
    pgarray_int(a, 7);
    pgarray_null(a);
    ck_assert_str_eq(pgarray_str(a), "{NULL,7,NULL}");
    pgarray_text(a, "x"); /* appending after reading continues the same literal */
    ck_assert_str_eq(pgarray_str(a), "{NULL,7,NULL,\"x\"}");
    pgarray_reset(a);
    ck_assert_str_eq(pgarray_str(a), "{}");
    for (int i = 0; i < 10000; i++)
        pgarray_text(a, "grow");
    const char *big = pgarray_str(a);
    ck_assert_uint_eq(strlen(big), 2 + 10000 * 6 + 9999);
    pgarray_free(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pgarray");
    TCase *tc = tcase_create("literals");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_texts);
    tcase_add_test(tc, test_ints_nulls_and_reuse);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
