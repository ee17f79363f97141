/*
 * routes: the route table. Rows are grouped by surface; see reference/wire.md section 6.0.
 */
#include "api/routes.h"

#include "api/configs.h"
#include "api/health.h"

const struct route api_routes[] = {
    /* internal */
    {"GET", "/healthz", "Healthz", API_SVC_INTERNAL, health_live},
    {"GET", "/readyz", "Readyz", API_SVC_INTERNAL, health_ready},
    {"GET", "/metrics", "Metrics", API_SVC_INTERNAL, health_metrics},

    /* Managed integrations: OTA task configurations */
    {"POST", "/ota-task-configurations", "CreateOtaTaskConfiguration", API_SVC_MI, configs_create},
    {"GET", "/ota-task-configurations/{Identifier}", "GetOtaTaskConfiguration", API_SVC_MI,
     configs_get},
    {"GET", "/ota-task-configurations", "ListOtaTaskConfigurations", API_SVC_MI, configs_list},
    {"DELETE", "/ota-task-configurations/{Identifier}", "DeleteOtaTaskConfiguration", API_SVC_MI,
     configs_delete},
};

const size_t api_nroutes = sizeof api_routes / sizeof api_routes[0];
