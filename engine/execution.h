/*
 * execution: the execution state machine of SPEC.md section 2, the device-request rules of
 * the Jobs data plane (requested status, statusDetails, step timers) and the deadline of an
 * IN_PROGRESS execution (section 6). Every legality decision about an execution's status is
 * made here, including the set of from-states that the store's batched UPDATE accepts.
 */
#ifndef OTAD_ENGINE_EXECUTION_H
#define OTAD_ENGINE_EXECUTION_H

#include <stddef.h>
#include <stdint.h>

#include "engine/oerr.h"

enum execution_status {
    EXECUTION_PLANNED = 0, /* internal: a target not yet reached by the rollout */
    EXECUTION_QUEUED,
    EXECUTION_IN_PROGRESS,
    EXECUTION_SUCCEEDED,
    EXECUTION_FAILED,
    EXECUTION_TIMED_OUT,
    EXECUTION_REJECTED,
    EXECUTION_REMOVED,
    EXECUTION_CANCELED,
    EXECUTION_STATUS_MAX
};

/** Who asks for a transition. */
enum execution_actor {
    EXECUTION_ACTOR_DEVICE = 0, /* Jobs data plane */
    EXECUTION_ACTOR_SCHEDULER,  /* rollout, timeouts, abort, end behaviour, membership */
    EXECUTION_ACTOR_USER,       /* task cancel/delete through the API */
    EXECUTION_ACTOR_MAX
};

/** Wire name ("QUEUED"...; "PLANNED" for the internal state). */
const char *execution_status_name(enum execution_status s);

/** Parse a wire name (exact, uppercase); -1 if unknown. PLANNED is not accepted. */
int execution_status_parse(const char *s, enum execution_status *out);

/** 1 if s is terminal (everything but PLANNED, QUEUED, IN_PROGRESS). */
int execution_is_terminal(enum execution_status s);

/** 1 if the transition from -> to is legal for actor; force = FORCE_CANCEL of IN_PROGRESS. */
int execution_transition_legal(enum execution_status from, enum execution_status to,
                               enum execution_actor actor, int force);

/**
 * Bitmask (1u << status) of the from-states from which a device may move an execution to the
 * requested status `to` (IN_PROGRESS: QUEUED and IN_PROGRESS; terminal device statuses: QUEUED
 * and IN_PROGRESS). 0 if a device may never request `to`.
 */
unsigned execution_device_from_mask(enum execution_status to);

/**
 * Check a device's requested status: only IN_PROGRESS, SUCCEEDED, FAILED, REJECTED;
 * otherwise -1 with OERR_INVALID ("status QUEUED cannot be set by a device").
 */
int execution_check_device_status(enum execution_status requested, struct oerr *err);

/** Limits on statusDetails (SPEC.md section 2). */
#define EXECUTION_DETAILS_MAX_PAIRS 10
#define EXECUTION_DETAILS_KEY_MAX   128
#define EXECUTION_DETAILS_VALUE_MAX 1024

/**
 * Check statusDetails given as n key/value pairs (UTF-8): at most 10 pairs, key 1..128 chars
 * of [a-zA-Z0-9:_-], value 1..1024 characters (code points) with no control characters.
 * -1 with OERR_INVALID naming the offending key ("statusDetails.k: value longer than 1024").
 */
int execution_check_status_details(const char *const *keys, const char *const *values, size_t n,
                                   struct oerr *err);

/**
 * Check a stepTimeoutInMinutes: 1..10080, or -1 when allow_clear (UpdateJobExecution only).
 * -1 with OERR_INVALID otherwise.
 */
int execution_check_step_timeout(int64_t minutes, int allow_clear, struct oerr *err);

/**
 * Deadline of an IN_PROGRESS execution: min(started_at + in_progress_timeout,
 * step_set_at + step_timeout), each term only when its timeout is > 0 (ms) and its start is
 * >= 0; -1 when neither applies.
 */
int64_t execution_deadline(int64_t started_at, int64_t in_progress_timeout_ms, int64_t step_set_at,
                           int64_t step_timeout_ms);

#endif
