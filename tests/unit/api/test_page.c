/*
 * Unit tests of api/page: NextToken encoding. Tokens round-trip their cursor for their own
 * listing only, use nothing but [A-Za-z0-9_-] (so they satisfy every model's token pattern), and
 * any damaged, foreign or made-up token is refused.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/page.h"
#include "engine/arena.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const kinds[] = {"cfg", "thg", "dst", "ntf", "t", "a-longer-kind"};
static const int64_t cursors[] = {0, 1, 9, 10, 99, 100, 12345, 4294967296LL, INT64_MAX};

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int token_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

START_TEST(test_round_trip)
{
    struct arena *a = arena_new(1024);
    const char *kind = kinds[_i];
    for (size_t c = 0; c < NELEM(cursors); c++) {
        char *tok = page_token(a, kind, cursors[c]);
        ck_assert_uint_gt(strlen(tok), 0);
        for (const char *p = tok; *p != '\0'; p++)
            ck_assert_msg(token_char(*p), "token %s has '%c'", tok, *p);
        int64_t got = -1;
        ck_assert_int_eq(page_decode(tok, kind, &got), 0);
        ck_assert_int_eq(got, cursors[c]);
        /* the same position gives the same token; another gives another */
        ck_assert_str_eq(page_token(a, kind, cursors[c]), tok);
        ck_assert_str_ne(page_token(a, kind, cursors[c] == 0 ? 1 : cursors[c] - 1), tok);
    }
    arena_free(a);
}
END_TEST

START_TEST(test_foreign_kind)
{
    struct arena *a = arena_new(1024);
    for (size_t k = 0; k < NELEM(kinds); k++) {
        char *tok = page_token(a, kinds[_i], 42);
        int64_t got = -1;
        int want = k == (size_t)_i ? 0 : -1;
        ck_assert_msg(page_decode(tok, kinds[k], &got) == want, "%s token read as %s", kinds[_i],
                      kinds[k]);
    }
    /* a kind that is a prefix of another is still another kind */
    int64_t got;
    ck_assert_int_eq(page_decode(page_token(a, "cfg", 7), "cf", &got), -1);
    ck_assert_int_eq(page_decode(page_token(a, "cf", 7), "cfg", &got), -1);
    arena_free(a);
}
END_TEST

/* Every single-character change of a token is refused: each character is replaced by the one
 * whose 6-bit value differs in the top bit, which every position of the encoding uses. */
START_TEST(test_tampered)
{
    struct arena *a = arena_new(4096);
    char *tok = page_token(a, "cfg", cursors[_i]);
    size_t len = strlen(tok);
    for (size_t i = 0; i < len; i++) {
        char *bad = arena_strdup(a, tok);
        int v = (int)(strchr(b64, bad[i]) - b64);
        bad[i] = b64[v ^ 32];
        int64_t got = -1;
        ck_assert_msg(page_decode(bad, "cfg", &got) == -1, "tampered %s (from %s) decoded to %lld",
                      bad, tok, (long long)got);
    }
    /* truncated and extended tokens */
    for (size_t n = 0; n < len; n++) {
        int64_t got;
        ck_assert_int_eq(page_decode(arena_strndup(a, tok, n), "cfg", &got), -1);
    }
    int64_t got;
    ck_assert_int_eq(page_decode(arena_printf(a, "%sA", tok), "cfg", &got), -1);
    ck_assert_int_eq(page_decode(arena_printf(a, "%sAAAA", tok), "cfg", &got), -1);
    arena_free(a);
}
END_TEST

START_TEST(test_garbage)
{
    static const char *const garbage[] = {
        "",
        "A",
        "AAAA",
        "abc",
        "garbage",
        "!!!!",
        "djE6Y2ZnOjE6",               /* "v1:cfg:1:" without a check */
        "v1:cfg:1:00000000",          /* plain text, not encoded */
        "djE6Y2ZnOjE6MDAwMDAwMDA",    /* "v1:cfg:1:00000000": wrong check */
        "djI6Y2ZnOjE6MDAwMDAwMDA",    /* "v2:..." */
        "djE6Y2ZnOmFiYzowMDAwMDAwMA", /* non-numeric cursor */
        "djE6Y2ZnOjE6MDAwMDAwMDA=",   /* padding is not part of the alphabet */
        "djE6Y2ZnOjE6MDAw+DAwMDA",    /* '+' is not part of the alphabet */
        "djE6Y2ZnOjE6MDAw/DAwMDA",
        "djE6Y2ZnOjE6MDAw MDAwMDA",
    };
    for (size_t i = 0; i < NELEM(garbage); i++) {
        int64_t got = -1;
        ck_assert_msg(page_decode(garbage[i], "cfg", &got) == -1, "'%s' decoded to %lld",
                      garbage[i], (long long)got);
    }
    /* far too long */
    struct arena *a = arena_new(2048);
    char *longtok = arena_alloc(a, 1001);
    memset(longtok, 'A', 1000);
    longtok[1000] = '\0';
    int64_t got;
    ck_assert_int_eq(page_decode(longtok, "cfg", &got), -1);
    /* a well-formed token of a negative position is not a cursor */
    ck_assert_int_eq(page_decode(page_token(a, "cfg", -1), "cfg", &got), -1);
    arena_free(a);
}
END_TEST

static Suite *page_suite(void)
{
    Suite *s = suite_create("page");
    TCase *tc = tcase_create("page");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_round_trip, 0, NELEM(kinds));
    tcase_add_loop_test(tc, test_foreign_kind, 0, NELEM(kinds));
    tcase_add_loop_test(tc, test_tampered, 0, NELEM(cursors));
    tcase_add_test(tc, test_garbage);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(page_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
