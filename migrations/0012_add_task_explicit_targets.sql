-- The things a task names in Target (resolved ids). A CONTINUOUS task keeps them as members
-- whatever its query says; the scheduler's membership sync reads this column for the things
-- that changed.
ALTER TABLE tasks ADD COLUMN explicit_targets text[];
