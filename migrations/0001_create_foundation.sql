-- Foundation tables: OTA task configurations, managed things, destinations, notification
-- configurations and idempotency records.
--
-- Conventions: times are bigint milliseconds since the epoch from otad's clock (SQL never reads
-- now() to decide anything); `seq` is the keyset-pagination order (insertion order); `doc` keeps
-- the validated request members that are echoed back, with generated columns for what is
-- filtered or queried.

CREATE TABLE task_configurations (
    seq bigserial NOT NULL UNIQUE,
    id text PRIMARY KEY,
    name text,
    description text,
    push_config jsonb,
    created_at bigint NOT NULL
);

CREATE TABLE things (
    seq bigserial NOT NULL UNIQUE,
    id text PRIMARY KEY,
    arn text NOT NULL,
    doc jsonb NOT NULL,
    provisioning_status text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    activated_at bigint,
    name text GENERATED ALWAYS AS (doc ->> 'Name') STORED,
    role text GENERATED ALWAYS AS (doc ->> 'Role') STORED,
    owner text GENERATED ALWAYS AS (doc ->> 'Owner') STORED,
    credential_locker_id text GENERATED ALWAYS AS (doc ->> 'CredentialLockerId') STORED,
    parent_controller_id text GENERATED ALWAYS AS (doc ->> 'ParentControllerId') STORED,
    connector_policy_id text GENERATED ALWAYS AS (doc ->> 'ConnectorPolicyId') STORED,
    connector_destination_id text GENERATED ALWAYS AS (doc ->> 'ConnectorDestinationId') STORED,
    connector_device_id text GENERATED ALWAYS AS (doc ->> 'ConnectorDeviceId') STORED,
    serial_number text GENERATED ALWAYS AS (doc ->> 'SerialNumber') STORED,
    metadata jsonb GENERATED ALWAYS AS (doc -> 'MetaData') STORED
);
CREATE INDEX things_owner ON things (owner, seq);
CREATE INDEX things_role ON things (role, seq);
CREATE INDEX things_serial_number ON things (serial_number, seq);
CREATE INDEX things_provisioning_status ON things (provisioning_status, seq);
CREATE INDEX things_metadata ON things USING gin (metadata jsonb_path_ops);

CREATE TABLE destinations (
    seq bigserial NOT NULL UNIQUE,
    name text PRIMARY KEY,
    doc jsonb NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);

CREATE TABLE notification_configurations (
    seq bigserial NOT NULL UNIQUE,
    event_type text PRIMARY KEY,
    destination_name text NOT NULL,
    tags jsonb,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);

-- ClientToken records: the same token with the same request returns the stored response; with
-- a different request it is a conflict. Kept 24 h (expires_at), then reusable.
CREATE TABLE idempotency (
    scope text NOT NULL,
    token text NOT NULL,
    request_hash text NOT NULL,
    status integer NOT NULL,
    response text NOT NULL,
    expires_at bigint NOT NULL,
    PRIMARY KEY (scope, token)
);
CREATE INDEX idempotency_expires_at ON idempotency (expires_at);

-- Service-wide settings shared by every otad process (e.g. the origin of the scaled clock).
CREATE TABLE service_settings (
    key text PRIMARY KEY,
    value text NOT NULL
);
