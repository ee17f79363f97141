/*
 * mem_sched: sched_store.h over memory (see mem_sched.h for the API and the cost model).
 *
 * Layout: things are an array of small records (id in an arena, attributes in one heap block
 * each, or none) with an open-addressing id index. A task keeps one member record per thing it
 * has ever targeted (the thing's latest execution), a thing -> member map indexed by thing
 * handle, intrusive doubly linked lists threading its members by what is to be done with them
 * (PLANNED targets, PLANNED retries, QUEUED, IN_PROGRESS, undecided), a deadline min-heap with
 * lazy deletion (an entry is live while its member is IN_PROGRESS with that execution number
 * and that deadline) and the managed-thing changes its next sync must look at. Tasks are in a
 * heap keyed by next wake (or lease expiry while leased).
 *
 * Invariants: a member is on at most one list, the one its status and flags call for; counts[s]
 * is the number of attempts ever made that are now in status s; every listed transition is
 * announced to the listener exactly once.
 */
#include "sim/mem_sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/mem.h"
#include "engine/timefmt.h"
#include "engine/window.h"

#define NIL         UINT32_MAX
#define ID_MAX      64
#define IPT_MAX_MIN 10080
#define ARENA_CHUNK (1u << 20)

/* ---- the id index: linear probing over handles, keys read back through a callback ---- */

typedef const char *(*key_fn)(const struct mem_sched *ms, uint32_t handle);

struct idmap {
    uint32_t *slot; /* handle + 1; 0 = empty */
    size_t cap;     /* power of two, or 0 */
    size_t n;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(1099511628211);
    }
    return h ^ (h >> 29);
}

static int idmap_find(const struct idmap *m, const struct mem_sched *ms, key_fn key, const char *id,
                      uint32_t *out)
{
    if (m->cap == 0)
        return -1;
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)hash_str(id) & mask;; i = (i + 1) & mask) {
        if (m->slot[i] == 0)
            return -1;
        if (strcmp(key(ms, m->slot[i] - 1), id) == 0) {
            *out = m->slot[i] - 1;
            return 0;
        }
    }
}

static void idmap_insert_raw(struct idmap *m, const char *id, uint32_t handle)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)hash_str(id) & mask;
    while (m->slot[i] != 0)
        i = (i + 1) & mask;
    m->slot[i] = handle + 1;
    m->n++;
}

/* Insert handle under id (absent); keeps the load factor at most 1/2. */
static void idmap_put(struct idmap *m, const struct mem_sched *ms, key_fn key, const char *id,
                      uint32_t handle)
{
    if ((m->n + 1) * 2 > m->cap) {
        struct idmap old = *m;
        m->cap = old.cap == 0 ? 1024 : old.cap * 2;
        m->slot = xcalloc(m->cap, sizeof *m->slot);
        m->n = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.slot[i] != 0)
                idmap_insert_raw(m, key(ms, old.slot[i] - 1), old.slot[i] - 1);
        free(old.slot);
    }
    idmap_insert_raw(m, id, handle);
}

/* Remove id (present) with backward-shift deletion, so probes never see tombstones. */
static void idmap_del(struct idmap *m, const struct mem_sched *ms, key_fn key, const char *id)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)hash_str(id) & mask;
    while (m->slot[i] != 0 && strcmp(key(ms, m->slot[i] - 1), id) != 0)
        i = (i + 1) & mask;
    if (m->slot[i] == 0)
        return;
    m->slot[i] = 0;
    m->n--;
    for (size_t j = (i + 1) & mask; m->slot[j] != 0; j = (j + 1) & mask) {
        size_t home = (size_t)hash_str(key(ms, m->slot[j] - 1)) & mask;
        /* move j back to the hole unless its home lies cyclically in (i, j] */
        int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            m->slot[i] = m->slot[j];
            m->slot[j] = 0;
            i = j;
        }
    }
}

/* ---- things ---- */

struct attrs {
    const char *fields[QUERY_FIELD_MAX];
    size_t n_meta;
    const char **keys;
    const char **values;
};

struct thing {
    const char *id;      /* in ms->ids */
    struct attrs *attrs; /* one block; NULL = none */
    int deleted;
};

/* ---- tasks and their members ---- */

enum list_kind { L_NONE = 0, L_PLANNED, L_RETRY, L_QUEUED, L_IN_PROGRESS, L_UNDECIDED, L_MAX };

enum member_flag {
    F_MEMBER = 1u << 0,   /* the thing belongs to the task now */
    F_EXPLICIT = 1u << 1, /* an explicit target (not only by query) */
    F_FORCE = 1u << 2,    /* canceled by FORCE_CANCEL */
    F_RETRY_TO = 1u << 3, /* the current attempt retries a TIMED_OUT one (else a FAILED one) */
};

struct member {
    uint32_t thing;
    uint32_t prev, next; /* on list `list` */
    uint32_t exec;       /* execution number of the latest attempt; 0 = none */
    uint32_t version;
    uint8_t status; /* enum execution_status, or MEM_SCHED_NONE */
    uint8_t list;   /* enum list_kind */
    uint8_t flags;
    uint8_t retry_attempt;
    uint8_t after_failed, after_timed_out; /* struct retry_counts, compactly */
    uint8_t prev_status, prev_retry;       /* the attempt before a PLANNED one */
    int32_t ipt_min;                       /* in-progress timeout captured at start; 0 none */
    int32_t step_min;                      /* current step timer; 0 none */
    int64_t queued_at, started_at, updated_at, step_set_at, deadline;
};

struct list {
    uint32_t head, tail;
    int64_t n;
};

struct dl_entry {
    int64_t at;
    uint32_t slot;
    uint32_t exec;
};

struct task {
    char id[SCHED_ID_MAX];
    int removed;
    enum task_type type;
    enum task_status status;
    int end_applied;
    struct task_schedule schedule; /* windows owned */
    struct rollout_config rollout;
    struct rollout_state rollout_state;
    struct abort_criterion abort[SCHED_MAX_ABORT];
    size_t n_abort;
    struct retry_config retry;
    int32_t ipt_min;
    struct query *query;
    int abort_index;
    char abort_comment[256];

    int64_t next_wake;
    int leased;
    int64_t lease_until;
    uint32_t hpos; /* position in ms->theap, NIL = not in it */

    int64_t counts[EXECUTION_STATUS_MAX];
    struct member *m;
    uint32_t n_m, cap_m;
    uint32_t *slot_of; /* by thing handle; NIL = never a member */
    uint32_t cap_slot;
    struct list lists[L_MAX];
    struct dl_entry *dl;
    size_t n_dl, cap_dl;
    uint32_t *pending; /* things to re-examine at the next sync (CONTINUOUS) */
    size_t n_pending, cap_pending;
};

struct mem_sched {
    struct thing *things;
    uint32_t n_things, cap_things;
    struct idmap thing_ids;
    struct arena *ids;
    struct task **tasks;
    uint32_t n_tasks, cap_tasks;
    struct idmap task_ids;
    uint32_t *theap;
    uint32_t n_theap, cap_theap;
    mem_sched_listener_fn listener;
    void *listener_arg;
};

static const char *thing_key(const struct mem_sched *ms, uint32_t h)
{
    return ms->things[h].id;
}

static const char *task_key(const struct mem_sched *ms, uint32_t h)
{
    return ms->tasks[h]->id;
}

/* ---- the task heap (indexed, keyed by next wake or lease expiry) ---- */

static int64_t task_key_at(const struct task *t)
{
    return t->leased ? t->lease_until : t->next_wake;
}

static int theap_less(const struct mem_sched *ms, uint32_t a, uint32_t b)
{
    int64_t ka = task_key_at(ms->tasks[a]), kb = task_key_at(ms->tasks[b]);
    return ka < kb || (ka == kb && a < b);
}

static void theap_set(struct mem_sched *ms, uint32_t pos, uint32_t h)
{
    ms->theap[pos] = h;
    ms->tasks[h]->hpos = pos;
}

static void theap_up(struct mem_sched *ms, uint32_t pos)
{
    uint32_t h = ms->theap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!theap_less(ms, h, ms->theap[parent]))
            break;
        theap_set(ms, pos, ms->theap[parent]);
        pos = parent;
    }
    theap_set(ms, pos, h);
}

static void theap_down(struct mem_sched *ms, uint32_t pos)
{
    uint32_t h = ms->theap[pos];
    for (;;) {
        uint32_t c = 2 * pos + 1;
        if (c >= ms->n_theap)
            break;
        if (c + 1 < ms->n_theap && theap_less(ms, ms->theap[c + 1], ms->theap[c]))
            c++;
        if (!theap_less(ms, ms->theap[c], h))
            break;
        theap_set(ms, pos, ms->theap[c]);
        pos = c;
    }
    theap_set(ms, pos, h);
}

/* Put task h where its key says: in the heap at the right place, or out of it (no key). */
static void theap_update(struct mem_sched *ms, uint32_t h)
{
    struct task *t = ms->tasks[h];
    int64_t key = t->removed ? -1 : task_key_at(t);
    if (t->hpos != NIL && key < 0) {
        uint32_t pos = t->hpos;
        uint32_t last = ms->theap[--ms->n_theap];
        t->hpos = NIL;
        if (pos < ms->n_theap) {
            theap_set(ms, pos, last);
            theap_up(ms, pos);
            theap_down(ms, ms->tasks[last]->hpos);
        }
        return;
    }
    if (key < 0)
        return;
    if (t->hpos == NIL) {
        if (ms->n_theap == ms->cap_theap) {
            ms->cap_theap = ms->cap_theap == 0 ? 16 : ms->cap_theap * 2;
            ms->theap = xreallocarray(ms->theap, ms->cap_theap, sizeof *ms->theap);
        }
        theap_set(ms, ms->n_theap++, h);
    }
    theap_up(ms, t->hpos);
    theap_down(ms, t->hpos);
}

/* ---- member lists ---- */

static void list_push(struct task *t, uint32_t slot, enum list_kind k)
{
    struct member *m = &t->m[slot];
    struct list *l = &t->lists[k];
    m->list = (uint8_t)k;
    m->next = NIL;
    m->prev = l->tail;
    if (l->tail == NIL)
        l->head = slot;
    else
        t->m[l->tail].next = slot;
    l->tail = slot;
    l->n++;
}

static void list_unlink(struct task *t, uint32_t slot)
{
    struct member *m = &t->m[slot];
    if (m->list == L_NONE)
        return;
    struct list *l = &t->lists[m->list];
    if (m->prev == NIL)
        l->head = m->next;
    else
        t->m[m->prev].next = m->next;
    if (m->next == NIL)
        l->tail = m->prev;
    else
        t->m[m->next].prev = m->prev;
    l->n--;
    m->list = L_NONE;
    m->prev = m->next = NIL;
}

/* ---- the deadline heap (lazy deletion) ---- */

static int dl_live(const struct task *t, const struct dl_entry *e)
{
    const struct member *m = &t->m[e->slot];
    return m->status == EXECUTION_IN_PROGRESS && m->exec == e->exec && m->deadline == e->at;
}

static void dl_sift_down(struct task *t, size_t pos)
{
    struct dl_entry e = t->dl[pos];
    for (;;) {
        size_t c = 2 * pos + 1;
        if (c >= t->n_dl)
            break;
        if (c + 1 < t->n_dl && t->dl[c + 1].at < t->dl[c].at)
            c++;
        if (t->dl[c].at >= e.at)
            break;
        t->dl[pos] = t->dl[c];
        pos = c;
    }
    t->dl[pos] = e;
}

static void dl_pop(struct task *t)
{
    t->dl[0] = t->dl[--t->n_dl];
    if (t->n_dl > 0)
        dl_sift_down(t, 0);
}

/* Keep only live entries and rebuild the heap: amortised against the pushes that made the
 * stale ones. */
static void dl_compact(struct task *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_dl; i++)
        if (dl_live(t, &t->dl[i]))
            t->dl[n++] = t->dl[i];
    t->n_dl = n;
    for (size_t i = n / 2; i-- > 0;)
        dl_sift_down(t, i);
}

static void dl_push(struct task *t, int64_t at, uint32_t slot)
{
    if (t->n_dl == t->cap_dl) {
        if (t->n_dl > 64 && (int64_t)t->n_dl > 2 * t->counts[EXECUTION_IN_PROGRESS])
            dl_compact(t);
        if (t->n_dl == t->cap_dl) {
            t->cap_dl = t->cap_dl == 0 ? 64 : t->cap_dl * 2;
            t->dl = xreallocarray(t->dl, t->cap_dl, sizeof *t->dl);
        }
    }
    size_t pos = t->n_dl++;
    struct dl_entry e = {.at = at, .slot = slot, .exec = t->m[slot].exec};
    while (pos > 0) {
        size_t parent = (pos - 1) / 2;
        if (t->dl[parent].at <= at)
            break;
        t->dl[pos] = t->dl[parent];
        pos = parent;
    }
    t->dl[pos] = e;
}

/* The earliest live deadline, dropping stale entries on the way; -1 none. */
static int64_t dl_next(struct task *t)
{
    while (t->n_dl > 0 && !dl_live(t, &t->dl[0]))
        dl_pop(t);
    return t->n_dl > 0 ? t->dl[0].at : -1;
}

/* ---- executions ---- */

static void emit(struct mem_sched *ms, uint32_t h, const struct member *m, unsigned from,
                 unsigned to, int64_t at)
{
    if (ms->listener == NULL)
        return;
    struct mem_sched_transition tr = {
        .task = h,
        .thing = m->thing,
        .execution_number = m->exec,
        .retry_attempt = m->retry_attempt,
        .from = (enum execution_status)from,
        .to = (enum execution_status)to,
        .at = at,
        .force_canceled = (m->flags & F_FORCE) != 0,
    };
    ms->listener(ms->listener_arg, &tr);
}

/* Move member slot to status `to` (counts, list, listener); the caller set the timestamps. */
static void set_status(struct mem_sched *ms, uint32_t h, uint32_t slot, enum execution_status to,
                       int64_t now)
{
    struct task *t = ms->tasks[h];
    struct member *m = &t->m[slot];
    unsigned from = m->status;
    list_unlink(t, slot);
    if (from != MEM_SCHED_NONE)
        t->counts[from]--;
    t->counts[to]++;
    m->status = (uint8_t)to;
    switch (to) {
    case EXECUTION_QUEUED:
        list_push(t, slot, L_QUEUED);
        break;
    case EXECUTION_IN_PROGRESS:
        list_push(t, slot, L_IN_PROGRESS);
        break;
    case EXECUTION_FAILED:
    case EXECUTION_TIMED_OUT:
        /* a thing that left a CONTINUOUS task gets no further attempt */
        if (m->flags & F_MEMBER)
            list_push(t, slot, L_UNDECIDED);
        break;
    default:
        break;
    }
    emit(ms, h, m, from, to, now);
}

static void end_attempt(struct mem_sched *ms, uint32_t h, uint32_t slot, enum execution_status to,
                        int64_t now)
{
    struct member *m = &ms->tasks[h]->m[slot];
    m->updated_at = now;
    m->deadline = -1;
    set_status(ms, h, slot, to, now);
}

/* A new PLANNED attempt of member slot: a retry of its failed attempt, or a fresh one. */
static void new_attempt(struct mem_sched *ms, uint32_t h, uint32_t slot, int retry, int64_t now)
{
    struct task *t = ms->tasks[h];
    struct member *m = &t->m[slot];
    list_unlink(t, slot);
    m->prev_status = m->status;
    m->prev_retry = m->retry_attempt;
    m->exec++;
    if (retry) {
        m->retry_attempt++;
        if (m->status == EXECUTION_TIMED_OUT) {
            m->after_timed_out++;
            m->flags |= F_RETRY_TO;
        } else {
            m->after_failed++;
            m->flags &= (uint8_t)~F_RETRY_TO;
        }
    } else {
        m->retry_attempt = 0;
        m->after_failed = m->after_timed_out = 0;
        m->flags &= (uint8_t)~F_RETRY_TO;
    }
    m->flags &= (uint8_t)~F_FORCE;
    m->status = EXECUTION_PLANNED;
    t->counts[EXECUTION_PLANNED]++;
    list_push(t, slot, retry ? L_RETRY : L_PLANNED);
    emit(ms, h, m, MEM_SCHED_NONE, EXECUTION_PLANNED, now);
}

/* STOP_ROLLOUT: a PLANNED attempt was never created; the attempt before it is the latest. */
static void drop_attempt(struct mem_sched *ms, uint32_t h, uint32_t slot, int64_t now)
{
    struct task *t = ms->tasks[h];
    struct member *m = &t->m[slot];
    int was_retry = m->list == L_RETRY;
    list_unlink(t, slot);
    t->counts[EXECUTION_PLANNED]--;
    emit(ms, h, m, EXECUTION_PLANNED, MEM_SCHED_NONE, now);
    if (was_retry) {
        if (m->flags & F_RETRY_TO)
            m->after_timed_out--;
        else
            m->after_failed--;
    }
    m->status = m->prev_status;
    m->retry_attempt = m->prev_retry;
    m->exec--;
    m->prev_status = MEM_SCHED_NONE;
}

static void set_deadline(struct mem_sched *ms, uint32_t h, uint32_t slot)
{
    struct task *t = ms->tasks[h];
    struct member *m = &t->m[slot];
    m->deadline = execution_deadline(m->started_at, (int64_t)m->ipt_min * TIMEFMT_MS_PER_MINUTE,
                                     m->step_set_at, (int64_t)m->step_min * TIMEFMT_MS_PER_MINUTE);
    if (m->deadline < 0)
        return;
    dl_push(t, m->deadline, slot);
    if (t->next_wake < 0 || m->deadline < t->next_wake) {
        t->next_wake = m->deadline;
        theap_update(ms, h);
    }
}

static void start_attempt(struct mem_sched *ms, uint32_t h, uint32_t slot, int64_t step_min,
                          int64_t now)
{
    struct task *t = ms->tasks[h];
    struct member *m = &t->m[slot];
    m->started_at = now;
    m->updated_at = now;
    m->version++;
    m->ipt_min = t->ipt_min;
    m->step_min = 0;
    m->step_set_at = -1;
    if (step_min > 0) {
        m->step_min = (int32_t)step_min;
        m->step_set_at = now;
    }
    set_status(ms, h, slot, EXECUTION_IN_PROGRESS, now);
    set_deadline(ms, h, slot);
}

static uint32_t slot_of(const struct task *t, uint32_t thing)
{
    return thing < t->cap_slot ? t->slot_of[thing] : NIL;
}

static uint32_t add_member(struct task *t, uint32_t thing, uint8_t flags)
{
    if (thing >= t->cap_slot) {
        uint32_t cap = t->cap_slot == 0 ? 1024 : t->cap_slot;
        while (cap <= thing)
            cap *= 2;
        t->slot_of = xreallocarray(t->slot_of, cap, sizeof *t->slot_of);
        for (uint32_t i = t->cap_slot; i < cap; i++)
            t->slot_of[i] = NIL;
        t->cap_slot = cap;
    }
    if (t->n_m == t->cap_m) {
        t->cap_m = t->cap_m == 0 ? 1024 : t->cap_m * 2;
        t->m = xreallocarray(t->m, t->cap_m, sizeof *t->m);
    }
    uint32_t slot = t->n_m++;
    struct member *m = &t->m[slot];
    memset(m, 0, sizeof *m);
    m->thing = thing;
    m->prev = m->next = NIL;
    m->status = MEM_SCHED_NONE;
    m->prev_status = MEM_SCHED_NONE;
    m->flags = flags;
    m->queued_at = m->started_at = m->updated_at = m->step_set_at = m->deadline = -1;
    t->slot_of[thing] = slot;
    return slot;
}

/* ---- things and queries ---- */

static void thing_view(const struct mem_sched *ms, uint32_t x, struct query_thing *q)
{
    const struct thing *th = &ms->things[x];
    memset(q, 0, sizeof *q);
    if (th->attrs != NULL) {
        memcpy(q->fields, th->attrs->fields, sizeof q->fields);
        q->n_meta = th->attrs->n_meta;
        q->meta_keys = th->attrs->keys;
        q->meta_values = th->attrs->values;
    }
    q->fields[QUERY_FIELD_ID] = th->id;
}

static int thing_matches(const struct mem_sched *ms, const struct task *t, uint32_t x)
{
    if (ms->things[x].deleted)
        return 0;
    uint32_t slot = slot_of(t, x);
    if (slot != NIL && (t->m[slot].flags & F_EXPLICIT))
        return 1;
    if (t->query == NULL)
        return 0;
    struct query_thing q;
    thing_view(ms, x, &q);
    return query_match(t->query, &q);
}

static size_t str_size(const char *s)
{
    return s == NULL ? 0 : strlen(s) + 1;
}

static const char *copy_str(char **p, const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    memcpy(*p, s, n);
    const char *r = *p;
    *p += n;
    return r;
}

/* One block holding the attributes and their strings; NULL when there is nothing to keep. */
static struct attrs *attrs_copy(const struct query_thing *q)
{
    if (q == NULL)
        return NULL;
    size_t bytes = sizeof(struct attrs) + 2 * q->n_meta * sizeof(char *);
    int any = q->n_meta > 0;
    for (int f = 0; f < QUERY_FIELD_MAX; f++) {
        if (f != QUERY_FIELD_ID && q->fields[f] != NULL) {
            bytes += str_size(q->fields[f]);
            any = 1;
        }
    }
    for (size_t i = 0; i < q->n_meta; i++)
        bytes += str_size(q->meta_keys[i]) + str_size(q->meta_values[i]);
    if (!any)
        return NULL;
    struct attrs *a = xmalloc(bytes);
    memset(a, 0, sizeof *a);
    a->keys = (const char **)(a + 1);
    a->values = a->keys + q->n_meta;
    char *p = (char *)(a->values + q->n_meta);
    for (int f = 0; f < QUERY_FIELD_MAX; f++)
        if (f != QUERY_FIELD_ID)
            a->fields[f] = copy_str(&p, q->fields[f]);
    a->n_meta = q->n_meta;
    for (size_t i = 0; i < q->n_meta; i++) {
        a->keys[i] = copy_str(&p, q->meta_keys[i]);
        a->values[i] = copy_str(&p, q->meta_values[i]);
    }
    return a;
}

static int live_thing(const struct mem_sched *ms, uint32_t x, struct oerr *err)
{
    if (x >= ms->n_things || ms->things[x].deleted)
        return oerr_set(err, OERR_NOT_FOUND, "thing %u does not exist", x);
    return 0;
}

static int live_task(const struct mem_sched *ms, uint32_t h, struct oerr *err)
{
    if (h >= ms->n_tasks || ms->tasks[h]->removed)
        return oerr_set(err, OERR_NOT_FOUND, "task %u does not exist", h);
    return 0;
}

static int check_id(const char *what, const char *id, struct oerr *err)
{
    size_t n = id == NULL ? 0 : strnlen(id, ID_MAX + 1);
    if (n == 0 || n > ID_MAX)
        return oerr_set(err, OERR_INVALID, "%s id must be 1 to %d bytes", what, ID_MAX);
    return 0;
}

/* A CONTINUOUS task that still takes membership changes. */
static int tracks_membership(const struct task *t)
{
    return !t->removed && t->type == TASK_CONTINUOUS && !task_is_final(t->status) &&
           t->status != TASK_DELETION_IN_PROGRESS && !t->end_applied;
}

static void note_change(struct task *t, uint32_t x)
{
    if (t->n_pending == t->cap_pending) {
        t->cap_pending = t->cap_pending == 0 ? 64 : t->cap_pending * 2;
        t->pending = xreallocarray(t->pending, t->cap_pending, sizeof *t->pending);
    }
    t->pending[t->n_pending++] = x;
}

/* Tell the CONTINUOUS tasks that thing x changed: those with a query, and (deleted) those it
 * belongs to. */
static void notify_tasks(struct mem_sched *ms, uint32_t x, int deleted)
{
    for (uint32_t h = 0; h < ms->n_tasks; h++) {
        struct task *t = ms->tasks[h];
        if (!tracks_membership(t))
            continue;
        if (t->query != NULL || (deleted && slot_of(t, x) != NIL))
            note_change(t, x);
    }
}

struct mem_sched *mem_sched_new(void)
{
    struct mem_sched *ms = xcalloc(1, sizeof *ms);
    ms->ids = arena_new(ARENA_CHUNK);
    return ms;
}

static void task_release_memory(struct task *t)
{
    free(t->m);
    free(t->slot_of);
    free(t->dl);
    free(t->pending);
    t->m = NULL;
    t->slot_of = NULL;
    t->dl = NULL;
    t->pending = NULL;
    t->n_m = t->cap_m = t->cap_slot = 0;
    t->n_dl = t->cap_dl = t->n_pending = t->cap_pending = 0;
    window_set_free((struct window_set *)(uintptr_t)t->schedule.windows);
    t->schedule.windows = NULL;
    query_free(t->query);
    t->query = NULL;
}

void mem_sched_free(struct mem_sched *ms)
{
    if (ms == NULL)
        return;
    for (uint32_t h = 0; h < ms->n_tasks; h++) {
        task_release_memory(ms->tasks[h]);
        free(ms->tasks[h]);
    }
    free(ms->tasks);
    for (uint32_t x = 0; x < ms->n_things; x++)
        free(ms->things[x].attrs);
    free(ms->things);
    free(ms->thing_ids.slot);
    free(ms->task_ids.slot);
    free(ms->theap);
    arena_free(ms->ids);
    free(ms);
}

void mem_sched_set_listener(struct mem_sched *ms, mem_sched_listener_fn fn, void *arg)
{
    ms->listener = fn;
    ms->listener_arg = arg;
}

int mem_sched_thing_add(struct mem_sched *ms, const char *id, const struct query_thing *attrs,
                        uint32_t *out, struct oerr *err)
{
    uint32_t dup;
    if (check_id("thing", id, err) < 0)
        return -1;
    if (idmap_find(&ms->thing_ids, ms, thing_key, id, &dup) == 0)
        return oerr_set(err, OERR_CONFLICT, "thing %s already exists", id);
    if (ms->n_things == ms->cap_things) {
        ms->cap_things = ms->cap_things == 0 ? 1024 : ms->cap_things * 2;
        ms->things = xreallocarray(ms->things, ms->cap_things, sizeof *ms->things);
    }
    uint32_t x = ms->n_things++;
    ms->things[x].id = arena_strdup(ms->ids, id);
    ms->things[x].attrs = attrs_copy(attrs);
    ms->things[x].deleted = 0;
    idmap_put(&ms->thing_ids, ms, thing_key, id, x);
    notify_tasks(ms, x, 0);
    *out = x;
    return 0;
}

int mem_sched_thing_update(struct mem_sched *ms, uint32_t thing, const struct query_thing *attrs,
                           struct oerr *err)
{
    if (live_thing(ms, thing, err) < 0)
        return -1;
    struct attrs *a = attrs_copy(attrs);
    free(ms->things[thing].attrs);
    ms->things[thing].attrs = a;
    notify_tasks(ms, thing, 0);
    return 0;
}

int mem_sched_thing_delete(struct mem_sched *ms, uint32_t thing, struct oerr *err)
{
    if (live_thing(ms, thing, err) < 0)
        return -1;
    struct thing *th = &ms->things[thing];
    idmap_del(&ms->thing_ids, ms, thing_key, th->id);
    th->deleted = 1;
    free(th->attrs);
    th->attrs = NULL;
    notify_tasks(ms, thing, 1);
    return 0;
}

int mem_sched_thing_find(const struct mem_sched *ms, const char *id, uint32_t *out)
{
    return idmap_find(&ms->thing_ids, ms, thing_key, id, out);
}

const char *mem_sched_thing_id(const struct mem_sched *ms, uint32_t thing)
{
    return thing < ms->n_things ? ms->things[thing].id : NULL;
}

uint32_t mem_sched_thing_count(const struct mem_sched *ms)
{
    return ms->n_things;
}

/* ---- tasks ---- */

static int validate_spec(const struct mem_sched *ms, const struct mem_sched_task_spec *spec,
                         struct oerr *err)
{
    uint32_t dup;
    if (check_id("task", spec->id, err) < 0)
        return -1;
    if (idmap_find(&ms->task_ids, ms, task_key, spec->id, &dup) == 0)
        return oerr_set(err, OERR_CONFLICT, "task %s already exists", spec->id);
    if ((int)spec->type < 0 || spec->type >= TASK_TYPE_MAX)
        return oerr_set(err, OERR_INVALID, "OtaType is not a task type");
    if (spec->n_abort > 0 && spec->abort == NULL)
        return oerr_set(err, OERR_INVALID, "AbortConfigCriteriaList is missing");
    if (spec->n_targets > 0 && spec->targets == NULL)
        return oerr_set(err, OERR_INVALID, "Target is missing");
    if (spec->n_abort > SCHED_MAX_ABORT)
        return oerr_set(err, OERR_INVALID, "AbortConfigCriteriaList has more than %d criteria",
                        SCHED_MAX_ABORT);
    for (size_t i = 0; i < spec->n_abort; i++) {
        if (abort_criterion_validate(&spec->abort[i], err) < 0) {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "AbortConfigCriteriaList[%zu].", i);
            oerr_prefix(err, prefix);
            return -1;
        }
    }
    if (retry_config_validate(&spec->retry, err) < 0)
        return -1;
    if (rollout_config_validate(&spec->rollout, err) < 0)
        return -1;
    if (spec->in_progress_timeout_min < 0 || spec->in_progress_timeout_min > IPT_MAX_MIN)
        return oerr_set(err, OERR_INVALID, "InProgressTimeoutInMinutes must be between 1 and %d",
                        IPT_MAX_MIN);
    for (size_t i = 0; i < spec->n_targets; i++)
        if (live_thing(ms, spec->targets[i], err) < 0)
            return -1;
    return 0;
}

int mem_sched_task_add(struct mem_sched *ms, const struct mem_sched_task_spec *spec, int64_t now,
                       uint32_t *out, struct oerr *err)
{
    struct query *q = NULL;
    if (validate_spec(ms, spec, err) < 0)
        goto fail;
    if (spec->query != NULL) {
        q = query_parse(spec->query, err);
        if (q == NULL) {
            oerr_prefix(err, "OtaTargetQueryString: ");
            goto fail;
        }
    }

    if (ms->n_tasks == ms->cap_tasks) {
        ms->cap_tasks = ms->cap_tasks == 0 ? 16 : ms->cap_tasks * 2;
        ms->tasks = xreallocarray(ms->tasks, ms->cap_tasks, sizeof *ms->tasks);
    }
    uint32_t h = ms->n_tasks++;
    struct task *t = xcalloc(1, sizeof *t);
    ms->tasks[h] = t;
    memcpy(t->id, spec->id, strlen(spec->id) + 1);
    t->type = spec->type;
    t->schedule = spec->schedule;
    t->rollout = spec->rollout;
    rollout_state_init(&t->rollout_state);
    if (spec->n_abort > 0)
        memcpy(t->abort, spec->abort, spec->n_abort * sizeof *t->abort);
    t->n_abort = spec->n_abort;
    t->retry = spec->retry;
    t->ipt_min = (int32_t)spec->in_progress_timeout_min;
    t->query = q;
    t->abort_index = -1;
    t->next_wake = -1;
    t->hpos = NIL;
    for (int k = 0; k < L_MAX; k++) {
        t->lists[k].head = t->lists[k].tail = NIL;
        t->lists[k].n = 0;
    }
    idmap_put(&ms->task_ids, ms, task_key, t->id, h);

    if (spec->n_targets > 0) {
        t->cap_m = (uint32_t)spec->n_targets;
        t->m = xreallocarray(NULL, t->cap_m, sizeof *t->m);
    }
    for (size_t i = 0; i < spec->n_targets; i++) {
        uint32_t x = spec->targets[i];
        if (slot_of(t, x) == NIL)
            new_attempt(ms, h, add_member(t, x, F_MEMBER | F_EXPLICIT), 0, now);
    }
    if (q != NULL) {
        for (uint32_t x = 0; x < ms->n_things; x++)
            if (slot_of(t, x) == NIL && thing_matches(ms, t, x))
                new_attempt(ms, h, add_member(t, x, F_MEMBER), 0, now);
    }
    t->status = task_initial_status(t->type, &t->schedule, t->n_m, now);
    if (!task_is_final(t->status))
        t->next_wake = now;
    theap_update(ms, h);
    *out = h;
    return 0;

fail:
    query_free(q);
    window_set_free((struct window_set *)(uintptr_t)spec->schedule.windows);
    return -1;
}

int mem_sched_task_delete(struct mem_sched *ms, uint32_t task, int64_t now, struct oerr *err)
{
    if (live_task(ms, task, err) < 0)
        return -1;
    struct task *t = ms->tasks[task];
    t->status = TASK_DELETION_IN_PROGRESS;
    t->next_wake = now;
    t->n_pending = 0;
    theap_update(ms, task);
    return 0;
}

int mem_sched_task_find(const struct mem_sched *ms, const char *id, uint32_t *out)
{
    return idmap_find(&ms->task_ids, ms, task_key, id, out);
}

int mem_sched_task_info(const struct mem_sched *ms, uint32_t task, struct mem_sched_task_info *out,
                        struct oerr *err)
{
    if (live_task(ms, task, err) < 0)
        return -1;
    const struct task *t = ms->tasks[task];
    out->type = t->type;
    out->status = t->status;
    out->end_applied = t->end_applied;
    memcpy(out->counts.n, t->counts, sizeof out->counts.n);
    out->undecided = t->lists[L_UNDECIDED].n;
    out->next_wake = t->next_wake;
    out->abort_index = t->abort_index;
    out->abort_comment = t->abort_comment;
    out->rollout_state = t->rollout_state;
    return 0;
}

int mem_sched_execution(const struct mem_sched *ms, uint32_t task, uint32_t thing,
                        struct mem_sched_execution *out, struct oerr *err)
{
    if (live_task(ms, task, err) < 0)
        return -1;
    const struct task *t = ms->tasks[task];
    uint32_t slot = slot_of(t, thing);
    if (slot == NIL || t->m[slot].status == MEM_SCHED_NONE)
        return oerr_set(err, OERR_NOT_FOUND, "thing %u has no execution in task %s", thing, t->id);
    const struct member *m = &t->m[slot];
    if (out == NULL)
        return 0;
    out->status = (enum execution_status)m->status;
    out->execution_number = m->exec;
    out->retry_attempt = m->retry_attempt;
    out->version = m->version;
    out->queued_at = m->status == EXECUTION_PLANNED ? -1 : m->queued_at;
    out->started_at = m->status == EXECUTION_PLANNED ? -1 : m->started_at;
    out->updated_at = m->updated_at;
    out->deadline = m->status == EXECUTION_IN_PROGRESS ? m->deadline : -1;
    out->force_canceled = (m->flags & F_FORCE) != 0;
    out->member = (m->flags & F_MEMBER) != 0;
    return 0;
}

int64_t mem_sched_next_wake(const struct mem_sched *ms)
{
    return ms->n_theap > 0 ? task_key_at(ms->tasks[ms->theap[0]]) : -1;
}

/* ---- the device side ---- */

static void queue_attempt(struct mem_sched *ms, uint32_t h, uint32_t slot, int64_t now)
{
    struct member *m = &ms->tasks[h]->m[slot];
    m->queued_at = now;
    m->started_at = -1;
    m->updated_at = now;
    m->version = 1;
    m->step_min = 0;
    m->step_set_at = -1;
    m->deadline = -1;
    set_status(ms, h, slot, EXECUTION_QUEUED, now);
}

int mem_sched_start_next(struct mem_sched *ms, uint32_t thing, int64_t step_timeout_min,
                         int64_t now, uint32_t *task, struct oerr *err)
{
    if (live_thing(ms, thing, err) < 0)
        return -1;
    if (step_timeout_min != 0 && execution_check_step_timeout(step_timeout_min, 0, err) < 0)
        return -1;
    uint32_t best = NIL, best_slot = NIL;
    int64_t best_at = 0;
    for (uint32_t h = 0; h < ms->n_tasks; h++) {
        const struct task *t = ms->tasks[h];
        if (t->removed || t->status == TASK_SCHEDULED || t->status == TASK_DELETION_IN_PROGRESS)
            continue;
        uint32_t slot = slot_of(t, thing);
        if (slot == NIL || t->m[slot].status != EXECUTION_QUEUED)
            continue;
        if (best == NIL || t->m[slot].queued_at < best_at) {
            best = h;
            best_slot = slot;
            best_at = t->m[slot].queued_at;
        }
    }
    if (best == NIL)
        return oerr_set(err, OERR_NOT_FOUND, "thing %s has no pending execution",
                        ms->things[thing].id);
    start_attempt(ms, best, best_slot, step_timeout_min, now);
    *task = best;
    return 0;
}

int mem_sched_update(struct mem_sched *ms, uint32_t task, uint32_t thing, enum execution_status to,
                     int64_t step_timeout_min, int64_t now, struct oerr *err)
{
    if (live_task(ms, task, err) < 0 || live_thing(ms, thing, err) < 0)
        return -1;
    if (execution_check_device_status(to, err) < 0)
        return -1;
    if (step_timeout_min != 0 && execution_check_step_timeout(step_timeout_min, 1, err) < 0)
        return -1;
    struct task *t = ms->tasks[task];
    uint32_t slot = slot_of(t, thing);
    if (slot == NIL || t->m[slot].status == MEM_SCHED_NONE ||
        t->m[slot].status == EXECUTION_PLANNED)
        return oerr_set(err, OERR_NOT_FOUND, "thing %s has no execution in task %s",
                        ms->things[thing].id, t->id);
    struct member *m = &t->m[slot];
    enum execution_status from = (enum execution_status)m->status;
    if (!execution_transition_legal(from, to, EXECUTION_ACTOR_DEVICE, 0))
        return oerr_set(err, OERR_STATE, "execution of %s in task %s cannot go from %s to %s",
                        ms->things[thing].id, t->id, execution_status_name(from),
                        execution_status_name(to));
    if (to == EXECUTION_IN_PROGRESS && from == EXECUTION_QUEUED) {
        start_attempt(ms, task, slot, step_timeout_min > 0 ? step_timeout_min : 0, now);
        return 0;
    }
    m->version++;
    if (to == EXECUTION_IN_PROGRESS) {
        m->updated_at = now;
        if (step_timeout_min > 0) {
            m->step_min = (int32_t)step_timeout_min;
            m->step_set_at = now;
        } else if (step_timeout_min < 0) {
            m->step_min = 0;
            m->step_set_at = -1;
        }
        if (step_timeout_min != 0)
            set_deadline(ms, task, slot);
        emit(ms, task, m, from, to, now);
        return 0;
    }
    end_attempt(ms, task, slot, to, now);
    return 0;
}

/* ---- sched_store_ops ---- */

static int task_of(struct mem_sched *ms, const struct sched_task *st, uint32_t *h, struct oerr *err)
{
    if (idmap_find(&ms->task_ids, ms, task_key, st->ref.id, h) < 0)
        return oerr_set(err, OERR_NOT_FOUND, "task %s does not exist", st->ref.id);
    return 0;
}

/* Bring the scheduler's view of task h up to date. */
static void refresh(struct task *t, struct sched_task *st)
{
    memcpy(st->counts.n, t->counts, sizeof st->counts.n);
    st->undecided = t->lists[L_UNDECIDED].n;
    st->next_deadline = dl_next(t);
}

static int op_lease(void *ctx, int64_t now, int64_t lease_ms, struct sched_task_ref *out,
                    size_t max, size_t *n, struct oerr *err)
{
    struct mem_sched *ms = ctx;
    (void)err;
    *n = 0;
    while (*n < max && ms->n_theap > 0) {
        uint32_t h = ms->theap[0];
        struct task *t = ms->tasks[h];
        if (task_key_at(t) > now)
            break;
        t->leased = 1;
        t->lease_until = now + (lease_ms > 0 ? lease_ms : 1);
        theap_update(ms, h);
        memcpy(out[*n].id, t->id, sizeof t->id);
        (*n)++;
    }
    return 0;
}

static int op_load(void *ctx, const struct sched_task_ref *ref, int64_t now, struct sched_task *out,
                   struct oerr *err)
{
    struct mem_sched *ms = ctx;
    uint32_t h = 0;
    (void)now;
    if (idmap_find(&ms->task_ids, ms, task_key, ref->id, &h) < 0)
        return oerr_set(err, OERR_NOT_FOUND, "task %s does not exist", ref->id);
    struct task *t = ms->tasks[h];
    out->ref = *ref;
    out->type = t->type;
    out->status = t->status;
    out->end_applied = t->end_applied;
    out->schedule = t->schedule;
    out->rollout = t->rollout;
    out->rollout_state = t->rollout_state;
    memcpy(out->abort, t->abort, sizeof out->abort);
    out->n_abort = t->n_abort;
    out->retry = t->retry;
    refresh(t, out);
    return 0;
}

static int op_expire(void *ctx, struct sched_task *st, int64_t now, int64_t *n, struct oerr *err)
{
    struct mem_sched *ms = ctx;
    uint32_t h = 0;
    *n = 0;
    if (task_of(ms, st, &h, err) < 0)
        return -1;
    struct task *t = ms->tasks[h];
    while (dl_next(t) >= 0 && t->dl[0].at <= now) {
        uint32_t slot = t->dl[0].slot;
        dl_pop(t);
        end_attempt(ms, h, slot, EXECUTION_TIMED_OUT, now);
        (*n)++;
    }
    refresh(t, st);
    return 0;
}

/* Leave: PLANNED/QUEUED -> REMOVED, an undecided attempt gets no retry, IN_PROGRESS goes on. */
static void leave(struct mem_sched *ms, uint32_t h, uint32_t slot, int64_t now)
{
    struct task *t = ms->tasks[h];
    struct member *m = &t->m[slot];
    m->flags &= (uint8_t)~F_MEMBER;
    if (m->status == EXECUTION_PLANNED || m->status == EXECUTION_QUEUED)
        end_attempt(ms, h, slot, EXECUTION_REMOVED, now);
    else if (m->list == L_UNDECIDED)
        list_unlink(t, slot);
}

static void join(struct mem_sched *ms, uint32_t h, uint32_t x, int64_t now)
{
    struct task *t = ms->tasks[h];
    uint32_t slot = slot_of(t, x);
    if (slot == NIL) {
        new_attempt(ms, h, add_member(t, x, F_MEMBER), 0, now);
        return;
    }
    struct member *m = &t->m[slot];
    m->flags |= F_MEMBER;
    /* an attempt still running belongs to the task again; otherwise a fresh one, retry count
     * reset */
    if (m->status != EXECUTION_IN_PROGRESS)
        new_attempt(ms, h, slot, 0, now);
}

static int op_sync_membership(void *ctx, struct sched_task *st, int64_t now, struct oerr *err)
{
    struct mem_sched *ms = ctx;
    uint32_t h = 0;
    if (task_of(ms, st, &h, err) < 0)
        return -1;
    struct task *t = ms->tasks[h];
    for (size_t i = 0; i < t->n_pending; i++) {
        uint32_t x = t->pending[i];
        uint32_t slot = slot_of(t, x);
        int in = slot != NIL && (t->m[slot].flags & F_MEMBER);
        int matches = thing_matches(ms, t, x);
        if (matches && !in)
            join(ms, h, x, now);
        else if (!matches && in)
            leave(ms, h, slot, now);
    }
    t->n_pending = 0;
    refresh(t, st);
    return 0;
}

static int64_t cancel_list(struct mem_sched *ms, uint32_t h, enum list_kind k, int force,
                           int64_t now)
{
    struct task *t = ms->tasks[h];
    int64_t n = 0;
    while (t->lists[k].head != NIL) {
        uint32_t slot = t->lists[k].head;
        if (force)
            t->m[slot].flags |= F_FORCE;
        end_attempt(ms, h, slot, EXECUTION_CANCELED, now);
        n++;
    }
    return n;
}

static int op_cancel(void *ctx, struct sched_task *st, enum sched_cancel_scope scope, int64_t now,
                     int64_t *n, struct oerr *err)
{
    struct mem_sched *ms = ctx;
    uint32_t h = 0;
    *n = 0;
    if (task_of(ms, st, &h, err) < 0)
        return -1;
    struct task *t = ms->tasks[h];
    if (scope == SCHED_DROP_PLANNED) {
        for (enum list_kind k = L_PLANNED; k <= L_RETRY; k++) {
            while (t->lists[k].head != NIL) {
                drop_attempt(ms, h, t->lists[k].head, now);
                (*n)++;
            }
        }
    } else {
        *n += cancel_list(ms, h, L_RETRY, 0, now);
        *n += cancel_list(ms, h, L_PLANNED, 0, now);
        *n += cancel_list(ms, h, L_QUEUED, 0, now);
        if (scope == SCHED_CANCEL_FORCE)
            *n += cancel_list(ms, h, L_IN_PROGRESS, 1, now);
    }
    refresh(t, st);
    return 0;
}

static int op_undecided(void *ctx, struct sched_task *st, struct sched_attempt *out, size_t max,
                        size_t *n, struct oerr *err)
{
    struct mem_sched *ms = ctx;
    uint32_t h = 0;
    *n = 0;
    if (task_of(ms, st, &h, err) < 0)
        return -1;
    const struct task *t = ms->tasks[h];
    for (uint32_t slot = t->lists[L_UNDECIDED].head; slot != NIL && *n < max;
         slot = t->m[slot].next) {
        const struct member *m = &t->m[slot];
        struct sched_attempt *a = &out[(*n)++];
        const char *id = ms->things[m->thing].id;
        memcpy(a->thing_id, id, strlen(id) + 1);
        a->execution_number = m->exec;
        a->status = (enum execution_status)m->status;
        a->counts.after_failed = m->after_failed;
        a->counts.after_timed_out = m->after_timed_out;
    }
    return 0;
}

/* The member an attempt names, or NIL if it is no longer undecided. cursor is the member
 * expected next: the scheduler hands back what undecided() listed, in list order, so the
 * lookup is normally a comparison with the list head (and works for deleted things too). */
static uint32_t attempt_slot(const struct mem_sched *ms, const struct task *t,
                             const struct sched_attempt *a, uint32_t cursor)
{
    uint32_t slot = cursor;
    if (slot == NIL || strcmp(ms->things[t->m[slot].thing].id, a->thing_id) != 0) {
        uint32_t x;
        if (idmap_find(&ms->thing_ids, ms, thing_key, a->thing_id, &x) < 0)
            return NIL;
        slot = slot_of(t, x);
    }
    if (slot == NIL || t->m[slot].list != L_UNDECIDED ||
        (int64_t)t->m[slot].exec != a->execution_number)
        return NIL;
    return slot;
}

static int op_decide(void *ctx, struct sched_task *st, const struct sched_attempt *a,
                     const int *retry, size_t n, int64_t now, struct oerr *err)
{
    struct mem_sched *ms = ctx;
    uint32_t h = 0;
    if (task_of(ms, st, &h, err) < 0)
        return -1;
    struct task *t = ms->tasks[h];
    uint32_t cursor = t->lists[L_UNDECIDED].head;
    for (size_t i = 0; i < n; i++) {
        uint32_t slot = attempt_slot(ms, t, &a[i], cursor);
        if (slot == NIL)
            continue; /* stale: already decided or gone */
        if (slot == cursor)
            cursor = t->m[slot].next;
        if (retry[i])
            new_attempt(ms, h, slot, 1, now);
        else
            list_unlink(t, slot);
    }
    refresh(t, st);
    return 0;
}

static int op_queue(void *ctx, struct sched_task *st, int64_t k, int64_t now, int64_t *n,
                    struct oerr *err)
{
    struct mem_sched *ms = ctx;
    uint32_t h = 0;
    *n = 0;
    if (task_of(ms, st, &h, err) < 0)
        return -1;
    struct task *t = ms->tasks[h];
    for (enum list_kind l = L_RETRY;; l = L_PLANNED) {
        while (*n < k && t->lists[l].head != NIL) {
            queue_attempt(ms, h, t->lists[l].head, now);
            (*n)++;
        }
        if (l == L_PLANNED)
            break;
    }
    refresh(t, st);
    return 0;
}

static int op_remove(void *ctx, struct sched_task *st, struct oerr *err)
{
    struct mem_sched *ms = ctx;
    uint32_t h = 0;
    if (task_of(ms, st, &h, err) < 0)
        return -1;
    struct task *t = ms->tasks[h];
    idmap_del(&ms->task_ids, ms, task_key, t->id);
    t->removed = 1;
    t->leased = 0;
    theap_update(ms, h);
    task_release_memory(t);
    memset(t->counts, 0, sizeof t->counts);
    for (int l = 0; l < L_MAX; l++) {
        t->lists[l].head = t->lists[l].tail = NIL;
        t->lists[l].n = 0;
    }
    return 0;
}

static int op_release(void *ctx, struct sched_task *st, const struct sched_release *r,
                      struct oerr *err)
{
    struct mem_sched *ms = ctx;
    uint32_t h = 0;
    (void)err;
    if (idmap_find(&ms->task_ids, ms, task_key, st->ref.id, &h) < 0)
        return 0; /* removed in this unit: nothing left to persist */
    struct task *t = ms->tasks[h];
    t->status = r->status;
    t->end_applied = r->end_applied;
    if (r->abort_index >= 0) {
        t->abort_index = r->abort_index;
        snprintf(t->abort_comment, sizeof t->abort_comment, "%s",
                 r->abort_comment != NULL ? r->abort_comment : "");
    }
    if (r->rollout_state != NULL)
        t->rollout_state = *r->rollout_state;
    t->next_wake = r->next_wake;
    t->leased = 0;
    if (!tracks_membership(t))
        t->n_pending = 0;
    theap_update(ms, h);
    return 0;
}

static void op_abandon(void *ctx, struct sched_task *st)
{
    struct mem_sched *ms = ctx;
    uint32_t h = 0;
    if (idmap_find(&ms->task_ids, ms, task_key, st->ref.id, &h) < 0)
        return;
    ms->tasks[h]->leased = 0;
    theap_update(ms, h);
}

static const struct sched_store_ops mem_ops = {
    .lease = op_lease,
    .load = op_load,
    .expire = op_expire,
    .sync_membership = op_sync_membership,
    .cancel = op_cancel,
    .undecided = op_undecided,
    .decide = op_decide,
    .queue = op_queue,
    .remove = op_remove,
    .release = op_release,
    .abandon = op_abandon,
};

const struct sched_store_ops *mem_sched_ops(void)
{
    return &mem_ops;
}
