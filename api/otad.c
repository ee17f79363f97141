/*
 * otad: the service's main(). Reads the configuration, applies migrations, settles the clock,
 * binds the listening socket (writing --port-file), then runs one worker process, or pre-forks
 * --workers N of them sharing the socket and supervises them (a worker that dies is restarted).
 *
 * A worker is one libevent loop (HTTP + async PostgreSQL + Redis link) plus the background
 * threads started by the store. SIGTERM/SIGINT stop accepting, let in-flight requests finish
 * (up to 10 s), stop the threads and exit.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "api/app.h"
#include "api/auth.h"
#include "api/config.h"
#include "api/http.h"
#include "api/metrics.h"
#include "api/routes.h"
#include "engine/mem.h"
#include "engine/oerr.h"
#include "store/clock.h"
#include "store/db.h"
#include "store/devupd.h"
#include "store/log.h"
#include "store/migrate.h"
#include "store/relay.h"
#include "store/rlink.h"
#include "store/schedthread.h"
#include "store/settings.h"

#define OTAD_VERSION      "0.1.0"
#define SHUTDOWN_GRACE_MS 10000

struct worker {
    struct app app;
    struct http *http;
    struct event *sigterm, *sigint, *drain;
    struct timespec stop_at;
    int stopping;
};

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    (void)fd;
    (void)what;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long left_ms =
        (w->stop_at.tv_sec - now.tv_sec) * 1000 + (w->stop_at.tv_nsec - now.tv_nsec) / 1000000;
    if (http_inflight(w->http) == 0 || left_ms <= 0) {
        if (http_inflight(w->http) > 0)
            log_warn("shutting down with %d requests in flight", http_inflight(w->http));
        event_base_loopexit(w->app.base, NULL);
        return;
    }
    struct timeval tv = {0, 20000};
    evtimer_add(w->drain, &tv);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct worker *w = arg;
    (void)what;
    if (w->stopping)
        return;
    w->stopping = 1;
    log_info("received signal %d, shutting down", (int)sig);
    http_stop_accepting(w->http);
    clock_gettime(CLOCK_MONOTONIC, &w->stop_at);
    w->stop_at.tv_sec += SHUTDOWN_GRACE_MS / 1000;
    struct timeval tv = {0, 0};
    evtimer_add(w->drain, &tv);
}

/* The process's scheduler and outbox relay threads. */
static int start_threads(struct worker *w, const struct config *cfg, const struct rlink_addr *raddr,
                         struct oerr *err)
{
    char owner[320], host[256];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    snprintf(owner, sizeof owner, "%s:%d", host, (int)getpid());
    struct schedthread_config sc = {
        .conninfo = cfg->pg,
        .owner = owner,
        .shard = 100000 + w->app.worker,
        .ceiling = cfg->max_rate,
        .poll_ms = cfg->tick_ms,
        .lease_real_ms = 30000,
    };
    w->app.sched = schedthread_start(&sc, err);
    if (w->app.sched == NULL)
        return -1;
    struct relay_config rc = {
        .conninfo = cfg->pg,
        .redis = *raddr,
        .prefix = cfg->stream_prefix,
        .maxlen = cfg->stream_maxlen,
        .shards = cfg->notify_shards,
        .region = cfg->region,
        .account_id = cfg->account_id,
    };
    w->app.relay = relay_start(&rc, err);
    return w->app.relay == NULL ? -1 : 0;
}

static int run_worker(const struct config *cfg, int fd, int index)
{
    struct worker w;
    struct oerr err;
    struct rlink_addr raddr;
    int rc = 1;

    memset(&w, 0, sizeof w);
    if (rlink_parse_addr(cfg->redis, &raddr, &err) < 0) {
        log_error("bad --redis: %s", err.msg);
        return 2;
    }
    w.app.cfg = cfg;
    w.app.base = event_base_new();
    w.app.metrics = metrics_new(api_routes, api_nroutes);
    w.app.auth = auth_new(cfg, &err);
    if (w.app.auth == NULL) {
        log_error("bad credentials: %s", err.msg);
        goto done;
    }
    w.app.worker = index;
    w.app.db = db_new(w.app.base, cfg->pg, cfg->db_pool);
    w.app.redis = rlink_new(w.app.base, &raddr);
    w.app.devupd = devupd_new(
        w.app.base,
        &(struct devupd_config){.conninfo = cfg->pg, .conns = cfg->device_conns, .worker = index});
    w.http = http_new(&w.app, fd, &err);
    if (w.http == NULL) {
        log_error("%s", err.msg);
        goto done;
    }
    w.sigterm = evsignal_new(w.app.base, SIGTERM, on_signal, &w);
    w.sigint = evsignal_new(w.app.base, SIGINT, on_signal, &w);
    w.drain = evtimer_new(w.app.base, on_drain, &w);
    evsignal_add(w.sigterm, NULL);
    evsignal_add(w.sigint, NULL);

    if (start_threads(&w, cfg, &raddr, &err) < 0) {
        log_error("%s", err.msg);
        goto done;
    }
    log_info("worker %d serving", (int)getpid());
    event_base_dispatch(w.app.base);
    rc = 0;

done:
    schedthread_stop(w.app.sched);
    relay_stop(w.app.relay);
    if (w.sigterm != NULL)
        event_free(w.sigterm);
    if (w.sigint != NULL)
        event_free(w.sigint);
    if (w.drain != NULL)
        event_free(w.drain);
    devupd_free(w.app.devupd); /* before http_free: it answers what is still waiting */
    http_free(w.http);
    rlink_free(w.app.redis);
    db_free(w.app.db);
    auth_free(w.app.auth);
    metrics_free(w.app.metrics);
    event_base_free(w.app.base);
    return rc;
}

/* Migrations at start-up wait for PostgreSQL for up to a minute (containers start in any
   order). */
static int migrate_with_retry(const char *conninfo, struct oerr *err)
{
    for (int attempt = 0;; attempt++) {
        int applied = 0;
        if (migrate_apply(conninfo, &applied, err) == 0) {
            log_info("schema at version %d (%d migrations applied)", migrate_latest(), applied);
            return 0;
        }
        if (err->code != OERR_UNAVAILABLE || attempt >= 60)
            return -1;
        if (attempt == 0)
            log_warn("waiting for postgresql: %s", err->msg);
        sleep(1);
    }
}

static int write_port_file(const char *path, int port)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

static volatile sig_atomic_t master_stop;

static void master_signal(int sig)
{
    (void)sig;
    master_stop = 1;
}

/* Pre-fork workers on the shared socket and supervise them. */
static int run_master(const struct config *cfg, int fd)
{
    pid_t *pids = xcalloc((size_t)cfg->workers, sizeof *pids);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = master_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    for (;;) {
        for (int i = 0; i < cfg->workers && !master_stop; i++) {
            if (pids[i] != 0)
                continue;
            pid_t pid = fork();
            if (pid < 0) {
                log_error("could not fork a worker: %s", strerror(errno));
                sleep(1);
                continue;
            }
            if (pid == 0) {
                signal(SIGTERM, SIG_DFL);
                signal(SIGINT, SIG_DFL);
                exit(run_worker(cfg, fd, i));
            }
            pids[i] = pid;
        }
        if (master_stop)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < cfg->workers; i++) {
            if (pids[i] == pid) {
                pids[i] = 0;
                if (!master_stop)
                    log_warn("worker %d exited (status %d), restarting", (int)pid, status);
            }
        }
    }
    for (int i = 0; i < cfg->workers; i++) {
        if (pids[i] != 0)
            kill(pids[i], SIGTERM);
    }
    for (int i = 0; i < cfg->workers; i++) {
        if (pids[i] != 0)
            waitpid(pids[i], NULL, 0);
    }
    free(pids);
    return 0;
}

int main(int argc, char **argv)
{
    static struct config cfg;
    struct oerr err;

    if (config_load(&cfg, argc, argv, &err) < 0) {
        fprintf(stderr, "otad: %s (see otad --help)\n", err.msg);
        return 2;
    }
    if (cfg.command == CONFIG_HELP) {
        config_usage(stdout);
        return 0;
    }
    if (cfg.command == CONFIG_VERSION) {
        printf("otad %s\n", OTAD_VERSION);
        return 0;
    }
    log_set_level(cfg.log_level);
    log_set_thread("main");
    signal(SIGPIPE, SIG_IGN);

    if (cfg.command == CONFIG_MIGRATE) {
        int applied = 0;
        if (migrate_apply(cfg.pg, &applied, &err) < 0) {
            log_error("%s", err.msg);
            return 1;
        }
        log_info("schema at version %d (%d migrations applied)", migrate_latest(), applied);
        return 0;
    }
    if (cfg.migrate && migrate_with_retry(cfg.pg, &err) < 0) {
        log_error("%s", err.msg);
        return 1;
    }
    if (cfg.time_scale != 1.0) {
        int64_t origin = cfg.time_origin;
        if (origin < 0 && settings_clock_origin(cfg.pg, clock_real_ms(), &origin, &err) < 0) {
            log_error("could not settle the clock origin: %s", err.msg);
            return 1;
        }
        clock_configure(cfg.time_scale, origin);
        log_info("clock runs %gx from origin %lld", cfg.time_scale, (long long)(origin / 1000));
    }

    int port = 0;
    int fd = http_listen_socket(cfg.listen_host, cfg.listen_port, &port, &err);
    if (fd < 0) {
        log_error("%s", err.msg);
        return 1;
    }
    log_info("listening on %s:%d", cfg.listen_host, port);
    if (cfg.port_file[0] != '\0' && write_port_file(cfg.port_file, port) < 0) {
        log_error("could not write the port file %s: %s", cfg.port_file, strerror(errno));
        return 1;
    }
    if (cfg.workers > 1)
        return run_master(&cfg, fd);
    return run_worker(&cfg, fd, 0);
}
