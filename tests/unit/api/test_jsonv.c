/*
 * Unit tests of api/jsonv: the member getters (types, constraints, JSON null as absent, the
 * exact messages naming the field path), UTF-8 validation and code-point counting, the
 * character classes of the model's patterns (including Unicode letters), query and label
 * checks, and the canonical request hash (independent of member order, ClientToken skipped).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/jsonv.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- UTF-8 ---- */

static const struct {
    const char *s;
    int ok;
    size_t count;
} utf8_cases[] = {
    {"", 1, 0},
    {"abc", 1, 3},
    {"\xc3\xa9", 1, 1},                 /* é */
    {"\xe6\x97\xa5\xe6\x9c\xac", 1, 2}, /* 日本 */
    {"\xf0\x9f\x98\x80", 1, 1},         /* U+1F600 */
    {"a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80", 1, 4},
    {"\xf4\x8f\xbf\xbf", 1, 1}, /* U+10FFFF */
    {"\xc3", 0, 0},             /* truncated */
    {"\xe6\x97", 0, 0},         /* truncated */
    {"\x80", 0, 0},             /* lone continuation */
    {"\xff", 0, 0},
    {"\xc0\xaf", 0, 0},         /* overlong '/' */
    {"\xe0\x80\xaf", 0, 0},     /* overlong */
    {"\xed\xa0\x80", 0, 0},     /* surrogate */
    {"\xf4\x90\x80\x80", 0, 0}, /* above U+10FFFF */
    {"ok\xc3(", 0, 0},
};

START_TEST(test_utf8_count)
{
    size_t n = 12345;
    int rc = jsonv_utf8_count(utf8_cases[_i].s, &n);
    if (utf8_cases[_i].ok) {
        ck_assert_int_eq(rc, 0);
        ck_assert_uint_eq(n, utf8_cases[_i].count);
    } else {
        ck_assert_int_eq(rc, -1);
    }
}
END_TEST

/* ---- character classes ---- */

static const struct {
    jsonv_class_fn fn;
    const char *name;
    uint32_t cp;
    int want;
} class_cases[] = {
    {jsonv_class_alnum, "alnum", 'a', 1},
    {jsonv_class_alnum, "alnum", 'Z', 1},
    {jsonv_class_alnum, "alnum", '9', 1},
    {jsonv_class_alnum, "alnum", '_', 0},
    {jsonv_class_alnum, "alnum", ' ', 0},
    {jsonv_class_alnum, "alnum", 0xe9, 0},
    {jsonv_class_description, "description", ' ', 1},
    {jsonv_class_description, "description", '-', 1},
    {jsonv_class_description, "description", '_', 1},
    {jsonv_class_description, "description", '.', 0},
    {jsonv_class_description, "description", '\t', 0},
    {jsonv_class_token, "token", '=', 1},
    {jsonv_class_token, "token", '-', 1},
    {jsonv_class_token, "token", '+', 0},
    {jsonv_class_token, "token", '/', 0},
    {jsonv_class_thing_id, "thing_id", ':', 1},
    {jsonv_class_thing_id, "thing_id", '_', 1},
    {jsonv_class_thing_id, "thing_id", '.', 0},
    {jsonv_class_owner, "owner", '@', 1},
    {jsonv_class_owner, "owner", ',', 1},
    {jsonv_class_owner, "owner", '.', 1},
    {jsonv_class_owner, "owner", ':', 0},
    {jsonv_class_owner, "owner", ' ', 0},
    {jsonv_class_unicode_name, "unicode_name", 'a', 1},
    {jsonv_class_unicode_name, "unicode_name", ' ', 1},
    {jsonv_class_unicode_name, "unicode_name", '.', 1},
    {jsonv_class_unicode_name, "unicode_name", 0xe9, 1},   /* é, a Unicode letter */
    {jsonv_class_unicode_name, "unicode_name", 0x416, 1},  /* Cyrillic Ж */
    {jsonv_class_unicode_name, "unicode_name", 0x65e5, 1}, /* CJK 日 */
    {jsonv_class_unicode_name, "unicode_name", '!', 0},
    {jsonv_class_unicode_name, "unicode_name", '/', 0},
    {jsonv_class_unicode_name, "unicode_name", '\t', 0},
    {jsonv_class_unicode_name, "unicode_name", 0xa0, 0},    /* no-break space */
    {jsonv_class_unicode_name, "unicode_name", 0xd7, 0},    /* multiplication sign */
    {jsonv_class_unicode_name, "unicode_name", 0x2028, 0},  /* line separator */
    {jsonv_class_unicode_name, "unicode_name", 0x1f600, 0}, /* emoji */
    {jsonv_class_not_control, "not_control", 'a', 1},
    {jsonv_class_not_control, "not_control", 0xe9, 1},
    {jsonv_class_not_control, "not_control", 0x1f600, 1},
    {jsonv_class_not_control, "not_control", 0x1f, 0},
    {jsonv_class_not_control, "not_control", 0x7f, 0},
    {jsonv_class_not_control, "not_control", 0x85, 0},
    {jsonv_class_not_control, "not_control", 0x200b, 0},
    {jsonv_class_not_control, "not_control", 0xe000, 0},
};

START_TEST(test_classes)
{
    ck_assert_msg(class_cases[_i].fn(class_cases[_i].cp) == class_cases[_i].want,
                  "%s(U+%04X) should be %d", class_cases[_i].name, (unsigned)class_cases[_i].cp,
                  class_cases[_i].want);
}
END_TEST

/* ---- jsonv_check_str ---- */

static const struct jsonv_str len_2_4 = {2, 4, NULL, NULL};
static const struct jsonv_str len_3 = {3, 3, NULL, NULL};
static const struct jsonv_str min_2 = {2, 0, NULL, NULL};
static const struct jsonv_str named = {1, 10, jsonv_class_alnum, "letters and digits"};
static const struct jsonv_str unnamed = {1, 10, jsonv_class_alnum, NULL};

static const struct {
    const char *s;
    const struct jsonv_str *spec;
    const char *message; /* NULL: valid */
} str_cases[] = {
    {"ab", &len_2_4, NULL},
    {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", &len_2_4, NULL}, /* 4 code points, 8 bytes */
    {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", &len_2_4,
     "F must be between 2 and 4 characters long"},
    {"a", &len_2_4, "F must be between 2 and 4 characters long"},
    {"abc", &len_3, NULL},
    {"ab", &len_3, "F must be exactly 3 characters long"},
    {"a", &min_2, "F must be at least 2 characters long"},
    {"abcdefghijklmnop", &min_2, NULL},
    {"abc1", &named, NULL},
    {"ab-c", &named, "F must contain only letters and digits"},
    {"ab-c", &unnamed, "F contains a character that is not allowed"},
    {"a\xc3", &named, "F is not valid UTF-8"},
    {"", &jsonv_client_token, "F must be between 1 and 64 characters long"},
    {"x\xe6\x97\xa5 y", &jsonv_unicode_name128, NULL},
    {"x\xe6\x97\xa5:y", &jsonv_unicode_name128,
     "F must contain only letters, digits, spaces, '.', '_' and '-'"},
};

START_TEST(test_check_str)
{
    struct oerr err = {0};
    int rc = jsonv_check_str(str_cases[_i].s, "F", str_cases[_i].spec, &err);
    if (str_cases[_i].message == NULL) {
        ck_assert_msg(rc == 0, "%s: %s", str_cases[_i].s, err.msg);
    } else {
        ck_assert_int_eq(rc, -1);
        ck_assert_int_eq(err.code, OERR_INVALID);
        ck_assert_str_eq(err.msg, str_cases[_i].message);
    }
}
END_TEST

/* ---- getters ---- */

static const char *const colours[] = {"RED", "GREEN", "BLUE", NULL};
static const struct jsonv_str key_spec = {1, 3, NULL, NULL};
static const struct jsonv_str value_spec = {0, 2, NULL, NULL};

enum getter { G_STRING, G_INT, G_NUMBER, G_BOOL, G_ENUM, G_OBJECT, G_ARRAY, G_MAP, G_LIST };

static const struct {
    enum getter g;
    const char *json; /* the object the member is read from */
    int required;
    int ok;
    const char *message;
} getter_cases[] = {
    {G_STRING, "{\"M\":\"ab\"}", 1, 1, NULL},
    {G_STRING, "{}", 0, 1, NULL},
    {G_STRING, "{}", 1, 0, "P.M is required"},
    {G_STRING, "{\"M\":null}", 1, 0, "P.M is required"},
    {G_STRING, "{\"M\":null}", 0, 1, NULL},
    {G_STRING, "{\"M\":1}", 0, 0, "P.M must be a string"},
    {G_STRING, "{\"m\":\"ab\"}", 1, 0, "P.M is required"}, /* names are case-sensitive */
    {G_STRING, "{\"M\":\"abcde\"}", 0, 0, "P.M must be between 2 and 4 characters long"},
    {G_INT, "{\"M\":5}", 1, 1, NULL},
    {G_INT, "{\"M\":5.0}", 1, 1, NULL},
    {G_INT, "{\"M\":5.5}", 1, 0, "P.M must be an integer"},
    {G_INT, "{\"M\":\"5\"}", 1, 0, "P.M must be an integer"},
    {G_INT, "{\"M\":true}", 1, 0, "P.M must be an integer"},
    {G_INT, "{\"M\":11}", 1, 0, "P.M must be between 1 and 10"},
    {G_INT, "{\"M\":0}", 1, 0, "P.M must be between 1 and 10"},
    {G_INT, "{}", 1, 0, "P.M is required"},
    {G_NUMBER, "{\"M\":1.5}", 1, 1, NULL},
    {G_NUMBER, "{\"M\":0.5}", 1, 0, "P.M must be between 1.1 and 5"},
    {G_NUMBER, "{\"M\":[1]}", 1, 0, "P.M must be a number"},
    {G_BOOL, "{\"M\":false}", 1, 1, NULL},
    {G_BOOL, "{\"M\":0}", 1, 0, "P.M must be a boolean"},
    {G_BOOL, "{\"M\":\"true\"}", 1, 0, "P.M must be a boolean"},
    {G_ENUM, "{\"M\":\"BLUE\"}", 1, 1, NULL},
    {G_ENUM, "{\"M\":\"blue\"}", 1, 0, "P.M must be one of RED, GREEN, BLUE"},
    {G_ENUM, "{\"M\":2}", 1, 0, "P.M must be one of RED, GREEN, BLUE"},
    {G_OBJECT, "{\"M\":{}}", 1, 1, NULL},
    {G_OBJECT, "{\"M\":[]}", 1, 0, "P.M must be an object"},
    {G_ARRAY, "{\"M\":[1,2]}", 1, 1, NULL},
    {G_ARRAY, "{\"M\":[]}", 1, 0, "P.M must have between 1 and 2 entries"},
    {G_ARRAY, "{\"M\":[1,2,3]}", 1, 0, "P.M must have between 1 and 2 entries"},
    {G_ARRAY, "{\"M\":{}}", 1, 0, "P.M must be a list"},
    {G_MAP, "{\"M\":{\"a\":\"\",\"bbb\":\"xy\"}}", 1, 1, NULL},
    {G_MAP, "{\"M\":{}}", 1, 0, "P.M must have between 1 and 2 entries"},
    {G_MAP, "{\"M\":{\"abcd\":\"x\"}}", 1, 0,
     "P.M key 'abcd' must be between 1 and 3 characters long"},
    {G_MAP, "{\"M\":{\"a\":\"xyz\"}}", 1, 0, "P.M.a must be between 0 and 2 characters long"},
    {G_MAP, "{\"M\":{\"a\":1}}", 1, 0, "P.M.a must be a string"},
    {G_MAP, "{\"M\":[\"a\"]}", 1, 0, "P.M must be a map of strings"},
    {G_LIST, "{\"M\":[\"ab\",\"abc\"]}", 1, 1, NULL},
    {G_LIST, "{\"M\":[\"ab\",\"a\"]}", 1, 0, "P.M[1] must be between 2 and 4 characters long"},
    {G_LIST, "{\"M\":[\"ab\",null]}", 1, 0, "P.M[1] must be a string"},
    {G_LIST, "{\"M\":[]}", 1, 0, "P.M must have between 1 and 2 entries"},
};

START_TEST(test_getters)
{
    cJSON *obj = cJSON_Parse(getter_cases[_i].json);
    ck_assert_ptr_nonnull(obj);
    struct oerr err = {0};
    const char *s = NULL;
    const cJSON *item = NULL;
    int64_t i64 = 0;
    double d = 0;
    int b = 0, present = -1, rc = 0;
    int req = getter_cases[_i].required;
    switch (getter_cases[_i].g) {
    case G_STRING:
        rc = jsonv_string(obj, "P", "M", req, &len_2_4, &s, &err);
        if (rc == 0 && strstr(getter_cases[_i].json, "\"ab\"") != NULL)
            ck_assert_str_eq(s, "ab");
        if (rc == 0 && strstr(getter_cases[_i].json, "\"M\"") == NULL)
            ck_assert_ptr_null(s);
        break;
    case G_INT:
        rc = jsonv_int(obj, "P", "M", req, 1, 10, &i64, &present, &err);
        if (rc == 0) {
            ck_assert_int_eq(i64, 5);
            ck_assert_int_eq(present, 1);
        }
        break;
    case G_NUMBER:
        rc = jsonv_number(obj, "P", "M", req, 1.1, 5, &d, &present, &err);
        if (rc == 0)
            ck_assert_double_eq(d, 1.5);
        break;
    case G_BOOL:
        b = 1;
        rc = jsonv_bool(obj, "P", "M", req, &b, &present, &err);
        if (rc == 0)
            ck_assert_int_eq(b, 0);
        break;
    case G_ENUM:
        rc = jsonv_enum(obj, "P", "M", req, colours, &b, &present, &err);
        if (rc == 0)
            ck_assert_int_eq(b, 2);
        break;
    case G_OBJECT:
        rc = jsonv_object(obj, "P", "M", req, &item, &err);
        break;
    case G_ARRAY:
        rc = jsonv_array(obj, "P", "M", req, 1, 2, &item, &err);
        break;
    case G_MAP:
        rc = jsonv_string_map(obj, "P", "M", req, 1, 2, &key_spec, &value_spec, &item, &err);
        break;
    case G_LIST:
        rc = jsonv_string_list(obj, "P", "M", req, 1, 2, &len_2_4, &item, &err);
        break;
    }
    if (getter_cases[_i].ok) {
        ck_assert_msg(rc == 0, "%s: %s", getter_cases[_i].json, err.msg);
        if (getter_cases[_i].g >= G_OBJECT)
            ck_assert_ptr_eq(item, cJSON_GetObjectItem(obj, "M"));
    } else {
        ck_assert_int_eq(rc, -1);
        ck_assert_int_eq(err.code, OERR_INVALID);
        ck_assert_str_eq(err.msg, getter_cases[_i].message);
    }
    cJSON_Delete(obj);
}
END_TEST

START_TEST(test_absent_optional)
{
    cJSON *obj = cJSON_Parse("{\"Other\":1,\"Null\":null}");
    struct oerr err = {0};
    int64_t i64 = 77;
    int present = -1, b = 7;
    const cJSON *item = (const cJSON *)obj;
    ck_assert_int_eq(jsonv_int(obj, "", "M", 0, 0, 1, &i64, &present, &err), 0);
    ck_assert_int_eq(present, 0);
    ck_assert_int_eq(i64, 77); /* untouched */
    ck_assert_int_eq(jsonv_bool(obj, "", "Null", 0, &b, &present, &err), 0);
    ck_assert_int_eq(present, 0);
    ck_assert_int_eq(jsonv_enum(obj, "", "M", 0, colours, &b, &present, &err), 0);
    ck_assert_int_eq(present, 0);
    ck_assert_int_eq(jsonv_object(obj, "", "Null", 0, &item, &err), 0);
    ck_assert_ptr_null(item);
    ck_assert_int_eq(jsonv_array(obj, "", "M", 0, 1, 2, &item, &err), 0);
    ck_assert_ptr_null(item);
    ck_assert_int_eq(jsonv_string_map(obj, "", "M", 0, 1, 2, NULL, NULL, &item, &err), 0);
    ck_assert_ptr_null(item);
    ck_assert_ptr_null(jsonv_member(obj, "Null"));
    ck_assert_ptr_nonnull(jsonv_member(obj, "Other"));
    /* top-level paths have no prefix */
    ck_assert_int_eq(jsonv_int(obj, "", "M", 1, 0, 1, &i64, &present, &err), -1);
    ck_assert_str_eq(err.msg, "M is required");
    ck_assert_int_eq(jsonv_int(obj, NULL, "Other", 1, 5, INT64_MAX, &i64, &present, &err), -1);
    ck_assert_str_eq(err.msg, "Other must be at least 5");
    cJSON_Delete(obj);
}
END_TEST

START_TEST(test_paths)
{
    char buf[64];
    ck_assert_str_eq(jsonv_path(buf, sizeof buf, "", "Name"), "Name");
    ck_assert_str_eq(jsonv_path(buf, sizeof buf, NULL, "Name"), "Name");
    ck_assert_str_eq(jsonv_path(buf, sizeof buf, "A.B[2]", "C"), "A.B[2].C");
    /* nested getters report the whole path */
    cJSON *obj = cJSON_Parse("{\"PushConfig\":{\"RolloutConfig\":{\"MaximumPerMinute\":0}}}");
    const cJSON *push, *ro;
    struct oerr err = {0};
    int64_t v;
    int present;
    ck_assert_int_eq(jsonv_object(obj, "", "PushConfig", 1, &push, &err), 0);
    ck_assert_int_eq(jsonv_object(push, "PushConfig", "RolloutConfig", 1, &ro, &err), 0);
    ck_assert_int_eq(jsonv_int(ro, "PushConfig.RolloutConfig", "MaximumPerMinute", 0, 1, INT64_MAX,
                               &v, &present, &err),
                     -1);
    ck_assert_str_eq(err.msg, "PushConfig.RolloutConfig.MaximumPerMinute must be at least 1");
    cJSON_Delete(obj);
}
END_TEST

/* ---- labels and query values ---- */

START_TEST(test_labels_and_queries)
{
    struct oerr err = {0};
    int64_t v = 0;
    int present = -1, b = -1;
    ck_assert_int_eq(jsonv_check_label("abc", "Identifier", &named, &err), 0);
    ck_assert_int_eq(jsonv_check_label(NULL, "Identifier", &named, &err), -1);
    ck_assert_str_eq(err.msg, "Identifier is required");
    ck_assert_int_eq(jsonv_check_label("a b", "Identifier", &named, &err), -1);
    ck_assert_str_eq(err.msg, "Identifier must contain only letters and digits");

    static const struct {
        const char *value;
        int rc, present;
        int64_t want;
    } ints[] = {
        {NULL, 0, 0, 0},      {"1", 0, 1, 1},
        {"1000", 0, 1, 1000}, {"0", -1, 0, 0},
        {"1001", -1, 0, 0},   {"", -1, 0, 0},
        {"1x", -1, 0, 0},     {"-5", -1, 0, 0},
        {"5 ", -1, 0, 0},     {"99999999999999999999", -1, 0, 0},
    };
    for (size_t i = 0; i < NELEM(ints); i++) {
        v = 0;
        int rc = jsonv_query_int(ints[i].value, "MaxResults", 1, 1000, &v, &present, &err);
        ck_assert_msg(rc == ints[i].rc, "'%s': rc %d", ints[i].value, rc);
        if (rc == 0) {
            ck_assert_int_eq(present, ints[i].present);
            if (present)
                ck_assert_int_eq(v, ints[i].want);
        } else {
            ck_assert_str_eq(err.msg, "MaxResults must be an integer between 1 and 1000");
        }
    }

    ck_assert_int_eq(jsonv_query_bool("true", "Force", &b, &present, &err), 0);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(jsonv_query_bool("false", "Force", &b, &present, &err), 0);
    ck_assert_int_eq(b, 0);
    ck_assert_int_eq(present, 1);
    ck_assert_int_eq(jsonv_query_bool(NULL, "Force", &b, &present, &err), 0);
    ck_assert_int_eq(present, 0);
    static const char *const bad_bools[] = {"True", "1", "", "yes", "false "};
    for (size_t i = 0; i < NELEM(bad_bools); i++) {
        ck_assert_int_eq(jsonv_query_bool(bad_bools[i], "Force", &b, &present, &err), -1);
        ck_assert_str_eq(err.msg, "Force must be true or false");
    }
}
END_TEST

/* ---- canonical hash ---- */

static void hash_of(const char *json, const char *skip, char out[65])
{
    cJSON *o = cJSON_Parse(json);
    ck_assert_msg(o != NULL, "bad test JSON %s", json);
    jsonv_canonical_hash(o, skip, out);
    cJSON_Delete(o);
}

static const struct {
    const char *a, *b;
    const char *skip;
    int equal;
} hash_cases[] = {
    {"{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", NULL, 1},
    {"{\"x\":{\"q\":[{\"z\":1,\"y\":2}],\"p\":true},\"a\":\"s\"}",
     "{\"a\":\"s\",\"x\":{\"p\":true,\"q\":[{\"y\":2,\"z\":1}]}}", NULL, 1},
    {"{\"n\":5}", "{\"n\":5.0}", NULL, 1},
    {"{\"a\":1}", "{\"a\":2}", NULL, 0},
    {"{\"a\":\"1\"}", "{\"a\":1}", NULL, 0},
    {"{\"l\":[1,2]}", "{\"l\":[2,1]}", NULL, 0}, /* list order matters */
    {"{\"a\":1}", "{\"a\":1,\"b\":null}", NULL, 0},
    {"{\"ClientToken\":\"t1\",\"a\":1}", "{\"a\":1,\"ClientToken\":\"t2\"}", "ClientToken", 1},
    {"{\"ClientToken\":\"t1\",\"a\":1}", "{\"a\":1}", "ClientToken", 1},
    {"{\"ClientToken\":\"t1\",\"a\":1}", "{\"a\":1,\"ClientToken\":\"t2\"}", NULL, 0},
    /* only the top-level member is skipped */
    {"{\"o\":{\"ClientToken\":\"t1\"}}", "{\"o\":{\"ClientToken\":\"t2\"}}", "ClientToken", 0},
};

START_TEST(test_canonical_hash)
{
    char ha[65], hb[65];
    hash_of(hash_cases[_i].a, hash_cases[_i].skip, ha);
    hash_of(hash_cases[_i].b, hash_cases[_i].skip, hb);
    ck_assert_uint_eq(strlen(ha), 64);
    for (size_t i = 0; i < 64; i++)
        ck_assert_msg((ha[i] >= '0' && ha[i] <= '9') || (ha[i] >= 'a' && ha[i] <= 'f'), "%s", ha);
    if (hash_cases[_i].equal)
        ck_assert_str_eq(ha, hb);
    else
        ck_assert_str_ne(ha, hb);
}
END_TEST

START_TEST(test_canonical_hash_known_value)
{
    /* SHA-256 of the canonical text {"a":1,"b":[true,null]} */
    char h[65];
    hash_of("{\"b\":[true,null],\"a\":1}", NULL, h);
    ck_assert_str_eq(h, "1cc69c7fa23616ca2ec3ee70d24390a6225c8832db8a4c814c7e0e7f942f8668");
    /* the input is not modified */
    cJSON *o = cJSON_Parse("{\"b\":1,\"a\":2,\"ClientToken\":\"x\"}");
    jsonv_canonical_hash(o, "ClientToken", h);
    char *text = cJSON_PrintUnformatted(o);
    ck_assert_str_eq(text, "{\"b\":1,\"a\":2,\"ClientToken\":\"x\"}");
    cJSON_free(text);
    cJSON_Delete(o);
}
END_TEST

static Suite *jsonv_suite(void)
{
    Suite *s = suite_create("jsonv");
    TCase *tc = tcase_create("jsonv");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_utf8_count, 0, NELEM(utf8_cases));
    tcase_add_loop_test(tc, test_classes, 0, NELEM(class_cases));
    tcase_add_loop_test(tc, test_check_str, 0, NELEM(str_cases));
    tcase_add_loop_test(tc, test_getters, 0, NELEM(getter_cases));
    tcase_add_test(tc, test_absent_optional);
    tcase_add_test(tc, test_paths);
    tcase_add_test(tc, test_labels_and_queries);
    tcase_add_loop_test(tc, test_canonical_hash, 0, NELEM(hash_cases));
    tcase_add_test(tc, test_canonical_hash_known_value);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(jsonv_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
