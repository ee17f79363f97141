/*
 * ids: generated identifiers (20 lowercase alphanumerics from the kernel's CSPRNG, SPEC.md
 * section 11) and ARNs built from the configured region and account.
 */
#ifndef OTAD_API_IDS_H
#define OTAD_API_IDS_H

#define IDS_LEN 20

struct arena;
struct config;

/** Write a new id and a terminating NUL into out[IDS_LEN + 1]. */
void ids_new(char *out);

/** "arn:aws:<service>:<region>:<account>:<resource>/<id>" allocated in a. */
char *ids_arn(struct arena *a, const struct config *cfg, const char *service, const char *resource,
              const char *id);

/** The last path segment of an ARN, or s itself when it is not an ARN (borrowed pointer). */
const char *ids_from_arn(const char *s);

#endif
