/*
 * schedthread: the loop around scheduler_run_once(). The thread waits with poll(2) on its
 * PostgreSQL socket (for NOTIFY otad_sched) and a self-pipe (for stop).
 */
#include "store/schedthread.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/mem.h"
#include "store/clock.h"
#include "store/log.h"
#include "store/pg_sched.h"

#define WAIT_MAX_MS     1000
#define HOUSEKEEPING_MS 60000
#define BACKOFF_MAX_MS  5000

struct schedthread {
    pthread_t thread;
    int pipe[2];
    struct pg_sched_config pcfg;
    char *conninfo, *owner;
    int64_t poll_ms, lease_real_ms;
    pthread_mutex_t lock;
    struct scheduler_stats stats;
    int stop;
};

static int stopping(struct schedthread *st)
{
    pthread_mutex_lock(&st->lock);
    int s = st->stop;
    pthread_mutex_unlock(&st->lock);
    return s;
}

/* Wait up to ms real milliseconds for the stop pipe or (fd >= 0) the database socket. */
static void wait_for(struct schedthread *st, int fd, int64_t ms)
{
    struct pollfd p[2] = {{st->pipe[0], POLLIN, 0}, {fd, POLLIN, 0}};
    int n = fd >= 0 ? 2 : 1;
    if (ms < 0)
        ms = 0;
    poll(p, (nfds_t)n, (int)ms);
}

static void *run(void *arg)
{
    struct schedthread *st = arg;
    log_set_thread("sched");
    struct pg_sched *ps = pg_sched_new(&st->pcfg);
    struct scheduler_config scfg;
    scheduler_config_default(&scfg);
    scfg.poll_ms = st->poll_ms;
    scfg.lease_ms = (int64_t)((double)st->lease_real_ms * clock_scale());
    struct scheduler *s = scheduler_new(pg_sched_ops(), ps, &scfg);
    int listening = 0, down = 0;
    int64_t backoff = 100, last_housekeeping = 0;
    struct oerr err;

    while (!stopping(st)) {
        if (pg_sched_connect(ps, &err) < 0) {
            if (!down)
                log_warn("scheduler waiting for postgresql: %s", err.msg);
            down = 1;
            listening = 0;
            wait_for(st, -1, backoff);
            backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        if (down)
            log_info("scheduler connected to postgresql");
        down = 0;
        backoff = 100;
        if (!listening) {
            if (pg_sched_listen(ps, &err) < 0)
                continue;
            listening = 1;
        }
        int64_t now = clock_now_ms();
        if (scheduler_run_once(s, now, &err) < 0) {
            log_warn("scheduler pass failed: %s", err.msg);
            listening = 0;
        }
        pthread_mutex_lock(&st->lock);
        st->stats = *scheduler_stats(s);
        pthread_mutex_unlock(&st->lock);

        int64_t real = clock_real_ms();
        if (real - last_housekeeping >= HOUSEKEEPING_MS) {
            if (pg_sched_housekeeping(ps, now, &err) < 0)
                log_warn("scheduler housekeeping failed: %s", err.msg);
            last_housekeeping = real;
        }
        int64_t earliest = pg_sched_earliest(ps, &err);
        int64_t wait = WAIT_MAX_MS;
        if (earliest >= 0) {
            int64_t ahead = earliest - clock_now_ms();
            wait = ahead <= 0 ? 0 : clock_real_interval_ms(ahead);
            if (wait > WAIT_MAX_MS)
                wait = WAIT_MAX_MS;
        }
        if (wait > 0) {
            wait_for(st, pg_sched_socket(ps), wait);
            if (pg_sched_drain_notifies(ps) < 0)
                listening = 0;
        }
    }
    scheduler_free(s);
    pg_sched_free(ps);
    return NULL;
}

struct schedthread *schedthread_start(const struct schedthread_config *cfg, struct oerr *err)
{
    struct schedthread *st = xcalloc(1, sizeof *st);
    st->conninfo = xstrdup(cfg->conninfo);
    st->owner = xstrdup(cfg->owner);
    st->pcfg.conninfo = st->conninfo;
    st->pcfg.owner = st->owner;
    st->pcfg.shard = cfg->shard;
    st->pcfg.ceiling = cfg->ceiling;
    st->pcfg.batch_ms = -1;
    st->poll_ms = cfg->poll_ms;
    st->lease_real_ms = cfg->lease_real_ms > 0 ? cfg->lease_real_ms : 30000;
    pthread_mutex_init(&st->lock, NULL);
    if (pipe(st->pipe) < 0) {
        oerr_set(err, OERR_INTERNAL, "could not create a pipe: %s", strerror(errno));
        goto fail;
    }
    int rc = pthread_create(&st->thread, NULL, run, st);
    if (rc != 0) {
        oerr_set(err, OERR_INTERNAL, "could not start the scheduler thread: %s", strerror(rc));
        close(st->pipe[0]);
        close(st->pipe[1]);
        goto fail;
    }
    return st;
fail:
    pthread_mutex_destroy(&st->lock);
    free(st->conninfo);
    free(st->owner);
    free(st);
    return NULL;
}

void schedthread_stop(struct schedthread *st)
{
    if (st == NULL)
        return;
    pthread_mutex_lock(&st->lock);
    st->stop = 1;
    pthread_mutex_unlock(&st->lock);
    ssize_t w = write(st->pipe[1], "x", 1);
    (void)w;
    pthread_join(st->thread, NULL);
    close(st->pipe[0]);
    close(st->pipe[1]);
    pthread_mutex_destroy(&st->lock);
    free(st->conninfo);
    free(st->owner);
    free(st);
}

void schedthread_stats(struct schedthread *st, struct scheduler_stats *out)
{
    pthread_mutex_lock(&st->lock);
    *out = st->stats;
    pthread_mutex_unlock(&st->lock);
}
