/*
 * config: every knob of otad in one place (DESIGN.md section 7). Values come from defaults,
 * then the environment (OTAD_*), then command-line flags (flags win). Each knob is documented
 * in config_usage() and in the README's configuration table.
 */
#ifndef OTAD_API_CONFIG_H
#define OTAD_API_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/oerr.h"

enum config_command { CONFIG_SERVE = 0, CONFIG_MIGRATE, CONFIG_HELP, CONFIG_VERSION };

enum config_auth { CONFIG_AUTH_SIGV4 = 0, CONFIG_AUTH_NONE };

struct config {
    enum config_command command;
    char listen_host[256];
    int listen_port;
    char port_file[1024];
    char pg[2048];
    char redis[1024];
    int migrate; /* apply migrations at start-up (default 1; --no-migrate) */
    int workers; /* processes sharing the port */
    enum config_auth auth;
    char credentials[4096]; /* OTAD_CREDENTIALS: "AKID:SECRET[,AKID:SECRET...]" for SigV4 */
    char region[64];
    char account_id[32];
    size_t body_cap;  /* request body cap in bytes */
    int db_pool;      /* PostgreSQL connections per process (API) */
    int device_conns; /* OTAD_DEVICE_CONNS: group-commit connections per process */
    char log_level[16];
    double time_scale;      /* OTAD_TIME_SCALE */
    int64_t time_origin;    /* OTAD_TIME_ORIGIN in ms; -1 = recorded in the database */
    double max_rate;        /* OTAD_MAX_RATE_PER_MINUTE: the rollout ceiling */
    int64_t max_targets;    /* OTAD_MAX_TARGETS */
    int notify_shards;      /* OTAD_NOTIFY_SHARDS */
    char stream_prefix[64]; /* OTAD_STREAM_PREFIX */
    int64_t stream_maxlen;  /* OTAD_STREAM_MAXLEN */
    int64_t tick_ms;        /* OTAD_TICK_MS: scheduler poll interval (service time) */
};

/** Fill *cfg from defaults, the environment and argv; -1 with OERR_INVALID on a bad value. */
int config_load(struct config *cfg, int argc, char **argv, struct oerr *err);

/** Print --help. */
void config_usage(FILE *out);

#endif
