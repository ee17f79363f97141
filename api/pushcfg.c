/*
 * pushcfg: PushConfig validation. Ranges come from the model (reference/wire.md section 6.1);
 * where the model leaves members optional that the behaviour cannot do without, SPEC.md decides:
 * an abort criterion needs FailureType and ThresholdPercentage (Action defaults to CANCEL,
 * MinNumberOfExecutedThings to 1); an ExponentialRolloutRate needs BaseRatePerMinute,
 * IncrementFactor and at least one RateIncreaseCriteria member.
 */
#include "api/pushcfg.h"

#include <stdio.h>
#include <string.h>

#include "api/jsonv.h"

static const char *const abort_actions[] = {"CANCEL", NULL};
static const char *const abort_types[] = {"FAILED", "REJECTED", "TIMED_OUT", "ALL", NULL};

/* Keep only the listed members of obj (a copy). */
static cJSON *pick(const cJSON *obj, const char *const *names)
{
    cJSON *out = cJSON_CreateObject();
    for (size_t i = 0; names[i] != NULL; i++) {
        const cJSON *it = jsonv_member(obj, names[i]);
        if (it != NULL)
            cJSON_AddItemToObject(out, names[i], cJSON_Duplicate(it, 1));
    }
    return out;
}

static int parse_abort(const cJSON *abort_cfg, const char *prefix, struct pushcfg *out, cJSON *norm,
                       struct oerr *err)
{
    char path[128];
    jsonv_path(path, sizeof path, prefix, "AbortConfig");
    const cJSON *list;
    if (jsonv_array(abort_cfg, path, "AbortConfigCriteriaList", 0, 0, PUSHCFG_MAX_ABORT, &list,
                    err) < 0)
        return -1;
    cJSON *nabort = cJSON_CreateObject();
    if (norm != NULL)
        cJSON_AddItemToObject(norm, "AbortConfig", nabort);
    if (list == NULL) {
        if (norm == NULL)
            cJSON_Delete(nabort);
        return 0;
    }
    cJSON *nlist = cJSON_AddArrayToObject(nabort, "AbortConfigCriteriaList");
    int i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, list)
    {
        char cpath[192];
        snprintf(cpath, sizeof cpath, "%s.AbortConfigCriteriaList[%d]", path, i);
        if (!cJSON_IsObject(c)) {
            if (norm == NULL)
                cJSON_Delete(nabort);
            return oerr_set(err, OERR_INVALID, "%s must be an object", cpath);
        }
        struct abort_criterion *ac = &out->abort[i];
        int action = 0, type = 0, present;
        int64_t min = 1;
        double pct = 0;
        if (jsonv_enum(c, cpath, "Action", 0, abort_actions, &action, &present, err) < 0 ||
            jsonv_enum(c, cpath, "FailureType", 1, abort_types, &type, &present, err) < 0 ||
            jsonv_int(c, cpath, "MinNumberOfExecutedThings", 0, 1, 100, &min, &present, err) < 0 ||
            jsonv_number(c, cpath, "ThresholdPercentage", 1, 0, 100, &pct, &present, err) < 0) {
            if (norm == NULL)
                cJSON_Delete(nabort);
            return -1;
        }
        ac->failure_type = (enum abort_failure)type;
        ac->min_executed = min;
        ac->threshold_pct = pct;
        static const char *const names[] = {"Action", "FailureType", "MinNumberOfExecutedThings",
                                            "ThresholdPercentage", NULL};
        cJSON_AddItemToArray(nlist, pick(c, names));
        i++;
    }
    out->n_abort = (size_t)i;
    if (norm == NULL)
        cJSON_Delete(nabort);
    return 0;
}

static int parse_rollout(const cJSON *ro, const char *prefix, struct pushcfg *out, cJSON *norm,
                         struct oerr *err)
{
    char path[128];
    jsonv_path(path, sizeof path, prefix, "RolloutConfig");
    int64_t max = 0, base = 0, notified = 0, succeeded = 0;
    double factor = 0;
    int present_max, present;
    const cJSON *exp, *crit = NULL;
    if (jsonv_int(ro, path, "MaximumPerMinute", 0, 1, INT64_MAX, &max, &present_max, err) < 0 ||
        jsonv_object(ro, path, "ExponentialRolloutRate", 0, &exp, err) < 0)
        return -1;
    if (present_max)
        out->rollout.max_per_minute = (double)max;
    cJSON *nro = cJSON_CreateObject();
    if (present_max)
        cJSON_AddNumberToObject(nro, "MaximumPerMinute", (double)max);
    if (exp != NULL) {
        char epath[160];
        jsonv_path(epath, sizeof epath, path, "ExponentialRolloutRate");
        if (jsonv_int(exp, epath, "BaseRatePerMinute", 1, 1, 100, &base, &present, err) < 0 ||
            jsonv_number(exp, epath, "IncrementFactor", 1, 1.1, 5, &factor, &present, err) < 0 ||
            jsonv_object(exp, epath, "RateIncreaseCriteria", 1, &crit, err) < 0)
            goto fail;
        char cpath[200];
        jsonv_path(cpath, sizeof cpath, epath, "RateIncreaseCriteria");
        int pn = 0, ps = 0;
        if (jsonv_int(crit, cpath, "numberOfNotifiedThings", 0, 1, 100, &notified, &pn, err) < 0 ||
            jsonv_int(crit, cpath, "numberOfSucceededThings", 0, 1, 100, &succeeded, &ps, err) < 0)
            goto fail;
        if (!pn && !ps) {
            oerr_set(err, OERR_INVALID,
                     "%s must set numberOfNotifiedThings or numberOfSucceededThings", cpath);
            goto fail;
        }
        out->rollout.base_per_minute = (double)base;
        out->rollout.increment_factor = factor;
        out->rollout.notified_criterion = notified;
        out->rollout.succeeded_criterion = succeeded;
        cJSON *nexp = cJSON_AddObjectToObject(nro, "ExponentialRolloutRate");
        cJSON_AddNumberToObject(nexp, "BaseRatePerMinute", (double)base);
        cJSON_AddNumberToObject(nexp, "IncrementFactor", factor);
        static const char *const names[] = {"numberOfNotifiedThings", "numberOfSucceededThings",
                                            NULL};
        cJSON_AddItemToObject(nexp, "RateIncreaseCriteria", pick(crit, names));
    }
    if (rollout_config_validate(&out->rollout, err) < 0) {
        char p2[160];
        snprintf(p2, sizeof p2, "%s.", path);
        oerr_prefix(err, p2);
        goto fail;
    }
    if (norm != NULL)
        cJSON_AddItemToObject(norm, "RolloutConfig", nro);
    else
        cJSON_Delete(nro);
    return 0;
fail:
    cJSON_Delete(nro);
    return -1;
}

int pushcfg_parse(const cJSON *push, const char *prefix, struct pushcfg *out, cJSON **normalized,
                  struct oerr *err)
{
    memset(out, 0, sizeof *out);
    rollout_config_default(&out->rollout);
    if (normalized != NULL)
        *normalized = NULL;
    if (push == NULL)
        return 0;
    if (!cJSON_IsObject(push))
        return oerr_set(err, OERR_INVALID, "%s must be an object", prefix);

    cJSON *norm = normalized != NULL ? cJSON_CreateObject() : NULL;
    const cJSON *abort_cfg, *ro, *to;
    if (jsonv_object(push, prefix, "AbortConfig", 0, &abort_cfg, err) < 0 ||
        jsonv_object(push, prefix, "RolloutConfig", 0, &ro, err) < 0 ||
        jsonv_object(push, prefix, "TimeoutConfig", 0, &to, err) < 0)
        goto fail;
    if (abort_cfg != NULL && parse_abort(abort_cfg, prefix, out, norm, err) < 0)
        goto fail;
    if (ro != NULL && parse_rollout(ro, prefix, out, norm, err) < 0)
        goto fail;
    if (to != NULL) {
        char path[128];
        jsonv_path(path, sizeof path, prefix, "TimeoutConfig");
        int present;
        if (jsonv_int(to, path, "InProgressTimeoutInMinutes", 0, 1, 10080,
                      &out->in_progress_timeout_min, &present, err) < 0)
            goto fail;
        if (norm != NULL) {
            cJSON *nto = cJSON_AddObjectToObject(norm, "TimeoutConfig");
            if (present)
                cJSON_AddNumberToObject(nto, "InProgressTimeoutInMinutes",
                                        (double)out->in_progress_timeout_min);
        }
    }
    if (normalized != NULL)
        *normalized = norm;
    return 0;
fail:
    cJSON_Delete(norm);
    return -1;
}
