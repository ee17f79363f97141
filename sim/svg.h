/*
 * svg: the --svg chart of a rollout run, a self-contained SVG 1.1 document (no scripts, no
 * external resources): executions by status as stacked areas against time on the left axis,
 * the rollout rate as a step line on the right axis, shaded bands and edge lines where
 * maintenance windows were open, a vertical marker at the abort, a title with the scenario's key
 * figures and a legend. Each series is a group with an id ("series-succeeded", ...,
 * "rate-line", "axis-x", "axis-y", "axis-rate", "legend", "abort-marker", "windows") so tests and
 * people can find them.
 */
#ifndef OTAD_SIM_SVG_H
#define OTAD_SIM_SVG_H

#include <stdio.h>

#include "engine/oerr.h"
#include "sim/rollout.h"
#include "sim/scenario.h"

/**
 * Write the chart of r to out under title (NULL: "Rollout simulation: <scenario name>").
 * -1 with OERR_INTERNAL if it cannot be written.
 */
int svg_write(FILE *out, const struct scenario *sc, const struct rollout_result *r,
              const char *title, struct oerr *err);

#endif
