-- Indexes of the task API's reads.
--
-- GetOtaTask shows TaskProcessingDetails.processingTargets: up to 100 things of the task with a
-- QUEUED or IN_PROGRESS execution, in target order. Without this index the read would walk
-- every execution of the task (a finished task of 100,000 things has none to show but would
-- still be scanned); with it the read touches at most 100 entries. Status values are the
-- engine's enum execution_status (1 QUEUED, 2 IN_PROGRESS; see 0010_create_tasks.sql).
CREATE INDEX executions_processing ON executions (task_id, seq) WHERE status IN (1, 2);
