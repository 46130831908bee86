import type { SqlExecutor, SqlValue } from './sql'

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

// Token actions name a token id as their target; the join adds its name.
const SELECT = `SELECT a.id, a.at, a.actor, a.action, a.target, a.before, a.after, t.name AS target_name
  FROM audit_log a LEFT JOIN tokens t ON a.action LIKE 'token.%' AND t.id = a.target`

/** Append-only change log. Callers write it in the same transaction as the change (`new AuditRepo(tx)`). */
export class AuditRepo {
  constructor(private readonly db: SqlExecutor) {}

  async record(actor: string, action: string, target: string, before: unknown, after: unknown): Promise<void> {
    await this.db.run('INSERT INTO audit_log (at, actor, action, target, before, after) VALUES ($1, $2, $3, $4, $5, $6)', [
      new Date().toISOString(),
      actor,
      action,
      target,
      before === undefined ? null : JSON.stringify(before),
      after === undefined ? null : JSON.stringify(after),
    ])
  }

  /**
   * Newest first; `beforeId` pages backwards. `target` narrows to a path and
   * what lies below it, at a `/` boundary: `/brand` is `/brand` and
   * `/brand/…` (never `/brandx/…`), `/brand/` is `/brand/…`. Other targets
   * (token ids) match only themselves.
   */
  async list(options: { limit: number; target?: string; beforeId?: number }): Promise<AuditEntry[]> {
    const { limit, target, beforeId } = options
    const conditions: string[] = []
    const params: SqlValue[] = []
    if (beforeId !== undefined) {
      params.push(beforeId)
      conditions.push(`a.id < $${params.length}`)
    }
    if (target !== undefined) {
      params.push(target, escapeLike(target.endsWith('/') ? target : target + '/') + '%')
      conditions.push(`(a.target = $${params.length - 1} OR a.target LIKE $${params.length} ESCAPE '\\')`)
    }
    params.push(limit)
    const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`
    const rows = await this.db.all<AuditRow>(`${SELECT}${where} ORDER BY a.id DESC LIMIT $${params.length}`, params)
    return rows.map(({ target_name, ...row }) => ({ ...row, targetName: target_name, before: parse(row.before), after: parse(row.after) }))
  }
}

// A folder named /a_b/ must not match /axb/: escape LIKE's wildcards.
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c)
}
