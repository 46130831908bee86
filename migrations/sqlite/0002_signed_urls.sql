-- Issue #19: signed URLs. A folder says which of its requests need a signature,
-- and a token may be scoped to minting signed URLs only ("sign").
ALTER TABLE folders ADD COLUMN signed_urls TEXT NOT NULL DEFAULT 'off'
  CHECK (signed_urls IN ('off', 'derivatives', 'required'));

-- SQLite cannot change a CHECK constraint in place: rebuild the table (no
-- other table references it), keeping every row as it was.
CREATE TABLE tokens_new (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  scope        TEXT NOT NULL CHECK (scope IN ('read', 'write', 'sign')),
  hash         TEXT NOT NULL UNIQUE,
  created_at   TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at   TEXT
);
INSERT INTO tokens_new (id, name, scope, hash, created_at, last_used_at, revoked_at)
  SELECT id, name, scope, hash, created_at, last_used_at, revoked_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
