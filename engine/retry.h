/*
 * retry: the retry criteria of SPEC.md section 8 (OtaTaskExecutionRetryConfig).
 *
 * Up to two criteria {FailureType FAILED | TIMED_OUT | ALL, MinNumberOfRetries 0..10}, each type
 * at most once, sum <= 10. After an attempt ends FAILED or TIMED_OUT its budget is the criterion
 * of that type, else the ALL criterion ("bucket"); types that fall back to ALL share its budget;
 * retries of all types together never exceed the sum. REJECTED, CANCELED, REMOVED never retry.
 */
#ifndef OTAD_ENGINE_RETRY_H
#define OTAD_ENGINE_RETRY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/execution.h"
#include "engine/oerr.h"

enum retry_failure { RETRY_FAILED = 0, RETRY_TIMED_OUT, RETRY_ALL, RETRY_FAILURE_MAX };

#define RETRY_MAX_CRITERIA 2
#define RETRY_MAX_TOTAL    10

struct retry_criterion {
    enum retry_failure failure_type;
    int32_t retries; /* MinNumberOfRetries */
};

struct retry_config {
    size_t n;
    struct retry_criterion c[RETRY_MAX_CRITERIA];
};

/** Retries already made for one thing, by the failure type that caused them. */
struct retry_counts {
    int32_t after_failed;    /* retries queued because an attempt FAILED */
    int32_t after_timed_out; /* retries queued because an attempt TIMED_OUT */
};

/** Wire name ("FAILED", "TIMED_OUT", "ALL"). */
const char *retry_failure_name(enum retry_failure f);

/** Parse a wire name; -1 if unknown. */
int retry_failure_parse(const char *s, enum retry_failure *out);

/**
 * Check a criteria list (n may be 0..2 here; the caller reports a longer list): each type once,
 * retries 0..10, sum <= 10. Messages name the criterion index, e.g.
 * "RetryConfigCriteria[1].FailureType FAILED appears more than once".
 */
int retry_config_validate(const struct retry_config *cfg, struct oerr *err);

/** 1 if an attempt that ended with status `ended` may be retried given the counts so far. */
int retry_allowed(const struct retry_config *cfg, enum execution_status ended,
                  const struct retry_counts *counts);

/** Account one retry caused by `ended` (FAILED or TIMED_OUT) in *counts. */
void retry_count(struct retry_counts *counts, enum execution_status ended);

#endif
