-- Audit durability: how far each gateway's local write-ahead journal has been applied to the chain
-- (recovery after kill -9 replays the rest exactly once), and signed head checkpoints kept outside
-- audit_events so that a truncated tail is detectable.
CREATE TABLE audit_journal (
  journal    TEXT PRIMARY KEY,
  applied    INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE audit_checkpoints (
  seq  INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  root TEXT NOT NULL, -- hash of seq 1: which chain the checkpoint belongs to
  ts   INTEGER NOT NULL,
  mac  TEXT NOT NULL
);
