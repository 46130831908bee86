import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Db } from './open'

/** `migrations/sqlite/` at the project root, both from `src/` (tests) and `dist/` (built). */
export const MIGRATIONS_DIR = resolve(__dirname, '..', '..', '..', 'migrations', 'sqlite')

const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/

export interface AppliedMigration {
  readonly version: number
  readonly name: string
}

/**
 * Applies `NNNN_name.sql` files in order, each exactly once, each inside its own
 * transaction together with the row that records it, so a failed migration
 * leaves the database as it was. Safe to run from several processes at once:
 * BEGIN IMMEDIATE serialises them and the second finds the work done.
 */
export function migrate(db: Db, dir: string = MIGRATIONS_DIR): AppliedMigration[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`)
  const files = readdirSync(dir)
    .filter((f) => MIGRATION_FILE.test(f))
    .sort()
  const isApplied = db.prepare<[number], { version: number }>('SELECT version FROM schema_migrations WHERE version = ?')
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
  const applied: AppliedMigration[] = []
  for (const file of files) {
    const version = Number(file.slice(0, 4))
    const sql = readFileSync(join(dir, file), 'utf8')
    const apply = db.transaction(() => {
      if (isApplied.get(version)) return false
      db.exec(sql)
      record.run(version, file, new Date().toISOString())
      return true
    })
    if (apply.immediate()) applied.push({ version, name: file })
  }
  return applied
}

/** Highest applied migration number, or 0; used by readiness checks. */
export function schemaVersion(db: Db): number {
  const row = db.prepare<[], { v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations').get()
  return row?.v ?? 0
}
