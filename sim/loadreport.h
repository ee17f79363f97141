/*
 * loadreport: what `otasim load` prints (sim/README.md documents every field): the human
 * summary and the --json object of a live run (the summary fields of `otasim rollout --json`
 * where they apply, so that live and simulated results compare field by field, plus the
 * requests, latencies, errors and the consistency check), and the same two forms for the
 * update benchmark. A run that failed part-way still reports its requests and errors.
 */
#ifndef OTAD_SIM_LOADREPORT_H
#define OTAD_SIM_LOADREPORT_H

#include <stdio.h>

#include "engine/oerr.h"
#include "sim/load.h"
#include "sim/loadbench.h"
#include "sim/scenario.h"

/** What the reports say about where the run went. */
struct loadreport_info {
    const char *endpoint;
    double time_scale;
    int signed_requests; /* requests were SigV4-signed */
    double wall_s;
    const char *error; /* NULL: the run completed; else why it stopped */
};

/** The human summary of a live run. */
void loadreport_summary(FILE *out, const struct scenario *sc, const struct load_result *r,
                        const struct loadreport_info *info);

/** The --json object of a live run, one line. -1 with OERR_INTERNAL if it cannot be written. */
int loadreport_json(FILE *out, const struct scenario *sc, const struct load_result *r,
                    const struct loadreport_info *info, struct oerr *err);

/** The human summary of the update benchmark. */
void loadreport_bench_summary(FILE *out, const struct loadbench_result *r,
                              const struct loadreport_info *info);

/** The --json object of the update benchmark, one line. */
int loadreport_bench_json(FILE *out, const struct loadbench_result *r,
                          const struct loadreport_info *info, struct oerr *err);

#endif
