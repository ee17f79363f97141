/*
 * oerr: filling and naming caller-owned error structs.
 */
#include "engine/oerr.h"

#include <stdio.h>
#include <string.h>

int oerr_vset(struct oerr *err, enum oerr_code code, const char *fmt, va_list ap)
{
    if (err == NULL)
        return -1;
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return -1;
}

int oerr_set(struct oerr *err, enum oerr_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    oerr_vset(err, code, fmt, ap);
    va_end(ap);
    return -1;
}

void oerr_prefix(struct oerr *err, const char *prefix)
{
    if (err == NULL)
        return;
    char tmp[OERR_MSG_MAX];
    snprintf(tmp, sizeof tmp, "%s%s", prefix, err->msg);
    memcpy(err->msg, tmp, sizeof tmp);
}

void oerr_clear(struct oerr *err)
{
    if (err == NULL)
        return;
    err->code = OERR_OK;
    err->msg[0] = '\0';
}

const char *oerr_code_name(enum oerr_code code)
{
    static const char *const names[OERR_CODE_MAX] = {
        [OERR_OK] = "ok",
        [OERR_INVALID] = "invalid",
        [OERR_NOT_FOUND] = "not_found",
        [OERR_CONFLICT] = "conflict",
        [OERR_STATE] = "state",
        [OERR_VERSION] = "version",
        [OERR_TERMINAL] = "terminal",
        [OERR_LIMIT] = "limit",
        [OERR_TOO_LARGE] = "too_large",
        [OERR_AUTH] = "auth",
        [OERR_UNAVAILABLE] = "unavailable",
        [OERR_INTERNAL] = "internal",
    };
    if ((int)code < 0 || code >= OERR_CODE_MAX)
        return "unknown";
    return names[code];
}
