/*
 * Unit tests of engine/query: a table of valid queries with the AST each parses to (printed
 * as a canonical s-expression by a small printer below) and the verdict against four sample
 * things; a table of invalid queries with the exact message each gets; the limits (length,
 * depth, terms) on both sides of their boundary; and the odds and ends of the API.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mem.h"
#include "engine/oerr.h"
#include "engine/query.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- an AST printer: (AND l r) (OR l r) (NOT x) (TERM <field>:<value>[*]) and
 * (TERM attr:<key>=<value>[*]); a value that is empty or holds a space, quote, backslash,
 * parenthesis or '*' is printed in quotes with \" and \\ escapes ---- */

struct out {
    char buf[8192];
    size_t len;
};

static void put(struct out *o, const char *s)
{
    size_t n = strlen(s);
    ck_assert_uint_lt(o->len + n, sizeof o->buf);
    memcpy(o->buf + o->len, s, n + 1);
    o->len += n;
}

static void put_value(struct out *o, const char *v)
{
    int plain = v[0] != '\0' && strpbrk(v, " \t\"\\()*") == NULL;
    if (plain) {
        put(o, v);
        return;
    }
    put(o, "\"");
    for (const char *c = v; *c != '\0'; c++) {
        char s[3] = {*c, '\0', '\0'};
        if (*c == '"' || *c == '\\') {
            s[0] = '\\';
            s[1] = *c;
        }
        put(o, s);
    }
    put(o, "\"");
}

static void print_node(struct out *o, const struct query_node *n)
{
    ck_assert_ptr_nonnull(n);
    switch (n->kind) {
    case QUERY_AND:
    case QUERY_OR:
        put(o, n->kind == QUERY_AND ? "(AND " : "(OR ");
        print_node(o, n->left);
        put(o, " ");
        print_node(o, n->right);
        put(o, ")");
        return;
    case QUERY_NOT:
        ck_assert_ptr_null(n->right);
        put(o, "(NOT ");
        print_node(o, n->left);
        put(o, ")");
        return;
    case QUERY_TERM:
        put(o, "(TERM ");
        if (n->is_attribute) {
            put(o, "attr:");
            put(o, n->attribute);
            put(o, "=");
        } else {
            put(o, query_field_name(n->field));
            put(o, ":");
        }
        put_value(o, n->value);
        put(o, n->prefix ? "*)" : ")");
        return;
    }
    ck_abort_msg("bad node kind %d", (int)n->kind);
}

static const char *print_query(struct out *o, const struct query *q)
{
    o->len = 0;
    o->buf[0] = '\0';
    print_node(o, query_root(q));
    return o->buf;
}

/* ---- sample things ---- */

static const char *const keys0[] = {"owner", "site", "version", "fw:ver", "q", "star"};
static const char *const vals0[] = {"ota", "Building 7", "1.0", "1.2.3", "a\"b\\c", "x*y"};
static const char *const keys1[] = {"owner", "site", "version"};
static const char *const vals1[] = {"managedintegrations", "Building 12", "2.0"};
static const char *const keys3[] = {"site", "site"};
static const char *const vals3[] = {"", "Building 7"}; /* the first of duplicate keys wins */

static const struct query_thing things[] = {
    {
        .fields =
            {
                [QUERY_FIELD_ID] = "mt-1",
                [QUERY_FIELD_NAME] = "lamp-kitchen",
                [QUERY_FIELD_SERIAL_NUMBER] = "SN-001",
                [QUERY_FIELD_BRAND] = "Acme",
                [QUERY_FIELD_MODEL] = "L100",
                [QUERY_FIELD_OWNER] = "ota",
                [QUERY_FIELD_ROLE] = "DEVICE",
                [QUERY_FIELD_CLASSIFICATION] = "CUSTOMER",
                [QUERY_FIELD_PROVISIONING_STATUS] = "ACTIVATED",
                [QUERY_FIELD_CREDENTIAL_LOCKER] = "cl1",
            },
        .n_meta = NELEM(keys0),
        .meta_keys = keys0,
        .meta_values = vals0,
    },
    {
        .fields =
            {
                [QUERY_FIELD_ID] = "mt-2",
                [QUERY_FIELD_NAME] = "lamp-hall",
                [QUERY_FIELD_SERIAL_NUMBER] = "SN-002",
                [QUERY_FIELD_BRAND] = "Acme",
                [QUERY_FIELD_MODEL] = "L200",
                [QUERY_FIELD_OWNER] = "alice",
                [QUERY_FIELD_ROLE] = "DEVICE",
                [QUERY_FIELD_CLASSIFICATION] = "CUSTOMER",
                [QUERY_FIELD_PROVISIONING_STATUS] = "UNCLAIMED",
                [QUERY_FIELD_PARENT_CONTROLLER] = "mt-9",
            },
        .n_meta = NELEM(keys1),
        .meta_keys = keys1,
        .meta_values = vals1,
    },
    {
        .fields =
            {
                [QUERY_FIELD_ID] = "mt-3",
                [QUERY_FIELD_NAME] = "sensor-1",
                [QUERY_FIELD_BRAND] = "Other",
                [QUERY_FIELD_MODEL] = "S1",
                [QUERY_FIELD_ROLE] = "CONTROLLER",
                [QUERY_FIELD_PROVISIONING_STATUS] = "ACTIVATED",
            },
    },
    {
        .n_meta = NELEM(keys3),
        .meta_keys = keys3,
        .meta_values = vals3,
    },
};

/* ---- valid queries: the AST and the verdict on things[0..3] ('1' = match) ---- */

static const struct {
    const char *query;
    const char *ast;
    const char *match;
} valid[] = {
    {"attributes.owner=ota", "(TERM attr:owner=ota)", "1000"},
    {"attributes.owner:ota", "(TERM attr:owner=ota)", "1000"},
    {"Attributes.owner=managedintegrations", "(TERM attr:owner=managedintegrations)", "0100"},
    {"thingName:lamp*", "(TERM thingName:lamp*)", "1100"},
    {"name:lamp-hall", "(TERM thingName:lamp-hall)", "0100"},
    {"id:mt-3", "(TERM managedThingId:mt-3)", "0010"},
    {"managedThingId:mt", "(TERM managedThingId:mt)", "0000"},
    {"THINGNAME:sensor-1", "(TERM thingName:sensor-1)", "0010"},
    {"thingname:Sensor-1", "(TERM thingName:Sensor-1)", "0000"},
    {"serialNumber:SN-00*", "(TERM serialNumber:SN-00*)", "1100"},
    {"parentControllerId:mt-9", "(TERM parentControllerId:mt-9)", "0100"},
    {"credentialLockerId:cl1", "(TERM credentialLockerId:cl1)", "1000"},
    {"classification:CUSTOMER", "(TERM classification:CUSTOMER)", "1100"},
    {"attributes.owner=ota AND NOT thingName:lamp*",
     "(AND (TERM attr:owner=ota) (NOT (TERM thingName:lamp*)))", "0000"},
    {"brand:Acme model:L100", "(AND (TERM brand:Acme) (TERM model:L100))", "1000"},
    {"brand:Acme OR brand:Other", "(OR (TERM brand:Acme) (TERM brand:Other))", "1110"},
    {"owner:alice OR brand:Acme AND model:L100",
     "(OR (TERM owner:alice) (AND (TERM brand:Acme) (TERM model:L100)))", "1100"},
    {"(owner:alice OR brand:Acme) AND model:L100",
     "(AND (OR (TERM owner:alice) (TERM brand:Acme)) (TERM model:L100))", "1000"},
    {"owner:alice OR brand:Acme model:L100",
     "(OR (TERM owner:alice) (AND (TERM brand:Acme) (TERM model:L100)))", "1100"},
    {"NOT owner:ota", "(NOT (TERM owner:ota))", "0111"},
    {"not Not owner:ota", "(NOT (NOT (TERM owner:ota)))", "1000"},
    {"NOT NOT NOT brand:Acme", "(NOT (NOT (NOT (TERM brand:Acme))))", "0011"},
    {"NOT owner:ota AND brand:Acme", "(AND (NOT (TERM owner:ota)) (TERM brand:Acme))", "0100"},
    {"NOT (owner:ota AND brand:Acme)", "(NOT (AND (TERM owner:ota) (TERM brand:Acme)))", "0111"},
    {"NOT(owner:ota)", "(NOT (TERM owner:ota))", "0111"},
    {"serialNumber:SN-001 and role:DEVICE Or role:CONTROLLER",
     "(OR (AND (TERM serialNumber:SN-001) (TERM role:DEVICE)) (TERM role:CONTROLLER))", "1010"},
    {"brand:Acme AND role:DEVICE AND provisioningStatus:ACTIVATED",
     "(AND (AND (TERM brand:Acme) (TERM role:DEVICE)) (TERM provisioningStatus:ACTIVATED))",
     "1000"},
    {"owner:ota or owner:alice OR brand:Other",
     "(OR (OR (TERM owner:ota) (TERM owner:alice)) (TERM brand:Other))", "1110"},
    {"owner:ota OR (owner:alice OR brand:Other)",
     "(OR (TERM owner:ota) (OR (TERM owner:alice) (TERM brand:Other)))", "1110"},
    {"(((name:lamp-hall)))", "(TERM thingName:lamp-hall)", "0100"},
    {" \t(owner:ota)\r\n", "(TERM owner:ota)", "1000"},
    {"(owner:ota)(owner:alice)", "(AND (TERM owner:ota) (TERM owner:alice))", "0000"},
    {"owner:ota OR(owner:alice)", "(OR (TERM owner:ota) (TERM owner:alice))", "1100"},
    {"attributes.site:\"Building 7\"", "(TERM attr:site=\"Building 7\")", "1000"},
    {"attributes.site=\"Building \"*", "(TERM attr:site=\"Building \"*)", "1100"},
    {"attributes.site:Building*", "(TERM attr:site=Building*)", "1100"},
    {"attributes.site:\"Building 7\" OR attributes.site:\"Building 12\"",
     "(OR (TERM attr:site=\"Building 7\") (TERM attr:site=\"Building 12\"))", "1100"},
    {"attributes.star:\"x*y\"", "(TERM attr:star=\"x*y\")", "1000"},
    {"attributes.star:\"x*\"*", "(TERM attr:star=\"x*\"*)", "1000"},
    {"attributes.star:\"x*\"", "(TERM attr:star=\"x*\")", "0000"},
    {"attributes.q:\"a\\\"b\\\\c\"", "(TERM attr:q=\"a\\\"b\\\\c\")", "1000"},
    {"attributes.fw:ver=1.2.3", "(TERM attr:fw:ver=1.2.3)", "1000"},
    {"attributes.fw:ver", "(TERM attr:fw=ver)", "0000"},
    {"attributes.k=a:b", "(TERM attr:k=a:b)", "0000"},
    {"attributes.k=\"x=y\" attributes.k:\"x=y\"", "(AND (TERM attr:k=x=y) (TERM attr:k=x=y))",
     "0000"},
    {"attributes.a-b_c.d,e@f/g#h=1", "(TERM attr:a-b_c.d,e@f/g#h=1)", "0000"},
    {"attributes.version=1.*", "(TERM attr:version=1.*)", "1000"},
    {"attributes.site:*", "(TERM attr:site=\"\"*)", "1101"},
    {"attributes.site:\"\"*", "(TERM attr:site=\"\"*)", "1101"},
    {"owner:*", "(TERM owner:\"\"*)", "1100"},
    {"NOT attributes.owner:*", "(NOT (TERM attr:owner=\"\"*))", "0011"},
    {"name:AND", "(TERM thingName:AND)", "0000"},
    {"name:a=b", "(TERM thingName:a=b)", "0000"},
    {"name:\"(x)\"", "(TERM thingName:\"(x)\")", "0000"},
    {"name:\"Bâtiment 7\"", "(TERM thingName:\"Bâtiment 7\")", "0000"},
};

START_TEST(test_valid)
{
    struct oerr err = {0};
    struct out o;
    struct query *q = query_parse(valid[_i].query, &err);
    ck_assert_msg(q != NULL, "query %s: %s", valid[_i].query, err.msg);
    ck_assert_str_eq(print_query(&o, q), valid[_i].ast);
    for (size_t t = 0; t < NELEM(things); t++) {
        int want = valid[_i].match[t] == '1';
        ck_assert_msg(query_match(q, &things[t]) == want, "query %s on thing %zu: want %d",
                      valid[_i].query, t, want);
    }
    query_free(q);
}
END_TEST

/* ---- invalid queries and their messages ---- */

#define VALID_FIELDS                                                                               \
    "managedThingId, thingName, serialNumber, brand, model, owner, role, classification, "         \
    "provisioningStatus, credentialLockerId, parentControllerId, attributes.<key>"

static const struct {
    const char *query;
    const char *msg;
} invalid[] = {
    {"", "query is empty"},
    {" \t\n ", "query is empty"},
    {"owner:ota AND", "missing operand after 'AND' at position 11"},
    {"owner:ota OR ", "missing operand after 'OR' at position 11"},
    {"owner:ota NOT", "missing operand after 'NOT' at position 11"},
    {"NOT", "missing operand after 'NOT' at position 1"},
    {"(owner:ota and)", "missing operand after 'and' at position 12"},
    {"NOT )", "missing operand after 'NOT' at position 1"},
    {"AND owner:ota", "unexpected 'AND' at position 1"},
    {"owner:ota or and brand:x", "unexpected 'and' at position 14"},
    {"(owner:ota", "unclosed '(' at position 1"},
    {"((owner:ota) AND (brand:x)", "unclosed '(' at position 1"},
    {"(", "unclosed '(' at position 1"},
    {"owner:ota (", "unclosed '(' at position 11"},
    {"owner:ota)", "unmatched ')' at position 10"},
    {"(owner:ota))", "unmatched ')' at position 12"},
    {")", "unexpected ')' at position 1"},
    {"()", "empty parentheses at position 1"},
    {"owner:ota AND ( )", "empty parentheses at position 15"},
    {"attributes.site:\"Building 7", "unterminated quote at position 17"},
    {"name:\"a\\", "unterminated quote at position 6"},
    {"name:\"a\\nb\"", "invalid escape at position 8 (only \\\" and \\\\ are escapes in quotes)"},
    {"name:", "empty value for 'name' at position 6"},
    {"name:\"\"", "empty value for 'name' at position 6"},
    {"name: lamp", "empty value for 'name' at position 6"},
    {"attributes.owner= AND x:y", "empty value for 'attributes.owner' at position 18"},
    {"(name:)", "empty value for 'name' at position 7"},
    {"colour:red", "unknown field 'colour' at position 1 (valid: " VALID_FIELDS ")"},
    {"owner:ota OR attributes:x",
     "unknown field 'attributes' at position 14 (valid: " VALID_FIELDS ")"},
    {"ANDroid:x OR NOTe:y", "unknown field 'ANDroid' at position 1 (valid: " VALID_FIELDS ")"},
    {"thingName=lamp",
     "'=' at position 10: field 'thingName' takes ':' ('=' is only for attributes.<key>)"},
    {"lamp", "'lamp' at position 1 is not a term (expected <field>:<value> or "
             "attributes.<key>=<value>)"},
    {"owner:ota attributes.owner", "'attributes.owner' at position 11 is not a term (expected "
                                   "<field>:<value> or attributes.<key>=<value>)"},
    {"abcdefghijklmnopqrstuvwxyzabcdefghijkl",
     "'abcdefghijklmnopqrstuvwxyzabcdef...' at position 1 is not a term (expected "
     "<field>:<value> or attributes.<key>=<value>)"},
    {"attributes.=x", "empty attribute key at position 12"},
    {"attributes.ow!ner=x", "invalid character '!' in attribute key at position 14"},
    {"attributes.clé=x", "invalid character 'é' in attribute key at position 14"},
    {"attributes.a*=x", "invalid character '*' in attribute key at position 13"},
    {":x", "missing field name before ':' at position 1"},
    {"=x", "missing field name before '=' at position 1"},
    {"name:la*mp", "'*' at position 8 is only allowed at the end of a value"},
    {"name:a**", "'*' at position 7 is only allowed at the end of a value"},
    {"name:ab\"c\"", "unexpected '\"' at position 8 (quote the whole value)"},
    {"name:\"a\"b", "unexpected 'b' after quoted value at position 9"},
    {"name:\"a\"\"b\"", "unexpected '\"' after quoted value at position 9"},
    {"name:\"a\"**", "unexpected '*' after quoted value at position 10"},
    {"name:\"a\"é", "unexpected 'é' after quoted value at position 9"},
    {"\"lamp\"", "unexpected '\"' at position 1 (only a value can be quoted)"},
    {"name:a\x01", "control character 0x01 at position 7"},
    {"name:\"a\x7f\"", "control character 0x7f at position 8"},
    {"name:é AND", "missing operand after 'AND' at position 8"},
    {"name:\"日本\" OR )", "missing operand after 'OR' at position 11"},
};

START_TEST(test_invalid)
{
    struct oerr err = {0};
    struct query *q = query_parse(invalid[_i].query, &err);
    ck_assert_msg(q == NULL, "query %s parsed", invalid[_i].query);
    ck_assert_int_eq(err.code, OERR_INVALID);
    ck_assert_str_eq(err.msg, invalid[_i].msg);
    /* err may be NULL when the caller does not care */
    ck_assert_ptr_null(query_parse(invalid[_i].query, NULL));
}
END_TEST

/* ---- limits, both sides of each boundary ---- */

/* n terms "name:a OR name:a ..." */
static char *terms(int n)
{
    char *s = xcalloc(1, (size_t)n * 10 + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, "name:a", 6);
    for (int i = 1; i < n; i++)
        memcpy(s + 6 + (size_t)(i - 1) * 10, " OR name:a", 10);
    return s;
}

/* depth nested '(' (or NOT when not_ is set) around one term */
static char *nested(int depth, int not_)
{
    char *s = xcalloc(1, (size_t)depth * 4 + 16);
    ck_assert_ptr_nonnull(s);
    size_t o = 0;
    for (int i = 0; i < depth; i++) {
        memcpy(s + o, not_ ? "NOT " : "(", not_ ? 4 : 1);
        o += not_ ? 4 : 1;
    }
    memcpy(s + o, "name:a", 6);
    o += 6;
    for (int i = 0; i < depth && !not_; i++)
        s[o++] = ')';
    return s;
}

START_TEST(test_limits)
{
    struct oerr err = {0};
    struct query *q;
    struct out o;

    char *s = terms(QUERY_MAX_TERMS);
    q = query_parse(s, &err);
    ck_assert_msg(q != NULL, "%s", err.msg);
    ck_assert_int_eq(query_match(q, &things[0]), 0);
    query_free(q);
    free(s);
    s = terms(QUERY_MAX_TERMS + 1);
    ck_assert_ptr_null(query_parse(s, &err));
    ck_assert_str_eq(err.msg, "more than 64 terms: term at position 641 is one too many");
    free(s);

    s = nested(QUERY_MAX_DEPTH, 0);
    q = query_parse(s, &err);
    ck_assert_msg(q != NULL, "%s", err.msg);
    ck_assert_str_eq(print_query(&o, q), "(TERM thingName:a)");
    query_free(q);
    free(s);
    s = nested(QUERY_MAX_DEPTH + 1, 0);
    ck_assert_ptr_null(query_parse(s, &err));
    ck_assert_str_eq(err.msg, "query is nested deeper than 32 levels at position 33");
    free(s);

    s = nested(QUERY_MAX_DEPTH, 1);
    q = query_parse(s, &err);
    ck_assert_msg(q != NULL, "%s", err.msg);
    ck_assert_int_eq(query_match(q, &things[2]), 0); /* an even number of NOTs */
    query_free(q);
    free(s);
    s = nested(QUERY_MAX_DEPTH + 1, 1);
    ck_assert_ptr_null(query_parse(s, &err));
    ck_assert_str_eq(err.msg, "query is nested deeper than 32 levels at position 129");
    free(s);

    /* parentheses and NOT add up */
    char mixed[256] = "";
    size_t o2 = 0;
    for (int i = 0; i < QUERY_MAX_DEPTH / 2; i++, o2 += 5)
        memcpy(mixed + o2, "NOT (", 5);
    memcpy(mixed + o2, "name:a))))))))))))))))", 23); /* 16 ')' */
    q = query_parse(mixed, &err);
    ck_assert_msg(q != NULL, "%s", err.msg);
    ck_assert_int_eq(query_match(q, &things[0]), 0); /* 16 NOTs */
    query_free(q);
    memcpy(mixed + o2, "NOT name:a))))))))))))))))", 27);
    ck_assert_ptr_null(query_parse(mixed, &err));
    ck_assert_str_eq(err.msg, "query is nested deeper than 32 levels at position 81");

    s = xcalloc(1, QUERY_MAX_LEN + 2);
    ck_assert_ptr_nonnull(s);
    memcpy(s, "name:", 5);
    memset(s + 5, 'x', QUERY_MAX_LEN - 5);
    q = query_parse(s, &err);
    ck_assert_msg(q != NULL, "%s", err.msg);
    ck_assert_uint_eq(strlen(query_root(q)->value), QUERY_MAX_LEN - 5);
    query_free(q);
    s[QUERY_MAX_LEN] = 'x';
    ck_assert_ptr_null(query_parse(s, &err));
    ck_assert_str_eq(err.msg, "query is longer than 4096 bytes");
    free(s);

    char key[256];
    snprintf(key, sizeof key, "attributes.%0128d=1", 0);
    q = query_parse(key, &err);
    ck_assert_msg(q != NULL, "%s", err.msg);
    ck_assert_uint_eq(strlen(query_root(q)->attribute), 128);
    query_free(q);
    snprintf(key, sizeof key, "attributes.%0129d=1", 0);
    ck_assert_ptr_null(query_parse(key, &err));
    ck_assert_str_eq(err.msg, "attribute key at position 12 is longer than 128 characters");
}
END_TEST

/* ---- the rest of the API ---- */

START_TEST(test_api)
{
    static const char *const names[QUERY_FIELD_MAX] = {
        "managedThingId",
        "thingName",
        "serialNumber",
        "brand",
        "model",
        "owner",
        "role",
        "classification",
        "provisioningStatus",
        "credentialLockerId",
        "parentControllerId",
    };
    struct oerr err = {0};
    struct out o;
    for (int f = 0; f < QUERY_FIELD_MAX; f++) {
        ck_assert_str_eq(query_field_name((enum query_field)f), names[f]);
        /* every canonical name parses, in any case, to its own field */
        char text[64] = "", upper[64] = "";
        snprintf(text, sizeof text, "%s:v", names[f]);
        for (size_t i = 0; i < sizeof upper; i++)
            upper[i] = (char)(text[i] >= 'a' && text[i] <= 'z' ? text[i] - 32 : text[i]);
        for (int u = 0; u < 2; u++) {
            struct query *q = query_parse(u ? upper : text, &err);
            ck_assert_msg(q != NULL, "%s", err.msg);
            ck_assert_int_eq(query_root(q)->is_attribute, 0);
            ck_assert_int_eq(query_root(q)->field, f);
            query_free(q);
        }
    }
    ck_assert_str_eq(query_field_name(QUERY_FIELD_MAX), "unknown");
    query_free(NULL);

    /* NULL text is the empty query */
    ck_assert_ptr_null(query_parse(NULL, &err));
    ck_assert_str_eq(err.msg, "query is empty");

    /* meta entries with a NULL key are skipped; a NULL value never matches */
    static const char *const k[] = {NULL, "owner", "site"};
    static const char *const v[] = {"ota", "ota", NULL};
    struct query_thing t = {.n_meta = 3, .meta_keys = k, .meta_values = v};
    struct query *q = query_parse("attributes.owner=ota", &err);
    ck_assert_ptr_nonnull(q);
    ck_assert_int_eq(query_match(q, &t), 1);
    t.n_meta = 1; /* only the NULL key is looked at */
    ck_assert_int_eq(query_match(q, &t), 0);
    query_free(q);
    q = query_parse("attributes.site:*", &err);
    ck_assert_ptr_nonnull(q);
    t.n_meta = 3;
    ck_assert_int_eq(query_match(q, &t), 0);
    query_free(q);

    /* the input is not retained: the AST owns its strings */
    char text[] = "attributes.owner=ota OR name:\"la mp\"*";
    q = query_parse(text, &err);
    ck_assert_ptr_nonnull(q);
    memset(text, 'z', sizeof text - 1);
    ck_assert_str_eq(print_query(&o, q), "(OR (TERM attr:owner=ota) (TERM thingName:\"la mp\"*))");
    query_free(q);
}
END_TEST

static Suite *query_suite(void)
{
    Suite *s = suite_create("query");
    TCase *tc = tcase_create("valid");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_valid, 0, (int)NELEM(valid));
    suite_add_tcase(s, tc);
    tc = tcase_create("invalid");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_invalid, 0, (int)NELEM(invalid));
    suite_add_tcase(s, tc);
    tc = tcase_create("limits");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_limits);
    suite_add_tcase(s, tc);
    tc = tcase_create("api");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_api);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(query_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
