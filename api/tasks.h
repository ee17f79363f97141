/*
 * tasks: the OTA task operations of Managed integrations (CreateOtaTask, GetOtaTask,
 * ListOtaTasks, UpdateOtaTask, DeleteOtaTask, ListOtaTaskExecutions; reference/wire.md section
 * 6.1). Handlers are named tasks_handle_<verb>: the plain tasks_<verb> names belong to
 * store/tasks.h.
 */
#ifndef OTAD_API_TASKS_H
#define OTAD_API_TASKS_H

struct req;

/** POST /ota-tasks */
void tasks_handle_create(struct req *r);

/** GET /ota-tasks/{Identifier} */
void tasks_handle_get(struct req *r);

/** GET /ota-tasks */
void tasks_handle_list(struct req *r);

/** PUT /ota-tasks/{Identifier} */
void tasks_handle_update(struct req *r);

/** DELETE /ota-tasks/{Identifier} */
void tasks_handle_delete(struct req *r);

/** GET /ota-tasks/{Identifier}/devices */
void tasks_handle_executions(struct req *r);

#endif
