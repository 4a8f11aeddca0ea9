-- Airlock store, PostgreSQL. Times are ms since the epoch (integer); JSON columns hold JSON text.
CREATE TABLE agents (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  token_hash  TEXT NOT NULL, -- sha256 hex of the token; the token itself is never stored
  created_at  BIGINT NOT NULL,
  revoked_at  BIGINT
);

CREATE TABLE approvals (
  id                 TEXT PRIMARY KEY,
  status             TEXT NOT NULL,
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL,
  expires_at         BIGINT NOT NULL,
  agent_id           TEXT NOT NULL,
  agent_name         TEXT NOT NULL,
  door               TEXT NOT NULL,
  database           TEXT NOT NULL,
  sql                TEXT NOT NULL,
  params             TEXT,
  binding            TEXT NOT NULL,
  decision           TEXT,
  preview            TEXT,
  required_approvals INTEGER NOT NULL DEFAULT 1,
  approvals          TEXT NOT NULL DEFAULT '[]',
  denied_by          TEXT,
  comment            TEXT,
  result             TEXT,
  error              TEXT,
  attempts           INTEGER NOT NULL DEFAULT 0,
  version            INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX approvals_status_idx ON approvals (status, created_at);
CREATE INDEX approvals_binding_idx ON approvals (binding);
CREATE INDEX approvals_agent_idx ON approvals (agent_name, created_at);

CREATE TABLE audit_events (
  seq         BIGINT PRIMARY KEY,
  ts          BIGINT NOT NULL,
  type        TEXT NOT NULL,
  agent       TEXT,
  door        TEXT,
  database    TEXT,
  decision    TEXT,
  rule        TEXT,
  request_id  TEXT,
  approval_id TEXT,
  data        TEXT NOT NULL,
  tables      TEXT, -- ",schema.table,other," derived from data, for the --table filter (not hashed)
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL
);
CREATE INDEX audit_events_ts_idx ON audit_events (ts);
CREATE INDEX audit_events_agent_idx ON audit_events (agent, seq);
CREATE INDEX audit_events_type_idx ON audit_events (type, seq);
CREATE INDEX audit_events_approval_idx ON audit_events (approval_id);

CREATE TABLE vault_secrets (
  name       TEXT PRIMARY KEY,
  ciphertext TEXT NOT NULL,
  iv         TEXT NOT NULL,
  tag        TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE policies (
  name       TEXT PRIMARY KEY,
  yaml       TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
