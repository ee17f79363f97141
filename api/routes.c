/*
 * routes: the route table. Rows are grouped by surface; see reference/wire.md section 6.0.
 */
#include "api/routes.h"

#include "api/configs.h"
#include "api/destinations.h"
#include "api/health.h"
#include "api/jobs.h"
#include "api/notifications.h"
#include "api/tasks.h"
#include "api/things.h"

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

    /* Managed integrations: OTA tasks */
    {"POST", "/ota-tasks", "CreateOtaTask", API_SVC_MI, tasks_handle_create},
    {"GET", "/ota-tasks/{Identifier}", "GetOtaTask", API_SVC_MI, tasks_handle_get},
    {"GET", "/ota-tasks", "ListOtaTasks", API_SVC_MI, tasks_handle_list},
    {"PUT", "/ota-tasks/{Identifier}", "UpdateOtaTask", API_SVC_MI, tasks_handle_update},
    {"DELETE", "/ota-tasks/{Identifier}", "DeleteOtaTask", API_SVC_MI, tasks_handle_delete},
    {"GET", "/ota-tasks/{Identifier}/devices", "ListOtaTaskExecutions", API_SVC_MI,
     tasks_handle_executions},

    /* Managed integrations: managed things */
    {"POST", "/managed-things", "CreateManagedThing", API_SVC_MI, things_handle_create},
    {"GET", "/managed-things/{Identifier}", "GetManagedThing", API_SVC_MI, things_handle_get},
    {"GET", "/managed-things", "ListManagedThings", API_SVC_MI, things_handle_list},
    {"PUT", "/managed-things/{Identifier}", "UpdateManagedThing", API_SVC_MI, things_handle_update},
    {"DELETE", "/managed-things/{Identifier}", "DeleteManagedThing", API_SVC_MI,
     things_handle_delete},

    /* Managed integrations: destinations */
    {"POST", "/destinations", "CreateDestination", API_SVC_MI, destinations_handle_create},
    {"GET", "/destinations/{Name}", "GetDestination", API_SVC_MI, destinations_handle_get},
    {"GET", "/destinations", "ListDestinations", API_SVC_MI, destinations_handle_list},
    {"PUT", "/destinations/{Name}", "UpdateDestination", API_SVC_MI, destinations_handle_update},
    {"DELETE", "/destinations/{Name}", "DeleteDestination", API_SVC_MI, destinations_handle_delete},

    /* Managed integrations: notification configurations */
    {"POST", "/notification-configurations", "CreateNotificationConfiguration", API_SVC_MI,
     notifications_handle_create},
    {"GET", "/notification-configurations/{EventType}", "GetNotificationConfiguration", API_SVC_MI,
     notifications_handle_get},
    {"GET", "/notification-configurations", "ListNotificationConfigurations", API_SVC_MI,
     notifications_handle_list},
    {"PUT", "/notification-configurations/{EventType}", "UpdateNotificationConfiguration",
     API_SVC_MI, notifications_handle_update},
    {"DELETE", "/notification-configurations/{EventType}", "DeleteNotificationConfiguration",
     API_SVC_MI, notifications_handle_delete},

    /* IoT Jobs data plane (the devices) */
    {"GET", "/things/{thingName}/jobs", "GetPendingJobExecutions", API_SVC_JOBS,
     jobs_handle_pending},
    {"PUT", "/things/{thingName}/jobs/$next", "StartNextPendingJobExecution", API_SVC_JOBS,
     jobs_handle_start_next},
    {"GET", "/things/{thingName}/jobs/{jobId}", "DescribeJobExecution", API_SVC_JOBS,
     jobs_handle_describe},
    {"POST", "/things/{thingName}/jobs/{jobId}", "UpdateJobExecution", API_SVC_JOBS,
     jobs_handle_update},
};

const size_t api_nroutes = sizeof api_routes / sizeof api_routes[0];
