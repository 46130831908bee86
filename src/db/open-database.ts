import type { Config } from '../config/config'
import type { DatabaseHandle } from './database-handle'
import { openSqlite } from './sqlite/open-sqlite'

/** The database the configuration names: the SQLite file at DATABASE_PATH. */
export async function openDatabase(config: Pick<Readonly<Config>, 'databasePath' | 'dbBusyRetryMs'>): Promise<DatabaseHandle> {
  return openSqlite(config.databasePath, { busyBudgetMs: config.dbBusyRetryMs })
}
