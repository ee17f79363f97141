/*
 * fleet: the simulated devices of a scenario (the `fleet` member of a scenario file): how many,
 * their names and MetaData, and how each behaves on each attempt of a job. Everything about
 * device i is a pure function of (fleet description, seed, i): nothing is drawn from a shared
 * stream, so a rollout simulation, a live load test and a test that predicts an outcome all
 * agree on what device i does, in any order and on any number of threads.
 *
 * Randomness: a counter-based generator. Draw number `attempt` of stream `stream` for device i
 * is u = splitmix64(splitmix64(seed ^ i * 0x9E3779B97F4A7C15) ^ (stream << 32 | attempt) *
 * 0xD1B54A32D192ED03), mapped to (0, 1) by its top 53 bits.
 *
 * Groups: shares are rounded to exact device counts by largest remainder (ties to the earlier
 * group), and devices are dealt to groups through a seeded pseudo-random permutation of the
 * indices (a Feistel network with cycle walking): device i belongs to group g when perm(i) lies
 * in g's range of the cumulative counts. So every group holds exactly its count and members are
 * spread evenly over the index range rather than in blocks.
 */
#ifndef OTAD_SIM_FLEET_H
#define OTAD_SIM_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "engine/jsonview.h"
#include "engine/oerr.h"

/** Largest fleet a scenario may describe. */
#define FLEET_MAX_COUNT INT64_C(10000000)
/** Longest device name (a managed thing id is at most 64 bytes). */
#define FLEET_NAME_MAX 64
/** Longest MetaData value (the model's limit). */
#define FLEET_META_VALUE_MAX 800
/** Most MetaData entries per thing (the model's limit). */
#define FLEET_META_MAX 50

/** What a device does with a job. */
enum fleet_outcome {
    FLEET_SUCCEEDED = 0, /* starts, works for duration_s, reports SUCCEEDED */
    FLEET_FAILED,        /* starts, works for duration_s, reports FAILED */
    FLEET_REJECTED,      /* after accept_delay_s reports REJECTED without starting */
    FLEET_SILENT,        /* starts, then never reports: the execution times out */
    FLEET_OFFLINE,       /* never picks the job up: it stays QUEUED */
    FLEET_OUTCOME_MAX
};

/** How a device learns of its jobs (load mode; the rollout simulation treats both alike). */
enum fleet_discovery { FLEET_NOTIFY = 0, FLEET_POLL, FLEET_DISCOVERY_MAX };

enum fleet_dist_kind { FLEET_DIST_FIXED = 0, FLEET_DIST_UNIFORM, FLEET_DIST_LOGNORMAL };

/** A distribution of seconds: fixed a; uniform on [a, b]; lognormal with median a, p90 b. */
struct fleet_dist {
    enum fleet_dist_kind kind;
    double a, b;
};

/** A behaviour group, as parsed (strings owned by the fleet). */
struct fleet_group {
    const char *name; /* the group's "name", or "groups[i]" */
    double share;
    int64_t count; /* devices in the group: exact, from the shares */
    enum fleet_outcome outcome;
    struct fleet_dist accept_delay;
    struct fleet_dist duration;
    int64_t recover_after_attempts; /* 0 = never; else attempts 1..n misbehave, then success */
    int64_t step_timeout_min;       /* 0 = none; else set when the device starts */
    enum fleet_discovery discovery;
};

/** What one device does on one attempt (execution number) of a job. */
struct fleet_attempt {
    size_t group;
    enum fleet_outcome outcome; /* never FLEET_OFFLINE unless the group is OFFLINE */
    int64_t accept_delay_ms;    /* from notification to start (or to REJECTED) */
    int64_t duration_ms;        /* from start to the report */
    int64_t step_timeout_min;   /* 0 = none */
};

struct fleet;

/**
 * Parse and validate the fleet object obj at path prefix ("fleet") with the scenario's seed.
 * -1 with OERR_INVALID and a message naming the field path. Free with fleet_free().
 */
int fleet_parse(const struct jview *obj, const char *prefix, uint64_t seed, struct fleet **out,
                struct oerr *err);

/** Free; accepts NULL. */
void fleet_free(struct fleet *f);

/** Change the number of devices (1..FLEET_MAX_COUNT): group counts are recomputed. */
int fleet_resize(struct fleet *f, int64_t count, struct oerr *err);

/** Number of devices. */
int64_t fleet_count(const struct fleet *f);

/** The seed the fleet was parsed with. */
uint64_t fleet_seed(const struct fleet *f);

/** Number of behaviour groups (>= 1). */
size_t fleet_group_count(const struct fleet *f);

/** Group g (borrowed, valid while f lives). */
const struct fleet_group *fleet_group(const struct fleet *f, size_t g);

/** The group of device index (0 <= index < count). */
size_t fleet_group_of(const struct fleet *f, int64_t index);

/**
 * The name (and managed-thing id) of device index: name_prefix followed by the index
 * zero-padded to the width of count - 1. Returns its length, or -1 if len is too small
 * (FLEET_NAME_MAX + 1 always suffices).
 */
int fleet_name(const struct fleet *f, int64_t index, char *buf, size_t len);

/** The index of the device called name; -1 if no device of the fleet has that name. */
int fleet_index_of(const struct fleet *f, const char *name, int64_t *index);

/** Number of MetaData keys every device has (0..FLEET_META_MAX). */
size_t fleet_meta_count(const struct fleet *f);

/** MetaData key k (borrowed). */
const char *fleet_meta_key(const struct fleet *f, size_t k);

/**
 * The value of MetaData key k for device index, written to buf (FLEET_META_VALUE_MAX + 1
 * bytes always suffice). Returns its length, or -1 if len is too small.
 */
int fleet_meta_value(const struct fleet *f, int64_t index, size_t k, char *buf, size_t len);

/** What device index does on attempt (the execution number, 1 for the first). */
void fleet_attempt(const struct fleet *f, int64_t index, uint32_t attempt,
                   struct fleet_attempt *out);

/** Draw `attempt` of `stream` for device index, uniform on (0, 1) (the generator above). */
double fleet_uniform(uint64_t seed, int64_t index, uint32_t stream, uint32_t attempt);

/** A sample of d (seconds, >= 0) at the uniform quantile u in (0, 1). */
double fleet_dist_sample(const struct fleet_dist *d, double u);

/** Wire-style name of an outcome ("SUCCEEDED", ..., "OFFLINE"). */
const char *fleet_outcome_name(enum fleet_outcome o);

#endif
