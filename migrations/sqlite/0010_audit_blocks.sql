-- Audit blocks: from this version the chain is stored one row per appended batch instead of one row
-- per event (a batch's insert and index upkeep cost more than everything else in the audit path).
-- A block holds its events' journal lines as written, the chain hash of each event (64 hex each,
-- in order), the hash before its first event, and summaries of the filtered columns so that a
-- filtered listing decodes only blocks that can match. The per-event chain itself is unchanged:
-- every event still has hash = sha256(prev_hash + canonical body), so exports and verify read the
-- same. Rows already in audit_events stay where they are, and the chain continues from them.
CREATE TABLE audit_blocks (
  first_seq INTEGER PRIMARY KEY,
  last_seq  INTEGER NOT NULL,
  min_ts    INTEGER NOT NULL,
  max_ts    INTEGER NOT NULL,
  types     TEXT NOT NULL, -- ",a,b," distinct non-null values, as the tables column (not hashed)
  decisions TEXT NOT NULL,
  doors     TEXT NOT NULL,
  databases TEXT NOT NULL,
  tables    TEXT NOT NULL, -- the events' tables columns (",s.t,u,"), each distinct one once
  prev_hash TEXT NOT NULL, -- the hash before its first event
  hash      TEXT NOT NULL, -- the hash of its last event (the chain's head when it is the newest)
  hashes    TEXT NOT NULL,
  lines     TEXT NOT NULL
);
CREATE INDEX audit_blocks_last_idx ON audit_blocks (last_seq);
CREATE INDEX audit_blocks_ts_idx ON audit_blocks (max_ts);
-- Which blocks hold an agent's or an approval's events, for the listings that look one up (an agent's
-- activity, an approval's history): a row per distinct value per block, a few per batch.
CREATE TABLE audit_block_keys (
  kind      TEXT NOT NULL, -- 'agent' or 'approval'
  value     TEXT NOT NULL,
  first_seq INTEGER NOT NULL,
  PRIMARY KEY (kind, value, first_seq)
);
-- A gateway of an earlier version still running on this store would go on appending rows, forking
-- the chain: its appends fail instead (its doors then refuse requests, since nothing runs unaudited).
CREATE TRIGGER audit_events_frozen BEFORE INSERT ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is read-only since migration 0010 (audit blocks): stop gateways older than this store before starting upgraded ones');
END;
