/*
 * notify: the listening end of otad's notify streams for `otasim load` (README "Redis
 * contract"): `<prefix>notify:<shard>` for shard 0..shards-1, entries with fields `thing` and
 * `payload`. A consumer group of its own (named per run) is created on every stream at its
 * current end before anything is created on the server, so the run sees exactly the entries
 * written after that; one hiredis async connection on the caller's libevent loop reads them
 * with XREADGROUP ... BLOCK (NOACK: delivery is at least once anyway and nothing is replayed)
 * and hands each (thing, payload) to the callback. notify_free() destroys the groups.
 *
 * The shard function is the contract's, re-derived here because sim/ may not use store/
 * (store/relay.h relay_notify_shard is the writer's side): every entry is checked to be on its
 * thing's shard, so a --notify-shards that differs from the server's OTAD_NOTIFY_SHARDS shows
 * up as `misrouted` entries instead of silently missed notifications.
 */
#ifndef OTAD_SIM_NOTIFY_H
#define OTAD_SIM_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/oerr.h"

struct event_base;
struct notify;

/** Most shards listened to. */
#define NOTIFY_MAX_SHARDS 1024

struct notify_config {
    const char *redis;  /* "host:port", "redis://host:port[/db]", or a unix socket path */
    const char *prefix; /* stream name prefix ("otad:") */
    int shards;         /* 1..NOTIFY_MAX_SHARDS: OTAD_NOTIFY_SHARDS of the server */
    const char *group;  /* consumer group name (unique per run) */
};

/** One entry: thing and payload are borrowed for the duration of the call. */
typedef void (*notify_fn)(void *arg, const char *thing, const char *payload, size_t len);

/**
 * Connect and create the groups (blocking, before returning); nothing is read before
 * notify_start(). NULL with OERR_UNAVAILABLE when Redis cannot be reached, OERR_INVALID on a
 * bad address.
 */
struct notify *notify_new(struct event_base *base, const struct notify_config *cfg, notify_fn fn,
                          void *arg, struct oerr *err);

/** Start reading on the loop: fn is called for every entry written since notify_new(). */
void notify_start(struct notify *n);

/** Stop reading, destroy the groups and free; accepts NULL. */
void notify_free(struct notify *n);

/** Entries received so far. */
int64_t notify_received(const struct notify *n);

/** Entries found on a stream that is not their thing's shard. */
int64_t notify_misrouted(const struct notify *n);

/** Read errors so far (the reader reconnects with backoff after each). */
int64_t notify_errors(const struct notify *n);

/** The notify shard of a thing id: FNV-1a 32-bit of its bytes mod shards (the contract). */
unsigned notify_shard(const char *thing, int shards);

#endif
