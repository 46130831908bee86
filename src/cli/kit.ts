import type { Command } from 'commander'
import type { ApiClient } from './api-client'
import type { CliIo } from './output'

/**
 * What every command module needs from the program: the output, the admin API
 * as the global options and environment name it, and where the database is.
 */
export interface CommandKit {
  readonly io: CliIo
  api(command: Command): ApiClient
  /** `--json`: machine-readable JSON on stdout instead of tables and sentences. */
  wantsJson(command: Command): boolean
  /** The SQLite file for backup and migrate: `--database`, then DATABASE_PATH, then the default. */
  databasePath(command: Command): string
  /**
   * The PostgreSQL URL migrate works on: `--database` when it is one, else
   * DATABASE_URL unless `--database` names a file. Undefined: SQLite.
   */
  databaseUrl(command: Command): string | undefined
  /** `--database` as given on the command line only (tokens create mints offline then). */
  explicitDatabase(command: Command): string | undefined
}
