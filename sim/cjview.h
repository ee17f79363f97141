/*
 * cjview: cJSON values read through engine/jsonview.h, so that the simulator validates its
 * scenario files (PushConfig, OtaSchedulingConfig, retry criteria, and its own members) with
 * the engine's getters and messages. Nothing else of cJSON leaks out of here.
 */
#ifndef OTAD_SIM_CJVIEW_H
#define OTAD_SIM_CJVIEW_H

#include "engine/jsonview.h"

struct cJSON;

/** A view of item (borrowed; valid while the cJSON document lives). NULL = absent. */
struct jview cjview_of(const struct cJSON *item);

/**
 * Scenario files reject members they do not know (a typo must not silently change a
 * simulation): -1 with OERR_INVALID ("fleet.groups[0].acept_delay_s is not a known member")
 * unless every member of object obj is in the NULL-terminated names or starts with '_' (free
 * for comments). Members of the API bodies embedded in a scenario are not checked this way:
 * the API ignores unknown members, and so does the simulator there.
 */
int cjview_known_members(const struct jview *obj, const char *prefix, const char *const *names,
                         struct oerr *err);

#endif
