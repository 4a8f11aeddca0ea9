-- SCRAM-SHA-256 verifier of the agent token, for the wire proxy (PostgreSQL pg_authid format).
ALTER TABLE agents ADD COLUMN scram_verifier TEXT;
