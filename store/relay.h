/*
 * relay: the outbox relay thread (DESIGN.md section 5, SPEC.md section 10). It moves outbox
 * rows to Redis streams with pipelined XADD ... MAXLEN ~ N and deletes them only after Redis
 * acknowledged every one, inside the transaction that locked them (FOR UPDATE SKIP LOCKED, so
 * several otad processes relay disjoint batches). A Redis outage leaves the rows in place; the
 * relay retries with backoff and resumes by itself. Delivery is at least once.
 *
 * Streams (prefix default "otad:"):
 *   <prefix>notify:<shard>   fields thing, payload (notify-next JSON, built from the thing's
 *                            state when relayed); shard = FNV-1a-32(thing id) mod shards
 *   <prefix>events:<dest>    field payload (DEVICE_OTA envelope) for destination <dest>
 */
#ifndef OTAD_STORE_RELAY_H
#define OTAD_STORE_RELAY_H

#include <stdint.h>

#include "engine/oerr.h"
#include "store/rlink.h"

struct relay;

struct relay_config {
    const char *conninfo;
    struct rlink_addr redis;
    const char *prefix; /* stream name prefix */
    int64_t maxlen;     /* approximate stream length cap */
    int shards;         /* notify shards */
    const char *region; /* for ARNs and the envelope */
    const char *account_id;
};

struct relay_stats {
    int64_t relayed; /* messages acknowledged by Redis */
    int64_t batches;
    int64_t failures; /* batches rolled back (Redis or PostgreSQL trouble) */
    int redis_up;
};

/** The notify shard of a thing id. */
unsigned relay_notify_shard(const char *thing_id, int shards);

/** Start the relay thread; NULL with err on failure. Strings are copied. */
struct relay *relay_start(const struct relay_config *cfg, struct oerr *err);

/** Stop, join and free; accepts NULL. */
void relay_stop(struct relay *r);

/** A copy of the statistics (thread-safe). */
void relay_stats(struct relay *r, struct relay_stats *out);

#endif
