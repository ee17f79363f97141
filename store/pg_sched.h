/*
 * pg_sched: engine/sched_store.h over PostgreSQL, for the scheduler thread (blocking libpq on
 * the thread's own connection). A tick is one transaction: load() begins it and locks the task
 * row, release() commits it, abandon() rolls it back; leases (tasks.lease_owner/lease_until) let
 * several otad processes share the work, and a crashed process's leases simply expire.
 * Counter deltas go to this scheduler's own shard of task_counters.
 */
#ifndef OTAD_STORE_PG_SCHED_H
#define OTAD_STORE_PG_SCHED_H

#include <stdint.h>

#include "engine/oerr.h"
#include "engine/sched_store.h"

struct pg_sched;

struct pg_sched_config {
    const char *conninfo;
    const char *owner; /* lease owner name, unique per scheduler (host:pid) */
    int shard;         /* task_counters shard of this scheduler */
    double ceiling;    /* OTAD_MAX_RATE_PER_MINUTE */
    int64_t batch_ms;  /* minimum interval between two batches of one task */
};

/** A store for cfg (strings copied); connects lazily. Free with pg_sched_free(). */
struct pg_sched *pg_sched_new(const struct pg_sched_config *cfg);

/** Free; accepts NULL. */
void pg_sched_free(struct pg_sched *ps);

/** The operations table; ctx is the struct pg_sched. */
const struct sched_store_ops *pg_sched_ops(void);

/** (Re)connect if needed; -1 with OERR_UNAVAILABLE when PostgreSQL is unreachable. */
int pg_sched_connect(struct pg_sched *ps, struct oerr *err);

/** The connection's socket (for waiting on NOTIFY), or -1. */
int pg_sched_socket(const struct pg_sched *ps);

/** LISTEN on otad_sched on this connection. */
int pg_sched_listen(struct pg_sched *ps, struct oerr *err);

/** Consume input and drop pending notifications; returns how many were pending, -1 on a lost
 *  connection. */
int pg_sched_drain_notifies(struct pg_sched *ps);

/** The earliest next_tick_at of any task (ms), or -1 if none; -1 with *err on failure. */
int64_t pg_sched_earliest(struct pg_sched *ps, struct oerr *err);

/** Housekeeping: delete expired idempotency records and thing events no CONTINUOUS task still
 *  needs. */
int pg_sched_housekeeping(struct pg_sched *ps, int64_t now, struct oerr *err);

#endif
