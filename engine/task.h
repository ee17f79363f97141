/*
 * task: the task state machine and scheduling configuration of SPEC.md sections 3 and 7:
 * statuses, OTA types, end behaviours, the OtaSchedulingConfig (start, end, end behaviour,
 * maintenance windows) with its validation, and the status a task has when it is created.
 * The per-instant decisions (what to do now) are the planner's; this module holds the
 * vocabulary and the configuration rules.
 */
#ifndef OTAD_ENGINE_TASK_H
#define OTAD_ENGINE_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "engine/oerr.h"
#include "engine/window.h"

enum task_status {
    TASK_SCHEDULED = 0,
    TASK_IN_PROGRESS,
    TASK_COMPLETED,
    TASK_CANCELED,
    TASK_DELETION_IN_PROGRESS,
    TASK_STATUS_MAX
};

enum task_type { TASK_ONE_TIME = 0, TASK_CONTINUOUS, TASK_TYPE_MAX };

enum task_end_behavior {
    TASK_END_STOP_ROLLOUT = 0,
    TASK_END_CANCEL,
    TASK_END_FORCE_CANCEL,
    TASK_END_BEHAVIOR_MAX
};

/** Wire names: "SCHEDULED", ...; "ONE_TIME", "CONTINUOUS"; "STOP_ROLLOUT", ... */
const char *task_status_name(enum task_status s);
const char *task_type_name(enum task_type t);
const char *task_end_behavior_name(enum task_end_behavior b);

/** Parse wire names (exact); -1 if unknown. task_type_parse also accepts "SNAPSHOT" (=
 *  ONE_TIME) for the IoT surface. */
int task_status_parse(const char *s, enum task_status *out);
int task_type_parse(const char *s, enum task_type *out);
int task_end_behavior_parse(const char *s, enum task_end_behavior *out);

/** 1 for COMPLETED and CANCELED (no more rollout; IN_PROGRESS executions may still finish). */
int task_is_final(enum task_status s);

/** A task's schedule. windows is borrowed (may be NULL = always open). */
struct task_schedule {
    int64_t start_at; /* ms, -1 (any negative) = none (start now) */
    int64_t end_at;   /* ms, -1 (any negative) = none */
    enum task_end_behavior end_behavior;
    const struct window_set *windows;
};

/** A schedule with no start, no end, STOP_ROLLOUT and no windows. */
void task_schedule_default(struct task_schedule *s);

/**
 * Check a schedule at creation time now: EndTime must be after StartTime (when both given)
 * and after now, else -1 with OERR_INVALID ("OtaSchedulingConfig.EndTime must be after
 * StartTime"). A StartTime in the past is allowed (it means now).
 */
int task_schedule_validate(const struct task_schedule *s, int64_t now, struct oerr *err);

/**
 * The status of a task created at now with n_targets initial targets: COMPLETED for a
 * ONE_TIME task with no targets; SCHEDULED when the start is in the future or windows exist
 * and none is open; IN_PROGRESS otherwise.
 */
enum task_status task_initial_status(enum task_type type, const struct task_schedule *s,
                                     int64_t n_targets, int64_t now);

#endif
