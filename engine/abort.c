/*
 * abort: validation and evaluation of the abort criteria of SPEC.md section 5. The percentage
 * of a criterion is taken over the terminal executions of the task (every attempt counts); a
 * criterion is not looked at before MinNumberOfExecutedThings executions are terminal, and the
 * first criterion in list order that reaches its threshold fires.
 */
#include "engine/abort.h"

#include <stdio.h>
#include <string.h>

#include "engine/oerr.h"

static const char *const failure_names[ABORT_FAILURE_MAX] = {
    [ABORT_FAILED] = "FAILED",
    [ABORT_REJECTED] = "REJECTED",
    [ABORT_TIMED_OUT] = "TIMED_OUT",
    [ABORT_ALL] = "ALL",
};

const char *abort_failure_name(enum abort_failure f)
{
    if ((unsigned)f >= ABORT_FAILURE_MAX)
        return "UNKNOWN";
    return failure_names[f];
}

int abort_failure_parse(const char *s, enum abort_failure *out)
{
    if (s == NULL)
        return -1;
    for (int i = 0; i < ABORT_FAILURE_MAX; i++) {
        if (strcmp(s, failure_names[i]) == 0) {
            *out = (enum abort_failure)i;
            return 0;
        }
    }
    return -1;
}

int abort_criterion_validate(const struct abort_criterion *c, struct oerr *err)
{
    if ((unsigned)c->failure_type >= ABORT_FAILURE_MAX)
        return oerr_set(err, OERR_INVALID,
                        "FailureType must be one of FAILED, REJECTED, TIMED_OUT, ALL");
    if (c->min_executed < 1 || c->min_executed > 100)
        return oerr_set(err, OERR_INVALID, "MinNumberOfExecutedThings must be between 1 and 100");
    /* Written so that NaN fails too. */
    if (!(c->threshold_pct >= 0.0 && c->threshold_pct <= 100.0))
        return oerr_set(err, OERR_INVALID, "ThresholdPercentage must be between 0 and 100");
    return 0;
}

/* Terminal executions of the criterion's failure type. */
static int64_t of_type(enum abort_failure f, const struct abort_counts *counts)
{
    switch (f) {
    case ABORT_FAILED:
        return counts->failed;
    case ABORT_REJECTED:
        return counts->rejected;
    case ABORT_TIMED_OUT:
        return counts->timed_out;
    case ABORT_ALL:
        return counts->failed + counts->rejected + counts->timed_out;
    case ABORT_FAILURE_MAX:
        break;
    }
    return 0;
}

int abort_check(const struct abort_criterion *list, size_t n, const struct abort_counts *counts)
{
    for (size_t i = 0; i < n; i++) {
        const struct abort_criterion *c = &list[i];
        /* Never evaluated over zero executions, whatever the minimum says. */
        if (counts->terminal < 1 || counts->terminal < c->min_executed)
            continue;
        /*
         * 100 * k / terminal >= threshold, compared without the division and with a tolerance
         * far below the thresholds' two decimals, so that a decimal threshold that is not
         * exact in binary (10.99) still fires at exactly 10.99%.
         */
        double k = (double)of_type(c->failure_type, counts);
        double terminal = (double)counts->terminal;
        if (100.0 * k >= c->threshold_pct * terminal - 1e-9 * terminal)
            return (int)i;
    }
    return -1;
}

char *abort_describe(const struct abort_criterion *c, size_t index,
                     const struct abort_counts *counts, char *buf, size_t len)
{
    double pct = 0.0;
    if (counts->terminal > 0)
        pct = 100.0 * (double)of_type(c->failure_type, counts) / (double)counts->terminal;
    if (len > 0)
        snprintf(buf, len, "abort criterion %zu met: %s %.2f%% >= %.2f%% after %lld executions",
                 index + 1, abort_failure_name(c->failure_type), pct, c->threshold_pct,
                 (long long)counts->terminal);
    return buf;
}
