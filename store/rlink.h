/*
 * rlink: Redis addressing and an asynchronous Redis link on a libevent loop (hiredis async),
 * used by the API thread to probe readiness. The link reconnects by itself with capped
 * exponential backoff. Addresses are "redis://host:port[/db]", "host:port", "unix:///path",
 * or a socket path ("/path/redis.sock").
 */
#ifndef OTAD_STORE_RLINK_H
#define OTAD_STORE_RLINK_H

#include "engine/oerr.h"

struct event_base;
struct rlink;

struct rlink_addr {
    char host[256]; /* empty for a unix socket */
    int port;
    char path[512]; /* unix socket path, or empty */
    int db;
};

/** Parse an address; -1 with OERR_INVALID on a malformed one. */
int rlink_parse_addr(const char *s, struct rlink_addr *out, struct oerr *err);

/** Called with ok = 1 when PING answered PONG, 0 on failure or timeout. */
typedef void (*rlink_ping_fn)(void *arg, int ok);

/** A link to addr on base; connects at once in the background. Free with rlink_free(). */
struct rlink *rlink_new(struct event_base *base, const struct rlink_addr *addr);

/** Close the link; pending pings are answered with ok = 0. Accepts NULL. */
void rlink_free(struct rlink *rl);

/** 1 if the link is connected. */
int rlink_connected(const struct rlink *rl);

/** Send PING; cb runs on the loop with the outcome (later, never inside this call). */
void rlink_ping(struct rlink *rl, rlink_ping_fn cb, void *arg);

#endif
