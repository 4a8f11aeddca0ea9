-- Reviewer and admin accounts of the web console (scrypt password hashes, never passwords), their
-- sign-in sessions (sha256 of the cookie value, never the value), and an index that lets the
-- console follow approval changes made by any process (live list over server-sent events).
CREATE TABLE reviewers (
  name          TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL, -- scrypt$ln$r$p$salt$hash (base64url)
  admin         INTEGER NOT NULL DEFAULT 0,
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL
);

CREATE TABLE reviewer_sessions (
  id_hash    TEXT PRIMARY KEY,
  reviewer   TEXT NOT NULL,
  csrf       TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen  BIGINT NOT NULL,
  expires_at BIGINT NOT NULL, -- idle deadline, moved forward while the session is used
  ends_at    BIGINT NOT NULL  -- absolute deadline
);
CREATE INDEX reviewer_sessions_reviewer_idx ON reviewer_sessions (reviewer);

CREATE INDEX approvals_updated_idx ON approvals (updated_at);
