/*
 * things: the managed-thing operations of Managed integrations (CreateManagedThing,
 * GetManagedThing, ListManagedThings, UpdateManagedThing, DeleteManagedThing;
 * reference/wire.md section 6.1). Handlers are named <family>_handle_<verb>: the plain
 * things_<verb> names belong to store/things.h.
 */
#ifndef OTAD_API_THINGS_H
#define OTAD_API_THINGS_H

struct req;

/** POST /managed-things */
void things_handle_create(struct req *r);

/** GET /managed-things/{Identifier} */
void things_handle_get(struct req *r);

/** GET /managed-things */
void things_handle_list(struct req *r);

/** PUT /managed-things/{Identifier} */
void things_handle_update(struct req *r);

/** DELETE /managed-things/{Identifier} */
void things_handle_delete(struct req *r);

#endif
