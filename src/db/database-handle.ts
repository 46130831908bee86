import type { Dialect, LivePolicies, SqlDatabase } from './sql'

/** `degraded`: the shared database is unreachable and this process serves what it holds in memory. */
export type DatabaseHealth = 'ok' | 'degraded'

export interface LivePoliciesOptions {
  /** POLICY_POLL_MS: how often changes by other processes (or a missed notification) are looked for. */
  readonly pollMs: number
  /** The table changed: counts reloads for the metrics. */
  readonly onReload: () => void
  /** A read of the database failed in the background (PostgreSQL unreachable): counts it for the metrics. */
  readonly onError?: (error: Error) => void
}

/**
 * One process's database, whichever engine, with what differs between the
 * engines at start-up, shutdown and in the background behind it. The routes
 * and workers see only `db`.
 */
export interface DatabaseHandle {
  readonly dialect: Dialect
  readonly db: SqlDatabase
  /** Applies pending migrations, each once, safe when several processes start together; the names applied. */
  migrate(): Promise<readonly string[]>
  /**
   * Start-up is over, this process serves from now on. SQLite: statements
   * stop waiting for other connections' locks (they would sleep on the event
   * loop) and WAL checkpoints move to a background thread.
   */
  startServing(): Promise<void>
  /** The in-memory policy table over this database (one per process). */
  livePolicies(options: LivePoliciesOptions): Promise<LivePolicies>
  /** `degraded` while the shared database cannot be reached; SQLite, a file on this host, is always `ok` here. */
  health(): DatabaseHealth
  /**
   * Calls `listener` with the path of every asset another process or host
   * uploaded, replaced or deleted (PostgreSQL notifications; on SQLite the
   * cluster relay does this, so it is never called). `undefined`: some
   * changes may have been missed, drop what is kept about every asset.
   */
  onAssetChanged(listener: (path: string | undefined) => void): void
  /** Stops what `startServing` and `livePolicies` started, then closes the connection. */
  close(): Promise<void>
}
