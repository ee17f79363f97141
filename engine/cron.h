/*
 * cron: the AWS six-field cron grammar of SPEC.md section 7, evaluated in UTC at minute
 * resolution.
 *
 *   [cron(] minutes hours day-of-month month day-of-week year [)]
 *
 *   minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or
 *   SUN-SAT (1 = SUN), year 1970-2199. Every field takes '*', single values, lists 'a,b',
 *   ranges 'a-b', and steps '*'/'a'/'a-b' followed by '/n'. Day-of-month also takes 'L' (last
 *   day), 'L-n' (n days before the last day), 'nW' (weekday nearest day n, within the month) and
 *   'LW' (last weekday). Day-of-week also takes 'nL' (last weekday n of the month) and 'n#k'
 *   (k-th weekday n, k 1..5). '?' means "no constraint" and is required in exactly one of
 *   day-of-month and day-of-week (the other must not be '?'). Names are case-insensitive.
 *
 * Ranges 'a-b' with a > b wrap around in minutes, hours, month and day-of-week ('FRI-MON',
 * '22-2'); 'L' alone in day-of-week is Saturday, the last day of the week. An 'nW' whose day n
 * does not exist in a month (31W in April) does not fire in that month.
 *
 * Parse errors name the field and the offending character with its 1-based position in the
 * expression as given ("cron(" prefix included), as target-query errors do:
 *   "cron(0 0 ? * 8 *)" -> "day-of-week: '8' at position 14 is out of range 1-7".
 */
#ifndef OTAD_ENGINE_CRON_H
#define OTAD_ENGINE_CRON_H

#include <stdint.h>

#include "engine/oerr.h"

/** The range of the year field; no expression fires outside it. */
#define CRON_YEAR_MIN 1970
#define CRON_YEAR_MAX 2199

struct cron;

/** Parse expr; NULL with OERR_INVALID and a precise message on error. Free with cron_free(). */
struct cron *cron_parse(const char *expr, struct oerr *err);

/** Free a parsed expression; accepts NULL. */
void cron_free(struct cron *c);

/**
 * The earliest occurrence at or after t (ms since epoch; occurrences are whole minutes, so a t
 * inside a minute yields the next whole minute at the earliest), or -1 if there is none (the
 * year field is exhausted).
 */
int64_t cron_next(const struct cron *c, int64_t t);

/** The latest occurrence at or before t, or -1 if there is none. */
int64_t cron_prev(const struct cron *c, int64_t t);

/**
 * The first instant at or after t not inside [s, s + dur_min minutes) for any occurrence s:
 * t itself when t is not covered, else the end of the run of overlapping or touching
 * occurrences covering t; -1 if that end is later than limit. Skips whole hours, days and
 * months the pattern proves continuous, so an endless run costs a few steps per month.
 */
int64_t cron_cover_end(const struct cron *c, int64_t t, int64_t dur_min, int64_t limit);

/**
 * The period of the occurrences in days within the year range: 1 if every day has the same
 * occurrences (any day, any month, any year), 7 if only the weekday matters (plain
 * day-of-week values, any month, any year), 0 otherwise.
 */
int cron_period_days(const struct cron *c);

#endif
