/*
 * querysql: the target query language (engine/query.h) as a parameterised SQL boolean
 * expression over the table `things`, so that a query is evaluated where the things are.
 *
 * Only column names, operators and parameter numbers are spelled in the SQL text; every value
 * and every MetaData key is a $n parameter. The expression evaluates exactly as query_match():
 *   attributes.k = v   ->  coalesce((metadata ->> $i) = $j, false)
 *   field : v*         ->  coalesce(starts_with(<column>, $j), false)
 *   AND / OR / NOT     ->  (a AND b) / (a OR b) / (NOT a)
 * so a missing attribute or unset field is false (and NOT of it true), comparisons are exact
 * and byte-wise, and a prefix match needs no escaping.
 */
#ifndef OTAD_STORE_QUERYSQL_H
#define OTAD_STORE_QUERYSQL_H

#include <stddef.h>

#include "engine/oerr.h"
#include "engine/query.h"

/** A translated query: the expression and the values of its parameters in order. */
struct querysql {
    char *sql;           /* owned; NUL-terminated boolean expression */
    size_t nparams;      /* parameters $first .. $(first + nparams - 1) */
    const char **params; /* owned array; the strings are borrowed from the query's AST */
};

/** The things column (or doc member expression) a field reads, unqualified ("serial_number",
 *  "(doc ->> 'Brand')"). */
const char *querysql_column(enum query_field f);

/**
 * Translate q into *out with parameters numbered from first (>= 1); columns are qualified with
 * alias ("th.owner") when alias is not NULL (alias must be a fixed identifier chosen by the
 * caller, never input). out->params borrows from q: valid while q lives. Free with
 * querysql_free(). -1 with OERR_INVALID when first is out of range.
 */
int querysql_build(const struct query *q, int first, const char *alias, struct querysql *out,
                   struct oerr *err);

/** Release what querysql_build allocated; accepts NULL and a zeroed struct. */
void querysql_free(struct querysql *qs);

#endif
