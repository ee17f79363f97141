/*
 * jsonv: reading request JSON with the model's constraints. Every getter looks up one member of
 * an object, checks its JSON type and the model's constraints (required, length in code points,
 * pattern as a character class, range, enum, list and map sizes), and on failure fills err with
 * OERR_INVALID and a message naming the full field path:
 *
 *   "PushConfig.RolloutConfig.MaximumPerMinute must be an integer"
 *   "Description must contain only letters, digits, '_', '-' and spaces"
 *
 * `prefix` is the path of obj ("" at the top level); JSON null counts as absent; unknown members
 * are ignored. Getters return 0 (with *present = 0 when absent and optional) or -1.
 */
#ifndef OTAD_API_JSONV_H
#define OTAD_API_JSONV_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "engine/jsonview.h"
#include "engine/oerr.h"

/** A character class: 1 if code point cp is allowed. */
typedef int (*jsonv_class_fn)(uint32_t cp);

/** String rules: length bounds in code points (max 0 = none) and the allowed class. */
struct jsonv_str {
    size_t min, max;
    jsonv_class_fn allowed;   /* NULL = any character */
    const char *allowed_what; /* "letters, digits, '_', '-' and spaces" */
};

/** Character classes of the model's patterns. */
int jsonv_class_alnum(uint32_t cp);        /* [A-Za-z0-9] */
int jsonv_class_description(uint32_t cp);  /* [0-9A-Za-z_\- ] (also names, serials) */
int jsonv_class_token(uint32_t cp);        /* [a-zA-Z0-9=_-] (ClientToken) */
int jsonv_class_thing_id(uint32_t cp);     /* [a-zA-Z0-9:_-] */
int jsonv_class_owner(uint32_t cp);        /* [a-zA-Z0-9_.,@-] */
int jsonv_class_unicode_name(uint32_t cp); /* [\p{L}\p{N} ._-] */
int jsonv_class_not_control(uint32_t cp);  /* [^\p{C}] (approximated: no Cc/Cf/Cs/Co) */

/** Common string rules. */
extern const struct jsonv_str jsonv_description;     /* 1..256 [0-9A-Za-z_\- ] */
extern const struct jsonv_str jsonv_client_token;    /* 1..64 [a-zA-Z0-9=_-] */
extern const struct jsonv_str jsonv_unicode_name128; /* 1..128 [\p{L}\p{N} ._-] */

/** A view of a cJSON value for the engine's readers (engine/jsonview.h); borrowed. */
struct jview jsonv_view(const cJSON *item);

/** Validate UTF-8 and count code points; -1 if invalid. */
int jsonv_utf8_count(const char *s, size_t *count);

/** Check a C string against rules; path names it in the message. */
int jsonv_check_str(const char *s, const char *path, const struct jsonv_str *spec,
                    struct oerr *err);

/** Build "prefix.name" (or "name") into buf; returns buf. */
const char *jsonv_path(char *buf, size_t len, const char *prefix, const char *name);

/** Member lookup: the item (NULL if absent or JSON null). */
const cJSON *jsonv_member(const cJSON *obj, const char *name);

/** A string member. */
int jsonv_string(const cJSON *obj, const char *prefix, const char *name, int required,
                 const struct jsonv_str *spec, const char **out, struct oerr *err);

/** An integer member (a JSON number with no fraction) within [min, max]. */
int jsonv_int(const cJSON *obj, const char *prefix, const char *name, int required, int64_t min,
              int64_t max, int64_t *out, int *present, struct oerr *err);

/** A number member within [min, max]. */
int jsonv_number(const cJSON *obj, const char *prefix, const char *name, int required, double min,
                 double max, double *out, int *present, struct oerr *err);

/** A boolean member. */
int jsonv_bool(const cJSON *obj, const char *prefix, const char *name, int required, int *out,
               int *present, struct oerr *err);

/** An enum member: *out = index into values (NULL-terminated list of wire names). */
int jsonv_enum(const cJSON *obj, const char *prefix, const char *name, int required,
               const char *const *values, int *out, int *present, struct oerr *err);

/** An object member (*out NULL when absent). */
int jsonv_object(const cJSON *obj, const char *prefix, const char *name, int required,
                 const cJSON **out, struct oerr *err);

/** A list member with between min and max entries (max 0 = none); *out NULL when absent. */
int jsonv_array(const cJSON *obj, const char *prefix, const char *name, int required, size_t min,
                size_t max, const cJSON **out, struct oerr *err);

/** A map<string,string> member: entries min..max, keys and values per their rules. */
int jsonv_string_map(const cJSON *obj, const char *prefix, const char *name, int required,
                     size_t min, size_t max, const struct jsonv_str *key,
                     const struct jsonv_str *value, const cJSON **out, struct oerr *err);

/** A list of strings, each per spec; count min..max (max 0 = none). */
int jsonv_string_list(const cJSON *obj, const char *prefix, const char *name, int required,
                      size_t min, size_t max, const struct jsonv_str *spec, const cJSON **out,
                      struct oerr *err);

/** Validate a path label or query value (already decoded) against rules, naming it. */
int jsonv_check_label(const char *value, const char *name, const struct jsonv_str *spec,
                      struct oerr *err);

/** Parse a query-string integer within [min, max]; absent -> *present = 0. */
int jsonv_query_int(const char *value, const char *name, int64_t min, int64_t max, int64_t *out,
                    int *present, struct oerr *err);

/** Parse a query-string boolean ("true"/"false"); absent -> *present = 0. */
int jsonv_query_bool(const char *value, const char *name, int *out, int *present, struct oerr *err);

/**
 * Serialise obj canonically (object keys sorted, recursively; members named in skip omitted
 * at the top level) and return its SHA-256 as 64 hex characters in out[65]. Used to compare
 * idempotent requests regardless of member order.
 */
void jsonv_canonical_hash(const cJSON *obj, const char *skip, char out[65]);

#endif
