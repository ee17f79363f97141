/*
 * auth: the configured access keys and the per-request check (api/auth.h). The keys are
 * parsed once from OTAD_CREDENTIALS ("AKID:SECRET[,AKID:SECRET...]", blanks around entries
 * ignored; an access key may not repeat) and never logged. Verification is api/sigv4.c with
 * the route's credential-scope service, the configured region and the real wall clock: clients
 * sign with real time even when the service clock runs scaled.
 *
 * With OTAD_AUTH=sigv4 and no keys configured, otad still starts (with a warning) and refuses
 * every signed request as UnrecognizedClientException (an unsigned one is still
 * MissingAuthenticationTokenException).
 */
#include "api/auth.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api/config.h"
#include "api/req.h"
#include "api/router.h"
#include "engine/sigv4.h"
#include "engine/arena.h"
#include "engine/mem.h"
#include "store/clock.h"
#include "store/log.h"

struct key {
    char *akid;
    char *secret;
};

struct auth {
    enum config_auth mode;
    char *region;
    struct key *keys;
    size_t nkeys;
};

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parse the credential list into a->keys; -1 with OERR_INVALID naming the entry (never the
 * secret). */
static int parse_credentials(struct auth *a, const char *list, struct oerr *err)
{
    size_t max = 1;
    for (const char *s = list; *s != '\0'; s++)
        max += *s == ',';
    a->keys = xcalloc(max, sizeof *a->keys);
    const char *s = list;
    while (blank(*s))
        s++;
    if (*s == '\0')
        return 0;
    for (size_t entry = 1;; entry++) {
        const char *comma = strchr(s, ',');
        const char *end = comma != NULL ? comma : s + strlen(s);
        while (s < end && blank(*s))
            s++;
        while (end > s && blank(end[-1]))
            end--;
        const char *colon = memchr(s, ':', (size_t)(end - s));
        if (s == end)
            return oerr_set(err, OERR_INVALID, "credentials: entry %zu is empty", entry);
        if (colon == NULL || colon == s || colon + 1 == end)
            return oerr_set(err, OERR_INVALID,
                            "credentials: entry %zu is not ACCESS_KEY_ID:SECRET_ACCESS_KEY", entry);
        size_t klen = (size_t)(colon - s);
        for (size_t i = 0; i < klen; i++) {
            if (blank(s[i]) || s[i] == '/')
                return oerr_set(err, OERR_INVALID,
                                "credentials: the access key of entry %zu contains '%c'", entry,
                                s[i] == '/' ? '/' : ' ');
        }
        for (size_t i = 0; i < a->nkeys; i++) {
            if (strlen(a->keys[i].akid) == klen && memcmp(a->keys[i].akid, s, klen) == 0)
                return oerr_set(err, OERR_INVALID,
                                "credentials: access key %.*s is listed twice (entry %zu)",
                                (int)klen, s, entry);
        }
        a->keys[a->nkeys].akid = xstrndup(s, klen);
        a->keys[a->nkeys].secret = xstrndup(colon + 1, (size_t)(end - colon - 1));
        a->nkeys++;
        if (comma == NULL)
            return 0;
        s = comma + 1;
    }
}

struct auth *auth_new(const struct config *cfg, struct oerr *err)
{
    struct auth *a = xcalloc(1, sizeof *a);
    a->mode = cfg->auth;
    a->region = xstrdup(cfg->region);
    if (parse_credentials(a, cfg->credentials, err) < 0) {
        auth_free(a);
        return NULL;
    }
    if (a->mode == CONFIG_AUTH_SIGV4 && a->nkeys == 0)
        log_warn("sigv4 authentication is on but no credentials are configured "
                 "(OTAD_CREDENTIALS): every API request will be refused");
    return a;
}

void auth_free(struct auth *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->nkeys; i++) {
        OPENSSL_cleanse(a->keys[i].secret, strlen(a->keys[i].secret));
        free(a->keys[i].akid);
        free(a->keys[i].secret);
    }
    free(a->keys);
    free(a->region);
    free(a);
}

static const char *lookup_secret(const void *arg, const char *akid)
{
    const struct auth *a = arg;
    for (size_t i = 0; i < a->nkeys; i++) {
        if (strcmp(a->keys[i].akid, akid) == 0)
            return a->keys[i].secret;
    }
    return NULL;
}

static const char *lookup_header(const void *arg, const char *name)
{
    return req_header(arg, name);
}

int auth_check(const struct auth *a, struct req *r, const char **type, struct oerr *err)
{
    if (a->mode == CONFIG_AUTH_NONE)
        return 0;
    const char *uri = req_uri(r);
    const char *qmark = strchr(uri, '?');
    size_t body_len = 0;
    const char *body = req_body(r, &body_len);
    struct sigv4_request rq = {
        .method = req_method(r),
        .path = qmark != NULL ? arena_strndup(req_arena(r), uri, (size_t)(qmark - uri)) : uri,
        .query = qmark != NULL ? qmark + 1 : NULL,
        .header = lookup_header,
        .header_arg = r,
        .body = body,
        .body_len = body_len,
    };
    enum sigv4_result res = sigv4_verify(&rq, a->region, router_service_name(req_service(r)),
                                         clock_real_ms(), lookup_secret, a, err);
    if (res == SIGV4_OK)
        return 0;
    *type = sigv4_error_type(res);
    return -1;
}
