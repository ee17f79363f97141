/*
 * pushcfg: the PushConfig of an OTA task configuration as the API handles it: validated by
 * engine/otaspec.h (the rules), plus the normalised copy holding only the model's members
 * (what GetOtaTaskConfiguration echoes and what tasks snapshot).
 */
#ifndef OTAD_API_PUSHCFG_H
#define OTAD_API_PUSHCFG_H

#include <cjson/cJSON.h>

#include "engine/oerr.h"
#include "engine/otaspec.h"

/**
 * Validate the PushConfig object push (path prefix e.g. "PushConfig"; NULL = none) into *out;
 * with normalized non-NULL, *normalized receives a new cJSON (caller deletes; NULL when push is
 * NULL) with only the model's members.
 */
int pushcfg_parse(const cJSON *push, const char *prefix, struct otaspec_push *out,
                  cJSON **normalized, struct oerr *err);

#endif
