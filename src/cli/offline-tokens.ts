import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CreatedToken } from '../admin/schemas/api-types'
import { describeProblems, toFieldProblems } from '../admin/schemas/parse'
import { createTokenSchema } from '../admin/schemas/requests'
import { AuditRepo } from '../db/audit-repo'
import type { Db } from '../db/sqlite/open'
import { SqliteDatabase } from '../db/sqlite/sqlite-database'
import { TokenRepo } from '../db/token-repo'
import { CliError } from './api-client'

/** The audit actor of a token minted straight in the database, by whoever can write that file. */
export const OFFLINE_ACTOR = 'cli (offline)'

/** Tables a Crossport database has from its first migration on; without them it is some other file. */
const REQUIRED_TABLES = ['schema_migrations', 'tokens', 'audit_log']

/**
 * `--database` for offline commands: a SQLite file path (or `file:` URL).
 * Other URLs name databases this version cannot open.
 */
export function databaseFile(input: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(input)?.[1]?.toLowerCase()
  if (scheme === undefined) return resolve(input)
  if (scheme === 'file') return fileURLToPath(input)
  if (scheme === 'postgres' || scheme === 'postgresql') {
    throw new CliError('--database: PostgreSQL is not supported yet; pass the path of the SQLite file (DATABASE_PATH)', 2)
  }
  throw new CliError(`--database: ${scheme}:// is not a database Crossport can open; pass the path of the SQLite file (DATABASE_PATH)`, 2)
}

/**
 * Recovery when no working token is left: mints one directly in the database
 * of a server (running or not), without the admin API. Whoever can write the
 * database file is trusted as the operator already. The database must exist
 * and carry Crossport's schema; nothing else is created or migrated. A running
 * server sees the token at once: every authentication looks the hash up in the
 * database.
 */
/** The same answer `POST /tokens` gives. */
export async function createTokenOffline(database: string, name: string, scope: string): Promise<CreatedToken> {
  const parsed = createTokenSchema.safeParse({ name, scope })
  if (!parsed.success) throw new CliError(describeProblems(toFieldProblems(parsed.error)), 2)
  const file = databaseFile(database)
  if (!existsSync(file)) throw new CliError(`database ${file} does not exist (--database: the SQLite file the server uses, DATABASE_PATH)`)

  // Not openDb: that would create the file or switch it to WAL before we know it is Crossport's.
  const db: Db = new Database(file, { fileMustExist: true })
  try {
    db.pragma('busy_timeout = 5000')
    const present = db
      .prepare<string[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${REQUIRED_TABLES.map(() => '?').join(', ')})`)
      .all(...REQUIRED_TABLES)
    if (present.length !== REQUIRED_TABLES.length) {
      throw new CliError(`${file} is not a Crossport database (it has no Crossport schema); pass the file the server uses (DATABASE_PATH)`)
    }
    // Not a serving process: the connection's own busy handler does the waiting.
    const { info, secret } = await new SqliteDatabase(db, { busyBudgetMs: 0 }).transaction(async (tx) => {
      const created = await new TokenRepo(tx).create(parsed.data.name, parsed.data.scope)
      // As through the API: the audit row describes the token, never its secret.
      await new AuditRepo(tx).record(OFFLINE_ACTOR, 'token.create', created.info.id, null, created.info)
      return created
    })
    return { id: info.id, name: info.name, scope: info.scope, token: secret, createdAt: info.createdAt }
  } catch (error: unknown) {
    if (error instanceof CliError) throw error
    throw new CliError(`creating the token in ${file} failed: ${(error as Error).message}`, 1, { cause: error })
  } finally {
    db.close()
  }
}
