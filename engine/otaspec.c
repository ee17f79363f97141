/*
 * otaspec: OTA body validation over jsonview. Ranges come from the model; the semantic checks
 * (rates, abort criteria, retry budgets, schedules) are the owning modules' own validators,
 * called here with the field path prefixed.
 */
#include "engine/otaspec.h"

#include <stdio.h>
#include <string.h>

#include "engine/timefmt.h"

static const char *const abort_actions[] = {"CANCEL", NULL};
static const char *const abort_types[] = {"FAILED", "REJECTED", "TIMED_OUT", "ALL", NULL};
static const char *const retry_types[] = {"FAILED", "TIMED_OUT", "ALL", NULL};
static const char *const end_behaviors[] = {"STOP_ROLLOUT", "CANCEL", "FORCE_CANCEL", NULL};

static void prefix_err(struct oerr *err, const char *path)
{
    char p[300];
    snprintf(p, sizeof p, "%s.", path);
    oerr_prefix(err, p);
}

static int parse_abort(const struct jview *abort_cfg, const char *prefix, struct otaspec_push *out,
                       struct oerr *err)
{
    char path[200];
    jview_path(path, sizeof path, prefix, "AbortConfig");
    struct jview list;
    if (jview_array(abort_cfg, path, "AbortConfigCriteriaList", 0, 0, OTASPEC_MAX_ABORT, &list,
                    err) < 0)
        return -1;
    size_t i = 0;
    for (struct jview c = jview_first(&list); c.v != NULL; c = jview_next(&c), i++) {
        char cpath[260];
        snprintf(cpath, sizeof cpath, "%s.AbortConfigCriteriaList[%zu]", path, i);
        if (jview_type_of(&c) != JVIEW_OBJECT)
            return oerr_set(err, OERR_INVALID, "%s must be an object", cpath);
        struct abort_criterion *ac = &out->abort[i];
        int action = 0, type = 0;
        int64_t min = 1;
        double pct = 0;
        if (jview_enum(&c, cpath, "Action", 0, abort_actions, &action, NULL, err) < 0 ||
            jview_enum(&c, cpath, "FailureType", 1, abort_types, &type, NULL, err) < 0 ||
            jview_int(&c, cpath, "MinNumberOfExecutedThings", 0, 1, 100, &min, NULL, err) < 0 ||
            jview_number(&c, cpath, "ThresholdPercentage", 1, 0, 100, &pct, NULL, err) < 0)
            return -1;
        ac->failure_type = (enum abort_failure)type;
        ac->min_executed = min;
        ac->threshold_pct = pct;
        if (abort_criterion_validate(ac, err) < 0) {
            prefix_err(err, cpath);
            return -1;
        }
    }
    out->n_abort = i;
    return 0;
}

static int parse_rollout(const struct jview *ro, const char *prefix, struct otaspec_push *out,
                         struct oerr *err)
{
    char path[200];
    jview_path(path, sizeof path, prefix, "RolloutConfig");
    int64_t max = 0, base = 0, notified = 0, succeeded = 0;
    double factor = 0;
    int present_max;
    struct jview exp;
    if (jview_int(ro, path, "MaximumPerMinute", 0, 1, INT64_MAX, &max, &present_max, err) < 0 ||
        jview_object(ro, path, "ExponentialRolloutRate", 0, &exp, err) < 0)
        return -1;
    if (present_max)
        out->rollout.max_per_minute = (double)max;
    if (exp.v != NULL) {
        char epath[240], cpath[280];
        jview_path(epath, sizeof epath, path, "ExponentialRolloutRate");
        jview_path(cpath, sizeof cpath, epath, "RateIncreaseCriteria");
        struct jview crit;
        int pn = 0, ps = 0;
        if (jview_int(&exp, epath, "BaseRatePerMinute", 1, 1, 100, &base, NULL, err) < 0 ||
            jview_number(&exp, epath, "IncrementFactor", 1, 1.1, 5, &factor, NULL, err) < 0 ||
            jview_object(&exp, epath, "RateIncreaseCriteria", 1, &crit, err) < 0 ||
            jview_int(&crit, cpath, "numberOfNotifiedThings", 0, 1, 100, &notified, &pn, err) < 0 ||
            jview_int(&crit, cpath, "numberOfSucceededThings", 0, 1, 100, &succeeded, &ps, err) < 0)
            return -1;
        if (!pn && !ps)
            return oerr_set(err, OERR_INVALID,
                            "%s must set numberOfNotifiedThings or numberOfSucceededThings", cpath);
        out->rollout.base_per_minute = (double)base;
        out->rollout.increment_factor = factor;
        out->rollout.notified_criterion = notified;
        out->rollout.succeeded_criterion = succeeded;
    }
    if (rollout_config_validate(&out->rollout, err) < 0) {
        prefix_err(err, path);
        return -1;
    }
    return 0;
}

int otaspec_push(const struct jview *push, const char *prefix, struct otaspec_push *out,
                 struct oerr *err)
{
    memset(out, 0, sizeof *out);
    rollout_config_default(&out->rollout);
    if (push->v == NULL)
        return 0;
    if (jview_type_of(push) != JVIEW_OBJECT)
        return oerr_set(err, OERR_INVALID, "%s must be an object", prefix);
    struct jview abort_cfg, ro, to;
    if (jview_object(push, prefix, "AbortConfig", 0, &abort_cfg, err) < 0 ||
        jview_object(push, prefix, "RolloutConfig", 0, &ro, err) < 0 ||
        jview_object(push, prefix, "TimeoutConfig", 0, &to, err) < 0)
        return -1;
    if (abort_cfg.v != NULL && parse_abort(&abort_cfg, prefix, out, err) < 0)
        return -1;
    if (ro.v != NULL && parse_rollout(&ro, prefix, out, err) < 0)
        return -1;
    if (to.v != NULL) {
        char path[200];
        jview_path(path, sizeof path, prefix, "TimeoutConfig");
        if (jview_int(&to, path, "InProgressTimeoutInMinutes", 0, 1, 10080,
                      &out->in_progress_timeout_min, NULL, err) < 0)
            return -1;
    }
    return 0;
}

static int parse_time(const struct jview *obj, const char *prefix, const char *name, int64_t *out,
                      struct oerr *err)
{
    const char *s;
    if (jview_string(obj, prefix, name, 0, NULL, &s, err) < 0)
        return -1;
    *out = -1;
    if (s == NULL)
        return 0;
    if (timefmt_parse(s, out, err) < 0) {
        char path[260];
        jview_path(path, sizeof path, prefix, name);
        char p[280];
        snprintf(p, sizeof p, "%s: ", path);
        oerr_prefix(err, p);
        return -1;
    }
    return 0;
}

void otaspec_schedule_free(struct otaspec_schedule *s)
{
    window_set_free(s->windows);
    s->windows = NULL;
    s->schedule.windows = NULL;
}

int otaspec_schedule(const struct jview *sched, const char *prefix, int64_t now,
                     struct otaspec_schedule *out, struct oerr *err)
{
    memset(out, 0, sizeof *out);
    task_schedule_default(&out->schedule);
    if (sched->v == NULL)
        return 0;
    if (jview_type_of(sched) != JVIEW_OBJECT)
        return oerr_set(err, OERR_INVALID, "%s must be an object", prefix);
    int eb = 0;
    struct jview list;
    if (parse_time(sched, prefix, "StartTime", &out->schedule.start_at, err) < 0 ||
        parse_time(sched, prefix, "EndTime", &out->schedule.end_at, err) < 0 ||
        jview_enum(sched, prefix, "EndBehavior", 0, end_behaviors, &eb, &out->has_end_behavior,
                   err) < 0 ||
        jview_array(sched, prefix, "MaintenanceWindows", 0, 0, OTASPEC_MAX_WINDOWS, &list, err) < 0)
        return -1;
    out->schedule.end_behavior = (enum task_end_behavior)eb;
    size_t i = 0;
    for (struct jview w = jview_first(&list); w.v != NULL; w = jview_next(&w), i++) {
        char wpath[260];
        snprintf(wpath, sizeof wpath, "%s.MaintenanceWindows[%zu]", prefix, i);
        if (jview_type_of(&w) != JVIEW_OBJECT) {
            oerr_set(err, OERR_INVALID, "%s must be an object", wpath);
            goto fail;
        }
        const char *cron;
        int64_t dur = 0;
        if (jview_string(&w, wpath, "StartTime", 1, NULL, &cron, err) < 0 ||
            jview_int(&w, wpath, "DurationInMinutes", 1, 1, 1430, &dur, NULL, err) < 0)
            goto fail;
        if (out->windows == NULL)
            out->windows = window_set_new();
        if (window_set_add(out->windows, cron, dur, err) < 0) {
            prefix_err(err, wpath);
            goto fail;
        }
        out->window[i].cron = cron;
        out->window[i].duration_min = dur;
    }
    out->n_windows = i;
    out->schedule.windows = out->windows;
    if (task_schedule_validate(&out->schedule, now, err) < 0)
        goto fail;
    return 0;
fail:
    otaspec_schedule_free(out);
    return -1;
}

int otaspec_retry(const struct jview *retry, const char *prefix, struct retry_config *out,
                  struct oerr *err)
{
    memset(out, 0, sizeof *out);
    if (retry->v == NULL)
        return 0;
    if (jview_type_of(retry) != JVIEW_OBJECT)
        return oerr_set(err, OERR_INVALID, "%s must be an object", prefix);
    struct jview list;
    if (jview_array(retry, prefix, "RetryConfigCriteria", 0, 0, RETRY_MAX_CRITERIA, &list, err) < 0)
        return -1;
    char path[260];
    jview_path(path, sizeof path, prefix, "RetryConfigCriteria");
    size_t i = 0;
    for (struct jview c = jview_first(&list); c.v != NULL; c = jview_next(&c), i++) {
        char cpath[280];
        snprintf(cpath, sizeof cpath, "%s[%zu]", path, i);
        if (jview_type_of(&c) != JVIEW_OBJECT)
            return oerr_set(err, OERR_INVALID, "%s must be an object", cpath);
        int type = 0;
        int64_t n = 0;
        if (jview_enum(&c, cpath, "FailureType", 1, retry_types, &type, NULL, err) < 0 ||
            jview_int(&c, cpath, "MinNumberOfRetries", 1, 0, 10, &n, NULL, err) < 0)
            return -1;
        out->c[i].failure_type = (enum retry_failure)type;
        out->c[i].retries = (int32_t)n;
    }
    out->n = i;
    if (retry_config_validate(out, err) < 0) {
        char p[280];
        snprintf(p, sizeof p, "%s.", prefix);
        oerr_prefix(err, p);
        return -1;
    }
    return 0;
}
