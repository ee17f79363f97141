/*
 * jsonview: reading a JSON document the engine does not own, with the model's constraints.
 * The engine includes no JSON library: a caller describes its library's values through
 * struct jview_ops (api/jsonv.c and the simulator adapt cJSON), and the getters below check JSON
 * types and constraints (required, length in code points, character class, range, enum, list
 * and map sizes) with messages naming the full field path:
 *
 *   "PushConfig.RolloutConfig.MaximumPerMinute must be an integer"
 *
 * `prefix` is the path of the object ("" at the top level); JSON null counts as absent; unknown
 * members are ignored. Getters return 0 (with *present = 0 / NULL outputs when absent and
 * optional) or -1 with OERR_INVALID in *err.
 */
#ifndef OTAD_ENGINE_JSONVIEW_H
#define OTAD_ENGINE_JSONVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "engine/oerr.h"

enum jview_type {
    JVIEW_ABSENT = 0,
    JVIEW_NULL,
    JVIEW_BOOL,
    JVIEW_NUMBER,
    JVIEW_STRING,
    JVIEW_ARRAY,
    JVIEW_OBJECT
};

/** How to read the caller's JSON values; values are opaque, NULL = absent. */
struct jview_ops {
    enum jview_type (*type)(const void *v);
    const void *(*member)(const void *obj, const char *name); /* exact case; NULL if absent */
    double (*number)(const void *v);
    const char *(*string)(const void *v);
    int (*boolean)(const void *v);
    size_t (*count)(const void *v);         /* entries of an array or object */
    const void *(*first)(const void *v);    /* first entry of an array or object, or NULL */
    const void *(*next)(const void *entry); /* the entry after entry, or NULL */
    const char *(*key)(const void *entry);  /* the key of an object's entry */
};

/** A value and how to read it (plain data, copied freely). */
struct jview {
    const struct jview_ops *ops;
    const void *v; /* NULL = absent */
};

/** A character class: 1 if code point cp is allowed. */
typedef int (*jview_class_fn)(uint32_t cp);

/** String rules: length bounds in code points (max 0 = none) and the allowed class. */
struct jview_str {
    size_t min, max;
    jview_class_fn allowed;   /* NULL = any character */
    const char *allowed_what; /* "letters, digits, '_', '-' and spaces" */
};

/** The type of a view (JVIEW_ABSENT for NULL values). */
enum jview_type jview_type_of(const struct jview *j);

/** Member name of object j (absent if j is not an object or has no such member; JSON null
 *  reads as absent). */
struct jview jview_member(const struct jview *j, const char *name);

/** The first entry of an array or object (absent if none); iterate with jview_next(). */
struct jview jview_first(const struct jview *j);

/** The entry after entry (absent at the end). */
struct jview jview_next(const struct jview *entry);

/** Entries of an array or object (0 otherwise). */
size_t jview_count(const struct jview *j);

/** The key of an object's entry. */
const char *jview_key(const struct jview *entry);

/** Build "prefix.name" (or "name") into buf; returns buf. */
const char *jview_path(char *buf, size_t len, const char *prefix, const char *name);

/** Validate UTF-8 and count code points; -1 if invalid. */
int jview_utf8_count(const char *s, size_t *count);

/** Decode one UTF-8 code point at *p, advancing it; -1 if invalid. */
int jview_utf8_next(const unsigned char **p, uint32_t *cp);

/** Check a C string against rules; path names it in the message. */
int jview_check_str(const char *s, const char *path, const struct jview_str *spec,
                    struct oerr *err);

/** A string member (spec may be NULL). */
int jview_string(const struct jview *obj, const char *prefix, const char *name, int required,
                 const struct jview_str *spec, const char **out, struct oerr *err);

/** An integer member (a JSON number with no fraction) within [min, max]. */
int jview_int(const struct jview *obj, const char *prefix, const char *name, int required,
              int64_t min, int64_t max, int64_t *out, int *present, struct oerr *err);

/** A number member within [min, max]. */
int jview_number(const struct jview *obj, const char *prefix, const char *name, int required,
                 double min, double max, double *out, int *present, struct oerr *err);

/** A boolean member. */
int jview_bool(const struct jview *obj, const char *prefix, const char *name, int required,
               int *out, int *present, struct oerr *err);

/** An enum member: *out = index into values (a NULL-terminated list of wire names). */
int jview_enum(const struct jview *obj, const char *prefix, const char *name, int required,
               const char *const *values, int *out, int *present, struct oerr *err);

/** An object member (*out absent when absent). */
int jview_object(const struct jview *obj, const char *prefix, const char *name, int required,
                 struct jview *out, struct oerr *err);

/** A list member with between min and max entries (max 0 = none). */
int jview_array(const struct jview *obj, const char *prefix, const char *name, int required,
                size_t min, size_t max, struct jview *out, struct oerr *err);

/** A map<string,string> member: entries min..max, keys and values per their rules. */
int jview_string_map(const struct jview *obj, const char *prefix, const char *name, int required,
                     size_t min, size_t max, const struct jview_str *key,
                     const struct jview_str *value, struct jview *out, struct oerr *err);

/** A list of strings, each per spec (may be NULL); count min..max (max 0 = none). */
int jview_string_list(const struct jview *obj, const char *prefix, const char *name, int required,
                      size_t min, size_t max, const struct jview_str *spec, struct jview *out,
                      struct oerr *err);

#endif
