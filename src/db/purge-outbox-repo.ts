import type { Statement } from 'better-sqlite3'
import type { Db } from './sqlite/open'

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
 * The purge outbox (migrations/0004). Statements are prepared once; every
 * method is one statement, so each is atomic on its own.
 */
export class PurgeOutboxRepo {
  private readonly insert: Statement<[string, string, number, number]>
  private readonly claim: Statement<[number, number, number, number], OutboxRow>
  private readonly done: Statement<[number, number]>
  private readonly retry: Statement<[number, string, number]>
  private readonly fail: Statement<[string, number]>
  private readonly selectByState: Statement<[PurgeState, number], OutboxRow>
  private readonly countStates: Statement<[], { state: PurgeState; n: number }>
  private readonly prune: Statement<[number]>
  private readonly selectUndone: Statement<[number, number], OutboxRow>
  private readonly selectOne: Statement<[number], OutboxRow>

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO purge_outbox (tags, paths, created_at_ms, next_attempt_at_ms) VALUES (?, ?, ?, ?)')
    // One statement picks and leases the rows: another process's UPDATE
    // waits for the write lock and then sees the lease, so it skips them.
    this.claim = db.prepare(`UPDATE purge_outbox SET claimed_until_ms = ?, attempts = attempts + 1
      WHERE id IN (SELECT id FROM purge_outbox
        WHERE state = 'pending' AND next_attempt_at_ms <= ? AND claimed_until_ms < ? ORDER BY id LIMIT ?)
      RETURNING ${COLUMNS}`)
    this.done = db.prepare("UPDATE purge_outbox SET state = 'done', done_at_ms = ?, claimed_until_ms = 0, last_error = NULL WHERE id = ?")
    this.retry = db.prepare('UPDATE purge_outbox SET next_attempt_at_ms = ?, last_error = ?, claimed_until_ms = 0 WHERE id = ?')
    this.fail = db.prepare("UPDATE purge_outbox SET state = 'failed', last_error = ?, claimed_until_ms = 0 WHERE id = ?")
    this.selectByState = db.prepare(`SELECT ${COLUMNS} FROM purge_outbox WHERE state = ? ORDER BY id LIMIT ?`)
    this.countStates = db.prepare('SELECT state, COUNT(*) AS n FROM purge_outbox GROUP BY state')
    this.prune = db.prepare("DELETE FROM purge_outbox WHERE state = 'done' AND done_at_ms < ?")
    this.selectOne = db.prepare(`SELECT ${COLUMNS} FROM purge_outbox WHERE id = ?`)
    this.selectUndone = db.prepare(`SELECT ${COLUMNS} FROM purge_outbox WHERE state != 'done' AND id > ? ORDER BY id LIMIT ?`)
  }

  /**
   * Records a purge, due at once. Call it inside the change's transaction:
   * the purge then commits or rolls back with the change.
   */
  enqueue(tags: readonly string[], paths: readonly string[], nowMs: number = Date.now()): number {
    return Number(this.insert.run(JSON.stringify(tags), JSON.stringify(paths), nowMs, nowMs).lastInsertRowid)
  }

  /**
   * Leases up to `limit` due purges for `leaseMs` and returns them, oldest
   * first. A row whose lease ran out (its process died) is due again.
   */
  claimDue(nowMs: number, limit: number, leaseMs: number): OutboxPurge[] {
    return this.claim
      .all(nowMs + leaseMs, nowMs, nowMs, limit)
      .map(toPurge)
      .sort((a, b) => a.id - b.id)
  }

  markDone(id: number, nowMs: number = Date.now()): void {
    this.done.run(nowMs, id)
  }

  /** Releases the lease and makes the purge due again at `nextAttemptAtMs`. */
  markRetry(id: number, nextAttemptAtMs: number, error: string): void {
    this.retry.run(nextAttemptAtMs, error.slice(0, MAX_ERROR_CHARS), id)
  }

  /** Gives up on a purge that can never succeed as it is (the CDN refused it); it stays listed. */
  markFailed(id: number, error: string): void {
    this.fail.run(error.slice(0, MAX_ERROR_CHARS), id)
  }

  listPending(limit = 100): OutboxPurge[] {
    return this.selectByState.all('pending', limit).map(toPurge)
  }

  listFailed(limit = 100): OutboxPurge[] {
    return this.selectByState.all('failed', limit).map(toPurge)
  }

  get(id: number): OutboxPurge | undefined {
    const row = this.selectOne.get(id)
    return row === undefined ? undefined : toPurge(row)
  }

  /** Pending and failed purges after id `afterId`, oldest first: one page of what the CDN is still owed. */
  pageUndone(afterId: number, limit: number): OutboxPurge[] {
    return this.selectUndone.all(afterId, limit).map(toPurge)
  }

  /** How many purges are in each state. */
  counts(): Record<PurgeState, number> {
    const counts: Record<PurgeState, number> = { pending: 0, failed: 0, done: 0 }
    for (const { state, n } of this.countStates.all()) counts[state] = n
    return counts
  }

  /** Forgets delivered purges done before `beforeMs`; returns how many. */
  pruneDone(beforeMs: number): number {
    return this.prune.run(beforeMs).changes
  }
}
