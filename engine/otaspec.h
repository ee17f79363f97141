/*
 * otaspec: the rules of the OTA request bodies (SPEC.md sections 4-8, reference/wire.md 6.1),
 * read through engine/jsonview.h so that the API (cJSON requests) and the simulator (cJSON
 * scenario files) validate them with the same code and the same messages:
 *
 *   PushConfig                   (CreateOtaTaskConfiguration)
 *   OtaSchedulingConfig          (CreateOtaTask)
 *   OtaTaskExecutionRetryConfig  (CreateOtaTask)
 *
 * Where the model leaves members optional that the behaviour cannot do without, SPEC.md
 * decides: an abort criterion needs FailureType and ThresholdPercentage (Action defaults to
 * CANCEL, MinNumberOfExecutedThings to 1); an ExponentialRolloutRate needs BaseRatePerMinute,
 * IncrementFactor and at least one RateIncreaseCriteria member.
 */
#ifndef OTAD_ENGINE_OTASPEC_H
#define OTAD_ENGINE_OTASPEC_H

#include <stddef.h>
#include <stdint.h>

#include "engine/abort.h"
#include "engine/jsonview.h"
#include "engine/oerr.h"
#include "engine/retry.h"
#include "engine/rollout.h"
#include "engine/task.h"
#include "engine/window.h"

#define OTASPEC_MAX_ABORT   16
#define OTASPEC_MAX_WINDOWS 64

/** A PushConfig: what the scheduler needs of a task configuration. */
struct otaspec_push {
    struct rollout_config rollout; /* ceiling and batching left at their defaults */
    size_t n_abort;
    struct abort_criterion abort[OTASPEC_MAX_ABORT];
    int64_t in_progress_timeout_min; /* 0 = none */
};

/** Validate PushConfig push (may be absent: defaults) at path prefix ("PushConfig"). */
int otaspec_push(const struct jview *push, const char *prefix, struct otaspec_push *out,
                 struct oerr *err);

/** A maintenance window as given (strings borrowed from the JSON document). */
struct otaspec_window {
    const char *cron;
    int64_t duration_min;
};

/** An OtaSchedulingConfig. */
struct otaspec_schedule {
    struct task_schedule schedule; /* schedule.windows points at `windows` */
    int has_end_behavior;
    size_t n_windows;
    struct otaspec_window window[OTASPEC_MAX_WINDOWS];
    struct window_set *windows; /* owned; NULL when there are no windows */
};

/**
 * Validate OtaSchedulingConfig sched (may be absent: start now, no end, no windows) at prefix
 * ("OtaSchedulingConfig") as of now: times parse as RFC 3339 / "YYYY-MM-DD HH:MM", windows
 * parse as cron with DurationInMinutes 1..1430, EndTime after StartTime and after now. Free
 * with otaspec_schedule_free().
 */
int otaspec_schedule(const struct jview *sched, const char *prefix, int64_t now,
                     struct otaspec_schedule *out, struct oerr *err);

/** Free what otaspec_schedule() allocated; accepts a zeroed struct. */
void otaspec_schedule_free(struct otaspec_schedule *s);

/** Validate OtaTaskExecutionRetryConfig retry (may be absent: no retries) at prefix. */
int otaspec_retry(const struct jview *retry, const char *prefix, struct retry_config *out,
                  struct oerr *err);

#endif
