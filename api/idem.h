/*
 * idem: the idempotent-create flow shared by every Create operation that takes a ClientToken.
 *
 *   idem_run(r, token, step, arg)
 *     -> lease a connection, BEGIN
 *     -> token given: lock the token and read its record
 *          same request (canonical hash of the body without ClientToken) -> the stored response
 *          different request -> 409 ConflictException
 *     -> step(op, conn, arg): the caller runs its statements on conn and ends with exactly one
 *        of idem_done() (status + JSON body: recorded with the token, committed, sent),
 *        idem_fail() (rolled back, error through the funnel) or idem_abort() (rolled back; the
 *        caller replies itself).
 *
 * Without a token the same flow runs with no record. The op lives in the request's arena.
 */
#ifndef OTAD_API_IDEM_H
#define OTAD_API_IDEM_H

#include "engine/oerr.h"

struct dbconn;
struct idem;
struct req;

typedef void (*idem_step_fn)(struct idem *op, struct dbconn *c, void *arg);

/** Start the flow for r (whose JSON body must already be parsed); token may be NULL. */
void idem_run(struct req *r, const char *token, idem_step_fn step, void *arg);

/** The request of the flow. */
struct req *idem_req(struct idem *op);

/** Finish successfully: record (status, json) for the token, commit, reply. json is copied. */
void idem_done(struct idem *op, int status, const char *json);

/** Finish with an error: roll back and reply through the funnel. */
void idem_fail(struct idem *op, const struct oerr *err);

/** Roll back and release without replying (the caller replies). */
void idem_abort(struct idem *op);

#endif
