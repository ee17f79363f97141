/*
 * destinations: the destination operations of Managed integrations (CreateDestination,
 * GetDestination, ListDestinations, UpdateDestination, DeleteDestination; reference/wire.md
 * section 6.1). Handlers are named destinations_handle_<verb>: the plain destinations_<verb>
 * names belong to store/destinations.h.
 */
#ifndef OTAD_API_DESTINATIONS_H
#define OTAD_API_DESTINATIONS_H

struct req;

/** POST /destinations */
void destinations_handle_create(struct req *r);

/** GET /destinations/{Name} */
void destinations_handle_get(struct req *r);

/** GET /destinations */
void destinations_handle_list(struct req *r);

/** PUT /destinations/{Name} (201, no body) */
void destinations_handle_update(struct req *r);

/** DELETE /destinations/{Name} (200, no body) */
void destinations_handle_delete(struct req *r);

#endif
