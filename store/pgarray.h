/*
 * pgarray: PostgreSQL array literals ({"a","b"}, {1,NULL,3}) built for a single $n parameter,
 * so that a batch of values travels in one parameterised statement (unnest($1::text[], ...)).
 * Strings are quoted with '"' and '\' escaped; NULL elements are spelled NULL.
 */
#ifndef OTAD_STORE_PGARRAY_H
#define OTAD_STORE_PGARRAY_H

#include <stddef.h>
#include <stdint.h>

struct pgarray;

/** An empty array literal ("{}"). Free with pgarray_free(). */
struct pgarray *pgarray_new(void);

/** Free; accepts NULL. */
void pgarray_free(struct pgarray *a);

/** Empty the array for reuse (keeps its buffer). */
void pgarray_reset(struct pgarray *a);

/** Append a string element (NULL appends SQL NULL). */
void pgarray_text(struct pgarray *a, const char *s);

/** Append an integer element. */
void pgarray_int(struct pgarray *a, int64_t v);

/** Append a boolean element. */
void pgarray_bool(struct pgarray *a, int v);

/** Append a NULL element. */
void pgarray_null(struct pgarray *a);

/** The literal so far; valid until the next change or free. */
const char *pgarray_str(struct pgarray *a);

/** A literal of n strings; the caller frees it with free(). */
char *pgarray_texts(const char *const *v, size_t n);

/** A literal of n integers; the caller frees it with free(). */
char *pgarray_ints(const int64_t *v, size_t n);

#endif
