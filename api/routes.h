/*
 * routes: the route table: every operation of every surface, its method, path template,
 * operation name, surface and handler (DESIGN.md section 7: a new endpoint is a handler plus
 * its row here).
 */
#ifndef OTAD_API_ROUTES_H
#define OTAD_API_ROUTES_H

#include <stddef.h>

#include "api/router.h"

extern const struct route api_routes[];
extern const size_t api_nroutes;

#endif
