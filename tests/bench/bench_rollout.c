/*
 * bench_rollout: the production scheduler (engine/scheduler.c) over the memory store
 * (sim/mem_sched.c) rolling one ONE_TIME task out to N simulated devices in virtual time, to
 * show that a tick's work is proportional to what is due: the nanoseconds per notified
 * execution must stay flat from 10^4 to 10^6 devices.
 *
 *   bench_bench_rollout [N]        N devices, default 100000
 *
 * The rollout ramps exponentially (base 100/min, factor 2, a step every 100 notifications) up
 * to a ceiling of 60000/min; 3% of the devices fail their first attempt (retried: FAILED:2),
 * 1% never report and time out after 5 minutes (retried once: TIMED_OUT:1). Devices start 1-5 s
 * after their notification and run 5-25 s. Prints wall time, scheduler ticks, executions
 * notified, ns per notified execution (the whole run, and the scheduler passes alone), and
 * peak RSS.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "engine/execution.h"
#include "engine/mem.h"
#include "engine/oerr.h"
#include "engine/rollout.h"
#include "engine/scheduler.h"
#include "engine/task.h"
#include "sim/mem_sched.h"

#define T0      INT64_C(1795341600000)
#define SEC     INT64_C(1000)
#define IPT_MIN 5

enum ev_kind { EV_START, EV_FINISH };

struct ev {
    int64_t at;
    uint64_t seq;
    uint32_t task, thing, exec;
    enum ev_kind kind;
};

struct bench {
    struct mem_sched *ms;
    int64_t now;
    struct ev *heap;
    size_t n_heap, cap_heap;
    uint64_t seq;
    int64_t device_calls;
};

static int ev_less(const struct ev *a, const struct ev *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void ev_push(struct bench *b, struct ev e)
{
    if (b->n_heap == b->cap_heap) {
        b->cap_heap = b->cap_heap == 0 ? 4096 : b->cap_heap * 2;
        b->heap = xreallocarray(b->heap, b->cap_heap, sizeof *b->heap);
    }
    e.seq = b->seq++;
    size_t i = b->n_heap++;
    while (i > 0 && ev_less(&e, &b->heap[(i - 1) / 2])) {
        b->heap[i] = b->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    b->heap[i] = e;
}

static struct ev ev_pop(struct bench *b)
{
    struct ev top = b->heap[0];
    struct ev last = b->heap[--b->n_heap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= b->n_heap)
            break;
        if (c + 1 < b->n_heap && ev_less(&b->heap[c + 1], &b->heap[c]))
            c++;
        if (!ev_less(&b->heap[c], &last))
            break;
        b->heap[i] = b->heap[c];
        i = c;
    }
    if (b->n_heap > 0)
        b->heap[i] = last;
    return top;
}

static int silent(uint32_t thing)
{
    return thing % 100 == 7;
}

static int fails_first(uint32_t thing)
{
    return thing % 33 == 5;
}

static void on_transition(void *arg, const struct mem_sched_transition *tr)
{
    struct bench *b = arg;
    if (tr->to != EXECUTION_QUEUED)
        return;
    struct ev e = {.at = tr->at + SEC + (int64_t)((tr->thing * 7919u) % 4000u),
                   .task = tr->task,
                   .thing = tr->thing,
                   .exec = tr->execution_number,
                   .kind = EV_START};
    ev_push(b, e);
}

static void device_event(struct bench *b, const struct ev *e)
{
    struct oerr err;
    b->device_calls++;
    if (e->kind == EV_START) {
        if (mem_sched_update(b->ms, e->task, e->thing, EXECUTION_IN_PROGRESS, 0, b->now, &err) < 0)
            return;
        if (silent(e->thing))
            return;
        struct ev fin = *e;
        fin.kind = EV_FINISH;
        fin.at = b->now + 5 * SEC + (int64_t)((e->thing * 104729u) % 20000u);
        ev_push(b, fin);
        return;
    }
    enum execution_status to =
        fails_first(e->thing) && e->exec == 1 ? EXECUTION_FAILED : EXECUTION_SUCCEEDED;
    (void)mem_sched_update(b->ms, e->task, e->thing, to, 0, b->now, &err);
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int parse_count(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 50000000)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    long n = 100000;
    struct oerr err;
    if (argc > 2 || (argc == 2 && parse_count(argv[1], &n) < 0)) {
        fprintf(stderr, "usage: bench_bench_rollout [N]   (N devices, 1..50000000)\n");
        return 2;
    }

    int64_t t_begin = wall_ns();
    struct bench b;
    memset(&b, 0, sizeof b);
    b.ms = mem_sched_new();
    b.now = T0;
    uint32_t *things = xcalloc((size_t)n, sizeof *things);
    char id[32];
    for (long i = 0; i < n; i++) {
        snprintf(id, sizeof id, "dev-%08ld", i);
        if (mem_sched_thing_add(b.ms, id, NULL, &things[i], &err) < 0) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
    }
    struct mem_sched_task_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.id = "bench";
    sp.type = TASK_ONE_TIME;
    task_schedule_default(&sp.schedule);
    rollout_config_default(&sp.rollout);
    sp.rollout.base_per_minute = 100.0;
    sp.rollout.increment_factor = 2.0;
    sp.rollout.notified_criterion = 100;
    sp.rollout.ceiling = 60000.0;
    sp.retry.n = 2;
    sp.retry.c[0].failure_type = RETRY_FAILED;
    sp.retry.c[0].retries = 2;
    sp.retry.c[1].failure_type = RETRY_TIMED_OUT;
    sp.retry.c[1].retries = 1;
    sp.in_progress_timeout_min = IPT_MIN;
    sp.targets = things;
    sp.n_targets = (size_t)n;
    uint32_t task;
    if (mem_sched_task_add(b.ms, &sp, T0, &task, &err) < 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
    }
    free(things);
    mem_sched_set_listener(b.ms, on_transition, &b);
    struct scheduler *s = scheduler_new(mem_sched_ops(), b.ms, NULL);

    int64_t t_run = wall_ns();
    int64_t sched_ns = 0;
    for (;;) {
        while (b.n_heap > 0 && b.heap[0].at <= b.now) {
            struct ev e = ev_pop(&b);
            device_event(&b, &e);
        }
        int64_t t = wall_ns();
        if (scheduler_run_once(s, b.now, &err) < 0) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        sched_ns += wall_ns() - t;
        int64_t next = mem_sched_next_wake(b.ms);
        if (b.n_heap > 0 && (next < 0 || b.heap[0].at < next))
            next = b.heap[0].at;
        if (next < 0)
            break;
        b.now = next > b.now ? next : b.now + 1;
    }
    int64_t t_end = wall_ns();

    struct mem_sched_task_info info;
    if (mem_sched_task_info(b.ms, task, &info, &err) < 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
    }
    const struct scheduler_stats *st = scheduler_stats(s);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double queued = st->queued > 0 ? (double)st->queued : 1.0;

    printf("devices                  %ld\n", n);
    printf("task status              %s\n", task_status_name(info.status));
    printf("virtual time             %.1f s\n", (double)(b.now - T0) / 1000.0);
    printf("wall time                %.3f s (setup %.3f s, rollout %.3f s)\n",
           (double)(t_end - t_begin) / 1e9, (double)(t_run - t_begin) / 1e9,
           (double)(t_end - t_run) / 1e9);
    printf("scheduler passes         %lld\n", (long long)st->passes);
    printf("scheduler ticks          %lld\n", (long long)st->ticks);
    printf("executions notified      %lld\n", (long long)st->queued);
    printf("retries / timeouts       %lld / %lld\n", (long long)st->retried,
           (long long)st->expired);
    printf("device calls             %lld\n", (long long)b.device_calls);
    printf("succeeded / failed / TO  %lld / %lld / %lld\n",
           (long long)info.counts.n[EXECUTION_SUCCEEDED],
           (long long)info.counts.n[EXECUTION_FAILED],
           (long long)info.counts.n[EXECUTION_TIMED_OUT]);
    printf("ns per notified exec     %.0f (rollout incl. devices), %.0f (scheduler passes)\n",
           (double)(t_end - t_run) / queued, (double)sched_ns / queued);
    printf("peak RSS                 %.1f MiB (%.0f bytes per device)\n",
           (double)ru.ru_maxrss / 1024.0, (double)ru.ru_maxrss * 1024.0 / (double)n);

    scheduler_free(s);
    mem_sched_free(b.ms);
    free(b.heap);
    return info.status == TASK_COMPLETED ? 0 : 1;
}
