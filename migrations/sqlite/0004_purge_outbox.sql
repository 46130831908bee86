-- Purges owed to the CDN in front. A change writes its row in the same
-- transaction as the change itself, so a committed change always has its
-- purge and a rolled-back one never does. A worker in any process claims
-- due rows with one UPDATE (claimed_until_ms = a lease), so several
-- processes on one database send each purge once; a process that dies
-- mid-delivery leaves a lease that runs out, and another one claims the row.
-- Times are milliseconds since the epoch, compared across processes.
CREATE TABLE purge_outbox (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  tags               TEXT NOT NULL,  -- JSON array of cache tags
  paths              TEXT NOT NULL,  -- JSON array of the changed paths
  created_at_ms      INTEGER NOT NULL,
  state              TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed', 'done')),
  attempts           INTEGER NOT NULL DEFAULT 0,
  next_attempt_at_ms INTEGER NOT NULL,
  claimed_until_ms   INTEGER NOT NULL DEFAULT 0,
  last_error         TEXT,
  done_at_ms         INTEGER
);

-- The worker's question: which pending rows are due?
CREATE INDEX purge_outbox_due ON purge_outbox (state, next_attempt_at_ms);
