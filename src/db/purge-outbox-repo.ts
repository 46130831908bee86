import type { SqlExecutor } from './sql'

export type PurgeState = 'pending' | 'failed' | 'done'

/** One purge owed to the CDN: the tags to purge and the paths whose change caused it. */
export interface OutboxPurge {
  readonly id: number
  readonly tags: readonly string[]
  readonly paths: readonly string[]
  readonly createdAtMs: number
  readonly state: PurgeState
  /** Deliveries started so far, the current one included. */
  readonly attempts: number
  readonly nextAttemptAtMs: number
  readonly lastError: string | null
}

interface OutboxRow {
  id: number
  tags: string
  paths: string
  created_at_ms: number
  state: PurgeState
  attempts: number
  next_attempt_at_ms: number
  last_error: string | null
}

const COLUMNS = 'id, tags, paths, created_at_ms, state, attempts, next_attempt_at_ms, last_error'

const toPurge = (row: OutboxRow): OutboxPurge => ({
  id: row.id,
  tags: JSON.parse(row.tags) as string[],
  paths: JSON.parse(row.paths) as string[],
  createdAtMs: row.created_at_ms,
  state: row.state,
  attempts: row.attempts,
  nextAttemptAtMs: row.next_attempt_at_ms,
  lastError: row.last_error,
})

/** The longest error text kept per row. */
const MAX_ERROR_CHARS = 1000

/**
 * The purge outbox (migration 0004). Every method is one statement, so each
 * is atomic on its own; `enqueue` runs on the change's transaction.
 */
export class PurgeOutboxRepo {
  constructor(private readonly db: SqlExecutor) {}

  /**
   * Records a purge, due at once. Call it inside the change's transaction:
   * the purge then commits or rolls back with the change.
   */
  async enqueue(tags: readonly string[], paths: readonly string[], nowMs: number = Date.now()): Promise<number> {
    const row = await this.db.get<{ id: number }>(
      'INSERT INTO purge_outbox (tags, paths, created_at_ms, next_attempt_at_ms) VALUES ($1, $2, $3, $3) RETURNING id',
      [JSON.stringify(tags), JSON.stringify(paths), nowMs],
    )
    return (row as { id: number }).id
  }

  /**
   * Leases up to `limit` due purges for `leaseMs` and returns them, oldest
   * first. A row whose lease ran out (its process died) is due again.
   *
   * One statement picks and leases the rows. On SQLite another process's
   * UPDATE waits for the write lock and then sees the lease, so it skips
   * them. PostgreSQL lets two such UPDATEs run at once: without `FOR UPDATE
   * SKIP LOCKED` the second would wait for the first's rows and then lease
   * them again (its subquery saw them unleased); with it, it takes others.
   * SQLite has no row locks and no such clause.
   */
  async claimDue(nowMs: number, limit: number, leaseMs: number): Promise<OutboxPurge[]> {
    const lock = this.db.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ''
    const rows = await this.db.all<OutboxRow>(
      `UPDATE purge_outbox SET claimed_until_ms = $1, attempts = attempts + 1
      WHERE id IN (SELECT id FROM purge_outbox
        WHERE state = 'pending' AND next_attempt_at_ms <= $2 AND claimed_until_ms < $2 ORDER BY id LIMIT $3${lock})
      RETURNING ${COLUMNS}`,
      [nowMs + leaseMs, nowMs, limit],
    )
    return rows.map(toPurge).sort((a, b) => a.id - b.id)
  }

  async markDone(id: number, nowMs: number = Date.now()): Promise<void> {
    await this.db.run("UPDATE purge_outbox SET state = 'done', done_at_ms = $1, claimed_until_ms = 0, last_error = NULL WHERE id = $2", [nowMs, id])
  }

  /** Releases the lease and makes the purge due again at `nextAttemptAtMs`. */
  async markRetry(id: number, nextAttemptAtMs: number, error: string): Promise<void> {
    await this.db.run('UPDATE purge_outbox SET next_attempt_at_ms = $1, last_error = $2, claimed_until_ms = 0 WHERE id = $3', [
      nextAttemptAtMs,
      error.slice(0, MAX_ERROR_CHARS),
      id,
    ])
  }

  /** Gives up on a purge that can never succeed as it is (the CDN refused it); it stays listed. */
  async markFailed(id: number, error: string): Promise<void> {
    await this.db.run("UPDATE purge_outbox SET state = 'failed', last_error = $1, claimed_until_ms = 0 WHERE id = $2", [error.slice(0, MAX_ERROR_CHARS), id])
  }

  listPending(limit = 100): Promise<OutboxPurge[]> {
    return this.listByState('pending', limit)
  }

  listFailed(limit = 100): Promise<OutboxPurge[]> {
    return this.listByState('failed', limit)
  }

  async get(id: number): Promise<OutboxPurge | undefined> {
    const row = await this.db.get<OutboxRow>(`SELECT ${COLUMNS} FROM purge_outbox WHERE id = $1`, [id])
    return row === undefined ? undefined : toPurge(row)
  }

  /** Pending and failed purges after id `afterId`, oldest first: one page of what the CDN is still owed. */
  async pageUndone(afterId: number, limit: number): Promise<OutboxPurge[]> {
    const rows = await this.db.all<OutboxRow>(`SELECT ${COLUMNS} FROM purge_outbox WHERE state <> 'done' AND id > $1 ORDER BY id LIMIT $2`, [afterId, limit])
    return rows.map(toPurge)
  }

  /** How many purges are in each state. */
  async counts(): Promise<Record<PurgeState, number>> {
    const counts: Record<PurgeState, number> = { pending: 0, failed: 0, done: 0 }
    for (const { state, n } of await this.db.all<{ state: PurgeState; n: number }>('SELECT state, COUNT(*) AS n FROM purge_outbox GROUP BY state')) counts[state] = n
    return counts
  }

  /** Forgets delivered purges done before `beforeMs`; returns how many. */
  async pruneDone(beforeMs: number): Promise<number> {
    return (await this.db.run("DELETE FROM purge_outbox WHERE state = 'done' AND done_at_ms < $1", [beforeMs])).changes
  }

  private async listByState(state: PurgeState, limit: number): Promise<OutboxPurge[]> {
    return (await this.db.all<OutboxRow>(`SELECT ${COLUMNS} FROM purge_outbox WHERE state = $1 ORDER BY id LIMIT $2`, [state, limit])).map(toPurge)
  }
}
