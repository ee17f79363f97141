/*
 * devupd: the device data plane's SQL and its group-commit batcher (see devupd.h).
 *
 * Requests wait in one FIFO per kind. A key set per kind holds the keys of the requests that
 * are in a batch being built or in flight, so no two rows of one statement (and no two
 * statements in flight on this loop) target the same execution; a request whose key is busy
 * stays in the FIFO for a later batch. Batches are built from a deferred "kick" event, so the
 * requests that arrive in one turn of the loop go together, and a lone request goes at once.
 *
 * While a batch is in flight, another connection takes the next one only when enough requests
 * wait or the oldest has waited SPILL_WAIT_US (see SPILL_WAITING).
 *
 * Each lease (one per connection) is DOWN (waiting to re-acquire), ACQUIRING, SETUP (creating
 * its session's functions, see FN_RETURNS), IDLE or BUSY. While no lease is up, requests wait up
 * to DOWN_WAIT_MS (start-up, reconnects) and then fail with OERR_UNAVAILABLE.
 *
 * Statuses appear in the SQL as the engine's enum values (checked below), never as names.
 */
#include "store/devupd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "engine/mem.h"
#include "store/clock.h"
#include "store/log.h"
#include "store/pgarray.h"

_Static_assert(EXECUTION_PLANNED == 0 && EXECUTION_QUEUED == 1 && EXECUTION_IN_PROGRESS == 2 &&
                   EXECUTION_SUCCEEDED == 3 && EXECUTION_FAILED == 4 && EXECUTION_TIMED_OUT == 5 &&
                   EXECUTION_REJECTED == 6 && EXECUTION_REMOVED == 7 && EXECUTION_CANCELED == 8,
               "the SQL of devupd.c spells execution statuses as these numbers");

#define BUCKETS          4096
#define RETRY_MS         250
#define DOWN_WAIT_MS     3000
#define DEADLOCK_RETRIES 3
#define SHARD_STRIDE     64
/* While a batch is in flight, the next one starts on another connection only when this many
   requests wait, or when the oldest has waited this long; otherwise they join the batch that
   follows the one in flight. A lone request on an idle service still goes at once. Fewer,
   larger batches cost less (one commit each), which keeps the tail short at moderate load. */
#define SPILL_WAITING 16
#define SPILL_WAIT_US 2000

enum kind { KIND_UPDATE = 0, KIND_START, KIND_MAX };

enum lease_state { LEASE_DOWN = 0, LEASE_ACQUIRING, LEASE_SETUP, LEASE_IDLE, LEASE_BUSY };

struct dreq {
    struct dreq *next, *prev; /* the FIFO, or the failed list */
    struct dreq *hnext;       /* the busy key set's bucket */
    enum kind kind;
    uint32_t hash;
    int64_t queued_ms; /* monotonic */
    int64_t queued_us; /* monotonic */
    char *key;         /* "job\037thing" or "thing" */
    char *job_id;
    char *thing;
    char *details;
    int64_t number, expected, step_ms;
    int to, want_doc;
    struct oerr err; /* for the failed list */
    devupd_fn cb;
    void *arg;
};

struct fifo {
    struct dreq *head, *tail;
    size_t n;
};

struct batch {
    struct lease *lease;
    enum kind kind;
    struct dreq **items;
    size_t n;
    int attempts;
    struct pgarray *arrays[9];
    int narrays;
    char now_s[24];
};

struct lease {
    struct devupd *d;
    int index;
    enum lease_state state;
    struct dbconn *conn;
    struct event *timer;
    char shard_s[16];
    struct batch *cur;
    int setup_step;
};

struct devupd {
    struct event_base *base;
    struct db *db;
    int nleases;
    struct lease *leases;
    size_t max_batch, max_queue;
    struct fifo wait[KIND_MAX];
    struct dreq *busy[KIND_MAX][BUCKETS];
    struct fifo failed;
    struct event *kick_ev;
    struct event *spill_ev; /* re-kicks when waiting requests reach SPILL_WAIT_US */
    char *fn[KIND_MAX];     /* CREATE FUNCTION statements, run on every new lease */
    int closing;
    struct devupd_stats stats;
};

static void kick(struct devupd *d);
static void lease_acquire(struct lease *l);

/* ---- small helpers ---- */

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t mono_ms(void)
{
    return mono_us() / 1000;
}

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? xstrdup(s) : NULL;
}

static void dreq_free(struct dreq *q)
{
    free(q->key);
    free(q->job_id);
    free(q->thing);
    free(q->details);
    free(q);
}

static void fifo_push(struct fifo *f, struct dreq *q)
{
    q->next = NULL;
    q->prev = f->tail;
    if (f->tail != NULL)
        f->tail->next = q;
    else
        f->head = q;
    f->tail = q;
    f->n++;
}

static void fifo_unlink(struct fifo *f, struct dreq *q)
{
    if (q->prev != NULL)
        q->prev->next = q->next;
    else
        f->head = q->next;
    if (q->next != NULL)
        q->next->prev = q->prev;
    else
        f->tail = q->prev;
    q->next = q->prev = NULL;
    f->n--;
}

/* ---- the busy key sets ---- */

static int busy_has(struct devupd *d, const struct dreq *q)
{
    for (struct dreq *b = d->busy[q->kind][q->hash % BUCKETS]; b != NULL; b = b->hnext) {
        if (b->hash == q->hash && strcmp(b->key, q->key) == 0)
            return 1;
    }
    return 0;
}

static void busy_add(struct devupd *d, struct dreq *q)
{
    struct dreq **head = &d->busy[q->kind][q->hash % BUCKETS];
    q->hnext = *head;
    *head = q;
}

static void busy_remove(struct devupd *d, struct dreq *q)
{
    for (struct dreq **p = &d->busy[q->kind][q->hash % BUCKETS]; *p != NULL; p = &(*p)->hnext) {
        if (*p == q) {
            *p = q->hnext;
            q->hnext = NULL;
            return;
        }
    }
}

/* ---- failing requests (always from the loop, never inside the caller's frame) ---- */

static void fail_later(struct devupd *d, struct dreq *q, enum oerr_code code, const char *msg)
{
    oerr_set(&q->err, code, "%s", msg);
    fifo_push(&d->failed, q);
    event_active(d->kick_ev, EV_TIMEOUT, 0);
}

static int leases_up(const struct devupd *d)
{
    int n = 0;
    for (int i = 0; i < d->nleases; i++) {
        if (d->leases[i].state == LEASE_IDLE || d->leases[i].state == LEASE_BUSY)
            n++;
    }
    return n;
}

/* While no connection is up, requests that waited longer than DOWN_WAIT_MS fail. */
static void fail_stale(struct devupd *d)
{
    if (leases_up(d) > 0)
        return;
    int64_t limit = mono_ms() - DOWN_WAIT_MS;
    for (int k = 0; k < KIND_MAX; k++) {
        struct dreq *q = d->wait[k].head;
        while (q != NULL && q->queued_ms <= limit) {
            struct dreq *next = q->next;
            fifo_unlink(&d->wait[k], q);
            fail_later(d, q, OERR_UNAVAILABLE, "database unavailable");
            q = next;
        }
    }
}

/* ---- the statements ---- */

/*
 * The effects shared by both statements, as CTEs over the CTE `up` (the changed executions,
 * columns task_id, thing_id, execution_number, retry_attempt, old_s, new_s, deadline); $1 is
 * now, $2 the connection's counter shard. The shape of CHANGE_EFFECTS in store/pg_sched.c, for
 * rows of many tasks:
 * - counter deltas aggregated per (task, status), applied in a fixed order;
 * - wake-ups: a task with a terminal transition is due now, one with a new deadline earlier than
 *   its next_tick_at is due at that deadline; task rows are locked in id order, and only those
 *   that change; pg_notify('otad_sched') when any task was woken.
 * The outbox rows are written by the function around the statement (FN_TAIL), and only when
 * there are some: the outbox trigger NOTIFYs for every INSERT statement, even one of no rows,
 * and PostgreSQL serialises the commits of notifying transactions, WAL flush included, which
 * would undo the group commit of two connections.
 */
#define EFFECTS                                                                                    \
    " dl AS (SELECT task_id, s, sum(v) AS v FROM ("                                                \
    "   SELECT task_id, old_s AS s, -1 AS v FROM up WHERE old_s <> new_s"                          \
    "   UNION ALL SELECT task_id, new_s, 1 FROM up WHERE old_s <> new_s) x GROUP BY task_id, s),"  \
    " cnt AS (INSERT INTO task_counters (task_id, status, shard, n)"                               \
    "   SELECT task_id, s, $2::integer, v FROM dl WHERE v <> 0 ORDER BY task_id, s"                \
    "   ON CONFLICT (task_id, status, shard) DO UPDATE SET n = task_counters.n + EXCLUDED.n),"     \
    " wk AS (SELECT task_id, min(at) AS at FROM ("                                                 \
    "   SELECT task_id, $1::bigint AS at FROM up WHERE new_s NOT IN (1, 2)"                        \
    "   UNION ALL SELECT task_id, deadline FROM up WHERE deadline IS NOT NULL) x"                  \
    "   GROUP BY task_id),"                                                                        \
    " wl AS (SELECT t.id, wk.at FROM tasks t JOIN wk ON wk.task_id = t.id"                         \
    "   WHERE t.next_tick_at IS NULL OR t.next_tick_at > wk.at"                                    \
    "   ORDER BY t.id FOR NO KEY UPDATE OF t),"                                                    \
    " wake AS (UPDATE tasks t SET next_tick_at = wl.at FROM wl WHERE t.id = wl.id"                 \
    "   AND (t.next_tick_at IS NULL OR t.next_tick_at > wl.at) RETURNING 1),"                      \
    " nt AS (SELECT pg_notify('otad_sched', '') FROM (SELECT 1 FROM wake LIMIT 1) x)"

/* Whether the batch woke a task. Referencing `nt` is what runs it: PostgreSQL evaluates a
 * plain SELECT in WITH only when the query reads it, so an unreferenced pg_notify never fires. */
#define WOKE_COL " (SELECT count(*) FROM nt) AS r_woke"

/* The columns of a changed execution in the statements' results. */
#define CHANGE_COLS                                                                                \
    " u.task_id AS c_task, u.thing_id AS c_thing, u.execution_number AS c_n,"                      \
    " u.retry_attempt AS c_r, u.new_s AS c_s,"                                                     \
    " coalesce(u.old_s <> u.new_s, false) AS c_changed"

/* The in-progress timeout of task t's push configuration, in ms (NULL when none). */
#define T_IN_PROGRESS_TIMEOUT_MS                                                                   \
    " ((t.push_config #>> '{TimeoutConfig,InProgressTimeoutInMinutes}')::numeric"                  \
    " * 60000)::bigint"

/* Columns of both statements' results. */
enum out_col {
    O_I = 0,
    O_OUTCOME,
    O_JOB,
    O_STATUS,
    O_DETAILS,
    O_QUEUED,
    O_STARTED,
    O_UPDATED,
    O_DEADLINE,
    O_VERSION,
    O_NUMBER,
    O_DOC
};

/*
 * UpdateJobExecution for a batch. $3.. per request: job id, thing, execution number (NULL =
 * latest), requested status, the engine's from-state mask for it, expected version (NULL =
 * none), statusDetails (NULL = unchanged), step timer ms (NULL = unchanged, -1 = clear), whether
 * the job document is wanted.
 *
 * `lk` locks the target executions in (thing, task) order (start-next locks in thing order, so
 * the two never wait on each other in a cycle); `dec` decides each row's outcome from the locked
 * (current) row; `nv` computes the new timers; `up` applies the legal ones.
 */
static const char update_head[] =
    "WITH r AS (SELECT * FROM unnest($3::text[], $4::text[], $5::bigint[], $6::smallint[],"
    "   $7::integer[], $8::bigint[], $9::text[], $10::bigint[], $11::boolean[])"
    "   WITH ORDINALITY AS r(job_id, thing_id, n, to_s, mask, ev, details, step_ms, want_doc, i)),"
    " lk AS (SELECT r.i, e.task_id, e.execution_number, e.status, e.version, e.retry_attempt,"
    "   e.status_details, e.queued_at, e.started_at, e.updated_at, e.in_progress_timeout_ms,"
    "   e.step_set_at, e.step_timeout_ms, e.deadline"
    "   FROM r JOIN tasks t ON t.job_id = r.job_id AND t.status <> 'DELETION_IN_PROGRESS'"
    "   JOIN executions e ON e.task_id = t.id AND e.thing_id = r.thing_id AND e.status <> 0"
    "   AND CASE WHEN r.n IS NULL THEN e.latest ELSE e.execution_number = r.n END"
    "   ORDER BY e.thing_id COLLATE \"C\", e.task_id COLLATE \"C\" FOR UPDATE OF e),"
    " dec AS (SELECT r.i, r.job_id, r.thing_id, r.to_s, r.details, r.step_ms,"
    "   CASE WHEN r.want_doc THEN t.job_document END AS doc," T_IN_PROGRESS_TIMEOUT_MS
    " AS ipt_new,"
    "   l.task_id, l.execution_number, l.retry_attempt, l.status AS old_s, l.version,"
    "   l.status_details, l.queued_at, l.started_at, l.updated_at,"
    "   l.in_progress_timeout_ms, l.step_set_at, l.step_timeout_ms, l.deadline,"
    "   CASE WHEN NOT EXISTS (SELECT 1 FROM things h WHERE h.id = r.thing_id) THEN 1"
    "   WHEN t.id IS NULL THEN 2 WHEN l.i IS NULL THEN 3"
    "   WHEN r.ev IS NOT NULL AND r.ev <> l.version THEN 4"
    "   WHEN (r.mask >> l.status) & 1 = 0 THEN 5 ELSE 0 END AS outcome"
    "   FROM r LEFT JOIN tasks t ON t.job_id = r.job_id"
    "   AND t.status <> 'DELETION_IN_PROGRESS' LEFT JOIN lk l ON l.i = r.i),"
    " nv AS (SELECT d.i, d.task_id, d.thing_id, d.execution_number, d.old_s, d.to_s, d.details,"
    "   s.started, s.ipt, s.step_at, s.step_len,"
    /* the deadline mirrors execution_deadline() in engine/execution.c: the earlier of
       the two terms, a term only when both its parts are set (LEAST ignores NULLs) */
    "   CASE WHEN d.to_s = 2 THEN LEAST(s.started + s.ipt, s.step_at + s.step_len)"
    "   END AS deadline"
    "   FROM dec d, LATERAL (SELECT"
    "   CASE WHEN d.old_s = 1 AND d.to_s = 2 THEN $1::bigint ELSE d.started_at END"
    "   AS started,"
    "   CASE WHEN d.old_s = 1 AND d.to_s = 2 THEN d.ipt_new"
    "   ELSE d.in_progress_timeout_ms END AS ipt,"
    "   CASE WHEN d.to_s <> 2 OR d.step_ms IS NULL THEN d.step_set_at"
    "   WHEN d.step_ms < 0 THEN NULL ELSE $1::bigint END AS step_at,"
    "   CASE WHEN d.to_s <> 2 OR d.step_ms IS NULL THEN d.step_timeout_ms"
    "   WHEN d.step_ms < 0 THEN NULL ELSE d.step_ms END AS step_len) s"
    "   WHERE d.outcome = 0),"
    " up AS (UPDATE executions e SET status = n.to_s, version = e.version + 1,"
    "   updated_at = $1::bigint,"
    "   status_details = coalesce(n.details::jsonb, e.status_details),"
    "   started_at = n.started, in_progress_timeout_ms = n.ipt, step_set_at = n.step_at,"
    "   step_timeout_ms = n.step_len, deadline = n.deadline,"
    "   decided = CASE WHEN n.to_s = 4 THEN false ELSE e.decided END"
    "   FROM nv n WHERE e.task_id = n.task_id AND e.thing_id = n.thing_id"
    "   AND e.execution_number = n.execution_number"
    "   RETURNING n.i, e.task_id, e.thing_id, e.execution_number, e.retry_attempt,"
    "   n.old_s, e.status AS new_s, e.version,"
    "   e.status_details, e.started_at, e.updated_at, e.deadline),";

static const char update_tail[] =
    " SELECT d.i AS r_i, d.outcome AS r_outcome, d.job_id AS r_job,"
    " coalesce(u.new_s, d.old_s) AS r_status,"
    " coalesce(u.status_details, d.status_details)::text AS r_details, d.queued_at AS r_queued,"
    " coalesce(u.started_at, d.started_at) AS r_started,"
    " coalesce(u.updated_at, d.updated_at) AS r_updated,"
    " CASE WHEN u.i IS NOT NULL THEN u.deadline ELSE d.deadline END AS r_deadline,"
    " coalesce(u.version, d.version) AS r_version, d.execution_number AS r_number,"
    " d.doc AS r_doc," CHANGE_COLS "," WOKE_COL " FROM dec d LEFT JOIN up u ON u.i = d.i";

/*
 * StartNextPendingJobExecution for a batch. $3.. per request: thing, statusDetails (NULL =
 * unchanged), step timer ms (NULL = none). Requests come sorted by thing, and `c` locks each
 * thing's next pending execution in that order; an IN_PROGRESS one is returned unchanged, a
 * QUEUED one is started: started_at, the task's in-progress timeout captured, the step timer and
 * the deadline (as in update_head), version + 1.
 */
#define PENDING_VISIBLE                                                                            \
    " e.status IN (1, 2) AND t.status <> 'DELETION_IN_PROGRESS'"                                   \
    " AND (e.status = 2 OR t.status <> 'SCHEDULED')"
#define PENDING_ORDER " ORDER BY (e.status = 2) DESC, e.queued_at, e.task_id"

static const char start_head[] =
    "WITH r AS (SELECT * FROM unnest($3::text[], $4::text[], $5::bigint[])"
    "   WITH ORDINALITY AS r(thing_id, details, step_ms, i)),"
    " c AS (SELECT r.i, x.* FROM r CROSS JOIN LATERAL (SELECT e.task_id, t.job_id,"
    "   e.execution_number, e.status, e.version, e.retry_attempt, e.status_details, e.queued_at,"
    "   e.started_at, e.updated_at, e.deadline, t.job_document," T_IN_PROGRESS_TIMEOUT_MS
    " AS ipt_new"
    "   FROM executions e JOIN tasks t ON t.id = e.task_id"
    "   WHERE e.thing_id = r.thing_id AND" PENDING_VISIBLE PENDING_ORDER
    "   LIMIT 1 FOR UPDATE OF e) x),"
    " dec AS (SELECT r.i, r.thing_id, r.details, r.step_ms, c.task_id, c.job_id,"
    "   c.execution_number, c.status, c.version, c.retry_attempt, c.status_details,"
    "   c.queued_at, c.started_at, c.updated_at, c.deadline, c.job_document, c.ipt_new,"
    "   CASE WHEN NOT EXISTS (SELECT 1 FROM things h WHERE h.id = r.thing_id) THEN 1"
    "   WHEN c.i IS NULL THEN 6 WHEN c.status = 2 THEN 7 ELSE 0 END AS outcome"
    "   FROM r LEFT JOIN c ON c.i = r.i),"
    " up AS (UPDATE executions e SET status = 2, version = e.version + 1,"
    "   updated_at = $1::bigint, started_at = $1::bigint,"
    "   status_details = coalesce(d.details::jsonb, e.status_details),"
    "   in_progress_timeout_ms = d.ipt_new,"
    "   step_set_at = CASE WHEN d.step_ms IS NOT NULL THEN $1::bigint END,"
    "   step_timeout_ms = d.step_ms,"
    /* mirrors execution_deadline() in engine/execution.c (LEAST ignores NULLs) */
    "   deadline = LEAST($1::bigint + d.ipt_new, $1::bigint + d.step_ms)"
    "   FROM dec d WHERE d.outcome = 0 AND e.task_id = d.task_id"
    "   AND e.thing_id = d.thing_id AND e.execution_number = d.execution_number"
    "   RETURNING d.i, e.task_id, e.thing_id, e.execution_number, e.retry_attempt,"
    "   1::smallint AS old_s, e.status AS new_s, e.version, e.status_details,"
    "   e.started_at, e.updated_at, e.deadline),";

static const char start_tail[] =
    " SELECT d.i AS r_i, d.outcome AS r_outcome, d.job_id AS r_job,"
    " coalesce(u.new_s, d.status) AS r_status,"
    " coalesce(u.status_details, d.status_details)::text AS r_details, d.queued_at AS r_queued,"
    " coalesce(u.started_at, d.started_at) AS r_started,"
    " coalesce(u.updated_at, d.updated_at) AS r_updated,"
    " CASE WHEN u.i IS NOT NULL THEN u.deadline ELSE d.deadline END AS r_deadline,"
    " coalesce(u.version, d.version) AS r_version, d.execution_number AS r_number,"
    " d.job_document AS r_doc," CHANGE_COLS "," WOKE_COL " FROM dec d LEFT JOIN up u ON u.i = d.i";

static const char effects[] = EFFECTS;

/*
 * Each statement runs inside a PL/pgSQL function created on the connection when it is leased
 * (pg_temp, so nothing is added to the schema): the function's plan is prepared once per
 * connection (plan_cache_mode = force_generic_plan on these connections), where an unnamed
 * statement of this size would be planned again for every batch. The function returns the
 * statement's rows and then writes the outbox rows of the batch, if there are any:
 * - kind 1 (notify-next) for each thing with a terminal transition (its pending list changed);
 * - kind 3 (DEVICE_OTA execution event, payload as in CHANGE_EFFECTS) for each status change,
 *   when a DEVICE_OTA notification configuration exists.
 */
#define FN_RETURNS                                                                                 \
    " RETURNS TABLE (o_i bigint, o_outcome integer, o_job text, o_status smallint,"                \
    " o_details text, o_queued bigint, o_started bigint, o_updated bigint, o_deadline bigint,"     \
    " o_version bigint, o_number bigint, o_doc text) LANGUAGE plpgsql AS $fn$"                     \
    " #variable_conflict use_column"                                                               \
    " DECLARE rec record; n1 text[] := '{}'; e_task text[] := '{}'; e_thing text[] := '{}';"       \
    " e_n bigint[] := '{}'; e_s smallint[] := '{}'; e_r integer[] := '{}';"                        \
    " BEGIN FOR rec IN "

static const char fn_tail[] =
    " LOOP"
    " IF rec.c_changed THEN"
    "   e_task := e_task || rec.c_task; e_thing := e_thing || rec.c_thing;"
    "   e_n := e_n || rec.c_n; e_s := e_s || rec.c_s; e_r := e_r || rec.c_r;"
    "   IF rec.c_s NOT IN (1, 2) THEN n1 := n1 || rec.c_thing; END IF;"
    " END IF;"
    " o_i := rec.r_i; o_outcome := rec.r_outcome; o_job := rec.r_job;"
    " o_status := rec.r_status; o_details := rec.r_details; o_queued := rec.r_queued;"
    " o_started := rec.r_started; o_updated := rec.r_updated; o_deadline := rec.r_deadline;"
    " o_version := rec.r_version; o_number := rec.r_number; o_doc := rec.r_doc;"
    " RETURN NEXT;"
    " END LOOP;"
    " IF cardinality(n1) > 0 THEN"
    "   INSERT INTO outbox (kind, key, payload, created_at)"
    "   SELECT DISTINCT 1, k, '', $1 FROM unnest(n1) k;"
    " END IF;"
    " IF cardinality(e_task) > 0 AND EXISTS (SELECT 1 FROM notification_configurations"
    "   WHERE event_type = 'DEVICE_OTA') THEN"
    "   INSERT INTO outbox (kind, key, payload, created_at)"
    "   SELECT 3, nc.destination_name, json_build_object('task', x.task, 'thing', x.thing,"
    "   'n', x.n, 's', x.s, 'r', x.r, 'at', $1)::text, $1"
    "   FROM unnest(e_task, e_thing, e_n, e_s, e_r) AS x(task, thing, n, s, r)"
    "   CROSS JOIN notification_configurations nc WHERE nc.event_type = 'DEVICE_OTA';"
    " END IF;"
    " END $fn$";

static const char update_fn[] =
    "CREATE OR REPLACE FUNCTION pg_temp.devupd_update(bigint, integer, text[], text[], bigint[],"
    " smallint[], integer[], bigint[], text[], bigint[], boolean[])" FN_RETURNS;

static const char start_fn[] = "CREATE OR REPLACE FUNCTION pg_temp.devupd_start(bigint, integer, "
                               "text[], text[], bigint[])" FN_RETURNS;

/* What a batch sends. */
static const char *const batch_sql[KIND_MAX] = {
    [KIND_UPDATE] = "SELECT * FROM pg_temp.devupd_update($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
                    " $11)",
    [KIND_START] = "SELECT * FROM pg_temp.devupd_start($1, $2, $3, $4, $5)",
};

/* A statement assembled from parts (C limits one string literal to 4095 characters). */
static char *join5(const char *a, const char *b, const char *c, const char *d, const char *e)
{
    const char *parts[5] = {a, b, c, d, e};
    size_t len = 0;
    for (int i = 0; i < 5; i++)
        len += strlen(parts[i]);
    char *s = xmalloc(len + 1), *o = s;
    for (int i = 0; i < 5; i++) {
        size_t n = strlen(parts[i]);
        memcpy(o, parts[i], n);
        o += n;
    }
    *o = '\0';
    return s;
}

/* ---- batches ---- */

static void batch_free(struct batch *b)
{
    for (int i = 0; i < b->narrays; i++)
        pgarray_free(b->arrays[i]);
    free(b->items);
    free(b);
}

static int cmp_thing(const void *a, const void *b)
{
    const struct dreq *x = *(struct dreq *const *)a;
    const struct dreq *y = *(struct dreq *const *)b;
    return strcmp(x->thing, y->thing);
}

/* Take up to max_batch waiting requests of kind whose keys are free; NULL if none. */
static struct batch *batch_take(struct devupd *d, enum kind kind)
{
    struct fifo *f = &d->wait[kind];
    struct batch *b = NULL;
    for (struct dreq *q = f->head, *next; q != NULL; q = next) {
        next = q->next;
        if (busy_has(d, q))
            continue;
        if (b == NULL) {
            b = xcalloc(1, sizeof *b);
            b->kind = kind;
            size_t cap = f->n < d->max_batch ? f->n : d->max_batch;
            b->items = xcalloc(cap, sizeof *b->items);
        }
        fifo_unlink(f, q);
        busy_add(d, q);
        b->items[b->n++] = q;
        if (b->n == d->max_batch)
            break;
    }
    return b;
}

/* The array parameters of a batch (one PostgreSQL array literal per column). */
static void batch_params(struct batch *b)
{
    enum { N_UPDATE = 9, N_START = 3 };
    struct pgarray **a = b->arrays;
    b->narrays = b->kind == KIND_UPDATE ? N_UPDATE : N_START;
    for (int k = 0; k < b->narrays; k++)
        a[k] = pgarray_new();
    if (b->kind == KIND_START)
        qsort(b->items, b->n, sizeof *b->items, cmp_thing);
    for (size_t i = 0; i < b->n; i++) {
        const struct dreq *q = b->items[i];
        if (b->kind == KIND_UPDATE) {
            pgarray_text(a[0], q->job_id);
            pgarray_text(a[1], q->thing);
            if (q->number < 0)
                pgarray_null(a[2]);
            else
                pgarray_int(a[2], q->number);
            pgarray_int(a[3], q->to);
            pgarray_int(a[4], (int64_t)execution_device_from_mask((enum execution_status)q->to));
            if (q->expected < 0)
                pgarray_null(a[5]);
            else
                pgarray_int(a[5], q->expected);
            pgarray_text(a[6], q->details);
            if (q->step_ms == 0)
                pgarray_null(a[7]);
            else
                pgarray_int(a[7], q->step_ms);
            pgarray_bool(a[8], q->want_doc);
        } else {
            pgarray_text(a[0], q->thing);
            pgarray_text(a[1], q->details);
            if (q->step_ms <= 0)
                pgarray_null(a[2]);
            else
                pgarray_int(a[2], q->step_ms);
        }
    }
}

static void on_batch(void *arg, const struct dbres *res, const struct oerr *err);
static void dispatch(struct devupd *d);

static void batch_send(struct batch *b)
{
    struct lease *l = b->lease;
    const char *p[11];
    p[0] = b->now_s;
    p[1] = l->shard_s;
    for (int k = 0; k < b->narrays; k++)
        p[2 + k] = pgarray_str(b->arrays[k]);
    l->state = LEASE_BUSY;
    l->cur = b;
    b->attempts++;
    dbconn_query(l->conn, batch_sql[b->kind], 2 + b->narrays, p, on_batch, b);
}

static int64_t col_ms(const struct dbres *res, int row, int col)
{
    return dbres_isnull(res, row, col) ? -1 : dbres_i64(res, row, col);
}

/* Hand each request its row. */
static void batch_deliver(struct batch *b, const struct dbres *res)
{
    struct devupd *d = b->lease->d;
    int rows = dbres_ntuples(res);
    int *seen = xcalloc(b->n, sizeof *seen);
    for (int row = 0; row < rows; row++) {
        int64_t i = dbres_i64(res, row, O_I);
        if (i < 1 || (size_t)i > b->n || seen[i - 1])
            continue;
        seen[i - 1] = 1;
        struct dreq *q = b->items[i - 1];
        struct devupd_result r;
        memset(&r, 0, sizeof r);
        r.outcome = (enum devupd_outcome)dbres_i64(res, row, O_OUTCOME);
        r.ex.job_id = dbres_isnull(res, row, O_JOB) ? q->job_id : dbres_get(res, row, O_JOB);
        r.ex.status = (enum execution_status)dbres_i64(res, row, O_STATUS);
        r.ex.status_details =
            dbres_isnull(res, row, O_DETAILS) ? NULL : dbres_get(res, row, O_DETAILS);
        r.ex.queued_at = col_ms(res, row, O_QUEUED);
        r.ex.started_at = col_ms(res, row, O_STARTED);
        r.ex.updated_at = col_ms(res, row, O_UPDATED);
        r.ex.deadline = col_ms(res, row, O_DEADLINE);
        r.ex.version = dbres_i64(res, row, O_VERSION);
        r.ex.execution_number = dbres_i64(res, row, O_NUMBER);
        r.ex.job_document = dbres_isnull(res, row, O_DOC) ? NULL : dbres_get(res, row, O_DOC);
        q->cb(q->arg, &r, NULL);
    }
    struct oerr miss;
    oerr_set(&miss, OERR_INTERNAL, "device batch returned no row for a request");
    for (size_t i = 0; i < b->n; i++) {
        if (!seen[i]) {
            d->stats.failures++;
            b->items[i]->cb(b->items[i]->arg, NULL, &miss);
        }
    }
    free(seen);
}

static void batch_finish(struct batch *b)
{
    struct devupd *d = b->lease->d;
    for (size_t i = 0; i < b->n; i++) {
        busy_remove(d, b->items[i]);
        dreq_free(b->items[i]);
    }
    batch_free(b);
}

static void on_batch(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct batch *b = arg;
    struct lease *l = b->lease;
    struct devupd *d = l->d;
    l->cur = NULL;
    if (err == NULL) {
        d->stats.batches++;
        d->stats.requests += b->n;
        if (b->n > d->stats.max_batch)
            d->stats.max_batch = b->n;
        int h = b->n < 2 ? 0 : b->n < 10 ? 1 : b->n < 100 ? 2 : b->n < 1000 ? 3 : 4;
        d->stats.size_hist[h]++;
        l->state = LEASE_IDLE;
        /* the next batch goes out first, so PostgreSQL works on it while the replies of this
           one are written (this batch's keys stay busy until it is finished) */
        if (!d->closing)
            dispatch(d);
        batch_deliver(b, res);
        batch_finish(b);
        /* duplicates of this batch's keys may wait */
        if (!d->closing && d->wait[KIND_UPDATE].n + d->wait[KIND_START].n > 0)
            kick(d);
        return;
    }
    const char *state = res != NULL ? dbres_sqlstate(res) : "";
    int lost = res == NULL;
    if (!lost && !d->closing && b->attempts < DEADLOCK_RETRIES &&
        (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0)) {
        /* the whole transaction rolled back: run the same batch again */
        d->stats.retries++;
        log_info("device batch of %zu requests retried after %s", b->n, err->msg);
        batch_send(b);
        return;
    }
    if (err->code != OERR_UNAVAILABLE || !d->closing)
        log_warn("device batch of %zu requests failed: %s", b->n, err->msg);
    struct oerr out;
    oerr_set(&out, err->code == OERR_UNAVAILABLE ? OERR_UNAVAILABLE : OERR_INTERNAL,
             "device batch failed: %s", err->msg);
    d->stats.failures += b->n;
    for (size_t i = 0; i < b->n; i++)
        b->items[i]->cb(b->items[i]->arg, NULL, &out);
    batch_finish(b);
    if (d->closing)
        return;
    if (lost) {
        /* the connection is gone: give the slot back (it reconnects) and lease again */
        dbconn_release(l->conn);
        l->conn = NULL;
        lease_acquire(l);
    } else {
        l->state = LEASE_IDLE;
    }
    kick(d);
}

/* ---- dispatch ---- */

/* 1 if the waiting requests should rather join the batch after the one in flight (see
   SPILL_WAITING); then the spill timer is armed for when the oldest has waited enough. */
static int hold_for_busy(struct devupd *d, const struct dreq *hu, const struct dreq *hs)
{
    int busy = 0;
    for (int i = 0; i < d->nleases; i++)
        busy += d->leases[i].state == LEASE_BUSY;
    if (busy == 0 || d->wait[KIND_UPDATE].n + d->wait[KIND_START].n >= SPILL_WAITING)
        return 0;
    int64_t oldest = hu == NULL                      ? hs->queued_us
                     : hs == NULL                    ? hu->queued_us
                     : hu->queued_us < hs->queued_us ? hu->queued_us
                                                     : hs->queued_us;
    int64_t left = oldest + SPILL_WAIT_US - mono_us();
    if (left <= 0)
        return 0;
    if (!evtimer_pending(d->spill_ev, NULL)) {
        struct timeval tv = {0, (suseconds_t)left};
        evtimer_add(d->spill_ev, &tv);
    }
    return 1;
}

/* Start a batch on every idle connection that has work, per the spill rule. */
static void dispatch(struct devupd *d)
{
    for (int i = 0; i < d->nleases; i++) {
        struct lease *l = &d->leases[i];
        if (l->state != LEASE_IDLE)
            continue;
        /* the kind whose oldest waiting request is older goes first */
        struct dreq *hu = d->wait[KIND_UPDATE].head, *hs = d->wait[KIND_START].head;
        if (hu == NULL && hs == NULL)
            return;
        if (hold_for_busy(d, hu, hs))
            return;
        enum kind first = (hu != NULL && (hs == NULL || hu->queued_ms <= hs->queued_ms))
                              ? KIND_UPDATE
                              : KIND_START;
        struct batch *b = batch_take(d, first);
        if (b == NULL)
            b = batch_take(d, first == KIND_UPDATE ? KIND_START : KIND_UPDATE);
        if (b == NULL)
            return; /* everything waiting targets an execution already in flight */
        b->lease = l;
        snprintf(b->now_s, sizeof b->now_s, "%" PRId64, clock_now_ms());
        batch_params(b);
        batch_send(b);
    }
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
    struct devupd *d = arg;
    (void)fd;
    (void)what;
    while (d->failed.head != NULL) {
        struct dreq *q = d->failed.head;
        fifo_unlink(&d->failed, q);
        q->cb(q->arg, NULL, &q->err);
        dreq_free(q);
    }
    if (!d->closing)
        dispatch(d);
}

static void kick(struct devupd *d)
{
    event_active(d->kick_ev, EV_TIMEOUT, 0);
}

static void on_spill(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    kick(arg);
}

/* ---- leases ---- */

/* The lease is lost or unusable: give the slot back (it reconnects) and retry later. */
static void lease_retry(struct lease *l)
{
    if (l->conn != NULL)
        dbconn_release(l->conn);
    l->conn = NULL;
    l->state = LEASE_DOWN;
    struct timeval tv = {0, RETRY_MS * 1000};
    evtimer_add(l->timer, &tv);
    fail_stale(l->d);
}

static void setup_next(struct lease *l);

static void on_setup(void *arg, const struct dbres *res, const struct oerr *err)
{
    struct lease *l = arg;
    (void)res;
    if (l->d->closing)
        return;
    if (err != NULL) {
        log_warn("device connection %d could not be prepared: %s", l->index, err->msg);
        lease_retry(l);
        return;
    }
    l->setup_step++;
    setup_next(l);
}

/* Prepare a new lease: generic plans, then the two functions; then it takes batches. */
static void setup_next(struct lease *l)
{
    struct devupd *d = l->d;
    switch (l->setup_step) {
    case 0:
        dbconn_query(l->conn, "SET plan_cache_mode = force_generic_plan", 0, NULL, on_setup, l);
        return;
    case 1:
        dbconn_query(l->conn, d->fn[KIND_UPDATE], 0, NULL, on_setup, l);
        return;
    case 2:
        dbconn_query(l->conn, d->fn[KIND_START], 0, NULL, on_setup, l);
        return;
    default:
        l->state = LEASE_IDLE;
        kick(d);
        return;
    }
}

static void on_lease(void *arg, struct dbconn *conn, const struct oerr *err)
{
    struct lease *l = arg;
    struct devupd *d = l->d;
    if (conn == NULL) {
        if (d->closing)
            return;
        log_debug("device connection %d not leased: %s", l->index, err != NULL ? err->msg : "");
        lease_retry(l);
        return;
    }
    l->conn = conn;
    if (d->closing) {
        l->state = LEASE_IDLE;
        return;
    }
    l->state = LEASE_SETUP;
    l->setup_step = 0;
    setup_next(l);
}

static void lease_acquire(struct lease *l)
{
    l->state = LEASE_ACQUIRING;
    db_acquire(l->d->db, on_lease, l);
}

static void on_lease_timer(evutil_socket_t fd, short what, void *arg)
{
    struct lease *l = arg;
    (void)fd;
    (void)what;
    if (l->d->closing)
        return;
    fail_stale(l->d);
    if (l->state == LEASE_DOWN)
        lease_acquire(l);
}

/* ---- public ---- */

struct devupd *devupd_new(struct event_base *base, const struct devupd_config *cfg)
{
    struct devupd *d = xcalloc(1, sizeof *d);
    d->base = base;
    d->nleases = cfg->conns < 1 ? 1 : cfg->conns;
    if (d->nleases > SHARD_STRIDE)
        d->nleases = SHARD_STRIDE;
    d->max_batch = cfg->max_batch > 0 ? cfg->max_batch : DEVUPD_DEFAULT_MAX_BATCH;
    d->max_queue = cfg->max_queue > 0 ? cfg->max_queue : DEVUPD_DEFAULT_MAX_QUEUE;
    d->fn[KIND_UPDATE] = join5(update_fn, update_head, effects, update_tail, fn_tail);
    d->fn[KIND_START] = join5(start_fn, start_head, effects, start_tail, fn_tail);
    d->db = db_new(base, cfg->conninfo, d->nleases);
    d->kick_ev = event_new(base, -1, 0, on_kick, d);
    d->spill_ev = evtimer_new(base, on_spill, d);
    d->leases = xcalloc((size_t)d->nleases, sizeof *d->leases);
    for (int i = 0; i < d->nleases; i++) {
        struct lease *l = &d->leases[i];
        l->d = d;
        l->index = i;
        snprintf(l->shard_s, sizeof l->shard_s, "%d", cfg->worker * SHARD_STRIDE + i);
        l->timer = evtimer_new(base, on_lease_timer, l);
        lease_acquire(l);
    }
    return d;
}

void devupd_free(struct devupd *d)
{
    if (d == NULL)
        return;
    d->closing = 1;
    struct oerr err;
    oerr_set(&err, OERR_UNAVAILABLE, "shutting down");
    for (int k = 0; k < KIND_MAX; k++) {
        while (d->wait[k].head != NULL) {
            struct dreq *q = d->wait[k].head;
            fifo_unlink(&d->wait[k], q);
            q->cb(q->arg, NULL, &err);
            dreq_free(q);
        }
    }
    while (d->failed.head != NULL) {
        struct dreq *q = d->failed.head;
        fifo_unlink(&d->failed, q);
        q->cb(q->arg, NULL, &q->err);
        dreq_free(q);
    }
    /* in-flight batches are failed by db_free through on_batch */
    db_free(d->db);
    for (int i = 0; i < d->nleases; i++)
        event_free(d->leases[i].timer);
    event_free(d->kick_ev);
    event_free(d->spill_ev);
    free(d->fn[KIND_UPDATE]);
    free(d->fn[KIND_START]);
    free(d->leases);
    free(d);
}

static struct dreq *dreq_new(enum kind kind, const char *thing, const char *job_id,
                             const char *details, devupd_fn cb, void *arg)
{
    struct dreq *q = xcalloc(1, sizeof *q);
    q->kind = kind;
    q->thing = xstrdup(thing);
    q->job_id = dup_or_null(job_id);
    q->details = dup_or_null(details);
    if (kind == KIND_UPDATE) {
        size_t a = strlen(job_id), t = strlen(thing);
        q->key = xmalloc(a + t + 2);
        memcpy(q->key, job_id, a);
        q->key[a] = '\037';
        memcpy(q->key + a + 1, thing, t + 1);
    } else {
        q->key = xstrdup(thing);
    }
    q->hash = fnv1a(q->key);
    q->queued_us = mono_us();
    q->queued_ms = q->queued_us / 1000;
    q->cb = cb;
    q->arg = arg;
    return q;
}

static void enqueue(struct devupd *d, struct dreq *q)
{
    if (d->closing) {
        fail_later(d, q, OERR_UNAVAILABLE, "shutting down");
        return;
    }
    if (d->wait[KIND_UPDATE].n + d->wait[KIND_START].n >= d->max_queue) {
        fail_later(d, q, OERR_UNAVAILABLE, "too many device requests waiting");
        return;
    }
    fifo_push(&d->wait[q->kind], q);
    kick(d);
}

void devupd_update(struct devupd *d, const struct devupd_update *u, devupd_fn cb, void *arg)
{
    struct dreq *q = dreq_new(KIND_UPDATE, u->thing, u->job_id, u->status_details, cb, arg);
    q->number = u->execution_number;
    q->to = (int)u->to;
    q->expected = u->expected_version;
    q->step_ms = u->step_timeout_ms;
    q->want_doc = u->want_document != 0;
    enqueue(d, q);
}

void devupd_start_next(struct devupd *d, const struct devupd_start *s, devupd_fn cb, void *arg)
{
    struct dreq *q = dreq_new(KIND_START, s->thing, NULL, s->status_details, cb, arg);
    q->number = -1;
    q->expected = -1;
    q->step_ms = s->step_timeout_ms > 0 ? s->step_timeout_ms : 0;
    enqueue(d, q);
}

void devupd_stats(const struct devupd *d, struct devupd_stats *out)
{
    *out = d->stats;
    out->waiting = d->wait[KIND_UPDATE].n + d->wait[KIND_START].n;
    out->up = leases_up(d);
}

/* ---- reads (API pool) ---- */

/* The columns of enum devupd_col for an execution e of task t. */
#define EXECUTION_COLS                                                                             \
    " t.job_id, e.status, e.status_details::text, e.queued_at, e.started_at, e.updated_at,"        \
    " e.deadline, e.version, e.execution_number"

void devupd_pending(struct db *db, const char *thing, db_result_fn cb, void *arg)
{
    const char *p[1] = {thing};
    db_query(db,
             "SELECT EXISTS (SELECT 1 FROM things WHERE id = $1), true, x.*, NULL::text"
             " FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT" EXECUTION_COLS
             "   FROM executions e JOIN tasks t ON t.id = e.task_id"
             "   WHERE e.thing_id = $1 AND" PENDING_VISIBLE PENDING_ORDER ") x ON true",
             1, p, cb, arg);
}

void devupd_describe(struct db *db, const char *thing, const char *job_id, int64_t execution_number,
                     int want_document, db_result_fn cb, void *arg)
{
    char n_s[24];
    snprintf(n_s, sizeof n_s, "%" PRId64, execution_number);
    if (job_id == NULL) {
        const char *p[2] = {thing, want_document ? "true" : "false"};
        db_query(db,
                 "SELECT EXISTS (SELECT 1 FROM things WHERE id = $1), true, x.*"
                 " FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT" EXECUTION_COLS ","
                 "   CASE WHEN $2::boolean THEN t.job_document END"
                 "   FROM executions e JOIN tasks t ON t.id = e.task_id"
                 "   WHERE e.thing_id = $1 AND" PENDING_VISIBLE PENDING_ORDER " LIMIT 1) x ON true",
                 2, p, cb, arg);
        return;
    }
    const char *p[4] = {thing, job_id, execution_number >= 0 ? n_s : NULL,
                        want_document ? "true" : "false"};
    db_query(db,
             "SELECT EXISTS (SELECT 1 FROM things WHERE id = $1), t.id IS NOT NULL,"
             " CASE WHEN e.task_id IS NOT NULL THEN t.job_id END, e.status,"
             " e.status_details::text, e.queued_at, e.started_at, e.updated_at, e.deadline,"
             " e.version, e.execution_number,"
             " CASE WHEN $4::boolean AND e.task_id IS NOT NULL THEN t.job_document END"
             " FROM (SELECT 1) one"
             " LEFT JOIN tasks t ON t.job_id = $2 AND t.status <> 'DELETION_IN_PROGRESS'"
             " LEFT JOIN executions e ON e.task_id = t.id AND e.thing_id = $1 AND e.status <> 0"
             " AND CASE WHEN $3::bigint IS NULL THEN e.latest"
             " ELSE e.execution_number = $3::bigint END",
             4, p, cb, arg);
}
