/*
 * reply: answers built from a single-row store result, shared by the Get, Update and Delete
 * operations of the resource families: a store error goes through the funnel, no row is a 404
 * ResourceNotFoundException naming the resource, one row is the success status with the item
 * (or no body).
 */
#ifndef OTAD_API_REPLY_H
#define OTAD_API_REPLY_H

#include <cjson/cJSON.h>

struct dbres;
struct oerr;
struct req;

/** The shape of one single-row answer. */
struct reply_row {
    const char *resource_type; /* ResourceType of the 404 ("ManagedThing") */
    const char *label;         /* the path label naming the resource ("Identifier") */
    const char *noun;          /* for the message: "<noun> <id> not found" */
    int status;                /* success status */
    /** The body of the found row (a new cJSON the reply takes); NULL: no body. */
    cJSON *(*body)(const struct dbres *res, int row);
};

/** The argument for reply_row_done() answering r with shape (allocated in r's arena). */
void *reply_row_arg(struct req *r, const struct reply_row *shape);

/** The db_result_fn that answers per the shape given to reply_row_arg(). */
void reply_row_done(void *arg, const struct dbres *res, const struct oerr *err);

/** 404 ResourceNotFoundException for the resource of shape named by r's label. */
void reply_row_not_found(struct req *r, const struct reply_row *shape);

#endif
