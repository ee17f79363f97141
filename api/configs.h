/*
 * configs: the OTA task configuration operations of Managed integrations
 * (CreateOtaTaskConfiguration, GetOtaTaskConfiguration, ListOtaTaskConfigurations,
 * DeleteOtaTaskConfiguration; reference/wire.md section 6.1).
 */
#ifndef OTAD_API_CONFIGS_H
#define OTAD_API_CONFIGS_H

struct req;

/** POST /ota-task-configurations */
void configs_create(struct req *r);

/** GET /ota-task-configurations/{Identifier} */
void configs_get(struct req *r);

/** GET /ota-task-configurations */
void configs_list(struct req *r);

/** DELETE /ota-task-configurations/{Identifier} */
void configs_delete(struct req *r);

#endif
