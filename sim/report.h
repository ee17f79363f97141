/*
 * report: what `otasim rollout` prints about a run: the human summary, the --json object and
 * the --timeline CSV (sim/README.md documents every field and column). Times are seconds after
 * the scenario's start. Everything but wall-clock figures is a function of the scenario alone,
 * so two runs of one scenario print the same JSON apart from "wall_s" (and "bench").
 */
#ifndef OTAD_SIM_REPORT_H
#define OTAD_SIM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "sim/rollout.h"
#include "sim/scenario.h"

/** Wall-clock and process figures of a run (--bench). */
struct report_bench {
    double wall_s;        /* the whole command: parsing, set-up, rollout */
    int64_t peak_rss_kib; /* getrusage ru_maxrss */
};

/** The human summary. */
void report_summary(FILE *out, const struct scenario *sc, const struct rollout_result *r,
                    double wall_s);

/** The --bench figures, for people. */
void report_bench(FILE *out, const struct rollout_result *r, const struct report_bench *b);

/** Add a run's outcome to the JSON object o (task status, end, abort, counts by status,
 *  attempts, notified, retries, first/last queued, final and end times, stages, rate steps):
 *  the members otasim rollout --json and otasim load --json share. */
void report_json_outcome(cJSON *o, const struct rollout_result *r);

/**
 * The --json object, one line plus a newline; bench (may be NULL) adds a "bench" member.
 * -1 with OERR_INTERNAL if the output cannot be written.
 */
int report_json(FILE *out, const struct scenario *sc, const struct rollout_result *r, double wall_s,
                const struct report_bench *bench, struct oerr *err);

/** The --timeline CSV: a header, then one row per minute. -1 if it cannot be written. */
int report_timeline_csv(FILE *out, const struct rollout_result *r, struct oerr *err);

/** Write "+1h02m03s" (or "+14m55.5s", "+0s") for ms into buf; returns buf. */
char *report_duration(int64_t ms, char *buf, size_t len);

#endif
