import Database from 'better-sqlite3'
import type { Command } from 'commander'
import { existsSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { DatabaseStartupError, migratePostgres, openPostgres, postgresSchemaVersion, redactUrl } from '../db/postgres'
import { migrate, schemaVersion } from '../db/sqlite/migrate'
import { openDb, WAIT_BUSY_TIMEOUT_MS } from '../db/sqlite/open'
import { CliError } from './api-client'
import { registerDbCopyCommand } from './db-copy-command'
import type { CommandKit } from './kit'
import { formatBytes, printJson, printLine } from './output'

export interface BackupResult {
  readonly file: string
  readonly sizeBytes: number
  readonly pages: number
  readonly folders: number
  readonly schemaVersion: number
}

/**
 * Consistent online copy through SQLite's backup API (better-sqlite3
 * `db.backup`), safe while the server writes: the copy is one snapshot.
 * SQLite restarts a backup step when another connection writes in between, so
 * after the first step everything left is copied in one step, which a
 * concurrent writer cannot interrupt halfway (WAL lets it keep writing).
 */
export async function backupDatabase(databasePath: string, file: string, options: { force: boolean }): Promise<BackupResult> {
  if (!existsSync(databasePath)) throw new CliError(`database ${databasePath} does not exist (--database or DATABASE_PATH)`)
  if (existsSync(file)) {
    if (!options.force) throw new CliError(`${file} already exists; pass --force to overwrite it`)
    rmSync(file)
  }
  const source = new Database(databasePath, { fileMustExist: true })
  // Not serving: waiting for a busy server is better than failing the backup.
  source.pragma(`busy_timeout = ${WAIT_BUSY_TIMEOUT_MS}`)
  let pages = 0
  try {
    await source.backup(file, {
      progress: ({ totalPages, remainingPages }) => {
        pages = totalPages
        return Math.max(remainingPages, 100)
      },
    })
  } catch (error: unknown) {
    rmSync(file, { force: true })
    throw new CliError(`backup of ${databasePath} failed: ${(error as Error).message}`, 1, { cause: error })
  } finally {
    source.close()
  }
  return verifyBackup(file, pages)
}

/** Opens the copy on its own and checks it is a whole, usable Crossport database. */
function verifyBackup(file: string, pages: number): BackupResult {
  const copy = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const integrity = copy.pragma('integrity_check', { simple: true })
    if (integrity !== 'ok') throw new CliError(`the backup ${file} failed its integrity check: ${String(integrity)}`)
    const folders = copy.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM folders').get()?.n ?? 0
    const pageSize = Number(copy.pragma('page_size', { simple: true }))
    const pageCount = Number(copy.pragma('page_count', { simple: true }))
    return { file, sizeBytes: pageSize * pageCount, pages: pages || pageCount, folders, schemaVersion: schemaVersion(copy) }
  } finally {
    copy.close()
  }
}

/** `migrate` on PostgreSQL: under the advisory lock every host takes, so it is safe beside starting servers. */
export async function migratePostgresDatabase(url: string): Promise<{ applied: string[]; schemaVersion: number }> {
  let db
  try {
    db = await openPostgres(url, { poolSize: 1 })
  } catch (error: unknown) {
    if (error instanceof DatabaseStartupError) throw new CliError(error.message, 1, { cause: error })
    throw error
  }
  try {
    const applied = (await migratePostgres(db)).map((m) => m.name)
    return { applied, schemaVersion: await postgresSchemaVersion(db) }
  } finally {
    await db.close()
  }
}

export async function migrateDatabase(databasePath: string): Promise<{ applied: string[]; schemaVersion: number }> {
  const db = openDb(databasePath, { lockWait: 'wait' })
  try {
    const applied = migrate(db).map((m) => m.name)
    return { applied, schemaVersion: schemaVersion(db) }
  } finally {
    db.close()
  }
}

/** `backup <file>`, `migrate` (SQLite or PostgreSQL) and `db copy`: the database itself, no server needed. */
export function registerDbCommands(program: Command, kit: CommandKit): void {
  const { io } = kit
  program
    .command('backup <file>')
    .description('consistent online backup of the SQLite database (safe while the server runs)')
    .option('--force', 'overwrite <file> if it exists')
    .action(async (file: string, options: { force?: boolean }, command: Command) => {
      const url = kit.databaseUrl(command)
      if (url !== undefined) {
        throw new CliError(`backup copies a SQLite file; the database is PostgreSQL (${redactUrl(url)}): back it up with pg_dump, e.g. pg_dump --format=custom --file=crossport.dump "$DATABASE_URL"`, 2)
      }
      const result = await backupDatabase(kit.databasePath(command), resolve(file), { force: options.force === true })
      if (kit.wantsJson(command)) return printJson(io, result)
      printLine(io, `backed up ${kit.databasePath(command)} to ${result.file}: ${formatBytes(result.sizeBytes)}, ${result.folders} folders, schema version ${result.schemaVersion}`)
    })
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async (_options: unknown, command: Command) => {
      const url = kit.databaseUrl(command)
      const result = url === undefined ? await migrateDatabase(kit.databasePath(command)) : await migratePostgresDatabase(url)
      if (kit.wantsJson(command)) return printJson(io, result)
      printLine(io, result.applied.length === 0 ? `up to date (schema version ${result.schemaVersion})` : `applied ${result.applied.join(', ')} (schema version ${result.schemaVersion})`)
    })
  registerDbCopyCommand(program.command('db').description('move the database between engines'), kit)
}
