import type { SqlExecutor, SqlValue } from './sql'
import type { Db } from './sqlite/open'

/** What `crossport db copy` moves, in an order that satisfies the foreign keys. */
const TABLES = [
  {
    name: 'folders',
    columns: [
      'id',
      'path',
      'methods',
      'allow_headers',
      'expose_headers',
      'max_age',
      'credentials',
      'private_network',
      'mode',
      'cache_control',
      'cdn_cache_control',
      'signed_urls',
      'created_at',
      'updated_at',
    ],
    order: 'id',
    identity: 'id',
  },
  { name: 'folder_origins', columns: ['folder_id', 'origin', 'position'], order: 'folder_id, position', identity: undefined },
  { name: 'tokens', columns: ['id', 'name', 'scope', 'hash', 'created_at', 'last_used_at', 'revoked_at'], order: 'id', identity: undefined },
  { name: 'audit_log', columns: ['id', 'at', 'actor', 'action', 'target', 'before', 'after'], order: 'id', identity: 'id' },
] as const

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const BATCH_ROWS = 1_000

export type CopyCounts = Record<(typeof TABLES)[number]['name'], number>

export class TargetNotEmptyError extends Error {
  override readonly name = 'TargetNotEmptyError'
}

/**
 * Whether the target holds anything of its own: a token, an audit entry, or
 * a folder besides the `/` every new database starts with.
 */
async function targetContents(tx: SqlExecutor): Promise<string | undefined> {
  const row = await tx.get<{ folders: number; tokens: number; audit: number }>(
    `SELECT (SELECT COUNT(*) FROM folders WHERE path <> '/') AS folders, (SELECT COUNT(*) FROM tokens) AS tokens, (SELECT COUNT(*) FROM audit_log) AS audit`,
  )
  if (row === undefined || row.folders + row.tokens + row.audit === 0) return undefined
  return `${row.folders} folders besides /, ${row.tokens} tokens, ${row.audit} audit entries`
}

/**
 * Copies folders, their origins (in order), policies, tokens (hashes only
 * exist) and the audit log from a SQLite database into `target`, inside the
 * caller's one transaction: all of it or nothing. Ids are kept, so ids held
 * by clients and audit entries still name the same things; the identity
 * sequences then continue after them. The purge outbox is not copied: it
 * holds what the old install owed its CDN.
 * @throws TargetNotEmptyError when the target holds data and `force` is not set.
 */
export async function copySqliteInto(source: Db, target: SqlExecutor, options: { force: boolean }): Promise<CopyCounts> {
  const contents = await targetContents(target)
  if (contents !== undefined && !options.force) throw new TargetNotEmptyError(`the target database is not empty (${contents})`)
  // Reverse order for the foreign keys; `/` goes too: the source has its own.
  for (const table of [...TABLES].reverse()) await target.run(`DELETE FROM ${table.name}`)
  await target.run('DELETE FROM purge_outbox')
  const counts = {} as CopyCounts
  for (const table of TABLES) {
    const rows = source.prepare(`SELECT ${table.columns.join(', ')} FROM ${table.name} ORDER BY ${table.order}`).raw().all() as SqlValue[][]
    for (let start = 0; start < rows.length; start += BATCH_ROWS) await insertRows(target, table.name, table.columns, rows.slice(start, start + BATCH_ROWS))
    if (table.identity !== undefined) {
      await target.get(
        `SELECT setval(pg_get_serial_sequence('${table.name}', '${table.identity}'), COALESCE(MAX(${table.identity}), 0) + 1, false) FROM ${table.name}`,
      )
    }
    counts[table.name] = rows.length
  }
  return counts
}

async function insertRows(target: SqlExecutor, table: string, columns: readonly string[], rows: readonly SqlValue[][]): Promise<void> {
  if (rows.length === 0) return
  const tuples = rows.map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(', ')})`)
  await target.run(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, rows.flat())
}
