/*
 * ids: random ids by rejection sampling over getrandom(2) bytes (no modulo bias).
 */
#include "api/ids.h"

#include <string.h>
#include <sys/random.h>

#include "api/config.h"
#include "engine/arena.h"

void ids_new(char *out)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = 0;
    while (n < IDS_LEN) {
        unsigned char buf[32];
        if (getrandom(buf, sizeof buf, 0) != (ssize_t)sizeof buf)
            continue;
        for (size_t i = 0; i < sizeof buf && n < IDS_LEN; i++) {
            if (buf[i] < 252) /* 252 = 7 * 36 */
                out[n++] = alphabet[buf[i] % 36];
        }
    }
    out[IDS_LEN] = '\0';
}

char *ids_arn(struct arena *a, const struct config *cfg, const char *service, const char *resource,
              const char *id)
{
    return arena_printf(a, "arn:aws:%s:%s:%s:%s/%s", service, cfg->region, cfg->account_id,
                        resource, id);
}

const char *ids_from_arn(const char *s)
{
    if (strncmp(s, "arn:", 4) != 0)
        return s;
    const char *slash = strrchr(s, '/');
    return slash != NULL ? slash + 1 : s;
}
