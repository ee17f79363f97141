/*
 * pushcfg: PushConfig validation (engine/otaspec.c) and normalisation: a copy of the request's
 * PushConfig keeping only the members the model defines, so unknown members are neither stored
 * nor echoed.
 */
#include "api/pushcfg.h"

#include "api/jsonv.h"

/* Copy of obj keeping only the named members; each name may carry a sub-schema. */
struct schema {
    const char *name;
    const struct schema *children; /* members of an object member, or of a list's objects */
};

static const struct schema criteria_members[] = {{"Action", NULL},
                                                 {"FailureType", NULL},
                                                 {"MinNumberOfExecutedThings", NULL},
                                                 {"ThresholdPercentage", NULL},
                                                 {NULL, NULL}};
static const struct schema abort_members[] = {{"AbortConfigCriteriaList", criteria_members},
                                              {NULL, NULL}};
static const struct schema increase_members[] = {
    {"numberOfNotifiedThings", NULL}, {"numberOfSucceededThings", NULL}, {NULL, NULL}};
static const struct schema exp_members[] = {{"BaseRatePerMinute", NULL},
                                            {"IncrementFactor", NULL},
                                            {"RateIncreaseCriteria", increase_members},
                                            {NULL, NULL}};
static const struct schema rollout_members[] = {
    {"ExponentialRolloutRate", exp_members}, {"MaximumPerMinute", NULL}, {NULL, NULL}};
static const struct schema timeout_members[] = {{"InProgressTimeoutInMinutes", NULL}, {NULL, NULL}};
static const struct schema push_members[] = {{"AbortConfig", abort_members},
                                             {"RolloutConfig", rollout_members},
                                             {"TimeoutConfig", timeout_members},
                                             {NULL, NULL}};

static cJSON *pick(const cJSON *obj, const struct schema *members)
{
    cJSON *out = cJSON_CreateObject();
    for (const struct schema *m = members; m->name != NULL; m++) {
        const cJSON *it = jsonv_member(obj, m->name);
        if (it == NULL)
            continue;
        if (m->children == NULL) {
            cJSON_AddItemToObject(out, m->name, cJSON_Duplicate(it, 1));
        } else if (cJSON_IsArray(it)) {
            cJSON *arr = cJSON_AddArrayToObject(out, m->name);
            const cJSON *e;
            cJSON_ArrayForEach(e, it) cJSON_AddItemToArray(arr, pick(e, m->children));
        } else {
            cJSON_AddItemToObject(out, m->name, pick(it, m->children));
        }
    }
    return out;
}

int pushcfg_parse(const cJSON *push, const char *prefix, struct otaspec_push *out,
                  cJSON **normalized, struct oerr *err)
{
    struct jview view = jsonv_view(push);
    if (normalized != NULL)
        *normalized = NULL;
    if (otaspec_push(&view, prefix, out, err) < 0)
        return -1;
    if (normalized != NULL && push != NULL)
        *normalized = pick(push, push_members);
    return 0;
}
