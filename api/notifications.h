/*
 * notifications: the notification configuration operations of Managed integrations
 * (CreateNotificationConfiguration, GetNotificationConfiguration,
 * ListNotificationConfigurations, UpdateNotificationConfiguration,
 * DeleteNotificationConfiguration; reference/wire.md section 6.1). Handlers are named
 * notifications_handle_<verb>: the plain notifications_<verb> names belong to
 * store/notifications.h.
 */
#ifndef OTAD_API_NOTIFICATIONS_H
#define OTAD_API_NOTIFICATIONS_H

struct req;

/** POST /notification-configurations */
void notifications_handle_create(struct req *r);

/** GET /notification-configurations/{EventType} */
void notifications_handle_get(struct req *r);

/** GET /notification-configurations */
void notifications_handle_list(struct req *r);

/** PUT /notification-configurations/{EventType} (201, no body) */
void notifications_handle_update(struct req *r);

/** DELETE /notification-configurations/{EventType} (200, no body) */
void notifications_handle_delete(struct req *r);

#endif
