/*
 * task: the vocabulary of tasks (statuses, OTA types, end behaviours), the validation of an
 * OtaSchedulingConfig at creation time and the status a task is created with (SPEC.md
 * sections 3 and 7). Maintenance windows are evaluated by engine/window.c.
 */
#include "engine/task.h"

#include <string.h>

#include "engine/oerr.h"
#include "engine/window.h"

static const char *const status_names[TASK_STATUS_MAX] = {
    [TASK_SCHEDULED] = "SCHEDULED",
    [TASK_IN_PROGRESS] = "IN_PROGRESS",
    [TASK_COMPLETED] = "COMPLETED",
    [TASK_CANCELED] = "CANCELED",
    [TASK_DELETION_IN_PROGRESS] = "DELETION_IN_PROGRESS",
};

static const char *const type_names[TASK_TYPE_MAX] = {
    [TASK_ONE_TIME] = "ONE_TIME",
    [TASK_CONTINUOUS] = "CONTINUOUS",
};

static const char *const end_names[TASK_END_BEHAVIOR_MAX] = {
    [TASK_END_STOP_ROLLOUT] = "STOP_ROLLOUT",
    [TASK_END_CANCEL] = "CANCEL",
    [TASK_END_FORCE_CANCEL] = "FORCE_CANCEL",
};

/* Index of s in names[0..n), or -1. */
static int lookup(const char *const *names, int n, const char *s)
{
    if (s == NULL)
        return -1;
    for (int i = 0; i < n; i++) {
        if (strcmp(s, names[i]) == 0)
            return i;
    }
    return -1;
}

const char *task_status_name(enum task_status s)
{
    return (unsigned)s < TASK_STATUS_MAX ? status_names[s] : "UNKNOWN";
}

const char *task_type_name(enum task_type t)
{
    return (unsigned)t < TASK_TYPE_MAX ? type_names[t] : "UNKNOWN";
}

const char *task_end_behavior_name(enum task_end_behavior b)
{
    return (unsigned)b < TASK_END_BEHAVIOR_MAX ? end_names[b] : "UNKNOWN";
}

int task_status_parse(const char *s, enum task_status *out)
{
    int i = lookup(status_names, TASK_STATUS_MAX, s);
    if (i < 0)
        return -1;
    *out = (enum task_status)i;
    return 0;
}

int task_type_parse(const char *s, enum task_type *out)
{
    int i = lookup(type_names, TASK_TYPE_MAX, s);
    if (i < 0 && s != NULL && strcmp(s, "SNAPSHOT") == 0)
        i = TASK_ONE_TIME;
    if (i < 0)
        return -1;
    *out = (enum task_type)i;
    return 0;
}

int task_end_behavior_parse(const char *s, enum task_end_behavior *out)
{
    int i = lookup(end_names, TASK_END_BEHAVIOR_MAX, s);
    if (i < 0)
        return -1;
    *out = (enum task_end_behavior)i;
    return 0;
}

int task_is_final(enum task_status s)
{
    return s == TASK_COMPLETED || s == TASK_CANCELED;
}

void task_schedule_default(struct task_schedule *s)
{
    s->start_at = -1;
    s->end_at = -1;
    s->end_behavior = TASK_END_STOP_ROLLOUT;
    s->windows = NULL;
}

int task_schedule_validate(const struct task_schedule *s, int64_t now, struct oerr *err)
{
    if ((unsigned)s->end_behavior >= TASK_END_BEHAVIOR_MAX)
        return oerr_set(err, OERR_INVALID,
                        "OtaSchedulingConfig.EndBehavior must be one of STOP_ROLLOUT, CANCEL, "
                        "FORCE_CANCEL");
    if (s->end_at < 0)
        return 0;
    if (s->start_at >= 0 && s->end_at <= s->start_at)
        return oerr_set(err, OERR_INVALID, "OtaSchedulingConfig.EndTime must be after StartTime");
    if (s->end_at <= now)
        return oerr_set(err, OERR_INVALID, "OtaSchedulingConfig.EndTime must be in the future");
    return 0;
}

enum task_status task_initial_status(enum task_type type, const struct task_schedule *s,
                                     int64_t n_targets, int64_t now)
{
    if (type == TASK_ONE_TIME && n_targets <= 0)
        return TASK_COMPLETED;
    if (s == NULL)
        return TASK_IN_PROGRESS;
    if (s->start_at > now)
        return TASK_SCHEDULED;
    if (s->windows != NULL && window_set_count(s->windows) > 0) {
        struct window_state ws;
        window_set_at(s->windows, now, &ws);
        if (!ws.open)
            return TASK_SCHEDULED;
    }
    return TASK_IN_PROGRESS;
}
