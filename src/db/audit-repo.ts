import type { Statement } from 'better-sqlite3'
import type { Db } from './sqlite/open'

export interface AuditEntry {
  readonly id: number
  readonly at: string
  /** Name of the token that made the change (`bootstrap`, `ci`, ...), or `cli`/`system`. */
  readonly actor: string
  /** e.g. `folder.create`, `origin.add`, `asset.upload`, `token.revoke`. */
  readonly action: string
  /** What changed: a folder path, an asset path, a token id. */
  readonly target: string
  /**
   * The token's name when the target is a token id (`token.create`,
   * `token.revoke`), so readers need not look ids up; null otherwise.
   */
  readonly targetName: string | null
  readonly before: unknown
  readonly after: unknown
}

interface AuditRow {
  id: number
  at: string
  actor: string
  action: string
  target: string
  before: string | null
  after: string | null
  target_name: string | null
}

const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text))

/** Append-only change log. Callers write it in the same transaction as the change. */
export class AuditRepo {
  private readonly insert: Statement
  private readonly selectNewest: Statement<[number], AuditRow>
  private readonly selectNewestFor: Statement<[string, string, number], AuditRow>
  private readonly selectBefore: Statement<[number, number], AuditRow>
  private readonly selectBeforeFor: Statement<[number, string, string, number], AuditRow>

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO audit_log (at, actor, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?)')
    // Token actions name a token id as their target; the join adds its name.
    const select = `SELECT a.id, a.at, a.actor, a.action, a.target, a.before, a.after, t.name AS target_name
      FROM audit_log a LEFT JOIN tokens t ON a.action LIKE 'token.%' AND t.id = a.target`
    const forTarget = "(a.target = ? OR a.target LIKE ? ESCAPE '\\')"
    this.selectNewest = db.prepare(`${select} ORDER BY a.id DESC LIMIT ?`)
    this.selectNewestFor = db.prepare(`${select} WHERE ${forTarget} ORDER BY a.id DESC LIMIT ?`)
    this.selectBefore = db.prepare(`${select} WHERE a.id < ? ORDER BY a.id DESC LIMIT ?`)
    this.selectBeforeFor = db.prepare(`${select} WHERE a.id < ? AND ${forTarget} ORDER BY a.id DESC LIMIT ?`)
  }

  record(actor: string, action: string, target: string, before: unknown, after: unknown): void {
    this.insert.run(
      new Date().toISOString(),
      actor,
      action,
      target,
      before === undefined ? null : JSON.stringify(before),
      after === undefined ? null : JSON.stringify(after),
    )
  }

  /**
   * Newest first; `beforeId` pages backwards. `target` narrows to a path and
   * what lies below it, at a `/` boundary: `/brand` is `/brand` and
   * `/brand/…` (never `/brandx/…`), `/brand/` is `/brand/…`. Other targets
   * (token ids) match only themselves.
   */
  list(options: { limit: number; target?: string; beforeId?: number }): AuditEntry[] {
    const { limit, target, beforeId } = options
    const like = target === undefined ? '' : escapeLike(target.endsWith('/') ? target : target + '/') + '%'
    let rows: AuditRow[]
    if (beforeId !== undefined) {
      rows = target === undefined ? this.selectBefore.all(beforeId, limit) : this.selectBeforeFor.all(beforeId, target, like, limit)
    } else {
      rows = target === undefined ? this.selectNewest.all(limit) : this.selectNewestFor.all(target, like, limit)
    }
    return rows.map(({ target_name, ...row }) => ({ ...row, targetName: target_name, before: parse(row.before), after: parse(row.after) }))
  }
}

// A folder named /a_b/ must not match /axb/: escape LIKE's wildcards.
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c)
}
