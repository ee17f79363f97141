/*
 * reply: the single-row answer.
 */
#include "api/reply.h"

#include "api/req.h"
#include "engine/arena.h"
#include "store/db.h"

struct row_ctx {
    struct req *r;
    const struct reply_row *shape;
};

void *reply_row_arg(struct req *r, const struct reply_row *shape)
{
    struct row_ctx *c = arena_calloc(req_arena(r), 1, sizeof *c);
    c->r = r;
    c->shape = shape;
    return c;
}

void reply_row_not_found(struct req *r, const struct reply_row *shape)
{
    const char *id = req_label(r, shape->label);
    req_reply_not_found(r, shape->resource_type, id, "%s %s not found", shape->noun,
                        id != NULL ? id : "");
}

void reply_row_done(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct row_ctx *c = arg;
    if (err != NULL) {
        req_reply_error(c->r, err);
        return;
    }
    if (dbres_ntuples(res) == 0) {
        reply_row_not_found(c->r, c->shape);
        return;
    }
    if (c->shape->body != NULL)
        req_reply_json(c->r, c->shape->status, c->shape->body(res, 0));
    else
        req_reply_empty(c->r, c->shape->status);
}
