/*
 * config: defaults, environment, flags. Parsing is strict: a malformed number or an unknown
 * flag is an error naming it.
 */
#include "api/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/timefmt.h"

static int copy(char *dst, size_t cap, const char *src, const char *name, struct oerr *err)
{
    size_t n = strlen(src);
    if (n >= cap)
        return oerr_set(err, OERR_INVALID, "%s is too long", name);
    memcpy(dst, src, n + 1);
    return 0;
}

static int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out, const char *name,
                     struct oerr *err)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return oerr_set(err, OERR_INVALID, "%s must be an integer between %lld and %lld", name,
                        (long long)min, (long long)max);
    *out = v;
    return 0;
}

static int parse_f64(const char *s, double min, double max, double *out, const char *name,
                     struct oerr *err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max))
        return oerr_set(err, OERR_INVALID, "%s must be a number between %g and %g", name, min, max);
    *out = v;
    return 0;
}

static int parse_listen(struct config *cfg, const char *s, const char *name, struct oerr *err)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon == s)
        return oerr_set(err, OERR_INVALID, "%s must be ADDR:PORT", name);
    size_t hlen = (size_t)(colon - s);
    if (hlen >= sizeof cfg->listen_host)
        return oerr_set(err, OERR_INVALID, "%s address is too long", name);
    memcpy(cfg->listen_host, s, hlen);
    cfg->listen_host[hlen] = '\0';
    int64_t port;
    if (parse_i64(colon + 1, 0, 65535, &port, name, err) < 0)
        return -1;
    cfg->listen_port = (int)port;
    return 0;
}

/* One knob: applies a string value from the environment or a flag. */
static int apply(struct config *cfg, const char *key, const char *v, struct oerr *err)
{
    int64_t i;
    if (strcmp(key, "listen") == 0)
        return parse_listen(cfg, v, "listen", err);
    if (strcmp(key, "port-file") == 0)
        return copy(cfg->port_file, sizeof cfg->port_file, v, key, err);
    if (strcmp(key, "pg") == 0)
        return copy(cfg->pg, sizeof cfg->pg, v, key, err);
    if (strcmp(key, "redis") == 0)
        return copy(cfg->redis, sizeof cfg->redis, v, key, err);
    if (strcmp(key, "workers") == 0) {
        if (parse_i64(v, 1, 256, &i, key, err) < 0)
            return -1;
        cfg->workers = (int)i;
        return 0;
    }
    if (strcmp(key, "auth") == 0) {
        if (strcmp(v, "sigv4") == 0)
            cfg->auth = CONFIG_AUTH_SIGV4;
        else if (strcmp(v, "none") == 0)
            cfg->auth = CONFIG_AUTH_NONE;
        else
            return oerr_set(err, OERR_INVALID, "auth must be sigv4 or none");
        return 0;
    }
    if (strcmp(key, "credentials") == 0)
        return copy(cfg->credentials, sizeof cfg->credentials, v, key, err);
    if (strcmp(key, "region") == 0)
        return copy(cfg->region, sizeof cfg->region, v, key, err);
    if (strcmp(key, "account-id") == 0) {
        if (strlen(v) != 12 || strspn(v, "0123456789") != 12)
            return oerr_set(err, OERR_INVALID, "account-id must be 12 digits");
        return copy(cfg->account_id, sizeof cfg->account_id, v, key, err);
    }
    if (strcmp(key, "body-cap") == 0) {
        if (parse_i64(v, 1024, INT64_C(1) << 30, &i, key, err) < 0)
            return -1;
        cfg->body_cap = (size_t)i;
        return 0;
    }
    if (strcmp(key, "db-pool") == 0) {
        if (parse_i64(v, 1, 256, &i, key, err) < 0)
            return -1;
        cfg->db_pool = (int)i;
        return 0;
    }
    if (strcmp(key, "device-conns") == 0) {
        if (parse_i64(v, 1, 64, &i, key, err) < 0)
            return -1;
        cfg->device_conns = (int)i;
        return 0;
    }
    if (strcmp(key, "log-level") == 0) {
        if (strcmp(v, "debug") != 0 && strcmp(v, "info") != 0 && strcmp(v, "warn") != 0 &&
            strcmp(v, "error") != 0)
            return oerr_set(err, OERR_INVALID, "log-level must be debug, info, warn or error");
        return copy(cfg->log_level, sizeof cfg->log_level, v, key, err);
    }
    if (strcmp(key, "time-scale") == 0)
        return parse_f64(v, 1, 1e6, &cfg->time_scale, key, err);
    if (strcmp(key, "time-origin") == 0) {
        if (parse_i64(v, 0, INT64_C(253402300799), &i, key, err) < 0)
            return -1;
        cfg->time_origin = i * 1000;
        return 0;
    }
    if (strcmp(key, "max-rate") == 0)
        return parse_f64(v, 1, 1e9, &cfg->max_rate, key, err);
    if (strcmp(key, "max-targets") == 0)
        return parse_i64(v, 1, INT64_C(100000000), &cfg->max_targets, key, err);
    if (strcmp(key, "notify-shards") == 0) {
        if (parse_i64(v, 1, 4096, &i, key, err) < 0)
            return -1;
        cfg->notify_shards = (int)i;
        return 0;
    }
    if (strcmp(key, "stream-prefix") == 0)
        return copy(cfg->stream_prefix, sizeof cfg->stream_prefix, v, key, err);
    if (strcmp(key, "stream-maxlen") == 0)
        return parse_i64(v, 100, INT64_C(1000000000), &cfg->stream_maxlen, key, err);
    if (strcmp(key, "tick-ms") == 0)
        return parse_i64(v, 10, 3600000, &cfg->tick_ms, key, err);
    return oerr_set(err, OERR_INVALID, "unknown option --%s", key);
}

/* Environment variable name for each knob that has one. */
static const struct {
    const char *env;
    const char *key;
} env_knobs[] = {
    {"OTAD_LISTEN", "listen"},
    {"OTAD_PORT_FILE", "port-file"},
    {"OTAD_PG", "pg"},
    {"OTAD_REDIS", "redis"},
    {"OTAD_WORKERS", "workers"},
    {"OTAD_AUTH", "auth"},
    {"OTAD_CREDENTIALS", "credentials"},
    {"OTAD_REGION", "region"},
    {"OTAD_ACCOUNT_ID", "account-id"},
    {"OTAD_BODY_CAP", "body-cap"},
    {"OTAD_DB_POOL", "db-pool"},
    {"OTAD_DEVICE_CONNS", "device-conns"},
    {"OTAD_LOG_LEVEL", "log-level"},
    {"OTAD_TIME_SCALE", "time-scale"},
    {"OTAD_TIME_ORIGIN", "time-origin"},
    {"OTAD_MAX_RATE_PER_MINUTE", "max-rate"},
    {"OTAD_MAX_TARGETS", "max-targets"},
    {"OTAD_NOTIFY_SHARDS", "notify-shards"},
    {"OTAD_STREAM_PREFIX", "stream-prefix"},
    {"OTAD_STREAM_MAXLEN", "stream-maxlen"},
    {"OTAD_TICK_MS", "tick-ms"},
};

int config_load(struct config *cfg, int argc, char **argv, struct oerr *err)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->command = CONFIG_SERVE;
    memcpy(cfg->listen_host, "127.0.0.1", sizeof "127.0.0.1");
    cfg->listen_port = 8080;
    memcpy(cfg->pg, "dbname=otad", sizeof "dbname=otad");
    memcpy(cfg->redis, "127.0.0.1:6379", sizeof "127.0.0.1:6379");
    cfg->migrate = 1;
    cfg->workers = 1;
    cfg->auth = CONFIG_AUTH_SIGV4;
    memcpy(cfg->region, "us-east-1", sizeof "us-east-1");
    memcpy(cfg->account_id, "123456789012", sizeof "123456789012");
    cfg->body_cap = 1024 * 1024;
    cfg->db_pool = 8;
    cfg->device_conns = 2;
    memcpy(cfg->log_level, "info", sizeof "info");
    cfg->time_scale = 1.0;
    cfg->time_origin = -1;
    cfg->max_rate = 1000.0;
    cfg->max_targets = 100000;
    cfg->notify_shards = 16;
    memcpy(cfg->stream_prefix, "otad:", sizeof "otad:");
    cfg->stream_maxlen = 1000000;
    cfg->tick_ms = 10000;

    for (size_t k = 0; k < sizeof env_knobs / sizeof env_knobs[0]; k++) {
        const char *v = getenv(env_knobs[k].env);
        if (v != NULL && v[0] != '\0' && apply(cfg, env_knobs[k].key, v, err) < 0) {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "%s: ", env_knobs[k].env);
            oerr_prefix(err, prefix);
            return -1;
        }
    }

    int i = 1;
    if (i < argc && strcmp(argv[i], "migrate") == 0) {
        cfg->command = CONFIG_MIGRATE;
        i++;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cfg->command = CONFIG_HELP;
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            cfg->command = CONFIG_VERSION;
            return 0;
        }
        if (strcmp(a, "--no-migrate") == 0) {
            cfg->migrate = 0;
            continue;
        }
        if (strncmp(a, "--", 2) != 0)
            return oerr_set(err, OERR_INVALID, "unexpected argument '%s'", a);
        const char *key = a + 2;
        const char *eq = strchr(key, '=');
        char name[64];
        const char *val;
        if (eq != NULL) {
            size_t n = (size_t)(eq - key);
            if (n >= sizeof name)
                return oerr_set(err, OERR_INVALID, "unknown option %s", a);
            memcpy(name, key, n);
            name[n] = '\0';
            val = eq + 1;
        } else {
            if (strlen(key) >= sizeof name)
                return oerr_set(err, OERR_INVALID, "unknown option %s", a);
            memcpy(name, key, strlen(key) + 1);
            if (i + 1 >= argc)
                return oerr_set(err, OERR_INVALID, "option %s needs a value", a);
            val = argv[++i];
        }
        if (apply(cfg, name, val, err) < 0)
            return -1;
    }
    return 0;
}

void config_usage(FILE *out)
{
    fputs("usage: otad [options]            run the service\n"
          "       otad migrate [options]    apply database migrations and exit\n"
          "\n"
          "Options (each also read from the environment variable shown; flags win):\n"
          "  --listen ADDR:PORT      OTAD_LISTEN      listen address (default 127.0.0.1:8080;\n"
          "                                           port 0 = any free port)\n"
          "  --port-file PATH        OTAD_PORT_FILE   write the bound port to PATH once listening\n"
          "  --pg CONNINFO           OTAD_PG          PostgreSQL conninfo (default dbname=otad)\n"
          "  --redis ADDR            OTAD_REDIS       Redis: host:port, redis://host:port/db or a\n"
          "                                           unix socket path (default 127.0.0.1:6379)\n"
          "  --no-migrate                             do not apply migrations at start-up\n"
          "  --workers N             OTAD_WORKERS     processes sharing the port (default 1)\n"
          "  --auth sigv4|none       OTAD_AUTH        request authentication (default sigv4)\n"
          "  --credentials LIST      OTAD_CREDENTIALS SigV4 keys: AKID:SECRET[,AKID:SECRET...]\n"
          "  --region NAME           OTAD_REGION      region in ARNs and SigV4 (us-east-1)\n"
          "  --account-id ID         OTAD_ACCOUNT_ID  account in ARNs (123456789012)\n"
          "  --body-cap BYTES        OTAD_BODY_CAP    request body limit (1048576)\n"
          "  --db-pool N             OTAD_DB_POOL     API PostgreSQL connections (8)\n"
          "  --device-conns N        OTAD_DEVICE_CONNS group-commit connections for device\n"
          "                                           updates (2)\n"
          "  --log-level LEVEL       OTAD_LOG_LEVEL   debug, info, warn, error (info)\n"
          "  --time-scale K          OTAD_TIME_SCALE  run the clock K times faster (1)\n"
          "  --time-origin SECONDS   OTAD_TIME_ORIGIN origin of the scaled clock (epoch seconds;\n"
          "                                           default: recorded in the database)\n"
          "  --max-rate N            OTAD_MAX_RATE_PER_MINUTE  rollout ceiling (1000)\n"
          "  --max-targets N         OTAD_MAX_TARGETS targets per task (100000)\n"
          "  --notify-shards N       OTAD_NOTIFY_SHARDS notify stream shards (16)\n"
          "  --stream-prefix P       OTAD_STREAM_PREFIX Redis stream name prefix (otad:)\n"
          "  --stream-maxlen N       OTAD_STREAM_MAXLEN approximate stream length cap (1000000)\n"
          "  --tick-ms N             OTAD_TICK_MS     safety-net re-tick of active tasks (10000)\n"
          "  --help, --version\n",
          out);
}
