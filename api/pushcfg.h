/*
 * pushcfg: the PushConfig of an OTA task configuration (AbortConfig, RolloutConfig,
 * TimeoutConfig): full validation with field paths, a normalised copy holding only the model's
 * members (what GetOtaTaskConfiguration echoes), and the engine's view of it.
 */
#ifndef OTAD_API_PUSHCFG_H
#define OTAD_API_PUSHCFG_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "engine/abort.h"
#include "engine/oerr.h"
#include "engine/rollout.h"

#define PUSHCFG_MAX_ABORT 16

struct pushcfg {
    struct rollout_config rollout; /* ceiling left at the default */
    size_t n_abort;
    struct abort_criterion abort[PUSHCFG_MAX_ABORT];
    int64_t in_progress_timeout_min; /* 0 = none */
};

/**
 * Validate the PushConfig object push (path prefix e.g. "PushConfig") and fill *out; with
 * normalized non-NULL, *normalized receives a new cJSON (caller deletes) with only the model's
 * members. push may be NULL (no PushConfig): defaults.
 */
int pushcfg_parse(const cJSON *push, const char *prefix, struct pushcfg *out, cJSON **normalized,
                  struct oerr *err);

#endif
