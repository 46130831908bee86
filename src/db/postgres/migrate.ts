import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { PgDatabase } from './database'
import { asUnavailable } from './errors'

/** `migrations/postgres/` at the project root, both from `src/` (tests) and `dist/` (built). */
export const POSTGRES_MIGRATIONS_DIR = resolve(__dirname, '..', '..', '..', 'migrations', 'postgres')

const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/
/** The advisory lock every Crossport host takes to migrate: a constant of our own ("CRSP"). */
const MIGRATION_LOCK_KEY = 0x43525350

export interface AppliedMigration {
  readonly version: number
  readonly name: string
}

/**
 * Applies `NNNN_name.sql` files in order, each exactly once, each inside its
 * own transaction together with the row that records it, so a failed
 * migration leaves the database as it was. Several hosts starting at the
 * same moment take turns on a session advisory lock: the first applies, the
 * others find the work recorded.
 */
export async function migratePostgres(db: PgDatabase, dir: string = POSTGRES_MIGRATIONS_DIR): Promise<AppliedMigration[]> {
  const files = (await readdir(dir)).filter((f) => MIGRATION_FILE.test(f)).sort()
  const client = db.newClient()
  try {
    await client.connect()
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TEXT NOT NULL
    )`)
    const applied: AppliedMigration[] = []
    for (const file of files) {
      const version = Number(file.slice(0, 4))
      if ((await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [version])).rowCount !== 0) continue
      const sql = await readFile(join(dir, file), 'utf8')
      try {
        await client.query('BEGIN')
        // No parameters: the simple protocol, which runs a file of several statements.
        await client.query(sql)
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [version, file, new Date().toISOString()])
        await client.query('COMMIT')
      } catch (error: unknown) {
        await client.query('ROLLBACK').catch(() => {})
        throw new Error(`migration ${file} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
      }
      applied.push({ version, name: file })
    }
    return applied
  } catch (error: unknown) {
    throw asUnavailable(error)
  } finally {
    // Ending the session releases the advisory lock too.
    await client.end().catch(() => {})
  }
}

/** Highest applied migration number, or 0; used by readiness checks. */
export async function postgresSchemaVersion(db: PgDatabase): Promise<number> {
  const exists = await db.get<{ name: string | null }>("SELECT to_regclass('schema_migrations')::text AS name")
  if (exists?.name == null) return 0
  return (await db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations'))?.v ?? 0
}
