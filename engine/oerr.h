/*
 * oerr: the caller-owned error struct every fallible function of the project fills
 * (reference/aesthetics.md R6). Functions return 0 on success and -1 on failure with *err set;
 * err may be NULL when the caller does not care. The code says what kind of failure it is, so
 * that the API's error funnel can pick the wire error shape; the message is for people: short,
 * lowercase, no trailing period, naming the field path for input errors.
 */
#ifndef OTAD_ENGINE_OERR_H
#define OTAD_ENGINE_OERR_H

#include <stdarg.h>

enum oerr_code {
    OERR_OK = 0,
    OERR_INVALID,     /* bad input: ValidationException / InvalidRequestException (400) */
    OERR_NOT_FOUND,   /* unknown resource (404) */
    OERR_CONFLICT,    /* conflicting request, idempotency mismatch (409) */
    OERR_STATE,       /* illegal state transition (409 InvalidStateTransitionException) */
    OERR_VERSION,     /* expectedVersion mismatch (409 VersionConflictException) */
    OERR_TERMINAL,    /* execution already terminal where that is an error (410) */
    OERR_LIMIT,       /* a limit was exceeded (410 LimitExceededException) */
    OERR_TOO_LARGE,   /* request body over the cap (400) */
    OERR_AUTH,        /* authentication failed (403) */
    OERR_UNAVAILABLE, /* a dependency is down (503) */
    OERR_INTERNAL,    /* anything else (500); the message goes to the log, not the client */
    OERR_CODE_MAX
};

#define OERR_MSG_MAX 512

struct oerr {
    enum oerr_code code;
    char msg[OERR_MSG_MAX];
};

/** Set *err (if err is not NULL) to code and the formatted message, truncating; returns -1. */
int oerr_set(struct oerr *err, enum oerr_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** va_list form of oerr_set; returns -1. */
int oerr_vset(struct oerr *err, enum oerr_code code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/** Prefix the message of *err with "prefix" (e.g. a field path); keeps the code. */
void oerr_prefix(struct oerr *err, const char *prefix);

/** Reset *err to OERR_OK with an empty message. */
void oerr_clear(struct oerr *err);

/** The stable lowercase name of a code, for logs ("invalid", "not_found", ...). */
const char *oerr_code_name(enum oerr_code code);

#endif
