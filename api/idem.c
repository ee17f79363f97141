/*
 * idem: the idempotent-create state machine over a leased connection.
 */
#include "api/idem.h"

#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/jsonv.h"
#include "api/req.h"
#include "engine/arena.h"
#include "store/db.h"
#include "store/idempotency.h"

struct idem {
    struct req *r;
    const char *token;
    char hash[65];
    idem_step_fn step;
    void *arg;
    struct dbconn *c;
    int status;
    char *json;
};

struct req *idem_req(struct idem *op)
{
    return op->r;
}

static void finish_error(struct idem *op, const struct oerr *err)
{
    if (op->c != NULL) {
        dbconn_release(op->c);
        op->c = NULL;
    }
    req_reply_error(op->r, err);
}

void idem_fail(struct idem *op, const struct oerr *err)
{
    finish_error(op, err);
}

void idem_abort(struct idem *op)
{
    if (op->c != NULL) {
        dbconn_release(op->c);
        op->c = NULL;
    }
}

static void on_commit(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct idem *op = arg;
    (void)res;
    if (err != NULL) {
        finish_error(op, err);
        return;
    }
    dbconn_release(op->c);
    op->c = NULL;
    req_reply_raw_json(op->r, op->status, op->json, strlen(op->json));
}

static void on_put(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct idem *op = arg;
    (void)res;
    if (err != NULL) {
        finish_error(op, err);
        return;
    }
    dbconn_commit(op->c, on_commit, op);
}

void idem_done(struct idem *op, int status, const char *json)
{
    op->status = status;
    op->json = arena_strdup(req_arena(op->r), json != NULL ? json : "");
    if (op->token == NULL) {
        dbconn_commit(op->c, on_commit, op);
        return;
    }
    idempotency_put(op->c, req_op(op->r), op->token, op->hash, status, op->json, req_now(op->r),
                    on_put, op);
}

static void on_lookup(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct idem *op = arg;
    if (err != NULL) {
        finish_error(op, err);
        return;
    }
    if (dbres_ntuples(res) == 0) {
        op->step(op, op->c, op->arg);
        return;
    }
    if (strcmp(dbres_get(res, 0, IDEMPOTENCY_HASH), op->hash) != 0) {
        struct oerr e;
        oerr_set(&e, OERR_CONFLICT, "ClientToken %s was already used with a different request",
                 op->token);
        finish_error(op, &e);
        return;
    }
    int status = (int)dbres_i64(res, 0, IDEMPOTENCY_STATUS);
    char *body = arena_strdup(req_arena(op->r), dbres_get(res, 0, IDEMPOTENCY_RESPONSE));
    dbconn_release(op->c);
    op->c = NULL;
    req_reply_raw_json(op->r, status, body, strlen(body));
}

static void on_begin(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct idem *op = arg;
    (void)res;
    if (err != NULL) {
        finish_error(op, err);
        return;
    }
    if (op->token == NULL) {
        op->step(op, op->c, op->arg);
        return;
    }
    idempotency_lock_get(op->c, req_op(op->r), op->token, req_now(op->r), on_lookup, op);
}

static void on_conn(void *arg, struct dbconn *c, const struct oerr *err)
{
    struct idem *op = arg;
    if (c == NULL) {
        req_reply_error(op->r, err);
        return;
    }
    op->c = c;
    dbconn_begin(c, on_begin, op);
}

void idem_run(struct req *r, const char *token, idem_step_fn step, void *arg)
{
    struct idem *op = arena_calloc(req_arena(r), 1, sizeof *op);
    op->r = r;
    op->token = token != NULL ? arena_strdup(req_arena(r), token) : NULL;
    op->step = step;
    op->arg = arg;
    if (token != NULL) {
        const cJSON *body = req_json(r, NULL);
        if (body != NULL)
            jsonv_canonical_hash(body, "ClientToken", op->hash);
    }
    db_acquire(req_app(r)->db, on_conn, op);
}
