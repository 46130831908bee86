import type { DatabaseHandle } from './database-handle'
import { migratePostgres, openPostgres, PgLivePolicies } from './postgres'

/**
 * PostgreSQL at `url`, shared by every host: a small pool per process, one
 * LISTEN connection for the policy table, and notifications of assets
 * changed elsewhere passed on to the caches of this process. Rejects with a
 * DatabaseStartupError (one line, password hidden) when the URL is wrong,
 * the server cannot be reached or the login is refused.
 */
export async function openPostgresHandle(url: string, options: { poolSize: number; onError?: (error: Error) => void }): Promise<DatabaseHandle> {
  const db = await openPostgres(url, options)
  let policies: PgLivePolicies | undefined
  const assetListeners: Array<(path: string | undefined) => void> = []
  return {
    dialect: 'postgres',
    db,
    migrate: async () => (await migratePostgres(db)).map((m) => m.name),
    startServing: () => Promise.resolve(),
    async livePolicies({ pollMs, onReload, onError }) {
      policies = await PgLivePolicies.open(db, { pollMs, onReload, ...(onError ? { onError } : {}) })
      policies.onChange((notice) => {
        // After a lost connection anything may have changed meanwhile: forget every asset.
        if (notice.kind === 'asset' || notice.kind === 'resync') {
          const path = notice.kind === 'asset' ? notice.path : undefined
          for (const listener of assetListeners) listener(path)
        }
      })
      return policies
    },
    health: () => policies?.health() ?? 'ok',
    onAssetChanged: (listener) => {
      assetListeners.push(listener)
    },
    async close() {
      await policies?.close()
      await db.close()
    },
  }
}
