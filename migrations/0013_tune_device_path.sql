-- The device update path: keep progress updates HOT (in place) and commits independent.
--
-- 1. executions_undecided indexed updated_at, which every device update changes, so no update
--    of an execution could be HOT. The scheduler reads undecided attempts per task (a handful),
--    so the task id alone is enough.
-- 2. Leave room on each page for the new row versions of HOT updates.
-- 3. The outbox trigger notified for every INSERT statement, even one inserting no row; a
--    transaction that NOTIFYs serialises its commit with every other notifying one, which
--    defeats group commit across connections. Notify only when rows were inserted.
DROP INDEX executions_undecided;
CREATE INDEX executions_undecided ON executions (task_id) WHERE NOT decided;
ALTER TABLE executions SET (fillfactor = 80);

DROP TRIGGER outbox_wake ON outbox;
CREATE OR REPLACE FUNCTION outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted) THEN
        PERFORM pg_notify('otad_outbox', '');
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_wake AFTER INSERT ON outbox REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_wake();
