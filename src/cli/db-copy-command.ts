import Database from 'better-sqlite3'
import type { Command } from 'commander'
import { existsSync, readdirSync } from 'node:fs'
import { copySqliteInto, TargetNotEmptyError, type CopyCounts } from '../db/copy-database'
import { DatabaseStartupError, migratePostgres, openPostgres, redactUrl } from '../db/postgres'
import { MIGRATIONS_DIR, schemaVersion } from '../db/sqlite/migrate'
import { WAIT_BUSY_TIMEOUT_MS } from '../db/sqlite/open'
import { CliError } from './api-client'
import type { CommandKit } from './kit'
import { databaseFile } from './offline-tokens'
import { printJson, printLine } from './output'

/** The highest migration this version ships for SQLite; a source must be at it, so every column is there. */
const latestSqliteVersion = (): number =>
  Math.max(0, ...readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{4}_/.test(f)).map((f) => Number(f.slice(0, 4))))

/**
 * `db copy --from <sqlite file> --to <postgres url>`: moves an install from
 * SQLite to PostgreSQL. The target is migrated first; the copy is one
 * PostgreSQL transaction, so it is all there or not at all. The source is
 * only read (a running server may keep using it).
 */
export async function copyDatabase(from: string, to: string, options: { force: boolean }): Promise<CopyCounts> {
  const file = databaseFile(from)
  if (!existsSync(file)) throw new CliError(`--from: ${file} does not exist (the SQLite file the server uses, DATABASE_PATH)`)
  if (!/^postgres(ql)?:\/\//i.test(to)) throw new CliError('--to: pass the PostgreSQL URL to copy into (postgres://user:password@host:5432/database)', 2)
  const source = new Database(file, { readonly: true, fileMustExist: true })
  try {
    source.pragma(`busy_timeout = ${WAIT_BUSY_TIMEOUT_MS}`)
    const version = readVersion(source, file)
    const latest = latestSqliteVersion()
    if (version < latest) throw new CliError(`${file} is at schema version ${version}, this version needs ${latest}: run crossport migrate --database ${file} first`)
    const target = await openTarget(to)
    try {
      await migratePostgres(target)
      // One snapshot of the source for the whole copy, while a server may write it.
      source.exec('BEGIN')
      return await target.transaction((tx) => copySqliteInto(source, tx, options))
    } catch (error: unknown) {
      if (error instanceof TargetNotEmptyError) throw new CliError(`${redactUrl(to)}: ${error.message}; pass --force to replace it`)
      throw error
    } finally {
      if (source.inTransaction) source.exec('ROLLBACK')
      await target.close()
    }
  } finally {
    source.close()
  }
}

function readVersion(source: Database.Database, file: string): number {
  try {
    return schemaVersion(source)
  } catch {
    throw new CliError(`${file} is not a Crossport database (it has no Crossport schema)`)
  }
}

async function openTarget(url: string) {
  try {
    return await openPostgres(url, { poolSize: 1 })
  } catch (error: unknown) {
    if (error instanceof DatabaseStartupError) throw new CliError(error.message, 1, { cause: error })
    throw error
  }
}

export function registerDbCopyCommand(db: Command, kit: CommandKit): void {
  db.command('copy')
    .description('copy folders, policies, tokens and the audit log from a SQLite file into an empty PostgreSQL database, in one transaction')
    .requiredOption('--from <file>', 'the SQLite database file (DATABASE_PATH of the install)')
    .requiredOption('--to <url>', 'the PostgreSQL URL (DATABASE_URL of the new install)')
    .option('--force', 'replace what the target database already holds')
    .action(async (options: { from: string; to: string; force?: boolean }, command: Command) => {
      const counts = await copyDatabase(options.from, options.to, { force: options.force === true })
      if (kit.wantsJson(command)) return printJson(kit.io, counts)
      printLine(
        kit.io,
        `copied ${counts.folders} folders (${counts.folder_origins} origins), ${counts.tokens} tokens and ${counts.audit_log} audit entries to ${redactUrl(options.to)}`,
      )
    })
}
