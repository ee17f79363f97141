/*
 * querysql: a recursive walk of the query AST that appends SQL text to a growing buffer and
 * collects the parameter values in order. The text holds nothing from the input: fields map to
 * fixed column expressions, values and keys become $n.
 */
#include "store/querysql.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mem.h"

/* Parameter numbers beyond this are refused (PostgreSQL allows 65535 in all). */
#define MAX_PARAM 60000

struct buf {
    char *s;
    size_t len, cap;
    const char **params;
    size_t nparams, pcap;
    int next; /* number of the next parameter */
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            mem_oom(0);
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        b->cap = (b->cap + (size_t)n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
}

/* Add a parameter value; returns its number. */
static int param(struct buf *b, const char *value)
{
    if (b->nparams == b->pcap) {
        b->pcap = b->pcap == 0 ? 8 : b->pcap * 2;
        b->params = xreallocarray(b->params, b->pcap, sizeof *b->params);
    }
    b->params[b->nparams++] = value;
    return b->next++;
}

const char *querysql_column(enum query_field f)
{
    switch (f) {
    case QUERY_FIELD_ID:
        return "id";
    case QUERY_FIELD_NAME:
        return "name";
    case QUERY_FIELD_SERIAL_NUMBER:
        return "serial_number";
    case QUERY_FIELD_BRAND:
        return "(doc ->> 'Brand')";
    case QUERY_FIELD_MODEL:
        return "(doc ->> 'Model')";
    case QUERY_FIELD_OWNER:
        return "owner";
    case QUERY_FIELD_ROLE:
        return "role";
    case QUERY_FIELD_CLASSIFICATION:
        return "(doc ->> 'Classification')";
    case QUERY_FIELD_PROVISIONING_STATUS:
        return "provisioning_status";
    case QUERY_FIELD_CREDENTIAL_LOCKER:
        return "credential_locker_id";
    case QUERY_FIELD_PARENT_CONTROLLER:
        return "parent_controller_id";
    case QUERY_FIELD_MAX:
        break;
    }
    return NULL;
}

/* The column of f qualified with alias: "th.owner", "(th.doc ->> 'Brand')". */
static void put_column(struct buf *b, enum query_field f, const char *alias)
{
    const char *col = querysql_column(f);
    if (alias == NULL) {
        put(b, "%s", col);
        return;
    }
    if (col[0] == '(')
        put(b, "(%s.%s", alias, col + 1);
    else
        put(b, "%s.%s", alias, col);
}

static void term(struct buf *b, const struct query_node *n, const char *alias)
{
    put(b, "coalesce(");
    if (n->prefix)
        put(b, "starts_with(");
    if (n->is_attribute) {
        int key = param(b, n->attribute);
        put(b, "(%s%smetadata ->> $%d::text)", alias != NULL ? alias : "", alias != NULL ? "." : "",
            key);
    } else {
        put_column(b, n->field, alias);
    }
    int value = param(b, n->value);
    if (n->prefix)
        put(b, ", $%d::text)", value);
    else
        put(b, " = $%d::text", value);
    put(b, ", false)");
}

static void node(struct buf *b, const struct query_node *n, const char *alias)
{
    switch (n->kind) {
    case QUERY_AND:
    case QUERY_OR:
        put(b, "(");
        node(b, n->left, alias);
        put(b, n->kind == QUERY_AND ? " AND " : " OR ");
        node(b, n->right, alias);
        put(b, ")");
        return;
    case QUERY_NOT:
        put(b, "(NOT ");
        node(b, n->left, alias);
        put(b, ")");
        return;
    case QUERY_TERM:
        term(b, n, alias);
        return;
    }
}

int querysql_build(const struct query *q, int first, const char *alias, struct querysql *out,
                   struct oerr *err)
{
    struct buf b = {0};
    memset(out, 0, sizeof *out);
    if (first < 1 || first > MAX_PARAM)
        return oerr_set(err, OERR_INVALID, "first parameter number %d is out of range 1-%d", first,
                        MAX_PARAM);
    b.next = first;
    b.cap = 256;
    b.s = xmalloc(b.cap);
    b.s[0] = '\0';
    node(&b, query_root(q), alias);
    out->sql = b.s;
    out->nparams = b.nparams;
    out->params = b.params;
    return 0;
}

void querysql_free(struct querysql *qs)
{
    if (qs == NULL)
        return;
    free(qs->sql);
    free(qs->params);
    memset(qs, 0, sizeof *qs);
}
