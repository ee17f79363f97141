/*
 * query: parser and evaluator of the target query language (SPEC.md section 9).
 *
 * A hand-written lexer with one token of lookahead feeds a recursive-descent parser that
 * builds a binary AST in one arena owned by the query; query_free() releases it at once.
 * Rules beyond the grammar of query.h:
 *   - whitespace is space, tab, CR and LF; any other control character is an error;
 *   - a word is a maximal run of characters other than whitespace, '(', ')' and '"'; the words
 *     AND, OR and NOT (any case) are operators, every other word starts a term;
 *   - attributes.<key>: the key runs up to the first '=' of the word or, if the word has none,
 *     up to its first ':' ("attributes.a:b=c" has key "a:b", "attributes.a:b" has key "a");
 *     a key is 1..128 MetaData characters [A-Za-z0-9_.,@/:#-];
 *   - a bare value runs to the end of its word; '*' may only end it (prefix match); the value
 *     "*" alone matches any thing on which the field or key is set;
 *   - a quoted value may hold anything but control characters, with \" and \\ as its only
 *     escapes; a '*' inside the quotes is literal, a '*' right after the closing quote makes
 *     it a prefix match; an empty value ("" or nothing) is an error;
 *   - the nesting depth counts '(' and NOT; AND and OR associate to the left, so
 *     "a AND b AND c" is (AND (AND a b) c);
 *   - positions in messages are 1-based and count UTF-8 characters, not bytes.
 */
#include "engine/query.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/arena.h"

#define ATTR_PREFIX     "attributes."
#define ATTR_PREFIX_LEN (sizeof ATTR_PREFIX - 1)
#define KEY_MAX         128
#define SNIPPET_MAX     32

/* A term node with what the matcher wants precomputed; pub first so that the AST's
 * query_node pointers are node pointers. */
struct node {
    struct query_node pub;
    size_t value_len;
};

struct query {
    struct arena *arena; /* holds this struct, every node and every string */
    const struct query_node *root;
};

enum tok_kind { TOK_END = 0, TOK_LPAREN, TOK_RPAREN, TOK_AND, TOK_OR, TOK_NOT, TOK_TERM };

struct token {
    enum tok_kind kind;
    size_t off;        /* byte offset of the first character */
    size_t len;        /* bytes */
    struct node *term; /* TOK_TERM */
};

struct parser {
    const char *text; /* NUL-terminated, len bytes */
    size_t len;
    size_t off; /* where the lexer resumes */
    struct arena *arena;
    struct oerr *err;
    struct token tok;  /* lookahead */
    struct token prev; /* last consumed token; TOK_END before the first */
    int depth;
    int terms;
};

static const char *const field_canonical[QUERY_FIELD_MAX] = {
    [QUERY_FIELD_ID] = "managedThingId",
    [QUERY_FIELD_NAME] = "thingName",
    [QUERY_FIELD_SERIAL_NUMBER] = "serialNumber",
    [QUERY_FIELD_BRAND] = "brand",
    [QUERY_FIELD_MODEL] = "model",
    [QUERY_FIELD_OWNER] = "owner",
    [QUERY_FIELD_ROLE] = "role",
    [QUERY_FIELD_CLASSIFICATION] = "classification",
    [QUERY_FIELD_PROVISIONING_STATUS] = "provisioningStatus",
    [QUERY_FIELD_CREDENTIAL_LOCKER] = "credentialLockerId",
    [QUERY_FIELD_PARENT_CONTROLLER] = "parentControllerId",
};

static const struct {
    const char *name;
    enum query_field field;
} field_aliases[] = {
    {"id", QUERY_FIELD_ID},
    {"name", QUERY_FIELD_NAME},
};

const char *query_field_name(enum query_field f)
{
    if ((int)f < 0 || f >= QUERY_FIELD_MAX)
        return "unknown";
    return field_canonical[f];
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The characters that end a word (text is NUL-terminated, so '\0' ends the last one). */
static int ends_word(char c)
{
    return c == '\0' || is_space(c) || c == '(' || c == ')' || c == '"';
}

static int is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("_.,@/:#-", c) != NULL;
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* 1 if the n bytes at w equal the NUL-terminated word, ignoring ASCII case. */
static int word_is(const char *w, size_t n, const char *word)
{
    if (strlen(word) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower(w[i]) != ascii_lower(word[i]))
            return 0;
    }
    return 1;
}

static int is_continuation(char c)
{
    return ((unsigned char)c & 0xC0u) == 0x80u;
}

/* The 1-based character position of byte offset off. */
static size_t pos(const struct parser *p, size_t off)
{
    size_t n = 1;
    for (size_t i = 0; i < off; i++) {
        if (!is_continuation(p->text[i]))
            n++;
    }
    return n;
}

/* Copy at most SNIPPET_MAX bytes of s[0..n) into out, cut at a character boundary, with "..."
 * when shortened; for quoting user text in messages. */
static void snip(const char *s, size_t n, char *out, size_t out_size)
{
    size_t keep = n;
    if (keep > SNIPPET_MAX) {
        keep = SNIPPET_MAX;
        while (keep > 0 && is_continuation(s[keep]))
            keep--;
    }
    snprintf(out, out_size, "%.*s%s", (int)keep, s, keep < n ? "..." : "");
}

/* The bytes of the UTF-8 character at s (at least 1, never past a NUL). */
static size_t char_len(const char *s)
{
    size_t n = 1;
    while (n < 4 && s[n] != '\0' && is_continuation(s[n]))
        n++;
    return n;
}

/* Fill p->err with a syntax error; returns -1. */
static int bad(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    oerr_vset(p->err, OERR_INVALID, fmt, ap);
    va_end(ap);
    return -1;
}

static int bad_not_term(struct parser *p, size_t start, size_t end)
{
    char w[SNIPPET_MAX + 4];
    snip(p->text + start, end - start, w, sizeof w);
    return bad(p,
               "'%s' at position %zu is not a term (expected <field>:<value> or "
               "attributes.<key>=<value>)",
               w, pos(p, start));
}

static int bad_unknown_field(struct parser *p, size_t start, size_t end)
{
    char w[SNIPPET_MAX + 4];
    char valid[256];
    size_t o = 0;
    snip(p->text + start, end - start, w, sizeof w);
    for (int f = 0; f < QUERY_FIELD_MAX; f++) {
        int n = snprintf(valid + o, sizeof valid - o, "%s, ", field_canonical[f]);
        if (n > 0)
            o += (size_t)n;
    }
    snprintf(valid + o, sizeof valid - o, "%s<key>", ATTR_PREFIX);
    return bad(p, "unknown field '%s' at position %zu (valid: %s)", w, pos(p, start), valid);
}

/* Offset of the first c in text[from..to), or to. */
static size_t find(const char *text, size_t from, size_t to, char c)
{
    for (size_t i = from; i < to; i++) {
        if (text[i] == c)
            return i;
    }
    return to;
}

/* The value of term t starting at vs; the term's word ends at end and its name is
 * text[name..sep). Leaves p->off after the value. */
static int lex_value(struct parser *p, struct node *t, size_t name, size_t sep, size_t end)
{
    const char *text = p->text;
    size_t vs = sep + 1;
    char nm[SNIPPET_MAX + 4];
    snip(text + name, sep - name, nm, sizeof nm);

    if (text[vs] == '"') {
        char *buf = arena_alloc(p->arena, p->len - vs); /* content + NUL fit */
        size_t n = 0;
        size_t i = vs + 1;
        for (;;) {
            char c = text[i];
            if (c == '\0')
                return bad(p, "unterminated quote at position %zu", pos(p, vs));
            if (c == '"')
                break;
            if (c == '\\') {
                char e = text[i + 1];
                if (e == '\0')
                    return bad(p, "unterminated quote at position %zu", pos(p, vs));
                if (e != '"' && e != '\\')
                    return bad(p,
                               "invalid escape at position %zu (only \\\" and \\\\ are escapes "
                               "in quotes)",
                               pos(p, i));
                buf[n++] = e;
                i += 2;
                continue;
            }
            buf[n++] = c;
            i++;
        }
        buf[n] = '\0';
        i++; /* the closing quote */
        if (text[i] == '*') {
            t->pub.prefix = 1;
            i++;
        }
        if (!ends_word(text[i]) || text[i] == '"') {
            char c[8];
            snip(text + i, char_len(text + i), c, sizeof c);
            return bad(p, "unexpected '%s' after quoted value at position %zu", c, pos(p, i));
        }
        if (n == 0 && !t->pub.prefix)
            return bad(p, "empty value for '%s' at position %zu", nm, pos(p, vs));
        t->pub.value = buf;
        t->value_len = n;
        p->off = i;
        return 0;
    }

    if (vs == end)
        return bad(p, "empty value for '%s' at position %zu", nm, pos(p, vs));
    if (text[end] == '"')
        return bad(p, "unexpected '\"' at position %zu (quote the whole value)", pos(p, end));
    for (size_t i = vs; i + 1 < end; i++) {
        if (text[i] == '*')
            return bad(p, "'*' at position %zu is only allowed at the end of a value", pos(p, i));
    }
    size_t n = end - vs;
    if (text[end - 1] == '*') {
        t->pub.prefix = 1;
        n--;
    }
    t->pub.value = arena_strndup(p->arena, text + vs, n);
    t->value_len = n;
    p->off = end;
    return 0;
}

/* A term whose word is text[p->off..end). */
static int lex_term(struct parser *p, size_t end)
{
    const char *text = p->text;
    size_t start = p->off;
    size_t sep;
    struct node *t = arena_calloc(p->arena, 1, sizeof *t);
    t->pub.kind = QUERY_TERM;

    if (end - start >= ATTR_PREFIX_LEN && word_is(text + start, ATTR_PREFIX_LEN, ATTR_PREFIX)) {
        size_t ks = start + ATTR_PREFIX_LEN;
        sep = find(text, ks, end, '=');
        if (sep == end)
            sep = find(text, ks, end, ':');
        if (sep == end)
            return bad_not_term(p, start, end);
        if (sep == ks)
            return bad(p, "empty attribute key at position %zu", pos(p, ks));
        if (sep - ks > KEY_MAX)
            return bad(p, "attribute key at position %zu is longer than %d characters", pos(p, ks),
                       KEY_MAX);
        for (size_t i = ks; i < sep; i++) {
            if (!is_key_char(text[i])) {
                char c[8];
                snip(text + i, char_len(text + i), c, sizeof c);
                return bad(p, "invalid character '%s' in attribute key at position %zu", c,
                           pos(p, i));
            }
        }
        t->pub.is_attribute = 1;
        t->pub.attribute = arena_strndup(p->arena, text + ks, sep - ks);
    } else {
        sep = start;
        while (sep < end && text[sep] != ':' && text[sep] != '=')
            sep++;
        if (sep == end)
            return bad_not_term(p, start, end);
        if (sep == start)
            return bad(p, "missing field name before '%c' at position %zu", text[sep], pos(p, sep));
        int field = -1;
        for (int f = 0; f < QUERY_FIELD_MAX && field < 0; f++) {
            if (word_is(text + start, sep - start, field_canonical[f]))
                field = f;
        }
        for (size_t i = 0; i < sizeof field_aliases / sizeof field_aliases[0] && field < 0; i++) {
            if (word_is(text + start, sep - start, field_aliases[i].name))
                field = (int)field_aliases[i].field;
        }
        if (field < 0)
            return bad_unknown_field(p, start, sep);
        if (text[sep] == '=')
            return bad(p,
                       "'=' at position %zu: field '%s' takes ':' ('=' is only for "
                       "attributes.<key>)",
                       pos(p, sep), field_canonical[field]);
        t->pub.field = (enum query_field)field;
    }
    if (lex_value(p, t, start, sep, end) < 0)
        return -1;
    p->tok.kind = TOK_TERM;
    p->tok.len = p->off - start;
    p->tok.term = t;
    return 0;
}

/* Consume the lookahead and lex the next token into p->tok. */
static int advance(struct parser *p)
{
    const char *text = p->text;
    p->prev = p->tok;
    while (is_space(text[p->off]))
        p->off++;
    struct token *t = &p->tok;
    t->off = p->off;
    t->len = 1;
    t->term = NULL;
    switch (text[p->off]) {
    case '\0':
        t->kind = TOK_END;
        t->len = 0;
        return 0;
    case '(':
        t->kind = TOK_LPAREN;
        p->off++;
        return 0;
    case ')':
        t->kind = TOK_RPAREN;
        p->off++;
        return 0;
    case '"':
        return bad(p, "unexpected '\"' at position %zu (only a value can be quoted)",
                   pos(p, p->off));
    default:
        break;
    }
    size_t end = p->off;
    while (!ends_word(text[end]))
        end++;
    size_t n = end - p->off;
    if (word_is(text + p->off, n, "AND"))
        t->kind = TOK_AND;
    else if (word_is(text + p->off, n, "OR"))
        t->kind = TOK_OR;
    else if (word_is(text + p->off, n, "NOT"))
        t->kind = TOK_NOT;
    else
        return lex_term(p, end);
    t->len = n;
    p->off = end;
    return 0;
}

static const struct query_node *mk(struct parser *p, enum query_kind kind,
                                   const struct query_node *left, const struct query_node *right)
{
    struct node *n = arena_calloc(p->arena, 1, sizeof *n);
    n->pub.kind = kind;
    n->pub.left = left;
    n->pub.right = right;
    return &n->pub;
}

static const struct query_node *parse_or(struct parser *p);

static const struct query_node *parse_unary(struct parser *p)
{
    const struct token tok = p->tok;
    const struct query_node *n = NULL;
    switch (tok.kind) {
    case TOK_TERM:
        if (p->terms == QUERY_MAX_TERMS) {
            bad(p, "more than %d terms: term at position %zu is one too many", QUERY_MAX_TERMS,
                pos(p, tok.off));
            return NULL;
        }
        p->terms++;
        if (advance(p) < 0)
            return NULL;
        return &tok.term->pub;
    case TOK_NOT:
    case TOK_LPAREN:
        if (p->depth == QUERY_MAX_DEPTH) {
            bad(p, "query is nested deeper than %d levels at position %zu", QUERY_MAX_DEPTH,
                pos(p, tok.off));
            return NULL;
        }
        p->depth++;
        if (advance(p) < 0)
            return NULL;
        if (tok.kind == TOK_NOT) {
            n = parse_unary(p);
            if (n == NULL)
                return NULL;
            n = mk(p, QUERY_NOT, n, NULL);
        } else {
            if (p->tok.kind == TOK_RPAREN) {
                bad(p, "empty parentheses at position %zu", pos(p, tok.off));
                return NULL;
            }
            n = parse_or(p);
            if (n == NULL)
                return NULL;
            if (p->tok.kind != TOK_RPAREN) {
                bad(p, "unclosed '(' at position %zu", pos(p, tok.off));
                return NULL;
            }
            if (advance(p) < 0)
                return NULL;
        }
        p->depth--;
        return n;
    case TOK_END:
    case TOK_RPAREN:
        if (p->prev.kind == TOK_END && tok.kind == TOK_END) {
            bad(p, "query is empty");
            return NULL;
        }
        if (p->prev.kind == TOK_AND || p->prev.kind == TOK_OR || p->prev.kind == TOK_NOT) {
            bad(p, "missing operand after '%.*s' at position %zu", (int)p->prev.len,
                p->text + p->prev.off, pos(p, p->prev.off));
            return NULL;
        }
        if (p->prev.kind == TOK_LPAREN && tok.kind == TOK_END) {
            bad(p, "unclosed '(' at position %zu", pos(p, p->prev.off));
            return NULL;
        }
        break;
    case TOK_AND:
    case TOK_OR:
        break;
    }
    if (tok.kind == TOK_END) {
        bad(p, "unexpected end of query at position %zu", pos(p, tok.off));
        return NULL;
    }
    bad(p, "unexpected '%.*s' at position %zu", (int)tok.len, p->text + tok.off, pos(p, tok.off));
    return NULL;
}

static const struct query_node *parse_and(struct parser *p)
{
    const struct query_node *left = parse_unary(p);
    while (left != NULL) {
        enum tok_kind k = p->tok.kind;
        if (k == TOK_AND) {
            if (advance(p) < 0)
                return NULL;
        } else if (k != TOK_TERM && k != TOK_NOT && k != TOK_LPAREN) {
            break;
        }
        const struct query_node *right = parse_unary(p);
        if (right == NULL)
            return NULL;
        left = mk(p, QUERY_AND, left, right);
    }
    return left;
}

static const struct query_node *parse_or(struct parser *p)
{
    const struct query_node *left = parse_and(p);
    while (left != NULL && p->tok.kind == TOK_OR) {
        if (advance(p) < 0)
            return NULL;
        const struct query_node *right = parse_and(p);
        if (right == NULL)
            return NULL;
        left = mk(p, QUERY_OR, left, right);
    }
    return left;
}

struct query *query_parse(const char *text, struct oerr *err)
{
    struct parser p;
    memset(&p, 0, sizeof p);
    if (text == NULL)
        text = "";
    size_t len = strnlen(text, QUERY_MAX_LEN + 1);
    if (len > QUERY_MAX_LEN) {
        oerr_set(err, OERR_INVALID, "query is longer than %d bytes", QUERY_MAX_LEN);
        return NULL;
    }
    p.text = text;
    p.len = len;
    p.err = err;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c < 0x20 && !is_space(text[i])) || c == 0x7f) {
            bad(&p, "control character 0x%02x at position %zu", c, pos(&p, i));
            return NULL;
        }
    }

    p.arena = arena_new(1024 + 2 * len);
    struct query *q = arena_calloc(p.arena, 1, sizeof *q);
    q->arena = p.arena;
    if (advance(&p) < 0)
        goto fail;
    q->root = parse_or(&p);
    if (q->root == NULL)
        goto fail;
    if (p.tok.kind != TOK_END) {
        /* parse_or stops only at the end or at a ')' */
        bad(&p, "unmatched ')' at position %zu", pos(&p, p.tok.off));
        goto fail;
    }
    return q;

fail:
    arena_free(p.arena);
    return NULL;
}

void query_free(struct query *q)
{
    if (q == NULL)
        return;
    arena_free(q->arena); /* q lives in its own arena */
}

const struct query_node *query_root(const struct query *q)
{
    return q->root;
}

static int term_match(const struct node *n, const struct query_thing *t)
{
    const char *s = NULL;
    if (n->pub.is_attribute) {
        for (size_t i = 0; i < t->n_meta; i++) {
            if (t->meta_keys[i] != NULL && strcmp(t->meta_keys[i], n->pub.attribute) == 0) {
                s = t->meta_values[i];
                break;
            }
        }
    } else {
        s = t->fields[n->pub.field];
    }
    if (s == NULL)
        return 0;
    if (n->pub.prefix)
        return strncmp(s, n->pub.value, n->value_len) == 0;
    return strcmp(s, n->pub.value) == 0;
}

static int eval(const struct query_node *n, const struct query_thing *t)
{
    switch (n->kind) {
    case QUERY_AND:
        return eval(n->left, t) && eval(n->right, t);
    case QUERY_OR:
        return eval(n->left, t) || eval(n->right, t);
    case QUERY_NOT:
        return !eval(n->left, t);
    case QUERY_TERM:
        return term_match((const struct node *)n, t);
    }
    return 0;
}

int query_match(const struct query *q, const struct query_thing *t)
{
    return eval(q->root, t);
}
