/*
 * migrate: the forward-only migrations runner. Migrations are the files
 * migrations/NNNN_verb_object.sql, embedded into the binary at build time
 * (migrations/embed.cmake). migrate_apply() takes a session advisory lock (so concurrent otad
 * processes apply each file exactly once), creates schema_migrations if needed and applies every
 * file whose version is not recorded, each in its own transaction. Blocking libpq; call it at
 * start-up or from `otad migrate`, never on the event loop.
 */
#ifndef OTAD_STORE_MIGRATE_H
#define OTAD_STORE_MIGRATE_H

#include "engine/oerr.h"

struct migrate_file {
    int version;
    const char *name;
    const char *sql;
};

/** The embedded migrations in version order, terminated by an entry with name NULL. */
extern const struct migrate_file migrate_files[];

/** Apply every pending migration to the database at conninfo; *applied = how many (may be
 *  NULL). -1 with OERR_UNAVAILABLE (cannot connect) or OERR_INTERNAL (a migration failed). */
int migrate_apply(const char *conninfo, int *applied, struct oerr *err);

/** The highest version in migrate_files. */
int migrate_latest(void);

#endif
