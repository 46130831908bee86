import type { Config } from '../config/config'
import type { DatabaseHandle } from './database-handle'
import { openPostgresHandle } from './postgres-handle'
import { openSqlite } from './sqlite/open-sqlite'

export type DatabaseSettings = Pick<Readonly<Config>, 'databasePath' | 'databaseUrl' | 'databasePoolSize' | 'dbBusyRetryMs'>

/**
 * The database the configuration names: PostgreSQL when DATABASE_URL is set
 * (DATABASE_PATH is then ignored and no SQLite file is created), else the
 * SQLite file at DATABASE_PATH.
 */
export function openDatabase(config: DatabaseSettings, options: { onError?: (error: Error) => void } = {}): Promise<DatabaseHandle> {
  if (config.databaseUrl !== undefined) return openPostgresHandle(config.databaseUrl, { poolSize: config.databasePoolSize, ...options })
  return Promise.resolve(openSqlite(config.databasePath, { busyBudgetMs: config.dbBusyRetryMs }))
}
