-- Signed URLs: a folder says which of its requests need a signature, and a
-- token may be scoped to minting signed URLs only ("sign").
ALTER TABLE folders ADD COLUMN signed_urls TEXT NOT NULL DEFAULT 'off'
  CHECK (signed_urls IN ('off', 'derivatives', 'required'));

ALTER TABLE tokens
  DROP CONSTRAINT tokens_scope_check,
  ADD CONSTRAINT tokens_scope_check CHECK (scope IN ('read', 'write', 'sign'));
