/*
 * abort: the abort criteria of SPEC.md section 5, evaluated against the terminal counts of a
 * task's executions.
 */
#ifndef OTAD_ENGINE_ABORT_H
#define OTAD_ENGINE_ABORT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/oerr.h"

enum abort_failure {
    ABORT_FAILED = 0,
    ABORT_REJECTED,
    ABORT_TIMED_OUT,
    ABORT_ALL, /* FAILED + REJECTED + TIMED_OUT */
    ABORT_FAILURE_MAX
};

struct abort_criterion {
    enum abort_failure failure_type;
    int64_t min_executed; /* MinNumberOfExecutedThings, 1..100 */
    double threshold_pct; /* ThresholdPercentage, 0..100 */
};

/** Terminal execution counts of a task (every attempt counts, as AWS does). */
struct abort_counts {
    int64_t terminal; /* all terminal executions: SUCCEEDED + FAILED + TIMED_OUT + REJECTED +
                         REMOVED + CANCELED */
    int64_t failed;
    int64_t rejected;
    int64_t timed_out;
};

/** Wire name of a failure type ("FAILED", ..., "ALL"). */
const char *abort_failure_name(enum abort_failure f);

/** Parse a wire name; -1 if unknown. */
int abort_failure_parse(const char *s, enum abort_failure *out);

/** Check one criterion's ranges; the message names the member (caller prefixes the path). */
int abort_criterion_validate(const struct abort_criterion *c, struct oerr *err);

/**
 * Evaluate the criteria in list order: the index of the first that fires, or -1. A criterion
 * is considered only once counts->terminal >= min_executed; it fires when
 * 100 * (executions of its type) / terminal >= threshold_pct.
 */
int abort_check(const struct abort_criterion *list, size_t n, const struct abort_counts *counts);

/**
 * The comment recorded with reason code ABORT_CRITERIA_MET, e.g.
 * "abort criterion 1 met: FAILED 30.00% >= 20.00% after 50 executions".
 * Returns buf.
 */
char *abort_describe(const struct abort_criterion *c, size_t index,
                     const struct abort_counts *counts, char *buf, size_t len);

#define ABORT_REASON_CODE "ABORT_CRITERIA_MET"

#endif
