-- The multi-API proxy: approvals of API calls keep the exact call (integration, method, canonical
-- arguments and the request a reviewer sees, credentials never included) beside the SQL columns;
-- vault_meta holds a value encrypted under the vault's master key (which lives outside the store),
-- so a wrong key is caught at start before any secret is read or written.
ALTER TABLE approvals ADD COLUMN call TEXT;

CREATE TABLE vault_meta (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  key_check TEXT NOT NULL
);
