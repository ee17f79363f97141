/*
 * libFuzzer harness of engine/query: the input is a query text. Checked on every input:
 *   - a rejection is OERR_INVALID with a lowercase message without a trailing period, and
 *     any "position N" in it lies within the text (1 .. characters + 1);
 *   - an accepted query has a well-formed AST (operand arity, known fields, MetaData keys,
 *     no empty exact value, at most QUERY_MAX_TERMS terms);
 *   - query_match agrees with an independent evaluator on a few sample things;
 *   - the AST printed back as query text (fewest parentheses, quotes only where needed)
 *     parses to the same AST, and printing that again gives the same text.
 * Nothing survives an iteration: every allocation is freed before returning.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mem.h"
#include "engine/oerr.h"
#include "engine/query.h"

/* assert() is compiled out in release builds; this is not. */
#define CHECK(e)                                                                                   \
    do {                                                                                           \
        if (!(e)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #e);                  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys_a[] = {"owner", "site", "fw:ver", "a", ""};
static const char *const vals_a[] = {"ota", "Building 7", "1.2.3", "*", ""};
static const char *const keys_b[] = {"owner", NULL, "site"};
static const char *const vals_b[] = {"alice", "x", NULL};

static const struct query_thing things[] = {
    {
        .fields = {"mt-1", "lamp-kitchen", "SN-001", "Acme", "L100", "ota", "DEVICE", "CUSTOMER",
                   "ACTIVATED", "cl1", NULL},
        .n_meta = 5,
        .meta_keys = keys_a,
        .meta_values = vals_a,
    },
    {
        .fields = {"a", "a", "", "AND", "\"", "*", "a b", "(", ")", "\\", "mt-1"},
        .n_meta = 3,
        .meta_keys = keys_b,
        .meta_values = vals_b,
    },
    {.fields = {NULL}},
};

/* ---- the independent evaluator ---- */

static const char *lookup(const struct query_node *n, const struct query_thing *t)
{
    if (!n->is_attribute)
        return t->fields[n->field];
    for (size_t i = 0; i < t->n_meta; i++) {
        if (t->meta_keys[i] != NULL && strcmp(t->meta_keys[i], n->attribute) == 0)
            return t->meta_values[i];
    }
    return NULL;
}

static int eval(const struct query_node *n, const struct query_thing *t)
{
    const char *s;
    switch (n->kind) {
    case QUERY_AND:
        return eval(n->left, t) & eval(n->right, t);
    case QUERY_OR:
        return eval(n->left, t) | eval(n->right, t);
    case QUERY_NOT:
        return !eval(n->left, t);
    case QUERY_TERM:
        s = lookup(n, t);
        if (s == NULL)
            return 0;
        if (n->prefix)
            return strlen(s) >= strlen(n->value) && memcmp(s, n->value, strlen(n->value)) == 0;
        return strcmp(s, n->value) == 0;
    }
    CHECK(0);
    return 0;
}

/* ---- AST shape ---- */

static int is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("_.,@/:#-", c) != NULL);
}

static void check_node(const struct query_node *n, int *terms, int level)
{
    CHECK(n != NULL);
    CHECK(level <= 2 * (QUERY_MAX_TERMS + QUERY_MAX_DEPTH));
    switch (n->kind) {
    case QUERY_AND:
    case QUERY_OR:
        CHECK(n->left != NULL && n->right != NULL);
        check_node(n->left, terms, level + 1);
        check_node(n->right, terms, level + 1);
        return;
    case QUERY_NOT:
        CHECK(n->left != NULL && n->right == NULL);
        check_node(n->left, terms, level + 1);
        return;
    case QUERY_TERM:
        (*terms)++;
        CHECK(n->value != NULL);
        CHECK(n->prefix == 0 || n->prefix == 1);
        CHECK(n->prefix || n->value[0] != '\0');
        if (n->is_attribute) {
            CHECK(n->is_attribute == 1);
            size_t len = strlen(n->attribute);
            CHECK(len >= 1 && len <= 128);
            for (size_t i = 0; i < len; i++)
                CHECK(is_key_char(n->attribute[i]));
        } else {
            CHECK((int)n->field >= 0 && n->field < QUERY_FIELD_MAX);
        }
        for (const char *c = n->value; *c != '\0'; c++)
            CHECK((unsigned char)*c >= 0x20 || *c == '\t' || *c == '\n' || *c == '\r');
        return;
    }
    CHECK(0);
}

static int same(const struct query_node *a, const struct query_node *b)
{
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case QUERY_AND:
    case QUERY_OR:
        return same(a->left, b->left) && same(a->right, b->right);
    case QUERY_NOT:
        return same(a->left, b->left);
    case QUERY_TERM:
        if (a->is_attribute != b->is_attribute || a->prefix != b->prefix ||
            strcmp(a->value, b->value) != 0)
            return 0;
        return a->is_attribute ? strcmp(a->attribute, b->attribute) == 0 : a->field == b->field;
    }
    return 0;
}

/* ---- printing back ---- */

struct buf {
    char *s;
    size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static int prec(const struct query_node *n)
{
    switch (n->kind) {
    case QUERY_OR:
        return 1;
    case QUERY_AND:
        return 2;
    case QUERY_NOT:
        return 3;
    case QUERY_TERM:
        break;
    }
    return 4;
}

static void print(struct buf *b, const struct query_node *n);

static void print_paren(struct buf *b, const struct query_node *n, int parens)
{
    if (parens)
        puts_(b, "(");
    print(b, n);
    if (parens)
        puts_(b, ")");
}

static void print(struct buf *b, const struct query_node *n)
{
    switch (n->kind) {
    case QUERY_AND:
    case QUERY_OR:
        /* left-associative: a right operand of the same precedence needs parentheses */
        print_paren(b, n->left, prec(n->left) < prec(n));
        puts_(b, n->kind == QUERY_AND ? " AND " : " OR ");
        print_paren(b, n->right, prec(n->right) <= prec(n));
        return;
    case QUERY_NOT:
        puts_(b, "NOT ");
        print_paren(b, n->left, prec(n->left) < prec(n));
        return;
    case QUERY_TERM:
        break;
    }
    if (n->is_attribute) {
        puts_(b, "attributes.");
        puts_(b, n->attribute);
        puts_(b, "=");
    } else {
        puts_(b, query_field_name(n->field));
        puts_(b, ":");
    }
    const char *v = n->value;
    if (strpbrk(v, " \t\r\n()\"\\*") == NULL && (v[0] != '\0' || n->prefix)) {
        puts_(b, v);
    } else {
        puts_(b, "\"");
        for (; *v != '\0'; v++) {
            if (*v == '"' || *v == '\\')
                puts_(b, "\\");
            put(b, v, 1);
        }
        puts_(b, "\"");
    }
    if (n->prefix)
        puts_(b, "*");
}

/* ---- messages ---- */

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xC0u) != 0x80u;
    return n;
}

static void check_error(const struct oerr *err, const char *text)
{
    CHECK(err->code == OERR_INVALID);
    size_t len = strlen(err->msg);
    CHECK(len > 0);
    CHECK(!(err->msg[0] >= 'A' && err->msg[0] <= 'Z'));
    CHECK(err->msg[len - 1] != '.');
    const char *p = strstr(err->msg, "at position ");
    if (p == NULL) {
        CHECK(strcmp(err->msg, "query is empty") == 0 ||
              strncmp(err->msg, "query is longer than", 20) == 0);
        return;
    }
    char *end;
    long pos = strtol(p + 12, &end, 10);
    CHECK(end != p + 12);
    CHECK(pos >= 1 && (size_t)pos <= chars(text) + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct oerr err = {0};
    struct buf b1 = {0}, b2 = {0};
    struct query *q2 = NULL;

    struct query *q = query_parse(text, &err);
    if (q == NULL) {
        check_error(&err, text);
        goto done;
    }
    const struct query_node *root = query_root(q);
    int terms = 0;
    check_node(root, &terms, 0);
    CHECK(terms >= 1 && terms <= QUERY_MAX_TERMS);
    for (size_t i = 0; i < sizeof things / sizeof things[0]; i++) {
        int m = query_match(q, &things[i]);
        CHECK(m == 0 || m == 1);
        CHECK(m == eval(root, &things[i]));
    }

    print(&b1, root);
    if (b1.len > QUERY_MAX_LEN)
        goto done; /* quoting can lengthen a query past the limit */
    q2 = query_parse(b1.s, &err);
    if (q2 == NULL) {
        fprintf(stderr, "printed query %s does not parse: %s\n", b1.s, err.msg);
        CHECK(0);
    }
    CHECK(same(root, query_root(q2)));
    print(&b2, query_root(q2));
    CHECK(strcmp(b1.s, b2.s) == 0);

done:
    query_free(q2);
    query_free(q);
    free(b1.s);
    free(b2.s);
    free(text);
    return 0;
}
