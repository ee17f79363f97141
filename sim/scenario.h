/*
 * scenario: an otasim scenario file (sim/README.md documents the format): the seed, the start
 * instant, the service's rate ceiling, a CreateOtaTaskConfiguration body and a CreateOtaTask
 * body validated by the engine's own rules (engine/otaspec.h, engine/query.h, through
 * sim/cjview.h), and the fleet (sim/fleet.h). Every error names the field path
 * ("configuration.PushConfig.RolloutConfig.ExponentialRolloutRate.IncrementFactor must be
 * between 1.1 and 5") and is OERR_INVALID; a file that cannot be read is OERR_NOT_FOUND.
 *
 * The parsed file is kept (doc) so that live load mode can send the configuration and task
 * bodies to a server exactly as written.
 */
#ifndef OTAD_SIM_SCENARIO_H
#define OTAD_SIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "engine/oerr.h"
#include "engine/otaspec.h"
#include "engine/retry.h"
#include "engine/task.h"
#include "sim/fleet.h"

struct cJSON;

/** Largest scenario file read. */
#define SCENARIO_MAX_BYTES (16u << 20)
/** Largest seed (seeds are JSON numbers: integers are exact up to 2^53). */
#define SCENARIO_MAX_SEED INT64_C(9007199254740991)

/**
 * A parsed scenario: plain data, read-only for its users; everything it points to is owned by
 * it and released by scenario_free().
 */
struct scenario {
    char *name; /* the "name" member, or the file's base name without ".json" */
    uint64_t seed;
    int64_t start_ms;              /* "start": the simulation's time 0, ms since the epoch */
    double max_rate_per_minute;    /* service.max_rate_per_minute (OTAD_MAX_RATE_PER_MINUTE) */
    struct otaspec_push push;      /* configuration.PushConfig; rollout.ceiling set from above */
    enum task_type type;           /* task.OtaType */
    struct otaspec_schedule sched; /* task.OtaSchedulingConfig as of start (windows owned) */
    struct retry_config retry;     /* task.OtaTaskExecutionRetryConfig */
    const char *query;             /* task.OtaTargetQueryString (in doc); NULL = none */
    int64_t *targets;              /* devices named in task.Target, by index, in list order */
    size_t n_targets;
    int whole_fleet; /* neither Target nor OtaTargetQueryString: every device is a target */
    struct fleet *fleet;
    struct cJSON *doc; /* the whole file */
};

/** Read and parse the scenario file at path. Free with scenario_free(). */
int scenario_load(const char *path, struct scenario **out, struct oerr *err);

/** Parse scenario text; name is the fallback scenario name. Free with scenario_free(). */
int scenario_parse(const char *text, const char *name, struct scenario **out, struct oerr *err);

/** Free; accepts NULL. */
void scenario_free(struct scenario *sc);

/** Override the fleet's device count (otasim --devices); Target names are checked again. */
int scenario_resize(struct scenario *sc, int64_t count, struct oerr *err);

/** A top-level member of the file ("configuration", "task", ...), borrowed; NULL if
 *  absent. */
const struct cJSON *scenario_member(const struct scenario *sc, const char *name);

#endif
