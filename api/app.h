/*
 * app: the process-wide context every handler reaches through req_app(): configuration, the
 * event loop's PostgreSQL pool and Redis link, and metrics. One per worker process, owned by
 * api/otad.c; handlers only borrow it.
 */
#ifndef OTAD_API_APP_H
#define OTAD_API_APP_H

#include "api/config.h"

struct event_base;
struct db;
struct rlink;
struct metrics;
struct auth;
struct schedthread;
struct relay;
struct devupd;

struct app {
    struct event_base *base;
    const struct config *cfg;
    struct db *db;
    struct rlink *redis;
    struct metrics *metrics;
    struct auth *auth;
    struct schedthread *sched; /* may be NULL */
    struct relay *relay;       /* may be NULL */
    struct devupd *devupd;     /* device data-plane group commit (store/devupd.h) */
    int worker;                /* worker index (0..workers-1) */
};

#endif
