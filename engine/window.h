/*
 * window: a set of recurring maintenance windows (SPEC.md section 7). Each window is a cron
 * start expression and a duration of 1..1430 minutes; occurrences of all windows are merged
 * where they overlap or touch, so "open" means "inside the union". An empty set means "always
 * open".
 */
#ifndef OTAD_ENGINE_WINDOW_H
#define OTAD_ENGINE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "engine/oerr.h"

/** How far ahead window_set_at() searches for the next opening (and for the end of a merged run).
 */
#define WINDOW_HORIZON_MS (INT64_C(400) * 24 * 3600 * 1000)

struct window_set;

/** A new empty set (always open). Free with window_set_free(). */
struct window_set *window_set_new(void);

/** Free the set; accepts NULL. */
void window_set_free(struct window_set *w);

/**
 * Add a window; cron_expr per cron.h, duration_min 1..1430. On error returns -1 with
 * OERR_INVALID and a message naming the problem, relative to the window object so that the
 * caller prefixes the field path ("MaintenanceWindows[0]."): "DurationInMinutes must be between
 * 1 and 1430", or "StartTime: " followed by the cron_parse() message.
 */
int window_set_add(struct window_set *w, const char *cron_expr, int64_t duration_min,
                   struct oerr *err);

/** Number of windows added. */
size_t window_set_count(const struct window_set *w);

/** The state of the set at one instant. */
struct window_state {
    int open;      /* 1 if t is inside a (merged) window, or the set is empty */
    int64_t until; /* open: end of the merged window containing t (exclusive), or -1 if it
                      does not end within WINDOW_HORIZON_MS (or the set is empty);
                      closed: start of the next window, or -1 if none within the horizon */
};

/** Evaluate the set at t. */
void window_set_at(const struct window_set *w, int64_t t, struct window_state *out);

#endif
