-- Standing approvals ("always allow"): a reviewer's rule, made from one approval, that approves the
-- same agent's later requests of the same shape (statement fingerprint, or integration and method)
-- while it is active (not revoked, not expired, uses left, its CEL condition true). Each approval it
-- makes is an ordinary approval carrying the rule's id: the one-time grants of 0003 made reusable.
CREATE TABLE standing_approvals (
  id                 TEXT PRIMARY KEY,
  created_at         BIGINT NOT NULL,
  created_by         TEXT NOT NULL,
  source_approval_id TEXT NOT NULL,
  agent_id           TEXT NOT NULL,
  agent_name         TEXT NOT NULL,
  kind               TEXT NOT NULL, -- sql | api
  database           TEXT NOT NULL, -- the database, or the integration of an API method
  match_key          TEXT NOT NULL, -- statement fingerprint (sql) or method name (api)
  example            TEXT NOT NULL, -- the source approval's statement or request line
  condition          TEXT,          -- CEL, true to match
  comment            TEXT,
  expires_at         BIGINT,
  max_uses           INTEGER,
  uses               INTEGER NOT NULL DEFAULT 0,
  last_used_at       BIGINT,
  revoked_at         BIGINT,
  revoked_by         TEXT
);
CREATE INDEX standing_approvals_match_idx ON standing_approvals (agent_id, kind, database, match_key);

-- Approvals made by a standing approval name it; a revert names the approval it undoes.
ALTER TABLE approvals ADD COLUMN standing_id TEXT;
ALTER TABLE approvals ADD COLUMN revert_of TEXT;

-- What an executed UPDATE or INSERT needs to be reverted: the before-image of the changed rows (or
-- the inserted keys) and a digest of the rows as the execution left them. Kept apart from approvals
-- so that listing approvals never reads it.
CREATE TABLE approval_undo (
  approval_id TEXT PRIMARY KEY,
  created_at  BIGINT NOT NULL,
  undo        TEXT NOT NULL
);
