/*
 * retry: validation of RetryConfigCriteria and the retry decision of SPEC.md section 8. A
 * FAILED or TIMED_OUT attempt draws on the criterion of its own type when there is one, else
 * on the ALL criterion, which the types without their own criterion share; the retries of all
 * types together never exceed the sum of the criteria.
 */
#include "engine/retry.h"

#include <string.h>

#include "engine/execution.h"
#include "engine/oerr.h"

static const char *const failure_names[RETRY_FAILURE_MAX] = {
    [RETRY_FAILED] = "FAILED",
    [RETRY_TIMED_OUT] = "TIMED_OUT",
    [RETRY_ALL] = "ALL",
};

const char *retry_failure_name(enum retry_failure f)
{
    if ((unsigned)f >= RETRY_FAILURE_MAX)
        return "UNKNOWN";
    return failure_names[f];
}

int retry_failure_parse(const char *s, enum retry_failure *out)
{
    if (s == NULL)
        return -1;
    for (int i = 0; i < RETRY_FAILURE_MAX; i++) {
        if (strcmp(s, failure_names[i]) == 0) {
            *out = (enum retry_failure)i;
            return 0;
        }
    }
    return -1;
}

int retry_config_validate(const struct retry_config *cfg, struct oerr *err)
{
    int seen[RETRY_FAILURE_MAX] = {0};
    int64_t sum = 0;
    if (cfg->n > RETRY_MAX_CRITERIA)
        return oerr_set(err, OERR_INVALID, "RetryConfigCriteria must have at most %d entries",
                        RETRY_MAX_CRITERIA);
    for (size_t i = 0; i < cfg->n; i++) {
        const struct retry_criterion *c = &cfg->c[i];
        if ((unsigned)c->failure_type >= RETRY_FAILURE_MAX)
            return oerr_set(err, OERR_INVALID,
                            "RetryConfigCriteria[%zu].FailureType must be one of FAILED, "
                            "TIMED_OUT, ALL",
                            i);
        if (seen[c->failure_type])
            return oerr_set(err, OERR_INVALID,
                            "RetryConfigCriteria[%zu].FailureType %s appears more than once", i,
                            failure_names[c->failure_type]);
        seen[c->failure_type] = 1;
        if (c->retries < 0 || c->retries > RETRY_MAX_TOTAL)
            return oerr_set(err, OERR_INVALID,
                            "RetryConfigCriteria[%zu].MinNumberOfRetries must be between 0 and %d",
                            i, RETRY_MAX_TOTAL);
        sum += c->retries;
    }
    if (sum > RETRY_MAX_TOTAL)
        return oerr_set(err, OERR_INVALID,
                        "RetryConfigCriteria: the MinNumberOfRetries add up to %lld, more than %d",
                        (long long)sum, RETRY_MAX_TOTAL);
    return 0;
}

/* The criterion of type f, or NULL. */
static const struct retry_criterion *find(const struct retry_config *cfg, enum retry_failure f)
{
    size_t n = cfg->n < RETRY_MAX_CRITERIA ? cfg->n : RETRY_MAX_CRITERIA;
    for (size_t i = 0; i < n; i++) {
        if (cfg->c[i].failure_type == f)
            return &cfg->c[i];
    }
    return NULL;
}

int retry_allowed(const struct retry_config *cfg, enum execution_status ended,
                  const struct retry_counts *counts)
{
    enum retry_failure type;
    if (ended == EXECUTION_FAILED)
        type = RETRY_FAILED;
    else if (ended == EXECUTION_TIMED_OUT)
        type = RETRY_TIMED_OUT;
    else
        return 0; /* REJECTED, CANCELED, REMOVED (and non-terminal states) never retry */

    const struct retry_criterion *own = find(cfg, type);
    const struct retry_criterion *all = find(cfg, RETRY_ALL);
    const struct retry_criterion *failed = find(cfg, RETRY_FAILED);
    const struct retry_criterion *timed_out = find(cfg, RETRY_TIMED_OUT);
    int64_t sum = 0;
    size_t n = cfg->n < RETRY_MAX_CRITERIA ? cfg->n : RETRY_MAX_CRITERIA;
    for (size_t i = 0; i < n; i++)
        sum += cfg->c[i].retries > 0 ? cfg->c[i].retries : 0;
    if ((int64_t)counts->after_failed + counts->after_timed_out >= sum)
        return 0;

    if (own != NULL) {
        int32_t used = type == RETRY_FAILED ? counts->after_failed : counts->after_timed_out;
        return used < own->retries;
    }
    if (all == NULL)
        return 0;
    /* The ALL budget is shared by every type that has no criterion of its own. */
    int64_t used = 0;
    if (failed == NULL)
        used += counts->after_failed;
    if (timed_out == NULL)
        used += counts->after_timed_out;
    return used < all->retries;
}

void retry_count(struct retry_counts *counts, enum execution_status ended)
{
    if (ended == EXECUTION_FAILED)
        counts->after_failed++;
    else if (ended == EXECUTION_TIMED_OUT)
        counts->after_timed_out++;
}
