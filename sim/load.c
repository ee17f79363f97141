/*
 * load: the live run (see load.h). Interface routines: load_run, load_result_free,
 * load_run_id.
 *
 * A device is a small state machine, not a connection. Each attempt (execution number) it has
 * heard of is IDLE, or waits on one timer (accept delay, work duration, backoff) or one
 * request; attempts are independent, as in the simulation, so a retry is taken up on its own
 * accept delay while an earlier attempt that timed out is still being worked on. A polling
 * device also has its poll timer or request. Timers live in one min-heap driving one libevent
 * timer; a timer is cancelled by changing its owner's token (stale heap entries are skipped).
 *
 * Each device keeps its own record of every attempt it heard of: the status the server
 * acknowledged to it (QUEUED when it only heard of it, IN_PROGRESS after a successful
 * start, the reported status after a successful update), whether a request for it went
 * unanswered (its effect is then unknown), whether a report was refused, and the times it
 * saw. The final check (check) holds the server to that record.
 */
#include "sim/load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "engine/mem.h"
#include "engine/query.h"
#include "engine/rollout.h"
#include "sim/fleet.h"
#include "sim/httpc.h"
#include "sim/mi.h"
#include "sim/notify.h"
#include "sim/report.h"

#define JOBS            "iot-jobs-data"
#define WATCH_MS        500
#define QUIET_POLLS     3
#define BACKOFF_MS      200
#define MAX_RETRIES     50
#define TARGET_LIST_MAX 20000 /* larger fleets are targeted by the run's MetaData tag */
#define MIN_MS          INT64_C(60000)
#define RUN_KEY         "otasim_run"

enum dstate { D_IDLE = 0, D_TIMER, D_REQUEST };
enum dkind { K_NONE = 0, K_START, K_REPORT };

struct attempt {
    uint32_t n;
    uint8_t state, kind; /* what the device waits on for this attempt */
    uint32_t retries;    /* consecutive requests repeated */
    uint64_t token;      /* of the attempt's pending timer */
    uint8_t status;      /* acknowledged to the device (QUEUED = only heard of it) */
    uint8_t server;      /* the server's status at the check; PLANNED = not known */
    uint8_t tried;       /* the terminal status the device last tried to report */
    uint8_t ambiguous;   /* a request for it got no answer or a 5xx */
    uint8_t late;        /* a report was refused: the execution had moved on */
    int64_t version;
    int64_t queued_t, started_t, ended_t; /* service ms since the start; -1 = not seen */
};

struct live;

struct device {
    struct live *lv;
    char *id;
    int64_t index;
    uint32_t group;
    uint8_t target, poll, offline, listed;
    uint8_t polling;     /* a poll timer or request is pending */
    uint64_t poll_token; /* of the pending poll timer */
    struct attempt *att;
    uint32_t n_att;
};

#define POLL_TIMER UINT32_MAX /* struct timer.att of a poll */

struct timer {
    int64_t due_us;
    uint64_t token;
    uint32_t dev;
    uint32_t att; /* index into the device's attempts, or POLL_TIMER */
};

/* What a request's answer is about. */
struct pending {
    struct device *d;
    uint32_t att;
};

struct live {
    const struct scenario *sc;
    const struct fleet *f;
    const struct load_opts *o;
    struct load_result *res;
    struct event_base *base;
    struct httpc *h;
    struct notify *nt;
    struct device *dev;
    int64_t n_dev;
    uint32_t *map; /* thing id hash -> device index + 1 */
    size_t map_mask;
    struct timer *heap;
    size_t n_heap, cap_heap;
    uint64_t next_token;
    struct event *timer_ev, *watch_ev;
    int64_t armed_us; /* due time the timer event is armed for; -1 none */
    double scale;
    int64_t anchor_us; /* monotonic us of the task's creation (midpoint of the request) */
    int64_t created_ms;
    char task_id[201];
    int64_t busy;          /* devices waiting on a timer or request other than a poll */
    int64_t heard_targets; /* targets that heard of at least one attempt */
    int64_t targets;
    int running, stopping;
    enum rollout_end end;
    int watch_busy;
    int watch_failures;
    enum task_status status;
    int64_t counts[EXECUTION_STATUS_MAX], prev[EXECUTION_STATUS_MAX];
    int same_polls;
    int fatal;
    char fatal_msg[300];
    int64_t device_actions;
    int64_t start_requests;
    double start_mono_s;
    int64_t last_progress_us;
};

/* ---- clocks ---- */

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Service ms since the task's creation, now. */
static int64_t now_t(const struct live *lv)
{
    return (int64_t)llround((double)(mono_us() - lv->anchor_us) / 1000.0 * lv->scale);
}

void load_run_id(char *buf, size_t len)
{
    unsigned char b[6];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        int64_t t = mono_us() ^ (int64_t)getpid();
        memcpy(b, &t, sizeof b);
    }
    snprintf(buf, len, "r%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

/* ---- the thing id map ---- */

static uint32_t hash_id(const char *s)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h;
}

static void map_build(struct live *lv)
{
    size_t cap = 16;
    while (cap < (size_t)lv->n_dev * 2)
        cap *= 2;
    lv->map = xcalloc(cap, sizeof *lv->map);
    lv->map_mask = cap - 1;
    for (int64_t i = 0; i < lv->n_dev; i++) {
        if (lv->dev[i].id == NULL)
            continue;
        size_t k = hash_id(lv->dev[i].id) & lv->map_mask;
        while (lv->map[k] != 0)
            k = (k + 1) & lv->map_mask;
        lv->map[k] = (uint32_t)i + 1;
    }
}

static struct device *map_find(const struct live *lv, const char *id)
{
    if (lv->map == NULL)
        return NULL;
    for (size_t k = hash_id(id) & lv->map_mask; lv->map[k] != 0; k = (k + 1) & lv->map_mask) {
        struct device *d = &lv->dev[lv->map[k] - 1];
        if (strcmp(d->id, id) == 0)
            return d;
    }
    return NULL;
}

/* ---- timers ---- */

static int timer_less(const struct timer *a, const struct timer *b)
{
    return a->due_us < b->due_us || (a->due_us == b->due_us && a->token < b->token);
}

static void arm(struct live *lv)
{
    if (lv->n_heap == 0 || lv->heap[0].due_us == lv->armed_us)
        return;
    int64_t wait = lv->heap[0].due_us - mono_us();
    if (wait < 0)
        wait = 0;
    struct timeval tv = {(time_t)(wait / 1000000), (suseconds_t)(wait % 1000000)};
    evtimer_add(lv->timer_ev, &tv);
    lv->armed_us = lv->heap[0].due_us;
}

static void heap_push(struct live *lv, struct timer t)
{
    if (lv->n_heap == lv->cap_heap) {
        lv->cap_heap = lv->cap_heap == 0 ? 1024 : lv->cap_heap * 2;
        lv->heap = xreallocarray(lv->heap, lv->cap_heap, sizeof *lv->heap);
    }
    size_t i = lv->n_heap++;
    while (i > 0 && timer_less(&t, &lv->heap[(i - 1) / 2])) {
        lv->heap[i] = lv->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    lv->heap[i] = t;
}

static struct timer heap_pop(struct live *lv)
{
    struct timer top = lv->heap[0];
    struct timer last = lv->heap[--lv->n_heap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= lv->n_heap)
            break;
        if (c + 1 < lv->n_heap && timer_less(&lv->heap[c + 1], &lv->heap[c]))
            c++;
        if (!timer_less(&lv->heap[c], &last))
            break;
        lv->heap[i] = lv->heap[c];
        i = c;
    }
    if (lv->n_heap > 0)
        lv->heap[i] = last;
    return top;
}

/* Attempt state changes go through here so that `busy` stays exact. */
static void set_state(struct device *d, struct attempt *a, enum dstate s, enum dkind k)
{
    d->lv->busy += (s != D_IDLE) - (a->state != D_IDLE);
    a->state = (uint8_t)s;
    a->kind = (uint8_t)k;
}

static void push_timer(struct live *lv, struct device *d, uint32_t att, uint64_t token,
                       double real_ms)
{
    struct timer t = {mono_us() + (int64_t)(real_ms * 1000.0), token, (uint32_t)(d - lv->dev), att};
    heap_push(lv, t);
    arm(lv);
}

/* After real_ms, do kind k for attempt a (a pending timer of a is replaced). */
static void after(struct device *d, struct attempt *a, enum dkind k, double real_ms)
{
    struct live *lv = d->lv;
    set_state(d, a, D_TIMER, k);
    a->token = ++lv->next_token;
    push_timer(lv, d, (uint32_t)(a - d->att), a->token, real_ms);
}

/* Poll after real_ms. */
static void poll_after(struct device *d, double real_ms)
{
    struct live *lv = d->lv;
    d->polling = 1;
    d->poll_token = ++lv->next_token;
    push_timer(lv, d, POLL_TIMER, d->poll_token, real_ms);
}

static double service_to_real_ms(const struct live *lv, int64_t service_ms)
{
    return (double)service_ms / lv->scale;
}

/* ---- device actions ---- */

static void consider(struct device *d, enum execution_status status, uint32_t n, int64_t version);

static struct attempt *attempt_of(struct device *d, uint32_t n, int create)
{
    for (uint32_t i = 0; i < d->n_att; i++)
        if (d->att[i].n == n)
            return &d->att[i];
    if (!create)
        return NULL;
    d->att = xreallocarray(d->att, d->n_att + 1, sizeof *d->att);
    struct attempt *a = &d->att[d->n_att++];
    memset(a, 0, sizeof *a);
    a->n = n;
    a->status = EXECUTION_QUEUED;
    a->server = EXECUTION_PLANNED;
    a->queued_t = a->started_t = a->ended_t = -1;
    return a;
}

/* The device heard of attempt n (a notification, a poll, a start's answer). */
static struct attempt *heard(struct device *d, uint32_t n)
{
    struct attempt *a = attempt_of(d, n, 0);
    if (a != NULL)
        return a;
    if (d->n_att == 0 && d->target)
        d->lv->heard_targets++;
    a = attempt_of(d, n, 1);
    a->queued_t = d->lv->running ? now_t(d->lv) : 0;
    return a;
}

static int transient(int status)
{
    return status == 0 || status == 429 || status >= 500;
}

static struct pending *pending_new(struct device *d, struct attempt *a)
{
    struct pending *p = xmalloc(sizeof *p);
    p->d = d;
    p->att = (uint32_t)(a - d->att);
    return p;
}

/* Nothing more to do for attempt a (a pending timer of it is cancelled). */
static void settle(struct device *d, struct attempt *a)
{
    set_state(d, a, D_IDLE, K_NONE);
    a->token = ++d->lv->next_token;
}

static void retry_later(struct device *d, struct attempt *a, enum dkind k)
{
    struct live *lv = d->lv;
    lv->res->retried++;
    if (++a->retries > MAX_RETRIES) {
        lv->res->device_errors++;
        settle(d, a);
        return;
    }
    after(d, a, k, BACKOFF_MS * (a->retries < 5 ? a->retries : 5));
}

static void job_path(const struct device *d, char *buf, size_t len, const char *job)
{
    snprintf(buf, len, "/things/%s/jobs/%s", d->id, job);
}

static void on_reported(void *arg, const struct httpc_response *r)
{
    struct pending *p = arg;
    struct device *d = p->d;
    struct attempt *a = &d->att[p->att];
    struct live *lv = d->lv;
    free(p);
    if (r->status == 200) {
        a->retries = 0;
        a->status = a->tried;
        a->ended_t = now_t(lv);
        settle(d, a);
    } else if (transient(r->status)) {
        a->ambiguous = 1;
        if (lv->stopping)
            settle(d, a);
        else
            retry_later(d, a, K_REPORT);
    } else if (r->status == 404 || r->status == 409 || r->status == 410) {
        a->late = 1; /* timed out, canceled or removed meanwhile (or an earlier try applied) */
        lv->res->run.late_reports++;
        settle(d, a);
    } else {
        lv->res->device_errors++;
        settle(d, a);
    }
}

static void report(struct device *d, struct attempt *a)
{
    struct live *lv = d->lv;
    char path[400], body[300];
    job_path(d, path, sizeof path, lv->task_id);
    snprintf(body, sizeof body,
             "{\"status\":\"%s\",\"expectedVersion\":%lld,\"executionNumber\":%u,"
             "\"statusDetails\":{\"progress\":\"100%%\"}}",
             execution_status_name((enum execution_status)a->tried), (long long)a->version, a->n);
    set_state(d, a, D_REQUEST, K_REPORT);
    lv->device_actions++;
    httpc_request(lv->h, "UpdateJobExecution", "POST", path, NULL, body, JOBS, on_reported,
                  pending_new(d, a));
}

static void on_started(void *arg, const struct httpc_response *r)
{
    struct pending *p = arg;
    struct device *d = p->d;
    struct attempt *asked = &d->att[p->att];
    struct live *lv = d->lv;
    cJSON *j = NULL;
    free(p);
    if (transient(r->status)) {
        asked->ambiguous = 1;
        if (lv->stopping)
            settle(d, asked);
        else
            retry_later(d, asked, K_START);
        return;
    }
    asked->retries = 0;
    settle(d, asked);
    if (r->status != 200) {
        lv->res->device_errors++;
        return;
    }
    j = cJSON_Parse(r->body);
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(j, "execution");
    const char *job = mi_string(ex, "jobId");
    if (ex == NULL || job == NULL)
        goto done; /* nothing pending: canceled, or hidden while a window is closed */
    if (strcmp(job, lv->task_id) != 0) {
        lv->res->device_errors++; /* another task's execution on this thing: left alone */
        goto done;
    }
    /* start-next starts the newest pending attempt, which may not be the one asked about */
    uint32_t n = (uint32_t)mi_number(ex, "executionNumber", 0);
    struct attempt *a = heard(d, n);
    if (a->status != EXECUTION_QUEUED)
        goto done; /* started before (an earlier start's answer was lost): already handled */
    settle(d, a);
    a->status = EXECUTION_IN_PROGRESS;
    a->started_t = now_t(lv);
    a->version = (int64_t)mi_number(ex, "versionNumber", 0);
    struct fleet_attempt fa;
    fleet_attempt(lv->f, d->index, n, &fa);
    if (fa.outcome == FLEET_SILENT || fa.outcome == FLEET_OFFLINE || lv->stopping)
        goto done;
    a->tried = fa.outcome == FLEET_SUCCEEDED ? EXECUTION_SUCCEEDED : EXECUTION_FAILED;
    after(d, a, K_REPORT, service_to_real_ms(lv, fa.duration_ms));
done:
    cJSON_Delete(j);
}

static void start(struct device *d, struct attempt *a)
{
    struct live *lv = d->lv;
    struct fleet_attempt fa;
    char path[400], body[200];
    fleet_attempt(lv->f, d->index, a->n, &fa);
    if (fa.outcome == FLEET_REJECTED) {
        a->tried = EXECUTION_REJECTED;
        report(d, a);
        return;
    }
    snprintf(path, sizeof path, "/things/%s/jobs/$next", d->id);
    if (fa.step_timeout_min > 0)
        snprintf(body, sizeof body,
                 "{\"statusDetails\":{\"step\":\"start\"},\"stepTimeoutInMinutes\":%lld}",
                 (long long)fa.step_timeout_min);
    else
        snprintf(body, sizeof body, "{\"statusDetails\":{\"step\":\"start\"}}");
    set_state(d, a, D_REQUEST, K_START);
    lv->device_actions++;
    httpc_request(lv->h, "StartNextPendingJobExecution", "PUT", path, NULL, body, JOBS, on_started,
                  pending_new(d, a));
}

/* GetPendingJobExecutions: the entry of the run's job in list, if any. */
static void pending_of(struct device *d, const cJSON *list, enum execution_status status)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        const char *job = mi_string(it, "jobId");
        if (job != NULL && strcmp(job, d->lv->task_id) == 0)
            consider(d, status, (uint32_t)mi_number(it, "executionNumber", 0),
                     (int64_t)mi_number(it, "versionNumber", 0));
    }
}

static void on_polled(void *arg, const struct httpc_response *r)
{
    struct device *d = arg;
    struct live *lv = d->lv;
    d->polling = 0;
    if (r->status == 200) {
        cJSON *j = cJSON_Parse(r->body);
        pending_of(d, cJSON_GetObjectItemCaseSensitive(j, "inProgressJobs"), EXECUTION_IN_PROGRESS);
        pending_of(d, cJSON_GetObjectItemCaseSensitive(j, "queuedJobs"), EXECUTION_QUEUED);
        cJSON_Delete(j);
    } else if (!transient(r->status)) {
        lv->res->device_errors++;
    }
    if (!lv->stopping)
        poll_after(d, lv->o->poll_interval_s * 1000.0);
}

static void poll_now(struct device *d)
{
    struct live *lv = d->lv;
    char path[300];
    snprintf(path, sizeof path, "/things/%s/jobs", d->id);
    d->polling = 1;
    lv->res->polls++;
    httpc_request(lv->h, "GetPendingJobExecutions", "GET", path, NULL, NULL, JOBS, on_polled, d);
}

/* The server says attempt n of the run's job is pending with status and version. Attempts are
 * independent, as in the simulation: a retry is taken up on its own accept delay even while the
 * device still works on (or is about to report) an earlier attempt that timed out. */
static void consider(struct device *d, enum execution_status status, uint32_t n, int64_t version)
{
    struct live *lv = d->lv;
    struct attempt *a = heard(d, n);
    if (status == EXECUTION_QUEUED && a->status == EXECUTION_QUEUED)
        a->version = version;
    if (d->offline || lv->stopping || a->state != D_IDLE)
        return;
    if (status != EXECUTION_QUEUED || a->status != EXECUTION_QUEUED)
        return; /* started already: working on it, or silent */
    struct fleet_attempt fa;
    fleet_attempt(lv->f, d->index, n, &fa);
    a->retries = 0;
    after(d, a, K_START, service_to_real_ms(lv, fa.accept_delay_ms));
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct live *lv = arg;
    lv->armed_us = -1;
    int64_t now = mono_us();
    while (lv->n_heap > 0 && lv->heap[0].due_us <= now) {
        struct timer t = heap_pop(lv);
        struct device *d = &lv->dev[t.dev];
        if (t.att == POLL_TIMER) {
            if (t.token == d->poll_token && d->polling && !lv->stopping)
                poll_now(d);
            continue;
        }
        struct attempt *a = &d->att[t.att];
        if (t.token != a->token || a->state != D_TIMER)
            continue;
        if (lv->stopping) {
            settle(d, a);
            continue;
        }
        if (a->kind == K_START)
            start(d, a);
        else
            report(d, a);
    }
    arm(lv);
}

/* A notify entry: the thing's next pending execution, or nothing pending. */
static void on_notify(void *arg, const char *thing, const char *payload, size_t len)
{
    struct live *lv = arg;
    struct device *d = map_find(lv, thing);
    if (d == NULL || lv->task_id[0] == '\0')
        return;
    lv->res->notifications++;
    cJSON *j = cJSON_ParseWithLength(payload, len);
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(j, "execution");
    const char *job = mi_string(ex, "jobId");
    const char *st = mi_string(ex, "status");
    enum execution_status s;
    if (job != NULL && st != NULL && strcmp(job, lv->task_id) == 0 &&
        execution_status_parse(st, &s) == 0 && !d->poll)
        consider(d, s, (uint32_t)mi_number(ex, "executionNumber", 0),
                 (int64_t)mi_number(ex, "versionNumber", 0));
    cJSON_Delete(j);
}

/* ---- watching the task ---- */

static const char *const detail_names[EXECUTION_STATUS_MAX] = {
    [EXECUTION_QUEUED] = "numberOfQueuedThings",
    [EXECUTION_IN_PROGRESS] = "NumberOfInProgressThings",
    [EXECUTION_SUCCEEDED] = "numberOfSucceededThings",
    [EXECUTION_FAILED] = "NumberOfFailedThings",
    [EXECUTION_TIMED_OUT] = "numberOfTimedOutThings",
    [EXECUTION_REJECTED] = "numberOfRejectedThings",
    [EXECUTION_REMOVED] = "numberOfRemovedThings",
    [EXECUTION_CANCELED] = "NumberOfCanceledThings",
};

/* Status and counts of a GetOtaTask answer. */
static int read_task(struct live *lv, const cJSON *task)
{
    const char *st = mi_string(task, "Status");
    enum task_status s;
    if (st == NULL || task_status_parse(st, &s) < 0)
        return -1;
    lv->status = s;
    const cJSON *det = cJSON_GetObjectItemCaseSensitive(task, "TaskProcessingDetails");
    for (int i = EXECUTION_QUEUED; i < EXECUTION_STATUS_MAX; i++)
        lv->counts[i] = (int64_t)mi_number(det, detail_names[i], 0);
    return 0;
}

static void progress_line(struct live *lv, int final)
{
    if (!lv->o->progress)
        return;
    int64_t settled = 0;
    for (int s = EXECUTION_SUCCEEDED; s < EXECUTION_STATUS_MAX; s++)
        settled += lv->counts[s];
    int64_t total = lv->targets > 0 ? lv->targets : 1;
    int64_t shown = settled > total ? total : settled;
    char bar[31];
    int fill = (int)(30 * shown / total);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    double el = (double)(mono_us() - lv->anchor_us) / 1e6;
    int64_t req = opstats_requests(lv->res->stats) - lv->start_requests;
    char t[48];
    report_duration(now_t(lv) / 1000 * 1000, t, sizeof t);
    fprintf(stderr,
            "\r[%s] %lld/%lld settled  queued %lld  in progress %lld  %lld req (%.0f/s)  "
            "%lld errors  %s %s\033[K",
            bar, (long long)settled, (long long)lv->targets,
            (long long)lv->counts[EXECUTION_QUEUED], (long long)lv->counts[EXECUTION_IN_PROGRESS],
            (long long)req, el > 0 ? (double)req / el : 0.0,
            (long long)opstats_errors(lv->res->stats), t, task_status_name(lv->status));
    if (final)
        fprintf(stderr, "\r\033[K");
    fflush(stderr);
}

static void stop(struct live *lv, enum rollout_end end)
{
    if (lv->stopping)
        return;
    lv->stopping = 1;
    lv->end = end;
    lv->res->run.clock_ms = now_t(lv);
    event_base_loopbreak(lv->base);
}

static void evaluate(struct live *lv)
{
    if (now_t(lv) >= lv->o->horizon_ms) {
        stop(lv, ROLLOUT_END_HORIZON);
        return;
    }
    int final = task_is_final(lv->status);
    if (final && lv->counts[EXECUTION_QUEUED] == 0 && lv->counts[EXECUTION_IN_PROGRESS] == 0) {
        stop(lv, ROLLOUT_END_DONE);
        return;
    }
    if (memcmp(lv->counts, lv->prev, sizeof lv->counts) == 0)
        lv->same_polls++;
    else
        lv->same_polls = 0;
    memcpy(lv->prev, lv->counts, sizeof lv->prev);
    if (lv->busy == 0 && lv->counts[EXECUTION_IN_PROGRESS] == 0 && lv->same_polls >= QUIET_POLLS &&
        (final || lv->heard_targets >= lv->targets))
        stop(lv, ROLLOUT_END_STUCK);
}

static void on_watch_answer(void *arg, const struct httpc_response *r)
{
    struct live *lv = arg;
    lv->watch_busy = 0;
    if (lv->stopping)
        return;
    cJSON *j = r->status == 200 ? cJSON_Parse(r->body) : NULL;
    if (j != NULL && read_task(lv, j) == 0) {
        lv->watch_failures = 0;
        progress_line(lv, 0);
        evaluate(lv);
    } else if (++lv->watch_failures >= 60) { /* 30 s without a word from the server */
        lv->fatal = 1;
        snprintf(lv->fatal_msg, sizeof lv->fatal_msg, "GetOtaTask: HTTP %d %s: giving up",
                 r->status, r->error_type != NULL ? r->error_type : "");
        stop(lv, ROLLOUT_END_HORIZON);
    }
    cJSON_Delete(j);
}

static void on_watch(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct live *lv = arg;
    char path[300];
    if (lv->stopping || lv->watch_busy)
        return;
    lv->watch_busy = 1;
    snprintf(path, sizeof path, "/ota-tasks/%s", lv->task_id);
    httpc_request(lv->h, "GetOtaTask", "GET", path, NULL, NULL, "iotmanagedintegrations",
                  on_watch_answer, lv);
}

/* ---- set-up ---- */

/* A CreateManagedThing body for device i. */
static char *thing_body(void *arg, int64_t i)
{
    struct live *lv = arg;
    char name[FLEET_NAME_MAX + 1], token[80], auth[96];
    char *value = xmalloc(FLEET_META_VALUE_MAX + 1);
    fleet_name(lv->f, i, name, sizeof name);
    snprintf(token, sizeof token, "%s-%lld", lv->res->run_id, (long long)i);
    snprintf(auth, sizeof auth, "otasim-%s", token);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Role", "DEVICE");
    cJSON_AddStringToObject(o, "AuthenticationMaterial", auth);
    cJSON_AddStringToObject(o, "AuthenticationMaterialType", "CUSTOM_PROTOCOL_QR_BAR_CODE");
    cJSON_AddStringToObject(o, "Name", name);
    cJSON *meta = cJSON_AddObjectToObject(o, "MetaData");
    size_t n_meta = fleet_meta_count(lv->f);
    for (size_t k = 0; k < n_meta; k++) {
        fleet_meta_value(lv->f, i, k, value, FLEET_META_VALUE_MAX + 1);
        cJSON_AddStringToObject(meta, fleet_meta_key(lv->f, k), value);
    }
    if (n_meta < FLEET_META_MAX)
        cJSON_AddStringToObject(meta, RUN_KEY, lv->res->run_id);
    cJSON_AddStringToObject(o, "ClientToken", token);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    free(value);
    if (text == NULL)
        mem_oom(0);
    char *out = xstrdup(text);
    cJSON_free(text);
    return out;
}

static void on_things(void *arg, int64_t done, int64_t total)
{
    struct live *lv = arg;
    int64_t now = mono_us();
    if (!lv->o->progress || (now - lv->last_progress_us < 200000 && done < total))
        return;
    lv->last_progress_us = now;
    fprintf(stderr, "\rcreating managed things: %lld/%lld\033[K", (long long)done,
            (long long)total);
    if (done == total)
        fprintf(stderr, "\r\033[K");
    fflush(stderr);
}

/* The targets the server will pick: mark them and count them. */
static int mark_targets(struct live *lv, struct oerr *err)
{
    const struct scenario *sc = lv->sc;
    struct query *q = NULL;
    char name[FLEET_NAME_MAX + 1];
    size_t n_meta = fleet_meta_count(lv->f);
    const char **keys = xcalloc(n_meta + 1, sizeof *keys);
    const char **values = xcalloc(n_meta + 1, sizeof *values);
    char *buf = xmalloc((n_meta + 1) * (FLEET_META_VALUE_MAX + 1));
    int rc = -1;
    for (size_t i = 0; i < sc->n_targets; i++)
        lv->dev[sc->targets[i]].target = 1;
    if (sc->query != NULL) {
        q = query_parse(sc->query, err);
        if (q == NULL)
            goto done;
    }
    for (int64_t i = 0; i < lv->n_dev; i++) {
        struct device *d = &lv->dev[i];
        if (sc->whole_fleet)
            d->target = 1;
        if (q != NULL && !d->target) {
            struct query_thing t;
            memset(&t, 0, sizeof t);
            fleet_name(lv->f, i, name, sizeof name);
            for (size_t k = 0; k < n_meta; k++) {
                keys[k] = fleet_meta_key(lv->f, k);
                values[k] = buf + k * (FLEET_META_VALUE_MAX + 1);
                fleet_meta_value(lv->f, i, k, buf + k * (FLEET_META_VALUE_MAX + 1),
                                 FLEET_META_VALUE_MAX + 1);
            }
            t.fields[QUERY_FIELD_NAME] = name;
            t.n_meta = n_meta;
            t.meta_keys = keys;
            t.meta_values = values;
            d->target = (uint8_t)query_match(q, &t);
        }
        lv->targets += d->target;
    }
    rc = 0;
done:
    query_free(q);
    free(keys);
    free(values);
    free(buf);
    return rc;
}

/* The CreateOtaTask body: the scenario's task with the configuration, the targets and a
 * ClientToken. */
static char *task_body(struct live *lv, const char *config_id)
{
    const struct scenario *sc = lv->sc;
    cJSON *o = cJSON_Duplicate(scenario_member(sc, "task"), 1);
    int tagged = fleet_meta_count(lv->f) < FLEET_META_MAX;
    char token[64];
    cJSON_DeleteItemFromObjectCaseSensitive(o, "TaskConfigurationId");
    cJSON_AddStringToObject(o, "TaskConfigurationId", config_id);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "Target");
    cJSON_DeleteItemFromObjectCaseSensitive(o, "OtaTargetQueryString");
    int by_tag = sc->whole_fleet && lv->n_dev > TARGET_LIST_MAX && tagged;
    if (!by_tag && (sc->whole_fleet || sc->n_targets > 0)) {
        cJSON *t = cJSON_AddArrayToObject(o, "Target");
        if (sc->whole_fleet)
            for (int64_t i = 0; i < lv->n_dev; i++)
                cJSON_AddItemToArray(t, cJSON_CreateString(lv->dev[i].id));
        else
            for (size_t i = 0; i < sc->n_targets; i++)
                cJSON_AddItemToArray(t, cJSON_CreateString(lv->dev[sc->targets[i]].id));
    }
    if (sc->query != NULL || by_tag) {
        size_t len = (sc->query != NULL ? strlen(sc->query) : 0) + 100;
        char *qs = xmalloc(len);
        if (sc->query != NULL && tagged)
            snprintf(qs, len, "(%s) AND attributes.%s=%s", sc->query, RUN_KEY, lv->res->run_id);
        else if (sc->query != NULL)
            snprintf(qs, len, "%s", sc->query);
        else
            snprintf(qs, len, "attributes.%s=%s", RUN_KEY, lv->res->run_id);
        cJSON_AddStringToObject(o, "OtaTargetQueryString", qs);
        free(qs);
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "ClientToken") == NULL) {
        snprintf(token, sizeof token, "%s-task", lv->res->run_id);
        cJSON_AddStringToObject(o, "ClientToken", token);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        mem_oom(0);
    char *out = xstrdup(text);
    cJSON_free(text);
    return out;
}

static char *config_body(struct live *lv)
{
    cJSON *o = cJSON_Duplicate(scenario_member(lv->sc, "configuration"), 1);
    char token[64];
    if (cJSON_GetObjectItemCaseSensitive(o, "ClientToken") == NULL) {
        snprintf(token, sizeof token, "%s-cfg", lv->res->run_id);
        cJSON_AddStringToObject(o, "ClientToken", token);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        mem_oom(0);
    char *out = xstrdup(text);
    cJSON_free(text);
    return out;
}

static int setup(struct live *lv, struct oerr *err)
{
    struct load_result *res = lv->res;
    cJSON *j = NULL;
    char *body = NULL;
    int rc = -1;
    lv->dev = xcalloc((size_t)lv->n_dev, sizeof *lv->dev);
    for (int64_t i = 0; i < lv->n_dev; i++) {
        struct device *d = &lv->dev[i];
        d->lv = lv;
        d->index = i;
        d->group = (uint32_t)fleet_group_of(lv->f, i);
        const struct fleet_group *g = fleet_group(lv->f, d->group);
        d->offline = g->outcome == FLEET_OFFLINE;
        d->poll = g->discovery == FLEET_POLL || lv->o->redis == NULL;
    }
    if (mark_targets(lv, err) < 0)
        goto done;

    body = config_body(lv);
    if (mi_call(lv->base, lv->h, "CreateOtaTaskConfiguration", "POST", "/ota-task-configurations",
                NULL, body, 201, &j, err) < 0)
        goto done;
    snprintf(res->config_id, sizeof res->config_id, "%s",
             mi_string(j, "TaskConfigurationId") != NULL ? mi_string(j, "TaskConfigurationId")
                                                         : "");
    cJSON_Delete(j);
    j = NULL;
    free(body);
    body = NULL;

    char **ids = xcalloc((size_t)lv->n_dev, sizeof *ids);
    int c = mi_create_things(lv->base, lv->h, lv->n_dev, lv->o->connections * 2, thing_body, lv,
                             ids, on_things, lv, err);
    for (int64_t i = 0; i < lv->n_dev; i++)
        lv->dev[i].id = ids[i];
    free(ids);
    if (c < 0)
        goto done;
    map_build(lv);

    body = task_body(lv, res->config_id);
    int64_t t0 = mono_us();
    if (mi_call(lv->base, lv->h, "CreateOtaTask", "POST", "/ota-tasks", NULL, body, 201, &j, err) <
        0)
        goto done;
    lv->anchor_us = (t0 + mono_us()) / 2;
    lv->running = 1;
    const char *id = mi_string(j, "TaskId");
    if (id == NULL) {
        oerr_set(err, OERR_INVALID, "CreateOtaTask: no TaskId in the answer");
        goto done;
    }
    snprintf(lv->task_id, sizeof lv->task_id, "%s", id);
    snprintf(res->task_id, sizeof res->task_id, "%s", id);
    cJSON_Delete(j);
    j = NULL;
    char path[300];
    snprintf(path, sizeof path, "/ota-tasks/%s", lv->task_id);
    if (mi_call(lv->base, lv->h, "GetOtaTask", "GET", path, NULL, NULL, 200, &j, err) < 0)
        goto done;
    lv->created_ms = mi_time_ms(j, "CreatedAt");
    if (lv->created_ms < 0) {
        oerr_set(err, OERR_INVALID, "GetOtaTask: no CreatedAt in the answer");
        goto done;
    }
    rc = 0;
done:
    cJSON_Delete(j);
    free(body);
    return rc;
}

/* ---- the final check ---- */

struct describe {
    struct device *d;
    struct attempt *a;
    int *left;
};

static void on_described(void *arg, const struct httpc_response *r)
{
    struct describe *ds = arg;
    struct live *lv = ds->d->lv;
    if (r->status == 200) {
        cJSON *j = cJSON_Parse(r->body);
        const cJSON *ex = cJSON_GetObjectItemCaseSensitive(j, "execution");
        const char *st = mi_string(ex, "status");
        enum execution_status s;
        if (st != NULL && execution_status_parse(st, &s) == 0) {
            ds->a->server = (uint8_t)s;
            if (execution_is_terminal(s) && ds->a->ended_t < 0)
                ds->a->ended_t = (int64_t)mi_number(ex, "lastUpdatedAt", 0) * 1000 - lv->created_ms;
        }
        cJSON_Delete(j);
    }
    (*ds->left)--;
    free(ds);
}

static void on_listed(void *arg, const cJSON *e)
{
    struct live *lv = arg;
    struct load_check *ck = &lv->res->check;
    const char *thing = mi_string(e, "ManagedThingId");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "TaskExecutionSummary");
    const char *st = mi_string(s, "Status");
    enum execution_status status;
    ck->things_checked++;
    struct device *d = thing != NULL ? map_find(lv, thing) : NULL;
    if (d == NULL || st == NULL || execution_status_parse(st, &status) < 0) {
        ck->thing_mismatches++;
        if (ck->n_examples < LOAD_EXAMPLES)
            snprintf(ck->examples[ck->n_examples++], sizeof ck->examples[0],
                     "listed execution of %s is not one of the run's devices or has no status",
                     thing != NULL ? thing : "(no thing)");
        return;
    }
    uint32_t n = (uint32_t)mi_number(s, "ExecutionNumber", 0);
    int64_t queued = mi_time_ms(s, "QueuedAt"), started = mi_time_ms(s, "StartedAt"),
            updated = mi_time_ms(s, "LastUpdatedAt");
    uint32_t highest = 0;
    for (uint32_t i = 0; i < d->n_att; i++)
        highest = d->att[i].n > highest ? d->att[i].n : highest;
    d->listed = 1;
    struct attempt *a = attempt_of(d, n, 1);
    a->server = (uint8_t)status;
    if (queued >= 0)
        a->queued_t = queued - lv->created_ms;
    if (started >= 0)
        a->started_t = started - lv->created_ms;
    if (execution_is_terminal(status) && updated >= 0)
        a->ended_t = updated - lv->created_ms;
    lv->res->run.retries += (int64_t)mi_number(s, "RetryAttempt", 0);
    lv->res->run.counts[EXECUTION_PLANNED]--;
    if (n < highest || (n > highest && lv->end == ROLLOUT_END_DONE && queued >= 0)) {
        ck->thing_mismatches++;
        if (ck->n_examples < LOAD_EXAMPLES)
            snprintf(ck->examples[ck->n_examples++], sizeof ck->examples[0],
                     "%s: the server's latest execution is number %u, the device's %u", d->id, n,
                     highest);
    }
}

/* Is the server's status s compatible with what the device was told about attempt a? */
static int agrees(const struct attempt *a, enum execution_status s)
{
    switch ((enum execution_status)a->status) {
    case EXECUTION_QUEUED: /* heard of, never started by the device */
        if (s == EXECUTION_QUEUED || s == EXECUTION_CANCELED || s == EXECUTION_REMOVED)
            return 1;
        /* an unanswered start or report may have been applied */
        return a->ambiguous && s != EXECUTION_PLANNED;
    case EXECUTION_IN_PROGRESS:
        if (s == EXECUTION_TIMED_OUT || s == EXECUTION_CANCELED || s == EXECUTION_REMOVED)
            return 1;
        if (s == EXECUTION_IN_PROGRESS)
            return !a->late; /* a refused report means the server had moved it on */
        return a->ambiguous && s == (enum execution_status)a->tried;
    default:
        return s == (enum execution_status)a->status;
    }
}

static int check(struct live *lv, struct oerr *err)
{
    struct load_result *res = lv->res;
    struct load_check *ck = &res->check;
    cJSON *j = NULL;
    char path[300];
    int left = 0;
    snprintf(path, sizeof path, "/ota-tasks/%s", lv->task_id);
    if (mi_call(lv->base, lv->h, "GetOtaTask", "GET", path, NULL, NULL, 200, &j, err) < 0)
        return -1;
    if (read_task(lv, j) < 0) {
        cJSON_Delete(j);
        return oerr_set(err, OERR_INVALID, "GetOtaTask: no Status in the answer");
    }
    struct rollout_result *run = &res->run;
    run->task_status = lv->status;
    for (int s = EXECUTION_QUEUED; s < EXECUTION_STATUS_MAX; s++) {
        run->counts[s] = lv->counts[s];
        run->executions += lv->counts[s];
    }
    if (task_is_final(lv->status)) {
        int64_t u = mi_time_ms(j, "LastUpdatedAt");
        run->final_at_ms = u >= 0 ? u - lv->created_ms : -1;
    }
    const cJSON *ab = cJSON_GetObjectItemCaseSensitive(j, "AbortDetails");
    if (ab != NULL) {
        const char *c = mi_string(ab, "Comment");
        run->aborted = 1;
        run->abort_at_ms = run->final_at_ms;
        snprintf(run->abort_comment, sizeof run->abort_comment, "%s",
                 c != NULL                             ? c
                 : mi_string(ab, "ReasonCode") != NULL ? mi_string(ab, "ReasonCode")
                                                       : "");
        const char *p = strstr(run->abort_comment, "criterion ");
        run->abort_index = p != NULL ? (int)strtol(p + 10, NULL, 10) - 1 : -1;
        p = strstr(run->abort_comment, " after ");
        run->abort_executed = p != NULL ? strtoll(p + 7, NULL, 10) : -1;
    }
    cJSON_Delete(j);

    run->counts[EXECUTION_PLANNED] = lv->targets;
    if (mi_list_executions(lv->base, lv->h, lv->task_id, on_listed, lv, err) < 0)
        return -1;
    if (run->counts[EXECUTION_PLANNED] < 0)
        run->counts[EXECUTION_PLANNED] = 0;

    /* earlier attempts the device could not settle itself: ask the server */
    for (int64_t i = 0; i < lv->n_dev; i++) {
        struct device *d = &lv->dev[i];
        for (uint32_t k = 0; k < d->n_att; k++) {
            struct attempt *a = &d->att[k];
            if (a->server != EXECUTION_PLANNED ||
                (execution_is_terminal((enum execution_status)a->status) && !a->ambiguous))
                continue;
            struct describe *ds = xcalloc(1, sizeof *ds);
            ds->d = d;
            ds->a = a;
            ds->left = &left;
            left++;
            char p[400], q[48];
            job_path(d, p, sizeof p, lv->task_id);
            snprintf(q, sizeof q, "executionNumber=%u", a->n);
            httpc_request(lv->h, "DescribeJobExecution", "GET", p, q, NULL, JOBS, on_described, ds);
        }
    }
    while (left > 0)
        if (event_base_loop(lv->base, EVLOOP_ONCE) < 0)
            break;

    for (int64_t i = 0; i < lv->n_dev; i++) {
        struct device *d = &lv->dev[i];
        for (uint32_t k = 0; k < d->n_att; k++) {
            struct attempt *a = &d->att[k];
            enum execution_status s = (enum execution_status)a->server;
            if (s == EXECUTION_PLANNED && execution_is_terminal((enum execution_status)a->status))
                s = (enum execution_status)a->status; /* settled by the device, not asked */
            if (a->ambiguous && execution_is_terminal(s) && s == a->tried)
                a->status = (uint8_t)s; /* the unanswered report was applied */
            if (execution_is_terminal((enum execution_status)a->status))
                ck->device_counts[a->status]++;
            if (agrees(a, s))
                continue;
            ck->thing_mismatches++;
            if (ck->n_examples < LOAD_EXAMPLES)
                snprintf(ck->examples[ck->n_examples++], sizeof ck->examples[0],
                         "%s execution %u: server %s, device %s%s", d->id, a->n,
                         s == EXECUTION_PLANNED ? "(unknown)" : execution_status_name(s),
                         execution_status_name((enum execution_status)a->status),
                         a->late ? " (report refused)" : "");
        }
    }
    static const enum execution_status by_device[] = {EXECUTION_SUCCEEDED, EXECUTION_FAILED,
                                                      EXECUTION_REJECTED};
    for (size_t i = 0; i < sizeof by_device / sizeof by_device[0]; i++) {
        enum execution_status s = by_device[i];
        int64_t diff = run->counts[s] - ck->device_counts[s];
        if (diff == 0)
            continue;
        ck->count_mismatches += diff < 0 ? -diff : diff;
        if (ck->n_examples < LOAD_EXAMPLES)
            snprintf(ck->examples[ck->n_examples++], sizeof ck->examples[0],
                     "TaskProcessingDetails %s %lld, devices %lld", execution_status_name(s),
                     (long long)run->counts[s], (long long)ck->device_counts[s]);
    }
    ck->lost_updates = ck->thing_mismatches + ck->count_mismatches;
    return 0;
}

/* ---- the observed timeline ---- */

struct change {
    int64_t t;
    int8_t from, to; /* -1: none */
};

static int change_cmp(const void *pa, const void *pb)
{
    const struct change *a = pa, *b = pb;
    return a->t < b->t ? -1 : a->t > b->t ? 1 : 0;
}

static int64_t clamp0(int64_t t)
{
    return t < 0 ? 0 : t;
}

/* The rate in force at t by the observed steps: 0 before the first and once final. */
static double rate_at(const struct rollout_result *run, int64_t t)
{
    double r = 0;
    if (run->final_at_ms >= 0 && t >= run->final_at_ms)
        return 0;
    for (size_t i = 0; i < run->n_steps && run->steps[i].at_ms <= t; i++)
        r = run->steps[i].rate;
    return r;
}

static void push_step(struct rollout_result *run, size_t *cap, int64_t at, int32_t stage,
                      double rate)
{
    if (run->n_steps == *cap) {
        *cap = *cap == 0 ? 16 : *cap * 2;
        run->steps = xreallocarray(run->steps, *cap, sizeof *run->steps);
    }
    run->steps[run->n_steps].at_ms = at;
    run->steps[run->n_steps].stage = stage;
    run->steps[run->n_steps].rate = rate;
    run->n_steps++;
}

/* Fill rows[i].n (the state once every change at or before rows[i].t_ms is applied),
 * .notified (notifications since the previous row) and .rate; rows sorted by time. */
static void replay(const struct live *lv, const struct change *ch, size_t n,
                   struct rollout_row *rows, size_t n_rows)
{
    int64_t counts[EXECUTION_STATUS_MAX] = {0};
    int64_t notified = 0;
    size_t c = 0;
    counts[EXECUTION_PLANNED] = lv->targets;
    for (size_t i = 0; i < n_rows; i++) {
        for (; c < n && ch[c].t <= rows[i].t_ms; c++) {
            if (ch[c].from >= 0 && counts[ch[c].from] > 0)
                counts[ch[c].from]--;
            counts[ch[c].to]++;
            notified += ch[c].to == EXECUTION_QUEUED;
        }
        memcpy(rows[i].n, counts, sizeof rows[i].n);
        rows[i].notified = notified;
        rows[i].rate = rate_at(&lv->res->run, rows[i].t_ms);
        notified = 0;
    }
}

static void timeline(struct live *lv)
{
    struct rollout_result *run = &lv->res->run;
    size_t cap = 0, n = 0, cap_steps = 0;
    struct change *ch = NULL;
    int64_t ended = -1;
    for (int64_t i = 0; i < lv->n_dev; i++) {
        struct device *d = &lv->dev[i];
        for (uint32_t k = 0; k < d->n_att; k++) {
            const struct attempt *a = &d->att[k];
            int s = a->server != EXECUTION_PLANNED ? a->server : a->status;
            if (cap < n + 3) {
                cap = cap == 0 ? 4096 : cap * 2;
                ch = xreallocarray(ch, cap, sizeof *ch);
            }
            int8_t prev = a->n == 1 && d->target ? EXECUTION_PLANNED : -1;
            if (a->queued_t >= 0) {
                ch[n++] = (struct change){clamp0(a->queued_t), prev, EXECUTION_QUEUED};
                prev = EXECUTION_QUEUED;
                run->notified++;
                if (run->first_queued_ms < 0 || clamp0(a->queued_t) < run->first_queued_ms)
                    run->first_queued_ms = clamp0(a->queued_t);
                if (clamp0(a->queued_t) > run->last_queued_ms)
                    run->last_queued_ms = clamp0(a->queued_t);
            }
            if (a->started_t >= 0 && s != EXECUTION_QUEUED) {
                ch[n++] = (struct change){clamp0(a->started_t), prev, EXECUTION_IN_PROGRESS};
                prev = EXECUTION_IN_PROGRESS;
            }
            if (execution_is_terminal((enum execution_status)s)) {
                int64_t t = a->ended_t >= 0 ? a->ended_t : run->clock_ms;
                ch[n++] = (struct change){clamp0(t), prev, (int8_t)s};
                ended = clamp0(t) > ended ? clamp0(t) : ended;
            }
        }
    }
    qsort(ch, n, sizeof *ch, change_cmp);
    if (lv->end == ROLLOUT_END_DONE)
        run->ended_ms = ended > run->final_at_ms ? ended : run->final_at_ms;

    /* rate steps: the observed notifications and successes replayed through the pacer's
     * stepping rules (engine/rollout.h), as the scheduler counted them */
    struct rollout_config cfg = lv->sc->push.rollout;
    struct rollout_state st;
    int64_t succeeded = 0;
    rollout_state_init(&st);
    for (size_t i = 0; i < n; i++) {
        int32_t stage = st.stage;
        if (ch[i].to == EXECUTION_QUEUED) {
            if (st.stage_start < 0) {
                rollout_start(&cfg, &st, ch[i].t);
                push_step(run, &cap_steps, ch[i].t, 0, rollout_rate(&cfg, 0));
                stage = 0;
            }
            rollout_record(&cfg, &st, 1, ch[i].t);
        } else if (ch[i].to == EXECUTION_SUCCEEDED && st.stage_start >= 0) {
            rollout_observe_succeeded(&cfg, &st, ++succeeded, ch[i].t);
        }
        if (st.stage != stage) {
            run->stages = st.stage;
            if (rollout_rate(&cfg, st.stage) != rollout_rate(&cfg, stage))
                push_step(run, &cap_steps, ch[i].t, st.stage, rollout_rate(&cfg, st.stage));
        }
    }

    /* per-minute rows and the chart samples (as otasim rollout takes them: every chart step
     * before the stop, the stop, and the last row if it is later), replaying the changes */
    int64_t end = run->clock_ms > 0 ? run->clock_ms : 0;
    int64_t last_row = (end + MIN_MS - 1) / MIN_MS * MIN_MS;
    run->n_rows = (size_t)(last_row / MIN_MS) + 1;
    run->rows = xcalloc(run->n_rows, sizeof *run->rows);
    for (size_t i = 0; i < run->n_rows; i++)
        run->rows[i].t_ms = (int64_t)i * MIN_MS;
    replay(lv, ch, n, run->rows, run->n_rows);
    run->chart_step_ms = 1000;
    while ((size_t)(end / run->chart_step_ms) + 3 > ROLLOUT_CHART_MAX)
        run->chart_step_ms *= 2;
    run->chart = xcalloc(ROLLOUT_CHART_MAX, sizeof *run->chart);
    for (int64_t t = 0; t < end; t += run->chart_step_ms)
        run->chart[run->n_chart++].t_ms = t;
    run->chart[run->n_chart++].t_ms = end;
    if (last_row > end)
        run->chart[run->n_chart++].t_ms = last_row;
    replay(lv, ch, n, run->chart, run->n_chart);
    for (size_t i = 0; i < run->n_chart; i++)
        run->chart[i].notified = 0;
    free(ch);
}

/* ---- the run ---- */

int load_run(const struct scenario *sc, const struct load_opts *o, struct load_result *out,
             struct oerr *err)
{
    struct live lv;
    int rc = -1;
    double t0 = (double)mono_us() / 1e6, t1 = t0, t2 = t0;
    memset(&lv, 0, sizeof lv);
    memset(out, 0, sizeof *out);
    out->run.devices = fleet_count(sc->fleet);
    out->run.abort_index = -1;
    out->run.abort_at_ms = out->run.abort_executed = -1;
    out->run.first_queued_ms = out->run.last_queued_ms = -1;
    out->run.final_at_ms = out->run.ended_ms = -1;
    out->time_scale = o->time_scale;
    out->stats = opstats_new();
    load_run_id(out->run_id, sizeof out->run_id);
    lv.sc = sc;
    lv.f = sc->fleet;
    lv.o = o;
    lv.res = out;
    lv.n_dev = fleet_count(sc->fleet);
    lv.scale = o->time_scale;
    lv.armed_us = -1;
    lv.end = ROLLOUT_END_HORIZON;
    lv.base = event_base_new();
    if (lv.base == NULL) {
        oerr_set(err, OERR_INTERNAL, "could not create an event loop");
        goto done;
    }
    struct httpc_config hc = {.endpoint = o->endpoint,
                              .connections = o->connections,
                              .access_key = o->access_key,
                              .secret_key = o->secret_key,
                              .region = o->region,
                              .timeout_s = 30,
                              .stats = out->stats};
    lv.h = httpc_new(lv.base, &hc, err);
    if (lv.h == NULL)
        goto done;
    int any_notify = 0;
    for (size_t g = 0; g < fleet_group_count(lv.f); g++)
        any_notify |= fleet_group(lv.f, g)->discovery == FLEET_NOTIFY;
    if (o->redis != NULL && any_notify) {
        char group[64];
        snprintf(group, sizeof group, "otasim-%s", out->run_id);
        struct notify_config nc = {o->redis, o->stream_prefix, o->notify_shards, group};
        lv.nt = notify_new(lv.base, &nc, on_notify, &lv, err);
        if (lv.nt == NULL)
            goto done;
    }
    lv.timer_ev = evtimer_new(lv.base, on_timer, &lv);
    lv.watch_ev = event_new(lv.base, -1, EV_PERSIST, on_watch, &lv);
    if (setup(&lv, err) < 0)
        goto done;
    t1 = (double)mono_us() / 1e6;
    out->setup_s = t1 - t0;
    lv.start_requests = opstats_requests(out->stats);
    if (lv.nt != NULL)
        notify_start(lv.nt);
    for (int64_t i = 0; i < lv.n_dev; i++) {
        struct device *d = &lv.dev[i];
        if (d->poll) /* the first polls spread over one interval */
            poll_after(d, o->poll_interval_s * 1000.0 * (double)i / (double)lv.n_dev);
    }
    struct timeval wtv = {0, WATCH_MS * 1000};
    event_add(lv.watch_ev, &wtv);
    event_base_dispatch(lv.base);
    event_del(lv.watch_ev);
    progress_line(&lv, 1);
    /* let the requests in flight finish: their answers are part of the devices' record */
    while (httpc_pending(lv.h) > 0)
        if (event_base_loop(lv.base, EVLOOP_ONCE) < 0)
            break;
    t2 = (double)mono_us() / 1e6;
    out->rollout_s = t2 - t1;
    out->rollout_requests = opstats_requests(out->stats) - lv.start_requests;
    out->run.device_actions = lv.device_actions;
    if (lv.nt != NULL) {
        out->misrouted = notify_misrouted(lv.nt);
        notify_free(lv.nt);
        lv.nt = NULL;
    }
    if (lv.fatal) {
        oerr_set(err, OERR_UNAVAILABLE, "%s", lv.fatal_msg);
        goto done;
    }
    out->run.end = lv.end;
    out->run.targets = lv.targets;
    if (check(&lv, err) < 0)
        goto done;
    timeline(&lv);
    out->check_s = (double)mono_us() / 1e6 - t2;
    rc = 0;
done:
    if (lv.nt != NULL)
        notify_free(lv.nt);
    httpc_free(lv.h);
    if (lv.timer_ev != NULL)
        event_free(lv.timer_ev);
    if (lv.watch_ev != NULL)
        event_free(lv.watch_ev);
    if (lv.base != NULL)
        event_base_free(lv.base);
    for (int64_t i = 0; lv.dev != NULL && i < lv.n_dev; i++) {
        free(lv.dev[i].id);
        free(lv.dev[i].att);
    }
    free(lv.dev);
    free(lv.map);
    free(lv.heap);
    return rc;
}

void load_result_free(struct load_result *r)
{
    rollout_result_free(&r->run);
    opstats_free(r->stats);
    r->stats = NULL;
}
