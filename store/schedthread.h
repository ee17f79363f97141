/*
 * schedthread: the scheduler thread of an otad process. It runs engine/scheduler.c over
 * store/pg_sched.c on its own PostgreSQL connection: a pass at the service clock's now, then a
 * sleep until the earliest due task (converted to real time with the clock scale), a NOTIFY on
 * otad_sched, or one real second, whichever comes first. It survives PostgreSQL outages by
 * reconnecting with backoff, and does housekeeping once a minute.
 */
#ifndef OTAD_STORE_SCHEDTHREAD_H
#define OTAD_STORE_SCHEDTHREAD_H

#include <stdint.h>

#include "engine/oerr.h"
#include "engine/scheduler.h"

struct schedthread;

struct schedthread_config {
    const char *conninfo;
    const char *owner;     /* lease owner name (host:pid) */
    int shard;             /* task_counters shard */
    double ceiling;        /* OTAD_MAX_RATE_PER_MINUTE */
    int64_t poll_ms;       /* service ms between safety-net ticks of an active task */
    int64_t lease_real_ms; /* lease length in real ms */
};

/** Start the thread; NULL with err if it could not be created. Strings are copied. */
struct schedthread *schedthread_start(const struct schedthread_config *cfg, struct oerr *err);

/** Ask the thread to stop, join it and free it; accepts NULL. */
void schedthread_stop(struct schedthread *st);

/** A copy of the scheduler's statistics (thread-safe). */
void schedthread_stats(struct schedthread *st, struct scheduler_stats *out);

#endif
