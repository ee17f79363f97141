-- OTA tasks, their executions, maintained counters, managed-thing change events, and the
-- outbox relayed to Redis.
--
-- executions.status is the engine's enum execution_status (engine/execution.h):
--   0 PLANNED, 1 QUEUED, 2 IN_PROGRESS, 3 SUCCEEDED, 4 FAILED, 5 TIMED_OUT, 6 REJECTED,
--   7 REMOVED, 8 CANCELED
-- so that the legality of a device's transition can be checked in the statement with the
-- bitmask the engine computes (execution_device_from_mask), keeping the rule in one place.

CREATE TABLE tasks (
    seq bigserial NOT NULL UNIQUE,
    id text PRIMARY KEY,
    arn text NOT NULL,
    kind text NOT NULL DEFAULT 'ota_task',   -- ota_task | ota_update
    job_id text NOT NULL UNIQUE,             -- the Jobs data-plane job id (= id for OTA tasks)
    spec jsonb NOT NULL,                     -- the validated request members, echoed by Get
    job_document text NOT NULL,              -- what devices receive
    description text,
    status text NOT NULL,
    ota_type text NOT NULL,                  -- ONE_TIME | CONTINUOUS
    target_query text,
    config_id text,
    push_config jsonb,                       -- the configuration's PushConfig (snapshot)
    start_at bigint,
    end_at bigint,
    end_behavior text NOT NULL DEFAULT 'STOP_ROLLOUT',
    windows jsonb,                           -- [{"cron": "...", "duration": minutes}]
    retry jsonb,                             -- [{"type": "FAILED", "n": 2}]
    end_applied boolean NOT NULL DEFAULT false,
    abort_reason text,
    abort_comment text,
    rollout_state text,                      -- engine/rollout.h text form
    membership_cursor bigint NOT NULL DEFAULT 0,
    lease_owner text,
    lease_until bigint,
    next_tick_at bigint,                     -- NULL: nothing will happen on its own
    config_version integer NOT NULL DEFAULT 1,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX tasks_due ON tasks (next_tick_at) WHERE next_tick_at IS NOT NULL;
CREATE INDEX tasks_continuous ON tasks (id) WHERE ota_type = 'CONTINUOUS'
    AND status IN ('SCHEDULED', 'IN_PROGRESS');

-- One row per attempt. `latest` marks the attempt shown for the thing (listings, the device's
-- "current" execution); a PLANNED retry becomes latest when it is queued. `decided` is false for
-- a FAILED/TIMED_OUT attempt whose retry decision the scheduler has not made yet.
CREATE TABLE executions (
    task_id text NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    thing_id text NOT NULL,
    execution_number bigint NOT NULL,
    status smallint NOT NULL,
    seq bigint NOT NULL,                     -- target order (shared by a thing's attempts)
    priority smallint NOT NULL DEFAULT 0,    -- 1 for PLANNED retries: queued first
    retry_attempt integer NOT NULL DEFAULT 0,
    retries_failed integer NOT NULL DEFAULT 0,
    retries_timed_out integer NOT NULL DEFAULT 0,
    latest boolean NOT NULL DEFAULT true,
    decided boolean NOT NULL DEFAULT true,
    queued_at bigint,
    started_at bigint,
    updated_at bigint NOT NULL,
    in_progress_timeout_ms bigint,           -- captured when the execution started
    step_set_at bigint,
    step_timeout_ms bigint,
    deadline bigint,
    version bigint NOT NULL DEFAULT 1,
    status_details jsonb,
    force_canceled boolean NOT NULL DEFAULT false,
    PRIMARY KEY (task_id, thing_id, execution_number)
);
CREATE SEQUENCE executions_seq;
CREATE INDEX executions_planned ON executions (task_id, priority DESC, seq) WHERE status = 0;
CREATE INDEX executions_deadline ON executions (task_id, deadline)
    WHERE status = 2 AND deadline IS NOT NULL;
CREATE INDEX executions_undecided ON executions (task_id, updated_at) WHERE NOT decided;
CREATE INDEX executions_pending ON executions (thing_id, queued_at) WHERE status IN (1, 2);
CREATE INDEX executions_listing ON executions (task_id, seq) WHERE latest;

-- Counters per task and status (all attempts), maintained by deltas in the same transaction as
-- the transitions. Each writer (a group-commit connection, a scheduler) uses its own shard so
-- writers never queue on one hot row; readers sum the shards.
CREATE TABLE task_counters (
    task_id text NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    status smallint NOT NULL,
    shard integer NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (task_id, status, shard)
);

-- Managed-thing changes, read by CONTINUOUS tasks (each keeps its own cursor).
CREATE TABLE thing_events (
    id bigserial PRIMARY KEY,
    thing_id text NOT NULL,
    deleted boolean NOT NULL DEFAULT false,
    at bigint NOT NULL
);

-- Transactional outbox: rows are written in the same transaction as the state change and
-- relayed to Redis streams (store/relay.c), then deleted. kind 1 = notify-next for the thing
-- `key`; kind 2 = DEVICE_OTA event for the destination `key`.
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    kind smallint NOT NULL,
    key text NOT NULL,
    payload text NOT NULL,
    created_at bigint NOT NULL
);

CREATE FUNCTION outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('otad_outbox', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_wake AFTER INSERT ON outbox FOR EACH STATEMENT
    EXECUTE FUNCTION outbox_wake();
