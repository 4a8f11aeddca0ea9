-- Fewer indexes to maintain on the hottest insert path: type filters scan the primary key backwards
-- (lists are newest first with a limit), and only events that belong to an approval are indexed by it.
DROP INDEX IF EXISTS audit_events_type_idx;
DROP INDEX IF EXISTS audit_events_approval_idx;
CREATE INDEX audit_events_approval_idx ON audit_events (approval_id) WHERE approval_id IS NOT NULL;
