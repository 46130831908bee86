import type { Dialect, LivePolicies, SqlDatabase } from './sql'

/**
 * One process's database, whichever engine, with what differs between the
 * engines at start-up and shutdown behind it. The routes and workers see
 * only `db`.
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
  /** The in-memory policy table over this database; `onReload` counts reloads for the metrics. */
  livePolicies(pollMs: number, onReload: () => void): Promise<LivePolicies>
  /** Stops what `startServing` started, then closes the connection. */
  close(): Promise<void>
}
