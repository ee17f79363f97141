/*
 * settings: service-wide values recorded once in PostgreSQL so that every otad process (and
 * every restart) agrees on them. Blocking libpq; start-up only.
 */
#ifndef OTAD_STORE_SETTINGS_H
#define OTAD_STORE_SETTINGS_H

#include <stdint.h>

#include "engine/oerr.h"

/**
 * The origin of the scaled clock: the value recorded in the database, or real_now_ms recorded
 * now if none was (the first process to run a scaled clock decides). *origin_ms in ms.
 */
int settings_clock_origin(const char *conninfo, int64_t real_now_ms, int64_t *origin_ms,
                          struct oerr *err);

#endif
