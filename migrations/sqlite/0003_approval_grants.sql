-- One-time grants: an identical retry (same request key) after approval consumes the executed result once.
ALTER TABLE approvals ADD COLUMN request_key TEXT;
ALTER TABLE approvals ADD COLUMN grant_used_at BIGINT;
CREATE INDEX approvals_request_key_idx ON approvals (request_key, created_at);
-- Bearer tokens (HTTP, MCP) identify the agent by the token's hash alone.
CREATE INDEX agents_token_hash_idx ON agents (token_hash);
