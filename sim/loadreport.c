/*
 * loadreport: the summaries and JSON objects of `otasim load` (see loadreport.h). JSON is
 * built with cJSON; seconds keep millisecond precision, latencies are reported in
 * milliseconds with microsecond precision.
 */
#include "sim/loadreport.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine/mem.h"
#include "sim/fleet.h"
#include "sim/report.h"

static const enum execution_status shown[] = {
    EXECUTION_QUEUED,    EXECUTION_IN_PROGRESS, EXECUTION_SUCCEEDED, EXECUTION_FAILED,
    EXECUTION_TIMED_OUT, EXECUTION_REJECTED,    EXECUTION_REMOVED,   EXECUTION_CANCELED};

static double secs(int64_t ms)
{
    return (double)ms / 1000.0;
}

static double ms3(double s)
{
    return round(s * 1e6) / 1e3;
}

static const char *when(int64_t ms, char *buf, size_t len)
{
    char d[48];
    if (ms < 0)
        snprintf(buf, len, "never");
    else
        snprintf(buf, len, "%s (%.10g s)", report_duration(ms, d, sizeof d), secs(ms));
    return buf;
}

static void ops_table(FILE *out, const struct opstats *s, const char *indent)
{
    fprintf(out, "%s%-30s %9s %7s %9s %9s %9s %9s\n", indent, "operation", "requests", "errors",
            "p50 ms", "p90 ms", "p99 ms", "max ms");
    for (size_t i = 0; i < opstats_op_count(s); i++) {
        struct opstats_op op;
        opstats_op(s, i, &op);
        if (op.requests == 0)
            continue;
        fprintf(out, "%s%-30s %9lld %7lld %9.2f %9.2f %9.2f %9.2f\n", indent, op.name,
                (long long)op.requests, (long long)op.errors, op.p50_s * 1e3, op.p90_s * 1e3,
                op.p99_s * 1e3, op.max_s * 1e3);
    }
}

static void errors_line(FILE *out, const struct opstats *s)
{
    fprintf(out, "errors        ");
    if (opstats_error_count(s) == 0)
        fprintf(out, " none");
    for (size_t i = 0; i < opstats_error_count(s); i++) {
        struct opstats_error e;
        opstats_error(s, i, &e);
        if (e.status > 0)
            fprintf(out, "%s %s (HTTP %d) %lld", i > 0 ? "," : "", e.type, e.status,
                    (long long)e.count);
        else
            fprintf(out, "%s %s %lld", i > 0 ? "," : "", e.type, (long long)e.count);
    }
    fprintf(out, "\n");
}

void loadreport_summary(FILE *out, const struct scenario *sc, const struct load_result *r,
                        const struct loadreport_info *info)
{
    const struct rollout_result *run = &r->run;
    char a[96], b[96];
    fprintf(out, "scenario       %s (seed %llu), live against %s, time x%g%s\n", sc->name,
            (unsigned long long)sc->seed, info->endpoint, info->time_scale,
            info->signed_requests ? ", SigV4" : "");
    fprintf(out, "run            %s: task %s, configuration %s\n", r->run_id,
            r->task_id[0] != '\0' ? r->task_id : "(none)",
            r->config_id[0] != '\0' ? r->config_id : "(none)");
    if (info->error == NULL) {
        fprintf(out, "devices        %lld (%lld targeted, %s task)\n", (long long)run->devices,
                (long long)run->targets, task_type_name(sc->type));
        fprintf(out, "task           %s", task_status_name(run->task_status));
        if (run->final_at_ms >= 0)
            fprintf(out, " at %s", when(run->final_at_ms, a, sizeof a));
        fprintf(out, "\n");
        if (run->end == ROLLOUT_END_DONE)
            fprintf(out, "ended          %s\n", when(run->ended_ms, a, sizeof a));
        else if (run->end == ROLLOUT_END_STUCK)
            fprintf(out, "ended          never: nothing more happens after %s\n",
                    when(run->clock_ms, a, sizeof a));
        else
            fprintf(out, "ended          not by the horizon, %s\n",
                    when(run->clock_ms, a, sizeof a));
        if (run->aborted)
            fprintf(out, "aborted        yes, at %s: %s\n", when(run->abort_at_ms, a, sizeof a),
                    run->abort_comment);
        else
            fprintf(out, "aborted        no\n");
        fprintf(out, "executions     %lld attempts, %lld retries, %lld never notified\n",
                (long long)run->executions, (long long)run->retries,
                (long long)run->counts[EXECUTION_PLANNED]);
        fprintf(out, "  by status   ");
        for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
            if (run->counts[shown[i]] > 0 || shown[i] == EXECUTION_SUCCEEDED)
                fprintf(out, " %s %lld", execution_status_name(shown[i]),
                        (long long)run->counts[shown[i]]);
        fprintf(out, "\n");
        fprintf(out, "first queued   %s\n", when(run->first_queued_ms, a, sizeof a));
        fprintf(out, "last queued    %s\n", when(run->last_queued_ms, b, sizeof b));
        fprintf(out, "rate steps    ");
        for (size_t i = 0; i < run->n_steps && i < 8; i++)
            fprintf(out, "%s %s %.6g/min", i > 0 ? "," : "",
                    report_duration(run->steps[i].at_ms / 100 * 100, a, sizeof a),
                    run->steps[i].rate);
        if (run->n_steps > 8)
            fprintf(out, ", ... (%zu in all)", run->n_steps);
        if (run->n_steps == 0)
            fprintf(out, " none (nothing was notified)");
        fprintf(out, " (observed)\n");
    }
    int64_t req = opstats_requests(r->stats);
    fprintf(out, "requests       %lld in all; rollout %lld in %.1f s (%.1f/s)\n", (long long)req,
            (long long)r->rollout_requests, r->rollout_s,
            r->rollout_s > 0 ? (double)r->rollout_requests / r->rollout_s : 0.0);
    ops_table(out, r->stats, "  ");
    errors_line(out, r->stats);
    if (info->error == NULL) {
        const struct load_check *ck = &r->check;
        fprintf(out,
                "consistency    lost_updates %lld: %lld executions listed, %lld attempts "
                "contradicting the devices, %lld count differences\n",
                (long long)ck->lost_updates, (long long)ck->things_checked,
                (long long)ck->thing_mismatches, (long long)ck->count_mismatches);
        for (size_t i = 0; i < ck->n_examples; i++)
            fprintf(out, "  %s\n", ck->examples[i]);
        fprintf(out,
                "devices        %lld notifications (%lld misrouted), %lld polls, %lld device "
                "calls, %lld late reports refused, %lld retried, %lld failed\n",
                (long long)r->notifications, (long long)r->misrouted, (long long)r->polls,
                (long long)run->device_actions, (long long)run->late_reports, (long long)r->retried,
                (long long)r->device_errors);
    }
    fprintf(out, "wall time      %.3f s (set-up %.3f s, rollout %.3f s, check %.3f s)\n",
            info->wall_s, r->setup_s, r->rollout_s, r->check_s);
}

static void add_stats(cJSON *o, const struct opstats *s)
{
    cJSON_AddNumberToObject(o, "requests", (double)opstats_requests(s));
    cJSON_AddNumberToObject(o, "errors", (double)opstats_errors(s));
    cJSON *by = cJSON_AddObjectToObject(o, "errors_by_type");
    for (size_t i = 0; i < opstats_error_count(s); i++) {
        struct opstats_error e;
        opstats_error(s, i, &e);
        cJSON_AddNumberToObject(by, e.type, (double)e.count);
    }
    cJSON *status = cJSON_AddObjectToObject(o, "errors_by_status");
    for (size_t i = 0; i < opstats_error_count(s); i++) {
        struct opstats_error e;
        char k[16];
        opstats_error(s, i, &e);
        snprintf(k, sizeof k, "%d", e.status);
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(status, k);
        if (cur != NULL)
            cJSON_SetNumberValue(cur, cur->valuedouble + (double)e.count);
        else
            cJSON_AddNumberToObject(status, k, (double)e.count);
    }
    cJSON *ops = cJSON_AddArrayToObject(o, "operations");
    for (size_t i = 0; i < opstats_op_count(s); i++) {
        struct opstats_op op;
        opstats_op(s, i, &op);
        if (op.requests == 0)
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", op.name);
        cJSON_AddNumberToObject(e, "requests", (double)op.requests);
        cJSON_AddNumberToObject(e, "errors", (double)op.errors);
        cJSON_AddNumberToObject(e, "p50_ms", ms3(op.p50_s));
        cJSON_AddNumberToObject(e, "p90_ms", ms3(op.p90_s));
        cJSON_AddNumberToObject(e, "p99_ms", ms3(op.p99_s));
        cJSON_AddNumberToObject(e, "max_ms", ms3(op.max_s));
        cJSON_AddNumberToObject(e, "mean_ms", ms3(op.mean_s));
        cJSON_AddItemToArray(ops, e);
    }
}

static int print(FILE *out, cJSON *o, struct oerr *err)
{
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

static void add_info(cJSON *o, const struct loadreport_info *info)
{
    cJSON_AddStringToObject(o, "endpoint", info->endpoint);
    cJSON_AddNumberToObject(o, "time_scale", info->time_scale);
    cJSON_AddBoolToObject(o, "signed", info->signed_requests);
    if (info->error != NULL)
        cJSON_AddStringToObject(o, "error", info->error);
    else
        cJSON_AddNullToObject(o, "error");
}

int loadreport_json(FILE *out, const struct scenario *sc, const struct load_result *r,
                    const struct loadreport_info *info, struct oerr *err)
{
    const struct rollout_result *run = &r->run;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "mode", "load");
    cJSON_AddStringToObject(o, "scenario", sc->name);
    cJSON_AddNumberToObject(o, "seed", (double)sc->seed);
    add_info(o, info);
    cJSON_AddStringToObject(o, "run_id", r->run_id);
    cJSON_AddStringToObject(o, "task_id", r->task_id);
    cJSON_AddStringToObject(o, "configuration_id", r->config_id);
    cJSON_AddNumberToObject(o, "devices", (double)run->devices);
    cJSON *groups = cJSON_AddArrayToObject(o, "groups");
    for (size_t g = 0; g < fleet_group_count(sc->fleet); g++) {
        const struct fleet_group *gr = fleet_group(sc->fleet, g);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", gr->name);
        cJSON_AddStringToObject(e, "outcome", fleet_outcome_name(gr->outcome));
        cJSON_AddStringToObject(e, "discovery", gr->discovery == FLEET_POLL ? "poll" : "notify");
        cJSON_AddNumberToObject(e, "devices", (double)gr->count);
        cJSON_AddItemToArray(groups, e);
    }
    cJSON_AddNumberToObject(o, "targets", (double)run->targets);
    cJSON_AddStringToObject(o, "task_type", task_type_name(sc->type));
    if (info->error == NULL) {
        report_json_outcome(o, run);
        cJSON_AddNumberToObject(o, "device_actions", (double)run->device_actions);
        cJSON_AddNumberToObject(o, "late_reports", (double)run->late_reports);
    }
    add_stats(o, r->stats);
    cJSON_AddNumberToObject(o, "rollout_requests", (double)r->rollout_requests);
    cJSON_AddNumberToObject(
        o, "throughput_per_s",
        r->rollout_s > 0 ? round((double)r->rollout_requests / r->rollout_s * 10) / 10 : 0);
    if (info->error == NULL) {
        const struct load_check *ck = &r->check;
        cJSON_AddNumberToObject(o, "lost_updates", (double)ck->lost_updates);
        cJSON *k = cJSON_AddObjectToObject(o, "consistency");
        cJSON_AddNumberToObject(k, "executions_listed", (double)ck->things_checked);
        cJSON_AddNumberToObject(k, "attempt_mismatches", (double)ck->thing_mismatches);
        cJSON_AddNumberToObject(k, "count_mismatches", (double)ck->count_mismatches);
        cJSON *dc = cJSON_AddObjectToObject(k, "device_reports");
        for (int s = EXECUTION_SUCCEEDED; s < EXECUTION_STATUS_MAX; s++)
            if (s == EXECUTION_SUCCEEDED || s == EXECUTION_FAILED || s == EXECUTION_REJECTED)
                cJSON_AddNumberToObject(dc, execution_status_name((enum execution_status)s),
                                        (double)ck->device_counts[s]);
        cJSON *ex = cJSON_AddArrayToObject(k, "examples");
        for (size_t i = 0; i < ck->n_examples; i++)
            cJSON_AddItemToArray(ex, cJSON_CreateString(ck->examples[i]));
        cJSON_AddNumberToObject(o, "notifications", (double)r->notifications);
        cJSON_AddNumberToObject(o, "misrouted", (double)r->misrouted);
        cJSON_AddNumberToObject(o, "polls", (double)r->polls);
        cJSON_AddNumberToObject(o, "retried", (double)r->retried);
        cJSON_AddNumberToObject(o, "device_errors", (double)r->device_errors);
    }
    cJSON_AddNumberToObject(o, "setup_s", round(r->setup_s * 1000) / 1000);
    cJSON_AddNumberToObject(o, "rollout_s", round(r->rollout_s * 1000) / 1000);
    cJSON_AddNumberToObject(o, "check_s", round(r->check_s * 1000) / 1000);
    cJSON_AddNumberToObject(o, "wall_s", round(info->wall_s * 1000) / 1000);
    return print(out, o, err);
}

void loadreport_bench_summary(FILE *out, const struct loadbench_result *r,
                              const struct loadreport_info *info)
{
    struct opstats_op op;
    fprintf(out, "bench          updates against %s%s: %lld devices, run %s, task %s\n",
            info->endpoint, info->signed_requests ? " (SigV4)" : "", (long long)r->devices,
            r->run_id, r->task_id[0] != '\0' ? r->task_id : "(none)");
    fprintf(out, "set-up         %.1f s (things and task); %lld/%lld IN_PROGRESS after %.1f s\n",
            r->setup_s, (long long)r->started, (long long)r->devices, r->start_s);
    if (opstats_op_named(r->phase, "UpdateJobExecution", &op) == 0) {
        fprintf(out, "updates        %lld acknowledged in %.2f s: %.0f updates/s\n",
                (long long)r->updates, r->duration_s, r->updates_per_s);
        fprintf(out,
                "latency        p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (mean %.2f "
                "ms, %lld errors)\n",
                op.p50_s * 1e3, op.p90_s * 1e3, op.p99_s * 1e3, op.max_s * 1e3, op.mean_s * 1e3,
                (long long)op.errors);
    }
    fprintf(out, "check          %lld devices finished SUCCEEDED, %lld version mismatches\n",
            (long long)r->finished, (long long)r->version_mismatches);
    fprintf(out, "all requests\n");
    ops_table(out, r->stats, "  ");
    errors_line(out, r->stats);
    fprintf(out, "wall time      %.3f s\n", info->wall_s);
}

int loadreport_bench_json(FILE *out, const struct loadbench_result *r,
                          const struct loadreport_info *info, struct oerr *err)
{
    struct opstats_op op;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "mode", "bench-updates");
    add_info(o, info);
    cJSON_AddStringToObject(o, "run_id", r->run_id);
    cJSON_AddStringToObject(o, "task_id", r->task_id);
    cJSON_AddNumberToObject(o, "devices", (double)r->devices);
    cJSON_AddNumberToObject(o, "started", (double)r->started);
    cJSON_AddNumberToObject(o, "setup_s", round(r->setup_s * 1000) / 1000);
    cJSON_AddNumberToObject(o, "start_s", round(r->start_s * 1000) / 1000);
    cJSON_AddNumberToObject(o, "duration_s", round(r->duration_s * 1000) / 1000);
    cJSON_AddNumberToObject(o, "updates", (double)r->updates);
    cJSON_AddNumberToObject(o, "updates_per_s", round(r->updates_per_s * 10) / 10);
    if (opstats_op_named(r->phase, "UpdateJobExecution", &op) == 0) {
        cJSON *l = cJSON_AddObjectToObject(o, "latency_ms");
        cJSON_AddNumberToObject(l, "p50", ms3(op.p50_s));
        cJSON_AddNumberToObject(l, "p90", ms3(op.p90_s));
        cJSON_AddNumberToObject(l, "p99", ms3(op.p99_s));
        cJSON_AddNumberToObject(l, "max", ms3(op.max_s));
        cJSON_AddNumberToObject(l, "mean", ms3(op.mean_s));
        cJSON_AddNumberToObject(o, "update_errors", (double)op.errors);
    } else {
        cJSON_AddNullToObject(o, "latency_ms");
    }
    cJSON_AddNumberToObject(o, "finished", (double)r->finished);
    cJSON_AddNumberToObject(o, "version_mismatches", (double)r->version_mismatches);
    cJSON *all = cJSON_AddObjectToObject(o, "all_requests");
    add_stats(all, r->stats);
    cJSON_AddNumberToObject(o, "wall_s", round(info->wall_s * 1000) / 1000);
    return print(out, o, err);
}
