/*
 * db: asynchronous libpq pool on a libevent loop.
 *
 * Each pool slot is one PGconn driven by socket events: PQconnectStart/PQconnectPoll while
 * connecting, then PQsendQueryParams + PQflush (waiting for writability while PQflush says 1),
 * and on readability PQconsumeInput and PQgetResult until it returns NULL (kore's
 * pgsql_read_result pattern). Results are cleared after the callback on every path.
 *
 * Slot states: DOWN (waiting to reconnect) -> CONNECTING -> IDLE <-> BUSY, IDLE -> LEASED
 * (owned by a transaction; BUSY-while-leased is tracked by slot->cur). Requests that cannot run
 * at once wait in a FIFO; callbacks that must not run inside the caller's frame (immediate
 * failures, leases) go through a deferred list flushed by one activated event.
 */
#include "store/db.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "engine/mem.h"
#include "store/log.h"

#define DB_QUEUE_MAX      65536
#define DB_BACKOFF_MIN_MS 100
#define DB_BACKOFF_MAX_MS 5000

enum slot_state { SLOT_DOWN = 0, SLOT_CONNECTING, SLOT_IDLE, SLOT_BUSY, SLOT_LEASED };

enum req_kind { REQ_QUERY = 0, REQ_ACQUIRE, REQ_ROLLBACK };

struct dbreq {
    struct dbreq *next;
    enum req_kind kind;
    char *sql;
    int nparams;
    char **params;
    db_result_fn cb;
    db_conn_fn acb;
    void *arg;
    struct dbconn *slot; /* deferred delivery: the leased slot */
    struct oerr err;     /* deferred delivery: the failure */
    int failed;
};

struct dbconn {
    struct db *db;
    int index;
    PGconn *conn;
    enum slot_state state;
    struct event *ev_read;  /* persistent while connected; one-shot while connecting */
    struct event *ev_write; /* one-shot */
    struct event *timer;    /* reconnect */
    int backoff_ms;
    struct dbreq *cur; /* in-flight statement */
    PGresult *result;  /* the result kept for cur */
};

struct dbres {
    PGresult *r;
};

struct db {
    struct event_base *base;
    char *conninfo;
    int size;
    struct dbconn *slots;
    struct dbreq *qhead, *qtail;
    size_t qlen;
    struct dbreq *dhead, *dtail; /* deferred deliveries */
    struct event *deferred_ev;
    uint64_t queries, errors, reconnects;
    unsigned rng;
};

static void slot_connect(struct dbconn *s);
static void slot_lost(struct dbconn *s, const char *why);
static void dispatch(struct db *db);
static void on_socket(evutil_socket_t fd, short what, void *arg);

/* ---- requests ---- */

static struct dbreq *req_new(enum req_kind kind, const char *sql, int nparams,
                             const char *const *params)
{
    struct dbreq *r = xcalloc(1, sizeof *r);
    r->kind = kind;
    if (sql != NULL)
        r->sql = xstrdup(sql);
    r->nparams = nparams;
    if (nparams > 0) {
        r->params = xcalloc((size_t)nparams, sizeof *r->params);
        for (int i = 0; i < nparams; i++)
            r->params[i] = params[i] != NULL ? xstrdup(params[i]) : NULL;
    }
    return r;
}

static void req_free(struct dbreq *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < r->nparams; i++)
        free(r->params[i]);
    free(r->params);
    free(r->sql);
    free(r);
}

/* Deliver r later, from the loop. */
static void defer(struct db *db, struct dbreq *r)
{
    r->next = NULL;
    if (db->dtail != NULL)
        db->dtail->next = r;
    else
        db->dhead = r;
    db->dtail = r;
    event_active(db->deferred_ev, EV_TIMEOUT, 0);
}

static void defer_failure(struct db *db, struct dbreq *r, enum oerr_code code, const char *msg)
{
    r->failed = 1;
    oerr_set(&r->err, code, "%s", msg);
    defer(db, r);
}

static void on_deferred(evutil_socket_t fd, short what, void *arg)
{
    struct db *db = arg;
    (void)fd;
    (void)what;
    struct dbreq *list = db->dhead;
    db->dhead = db->dtail = NULL;
    while (list != NULL) {
        struct dbreq *r = list;
        list = r->next;
        if (r->kind == REQ_ACQUIRE) {
            if (r->failed)
                r->acb(r->arg, NULL, &r->err);
            else
                r->acb(r->arg, r->slot, NULL);
        } else if (r->cb != NULL) {
            db->errors++;
            r->cb(r->arg, NULL, &r->err);
        }
        req_free(r);
    }
}

/* ---- slots ---- */

static void slot_close(struct dbconn *s)
{
    if (s->ev_read != NULL) {
        event_free(s->ev_read);
        s->ev_read = NULL;
    }
    if (s->ev_write != NULL) {
        event_free(s->ev_write);
        s->ev_write = NULL;
    }
    if (s->result != NULL) {
        PQclear(s->result);
        s->result = NULL;
    }
    if (s->conn != NULL) {
        PQfinish(s->conn);
        s->conn = NULL;
    }
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    slot_connect(arg);
}

static void schedule_reconnect(struct dbconn *s)
{
    struct db *db = s->db;
    s->state = SLOT_DOWN;
    db->rng = db->rng * 1103515245u + 12345u;
    int jitter = (int)((db->rng >> 8) % (unsigned)(s->backoff_ms / 2 + 1)) - s->backoff_ms / 4;
    int ms = s->backoff_ms + jitter;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(s->timer, &tv);
    s->backoff_ms = s->backoff_ms * 2 > DB_BACKOFF_MAX_MS ? DB_BACKOFF_MAX_MS : s->backoff_ms * 2;
}

static void wait_socket(struct dbconn *s, short what)
{
    evutil_socket_t fd = PQsocket(s->conn);
    struct event **evp = (what & EV_WRITE) ? &s->ev_write : &s->ev_read;
    if (*evp != NULL)
        event_free(*evp);
    *evp = event_new(s->db->base, fd, what, on_socket, s);
    event_add(*evp, NULL);
}

static void slot_connect(struct dbconn *s)
{
    slot_close(s);
    s->conn = PQconnectStart(s->db->conninfo);
    if (s->conn == NULL)
        mem_oom(0);
    if (PQstatus(s->conn) == CONNECTION_BAD) {
        log_debug("could not start connection to postgresql: %s", PQerrorMessage(s->conn));
        slot_close(s);
        schedule_reconnect(s);
        return;
    }
    PQsetnonblocking(s->conn, 1);
    s->state = SLOT_CONNECTING;
    wait_socket(s, EV_WRITE);
}

static void connect_step(struct dbconn *s)
{
    PostgresPollingStatusType st = PQconnectPoll(s->conn);
    switch (st) {
    case PGRES_POLLING_READING:
        wait_socket(s, EV_READ);
        return;
    case PGRES_POLLING_WRITING:
        wait_socket(s, EV_WRITE);
        return;
    case PGRES_POLLING_OK: {
        struct db *db = s->db;
        if (s->ev_read != NULL) {
            event_free(s->ev_read);
            s->ev_read = NULL;
        }
        if (s->ev_write != NULL) {
            event_free(s->ev_write);
            s->ev_write = NULL;
        }
        s->ev_read = event_new(db->base, PQsocket(s->conn), EV_READ | EV_PERSIST, on_socket, s);
        event_add(s->ev_read, NULL);
        if (s->backoff_ms > DB_BACKOFF_MIN_MS)
            log_info("postgresql connection %d re-established", s->index);
        s->backoff_ms = DB_BACKOFF_MIN_MS;
        s->state = SLOT_IDLE;
        dispatch(db);
        return;
    }
    default:
        if (s->backoff_ms == DB_BACKOFF_MIN_MS)
            log_warn("could not connect to postgresql: %s", PQerrorMessage(s->conn));
        slot_close(s);
        schedule_reconnect(s);
        return;
    }
}

static void complete(struct dbconn *s)
{
    struct db *db = s->db;
    struct dbreq *r = s->cur;
    PGresult *res = s->result;
    s->cur = NULL;
    s->result = NULL;

    int leased = (s->state == SLOT_LEASED);
    if (!leased)
        s->state = SLOT_IDLE;

    if (r->cb != NULL) {
        struct dbres wrapped = {res};
        ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            db->queries++;
            r->cb(r->arg, &wrapped, NULL);
        } else {
            struct oerr err;
            const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
            const char *msg = res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(s->conn);
            enum oerr_code code = OERR_INTERNAL;
            if (state != NULL && (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0))
                code = OERR_UNAVAILABLE;
            oerr_set(&err, code, "%s", msg);
            size_t n = strlen(err.msg);
            while (n > 0 && (err.msg[n - 1] == '\n' || err.msg[n - 1] == ' '))
                err.msg[--n] = '\0';
            db->errors++;
            r->cb(r->arg, res != NULL ? &wrapped : NULL, &err);
        }
    }
    if (res != NULL)
        PQclear(res);
    req_free(r);
    if (!leased)
        dispatch(db);
}

static void read_results(struct dbconn *s)
{
    if (!PQconsumeInput(s->conn)) {
        slot_lost(s, PQerrorMessage(s->conn));
        return;
    }
    PGnotify *n;
    while ((n = PQnotifies(s->conn)) != NULL)
        PQfreemem(n);
    while (s->cur != NULL && !PQisBusy(s->conn)) {
        PGresult *res = PQgetResult(s->conn);
        if (res == NULL) {
            complete(s);
            return;
        }
        /* keep the first error, else the last result */
        if (s->result != NULL && PQresultStatus(s->result) == PGRES_FATAL_ERROR) {
            PQclear(res);
        } else {
            if (s->result != NULL)
                PQclear(s->result);
            s->result = res;
        }
    }
    if (s->cur == NULL && PQstatus(s->conn) == CONNECTION_BAD)
        slot_lost(s, PQerrorMessage(s->conn));
}

static void flush(struct dbconn *s)
{
    int r = PQflush(s->conn);
    if (r < 0) {
        slot_lost(s, PQerrorMessage(s->conn));
    } else if (r == 1) {
        wait_socket(s, EV_WRITE);
    }
}

static void on_socket(evutil_socket_t fd, short what, void *arg)
{
    struct dbconn *s = arg;
    (void)fd;
    if (s->state == SLOT_CONNECTING) {
        connect_step(s);
        return;
    }
    if (s->conn == NULL)
        return;
    if (what & EV_WRITE)
        flush(s);
    if (s->conn != NULL && (what & EV_READ))
        read_results(s);
}

static void slot_start(struct dbconn *s, struct dbreq *r)
{
    s->cur = r;
    if (s->state != SLOT_LEASED)
        s->state = SLOT_BUSY;
    if (!PQsendQueryParams(s->conn, r->sql, r->nparams, NULL, (const char *const *)r->params, NULL,
                           NULL, 0)) {
        slot_lost(s, PQerrorMessage(s->conn));
        return;
    }
    flush(s);
}

/* The connection broke: fail what was in flight, reconnect in the background. */
static void slot_lost(struct dbconn *s, const char *why)
{
    struct db *db = s->db;
    log_warn("postgresql connection %d lost: %s", s->index, why);
    struct dbreq *r = s->cur;
    s->cur = NULL;
    int leased = (s->state == SLOT_LEASED);
    slot_close(s);
    db->reconnects++;
    if (r != NULL) {
        if (r->kind == REQ_ROLLBACK)
            req_free(r);
        else
            defer_failure(db, r, OERR_UNAVAILABLE, "database connection lost");
    }
    if (leased) {
        /* the lease holder learns of the loss on its next query; the slot stays leased (with no
           connection) until dbconn_release() */
        return;
    }
    schedule_reconnect(s);
}

static struct dbconn *idle_slot(struct db *db)
{
    for (int i = 0; i < db->size; i++) {
        if (db->slots[i].state == SLOT_IDLE)
            return &db->slots[i];
    }
    return NULL;
}

static void dispatch(struct db *db)
{
    while (db->qhead != NULL) {
        struct dbconn *s = idle_slot(db);
        if (s == NULL)
            return;
        struct dbreq *r = db->qhead;
        db->qhead = r->next;
        if (db->qhead == NULL)
            db->qtail = NULL;
        db->qlen--;
        r->next = NULL;
        if (r->kind == REQ_ACQUIRE) {
            s->state = SLOT_LEASED;
            r->slot = s;
            defer(db, r);
        } else {
            slot_start(s, r);
        }
    }
}

static void enqueue(struct db *db, struct dbreq *r)
{
    if (!db_ready(db)) {
        defer_failure(db, r, OERR_UNAVAILABLE, "database unavailable");
        return;
    }
    if (db->qlen >= DB_QUEUE_MAX) {
        defer_failure(db, r, OERR_UNAVAILABLE, "database request queue full");
        return;
    }
    r->next = NULL;
    if (db->qtail != NULL)
        db->qtail->next = r;
    else
        db->qhead = r;
    db->qtail = r;
    db->qlen++;
    dispatch(db);
}

/* ---- public ---- */

struct db *db_new(struct event_base *base, const char *conninfo, int size)
{
    struct db *db = xcalloc(1, sizeof *db);
    db->base = base;
    db->conninfo = xstrdup(conninfo);
    db->size = size < 1 ? 1 : size;
    db->slots = xcalloc((size_t)db->size, sizeof *db->slots);
    db->deferred_ev = event_new(base, -1, 0, on_deferred, db);
    db->rng = (unsigned)(uintptr_t)db;
    for (int i = 0; i < db->size; i++) {
        struct dbconn *s = &db->slots[i];
        s->db = db;
        s->index = i;
        s->backoff_ms = DB_BACKOFF_MIN_MS;
        s->timer = evtimer_new(base, on_timer, s);
        slot_connect(s);
    }
    return db;
}

void db_free(struct db *db)
{
    if (db == NULL)
        return;
    struct oerr err;
    oerr_set(&err, OERR_UNAVAILABLE, "database pool shut down");
    for (int i = 0; i < db->size; i++) {
        struct dbconn *s = &db->slots[i];
        if (s->cur != NULL) {
            if (s->cur->cb != NULL)
                s->cur->cb(s->cur->arg, NULL, &err);
            req_free(s->cur);
            s->cur = NULL;
        }
        slot_close(s);
        event_free(s->timer);
    }
    for (struct dbreq *r = db->qhead, *next; r != NULL; r = next) {
        next = r->next;
        if (r->kind == REQ_ACQUIRE)
            r->acb(r->arg, NULL, &err);
        else if (r->cb != NULL)
            r->cb(r->arg, NULL, &err);
        req_free(r);
    }
    for (struct dbreq *r = db->dhead, *next; r != NULL; r = next) {
        next = r->next;
        req_free(r);
    }
    event_free(db->deferred_ev);
    free(db->slots);
    free(db->conninfo);
    free(db);
}

int db_ready(const struct db *db)
{
    for (int i = 0; i < db->size; i++) {
        enum slot_state st = db->slots[i].state;
        if (st == SLOT_IDLE || st == SLOT_BUSY || (st == SLOT_LEASED && db->slots[i].conn))
            return 1;
    }
    return 0;
}

void db_stats(const struct db *db, struct db_stats *out)
{
    memset(out, 0, sizeof *out);
    out->size = db->size;
    for (int i = 0; i < db->size; i++) {
        enum slot_state st = db->slots[i].state;
        if (st == SLOT_IDLE || st == SLOT_BUSY || st == SLOT_LEASED)
            out->connected++;
        if (st == SLOT_BUSY || st == SLOT_LEASED)
            out->busy++;
    }
    out->queued = db->qlen;
    out->queries = db->queries;
    out->errors = db->errors;
    out->reconnects = db->reconnects;
}

void db_query(struct db *db, const char *sql, int nparams, const char *const *params,
              db_result_fn cb, void *arg)
{
    struct dbreq *r = req_new(REQ_QUERY, sql, nparams, params);
    r->cb = cb;
    r->arg = arg;
    enqueue(db, r);
}

void db_acquire(struct db *db, db_conn_fn cb, void *arg)
{
    struct dbreq *r = req_new(REQ_ACQUIRE, NULL, 0, NULL);
    r->acb = cb;
    r->arg = arg;
    enqueue(db, r);
}

void dbconn_query(struct dbconn *c, const char *sql, int nparams, const char *const *params,
                  db_result_fn cb, void *arg)
{
    struct dbreq *r = req_new(REQ_QUERY, sql, nparams, params);
    r->cb = cb;
    r->arg = arg;
    if (c->conn == NULL || c->cur != NULL) {
        defer_failure(c->db, r, OERR_UNAVAILABLE,
                      c->conn == NULL ? "database connection lost" : "connection busy");
        return;
    }
    slot_start(c, r);
}

void dbconn_begin(struct dbconn *c, db_result_fn cb, void *arg)
{
    dbconn_query(c, "BEGIN", 0, NULL, cb, arg);
}

void dbconn_commit(struct dbconn *c, db_result_fn cb, void *arg)
{
    dbconn_query(c, "COMMIT", 0, NULL, cb, arg);
}

void dbconn_release(struct dbconn *c)
{
    struct db *db = c->db;
    if (c->conn == NULL) {
        schedule_reconnect(c);
        return;
    }
    PGTransactionStatusType ts = PQtransactionStatus(c->conn);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
        c->state = SLOT_BUSY;
        slot_start(c, req_new(REQ_ROLLBACK, "ROLLBACK", 0, NULL));
        return;
    }
    c->state = SLOT_IDLE;
    dispatch(db);
}

int dbres_ntuples(const struct dbres *r)
{
    return PQntuples(r->r);
}

int dbres_nfields(const struct dbres *r)
{
    return PQnfields(r->r);
}

const char *dbres_get(const struct dbres *r, int row, int col)
{
    return PQgetvalue(r->r, row, col);
}

int dbres_len(const struct dbres *r, int row, int col)
{
    return PQgetlength(r->r, row, col);
}

int dbres_isnull(const struct dbres *r, int row, int col)
{
    return PQgetisnull(r->r, row, col);
}

int64_t dbres_i64(const struct dbres *r, int row, int col)
{
    if (PQgetisnull(r->r, row, col))
        return 0;
    return strtoll(PQgetvalue(r->r, row, col), NULL, 10);
}

double dbres_f64(const struct dbres *r, int row, int col)
{
    if (PQgetisnull(r->r, row, col))
        return 0;
    return strtod(PQgetvalue(r->r, row, col), NULL);
}

const char *dbres_sqlstate(const struct dbres *r)
{
    const char *s = PQresultErrorField(r->r, PG_DIAG_SQLSTATE);
    return s != NULL ? s : "";
}

int64_t dbres_affected(const struct dbres *r)
{
    const char *s = PQcmdTuples(r->r);
    return s[0] != '\0' ? strtoll(s, NULL, 10) : 0;
}
