import type { DatabaseHandle } from '../database-handle'
import { checkpointInBackground, type Checkpointer } from './checkpointer'
import { LivePolicyTable } from './live-policy-table'
import { migrate } from './migrate'
import { openDb, setLockWait } from './open'
import { SqliteDatabase } from './sqlite-database'

/**
 * The SQLite file at `path`, opened for start-up: until `startServing`, a
 * statement that meets another process's lock waits for it (migrations, the
 * bootstrap token), as nothing is being served yet.
 */
export function openSqlite(path: string, options: { busyBudgetMs: number }): DatabaseHandle & { readonly db: SqliteDatabase } {
  const raw = openDb(path, { lockWait: 'wait' })
  const db = new SqliteDatabase(raw, options)
  let checkpointer: Checkpointer | undefined
  return {
    dialect: 'sqlite',
    db,
    migrate: () => Promise.resolve(migrate(raw).map((m) => m.name)),
    async startServing() {
      // From here on a statement that meets another connection's lock fails
      // at once instead of sleeping on the event loop; transactions retry on timers.
      setLockWait(raw, 'fail-fast')
      checkpointer ??= checkpointInBackground(raw)
      await checkpointer.ready
    },
    livePolicies: ({ pollMs, onReload }) => Promise.resolve(new LivePolicyTable(raw, pollMs, onReload)),
    health: () => 'ok',
    onAssetChanged: () => {},
    async close() {
      await checkpointer?.close()
      await db.close()
    },
  }
}
