/*
 * auth: request authentication (SPEC.md section 11, reference/wire.md section 4). With
 * OTAD_AUTH=sigv4 every request to an API surface must carry a valid AWS Signature V4
 * (AWS4-HMAC-SHA256) made with one of the configured access keys, for the configured region
 * and the credential-scope service of the route's surface; with OTAD_AUTH=none every request
 * is accepted. Health, readiness and metrics are never authenticated.
 */
#ifndef OTAD_API_AUTH_H
#define OTAD_API_AUTH_H

#include "engine/oerr.h"

struct config;
struct req;
struct auth;

/** Build the authenticator from the configuration (parses OTAD_CREDENTIALS); NULL with err on a
 *  malformed credential list. Free with auth_free(). */
struct auth *auth_new(const struct config *cfg, struct oerr *err);

/** Free; accepts NULL. */
void auth_free(struct auth *a);

/**
 * Authenticate r. 0 if accepted; -1 with *type set to the wire error type
 * (MissingAuthenticationTokenException, UnrecognizedClientException, InvalidSignatureException,
 * AccessDeniedException) and err to the message; the caller answers 403 through the funnel.
 */
int auth_check(const struct auth *a, struct req *r, const char **type, struct oerr *err);

#endif
