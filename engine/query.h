/*
 * query: the target query language of SPEC.md section 9 (OtaTargetQueryString).
 *
 *   query   := or
 *   or      := and ( "OR" and )*
 *   and     := unary ( ["AND"] unary )*        (juxtaposition means AND)
 *   unary   := "NOT" unary | "(" query ")" | term
 *   term    := "attributes." key ("=" | ":") value
 *            | field ":" value
 *   value   := bare | '"' chars '"'             (a trailing unquoted '*' = prefix match;
 *                                                 inside quotes \" and \\ escape)
 *
 * Keywords are case-insensitive. Fields are those of enum query_field (names below,
 * case-insensitive). `attributes.<key>` reads the thing's MetaData map; a missing key never
 * matches. Values compare exactly (case-sensitive) or by prefix. Syntax errors give the
 * 1-based character position: "unexpected ')' at position 17".
 *
 * Details (engine/query.c has them all): an attribute key ends at the first '=' of its word,
 * or if there is none at the first ':' ("attributes.fw:ver=1" has key "fw:ver"), and uses the
 * MetaData characters [A-Za-z0-9_.,@/:#-]; a value of just "*" (prefix "") matches any thing
 * on which the field or key is set; an empty value is an error; a '*' right after a closing
 * quote makes a quoted value a prefix ("Building "*). AND and OR associate to the left.
 *
 * The AST is exposed read-only so the store can translate it to parameterised SQL.
 */
#ifndef OTAD_ENGINE_QUERY_H
#define OTAD_ENGINE_QUERY_H

#include <stddef.h>

#include "engine/oerr.h"

#define QUERY_MAX_LEN   4096
#define QUERY_MAX_DEPTH 32
#define QUERY_MAX_TERMS 64

enum query_field {
    QUERY_FIELD_ID = 0,              /* "managedThingId" or "id" */
    QUERY_FIELD_NAME,                /* "thingName" or "name" */
    QUERY_FIELD_SERIAL_NUMBER,       /* "serialNumber" */
    QUERY_FIELD_BRAND,               /* "brand" */
    QUERY_FIELD_MODEL,               /* "model" */
    QUERY_FIELD_OWNER,               /* "owner" */
    QUERY_FIELD_ROLE,                /* "role" */
    QUERY_FIELD_CLASSIFICATION,      /* "classification" */
    QUERY_FIELD_PROVISIONING_STATUS, /* "provisioningStatus" */
    QUERY_FIELD_CREDENTIAL_LOCKER,   /* "credentialLockerId" */
    QUERY_FIELD_PARENT_CONTROLLER,   /* "parentControllerId" */
    QUERY_FIELD_MAX
};

enum query_kind { QUERY_AND = 0, QUERY_OR, QUERY_NOT, QUERY_TERM };

struct query_node {
    enum query_kind kind;
    const struct query_node *left;  /* AND/OR: left operand; NOT: operand */
    const struct query_node *right; /* AND/OR: right operand */
    /* QUERY_TERM only: */
    int is_attribute;       /* 1: attributes.<attribute> ; 0: field */
    const char *attribute;  /* MetaData key (is_attribute) */
    enum query_field field; /* !is_attribute */
    const char *value;      /* without quotes and without the trailing '*' */
    int prefix;             /* 1 if value ended in an unquoted '*' */
};

struct query;

/** Parse text; NULL with OERR_INVALID and a positioned message. Free with query_free(). */
struct query *query_parse(const char *text, struct oerr *err);

/** Free a parsed query; accepts NULL. */
void query_free(struct query *q);

/** The root of the AST; valid while q lives. */
const struct query_node *query_root(const struct query *q);

/** Canonical name of a field ("thingName", "serialNumber", ...). */
const char *query_field_name(enum query_field f);

/** What a query is evaluated against; all strings borrowed, NULL = unset. */
struct query_thing {
    const char *fields[QUERY_FIELD_MAX];
    size_t n_meta;
    const char *const *meta_keys;
    const char *const *meta_values;
};

/** 1 if the thing matches the query, 0 otherwise. */
int query_match(const struct query *q, const struct query_thing *t);

#endif
