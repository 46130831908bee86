import type { SqlExecutor } from './sql'

/** Highest applied migration number, or 0; the same table on both engines. Used by readiness checks and the CLI. */
export async function schemaVersion(db: SqlExecutor): Promise<number> {
  const row = await db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations')
  return row?.v ?? 0
}
