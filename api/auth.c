/*
 * auth: placeholder until SigV4 verification lands (api/sigv4.c): "none" accepts everything;
 * "sigv4" refuses every request with MissingAuthenticationTokenException.
 */
#include "api/auth.h"

#include <stdlib.h>

#include "api/config.h"
#include "engine/mem.h"

struct auth {
    enum config_auth mode;
};

struct auth *auth_new(const struct config *cfg, struct oerr *err)
{
    (void)err;
    struct auth *a = xcalloc(1, sizeof *a);
    a->mode = cfg->auth;
    return a;
}

void auth_free(struct auth *a)
{
    free(a);
}

int auth_check(const struct auth *a, struct req *r, const char **type, struct oerr *err)
{
    (void)r;
    if (a->mode == CONFIG_AUTH_NONE)
        return 0;
    *type = "MissingAuthenticationTokenException";
    return oerr_set(err, OERR_AUTH, "request signature verification is not available");
}
