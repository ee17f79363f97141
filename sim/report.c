/*
 * report: the summary, JSON and CSV writers (see report.h). JSON is built with cJSON, which
 * prints integral doubles without a fraction and others with the shortest exact form, so
 * seconds come out as 594 or 895.5.
 */
#include "sim/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine/mem.h"
#include "engine/timefmt.h"
#include "sim/fleet.h"

#define STEPS_SHOWN 12

/* The statuses reported, in the order of the summary, the JSON counts and the CSV columns. */
static const enum execution_status shown[] = {
    EXECUTION_QUEUED,    EXECUTION_IN_PROGRESS, EXECUTION_SUCCEEDED, EXECUTION_FAILED,
    EXECUTION_TIMED_OUT, EXECUTION_REJECTED,    EXECUTION_REMOVED,   EXECUTION_CANCELED};

static double secs(int64_t ms)
{
    return (double)ms / 1000.0;
}

char *report_duration(int64_t ms, char *buf, size_t len)
{
    const char *sign = ms < 0 ? "-" : "+";
    int64_t a = ms < 0 ? -ms : ms;
    int64_t d = a / TIMEFMT_MS_PER_DAY, h = a / TIMEFMT_MS_PER_HOUR % 24,
            m = a / TIMEFMT_MS_PER_MINUTE % 60, s = a / 1000 % 60, frac = a % 1000;
    char sec[16];
    int w = a >= TIMEFMT_MS_PER_MINUTE ? 2 : 1; /* "+1m05s", "+5s" */
    if (frac == 0)
        snprintf(sec, sizeof sec, "%0*llds", w, (long long)s);
    else if (frac % 100 == 0)
        snprintf(sec, sizeof sec, "%0*lld.%llds", w, (long long)s, (long long)(frac / 100));
    else
        snprintf(sec, sizeof sec, "%0*lld.%03llds", w, (long long)s, (long long)frac);
    if (d > 0)
        snprintf(buf, len, "%s%lldd%02lldh%02lldm%s", sign, (long long)d, (long long)h,
                 (long long)m, sec);
    else if (h > 0)
        snprintf(buf, len, "%s%lldh%02lldm%s", sign, (long long)h, (long long)m, sec);
    else if (m > 0)
        snprintf(buf, len, "%s%lldm%s", sign, (long long)m, sec);
    else
        snprintf(buf, len, "%s%s", sign, sec);
    return buf;
}

/* "+22m24s (1344 s)" or "never". */
static const char *when(int64_t ms, char *buf, size_t len)
{
    char d[48];
    if (ms < 0)
        snprintf(buf, len, "never");
    else
        snprintf(buf, len, "%s (%.10g s)", report_duration(ms, d, sizeof d), secs(ms));
    return buf;
}

void report_summary(FILE *out, const struct scenario *sc, const struct rollout_result *r,
                    double wall_s)
{
    char start[TIMEFMT_BUF], a[96], b[96];
    fprintf(out, "scenario       %s (seed %llu, start %s)\n", sc->name,
            (unsigned long long)sc->seed, timefmt_format_s(sc->start_ms, start, sizeof start));
    fprintf(out, "devices        %lld (%lld targeted, %s task)\n", (long long)r->devices,
            (long long)r->targets, task_type_name(sc->type));
    fprintf(out, "groups        ");
    for (size_t g = 0; g < fleet_group_count(sc->fleet); g++) {
        const struct fleet_group *gr = fleet_group(sc->fleet, g);
        fprintf(out, "%s %s %lld %s", g > 0 ? "," : "", gr->name, (long long)gr->count,
                fleet_outcome_name(gr->outcome));
    }
    fprintf(out, "\n");
    fprintf(out, "task           %s", task_status_name(r->task_status));
    if (r->final_at_ms >= 0)
        fprintf(out, " at %s", when(r->final_at_ms, a, sizeof a));
    fprintf(out, "\n");
    if (r->end == ROLLOUT_END_DONE)
        fprintf(out, "ended          %s\n", when(r->ended_ms, a, sizeof a));
    else if (r->end == ROLLOUT_END_STUCK)
        fprintf(out, "ended          never: nothing more happens after %s\n",
                when(r->clock_ms, a, sizeof a));
    else
        fprintf(out, "ended          not by the horizon, %s\n", when(r->clock_ms, a, sizeof a));
    if (r->aborted)
        fprintf(out, "aborted        yes, at %s after %lld terminal executions: %s\n",
                when(r->abort_at_ms, a, sizeof a), (long long)r->abort_executed, r->abort_comment);
    else
        fprintf(out, "aborted        no\n");
    fprintf(out, "executions     %lld attempts, %lld retries, %lld never notified\n",
            (long long)r->executions, (long long)r->retries,
            (long long)r->counts[EXECUTION_PLANNED]);
    fprintf(out, "  by status   ");
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        if (r->counts[shown[i]] > 0 || shown[i] == EXECUTION_SUCCEEDED)
            fprintf(out, " %s %lld", execution_status_name(shown[i]),
                    (long long)r->counts[shown[i]]);
    fprintf(out, "\n");
    fprintf(out, "first queued   %s\n", when(r->first_queued_ms, a, sizeof a));
    fprintf(out, "last queued    %s\n", when(r->last_queued_ms, b, sizeof b));
    fprintf(out, "rate steps    ");
    for (size_t i = 0; i < r->n_steps && i < STEPS_SHOWN; i++)
        fprintf(out, "%s %s %.6g/min", i > 0 ? "," : "",
                report_duration(r->steps[i].at_ms, a, sizeof a), r->steps[i].rate);
    if (r->n_steps > STEPS_SHOWN)
        fprintf(out, ", ... (%zu in all)", r->n_steps);
    if (r->n_steps == 0)
        fprintf(out, " none (the rollout never started)");
    fprintf(out, "\n");
    if (r->n_windows > 0)
        fprintf(out, "windows        %zu openings, the first %s\n", r->n_windows,
                when(r->windows[0].from_ms, a, sizeof a));
    fprintf(out, "device calls   %lld (%lld late reports dropped)\n", (long long)r->device_actions,
            (long long)r->late_reports);
    fprintf(out, "wall time      %.3f s (set-up %.3f s, rollout %.3f s, %lld scheduler ticks)\n",
            wall_s, r->setup_s, r->run_s, (long long)r->ticks);
}

void report_bench(FILE *out, const struct rollout_result *r, const struct report_bench *b)
{
    double per = r->notified > 0 ? r->run_s * 1e9 / (double)r->notified : 0;
    fprintf(out, "bench: devices            %lld\n", (long long)r->devices);
    fprintf(out, "bench: virtual time       %.1f s\n", secs(r->clock_ms));
    fprintf(out, "bench: wall time          %.3f s (set-up %.3f s, rollout %.3f s)\n", b->wall_s,
            r->setup_s, r->run_s);
    fprintf(out, "bench: scheduler passes   %lld\n", (long long)r->passes);
    fprintf(out, "bench: scheduler ticks    %lld\n", (long long)r->ticks);
    fprintf(out, "bench: notified           %lld\n", (long long)r->notified);
    fprintf(out, "bench: ns per notified    %.0f (rollout incl. devices)\n", per);
    fprintf(out, "bench: peak RSS           %.1f MiB\n", (double)b->peak_rss_kib / 1024.0);
}

static void add_time(cJSON *o, const char *name, int64_t ms)
{
    if (ms < 0)
        cJSON_AddNullToObject(o, name);
    else
        cJSON_AddNumberToObject(o, name, secs(ms));
}

void report_json_outcome(cJSON *o, const struct rollout_result *r)
{
    cJSON_AddStringToObject(o, "task_status", task_status_name(r->task_status));
    cJSON_AddStringToObject(o, "end", rollout_end_name(r->end));
    cJSON_AddBoolToObject(o, "aborted", r->aborted);
    if (r->aborted) {
        cJSON *a = cJSON_AddObjectToObject(o, "abort_criterion");
        cJSON_AddNumberToObject(a, "index", r->abort_index);
        cJSON_AddStringToObject(a, "comment", r->abort_comment);
        add_time(a, "at_s", r->abort_at_ms);
        cJSON_AddNumberToObject(a, "executed", (double)r->abort_executed);
    } else {
        cJSON_AddNullToObject(o, "abort_criterion");
    }
    cJSON *c = cJSON_AddObjectToObject(o, "counts");
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        cJSON_AddNumberToObject(c, execution_status_name(shown[i]), (double)r->counts[shown[i]]);
    cJSON_AddNumberToObject(o, "not_notified", (double)r->counts[EXECUTION_PLANNED]);
    cJSON_AddNumberToObject(o, "executions", (double)r->executions);
    cJSON_AddNumberToObject(o, "notified", (double)r->notified);
    cJSON_AddNumberToObject(o, "retries", (double)r->retries);
    add_time(o, "first_queued_at_s", r->first_queued_ms);
    add_time(o, "last_queued_at_s", r->last_queued_ms);
    add_time(o, "task_final_at_s", r->final_at_ms);
    add_time(o, "ended_at_s", r->ended_ms);
    add_time(o, "clock_s", r->clock_ms);
    cJSON_AddNumberToObject(o, "stages", r->stages);
    cJSON *steps = cJSON_AddArrayToObject(o, "rate_steps");
    for (size_t i = 0; i < r->n_steps; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddNumberToObject(s, "at_s", secs(r->steps[i].at_ms));
        cJSON_AddNumberToObject(s, "stage", r->steps[i].stage);
        cJSON_AddNumberToObject(s, "rate", r->steps[i].rate);
        cJSON_AddItemToArray(steps, s);
    }
}

static cJSON *build(const struct scenario *sc, const struct rollout_result *r, double wall_s,
                    const struct report_bench *bench)
{
    char start[TIMEFMT_BUF];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "scenario", sc->name);
    cJSON_AddNumberToObject(o, "seed", (double)sc->seed);
    cJSON_AddStringToObject(o, "start", timefmt_format_s(sc->start_ms, start, sizeof start));
    cJSON_AddNumberToObject(o, "devices", (double)r->devices);
    cJSON *groups = cJSON_AddArrayToObject(o, "groups");
    for (size_t g = 0; g < fleet_group_count(sc->fleet); g++) {
        const struct fleet_group *gr = fleet_group(sc->fleet, g);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", gr->name);
        cJSON_AddStringToObject(e, "outcome", fleet_outcome_name(gr->outcome));
        cJSON_AddNumberToObject(e, "devices", (double)gr->count);
        cJSON_AddItemToArray(groups, e);
    }
    cJSON_AddNumberToObject(o, "targets", (double)r->targets);
    cJSON_AddStringToObject(o, "task_type", task_type_name(sc->type));
    report_json_outcome(o, r);
    cJSON *win = cJSON_AddArrayToObject(o, "maintenance_windows");
    for (size_t i = 0; i < r->n_windows; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddNumberToObject(s, "open_s", secs(r->windows[i].from_ms));
        cJSON_AddNumberToObject(s, "close_s", secs(r->windows[i].to_ms));
        cJSON_AddItemToArray(win, s);
    }
    cJSON_AddNumberToObject(o, "scheduler_passes", (double)r->passes);
    cJSON_AddNumberToObject(o, "scheduler_ticks", (double)r->ticks);
    cJSON_AddNumberToObject(o, "device_actions", (double)r->device_actions);
    cJSON_AddNumberToObject(o, "late_reports", (double)r->late_reports);
    cJSON_AddNumberToObject(o, "wall_s", round(wall_s * 1000.0) / 1000.0);
    if (bench != NULL) {
        cJSON *b = cJSON_AddObjectToObject(o, "bench");
        cJSON_AddNumberToObject(b, "setup_s", round(r->setup_s * 1000.0) / 1000.0);
        cJSON_AddNumberToObject(b, "rollout_s", round(r->run_s * 1000.0) / 1000.0);
        cJSON_AddNumberToObject(b, "ns_per_notified",
                                r->notified > 0 ? round(r->run_s * 1e9 / (double)r->notified) : 0);
        cJSON_AddNumberToObject(b, "peak_rss_mib",
                                round((double)bench->peak_rss_kib / 102.4) / 10.0);
    }
    return o;
}

int report_json(FILE *out, const struct scenario *sc, const struct rollout_result *r, double wall_s,
                const struct report_bench *bench, struct oerr *err)
{
    cJSON *o = build(sc, r, wall_s, bench);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        mem_oom(0);
    int rc = fprintf(out, "%s\n", text) < 0 ? -1 : 0;
    cJSON_free(text);
    if (rc < 0)
        return oerr_set(err, OERR_INTERNAL, "cannot write the JSON report: %s", strerror(errno));
    return 0;
}

int report_timeline_csv(FILE *out, const struct rollout_result *r, struct oerr *err)
{
    int bad = fprintf(out, "time_s,queued,in_progress,succeeded,failed,timed_out,rejected,"
                           "canceled,rate,notified\n") < 0;
    for (size_t i = 0; i < r->n_rows && !bad; i++) {
        const struct rollout_row *w = &r->rows[i];
        bad = fprintf(out, "%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%.10g,%lld\n",
                      (long long)(w->t_ms / 1000), (long long)w->n[EXECUTION_QUEUED],
                      (long long)w->n[EXECUTION_IN_PROGRESS], (long long)w->n[EXECUTION_SUCCEEDED],
                      (long long)w->n[EXECUTION_FAILED], (long long)w->n[EXECUTION_TIMED_OUT],
                      (long long)w->n[EXECUTION_REJECTED], (long long)w->n[EXECUTION_CANCELED],
                      w->rate, (long long)w->notified) < 0;
    }
    if (bad || fflush(out) != 0)
        return oerr_set(err, OERR_INTERNAL, "cannot write the timeline: %s", strerror(errno));
    return 0;
}
