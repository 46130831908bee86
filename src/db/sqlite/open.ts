import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

export type Db = Database.Database

/**
 * What a connection does when another connection holds the lock it needs:
 * - `wait`: SQLite's busy handler sleeps up to `WAIT_BUSY_TIMEOUT_MS`. For the
 *   CLI (migrate, backup) and start-up, where nothing is being served.
 * - `fail-fast`: SQLITE_BUSY at once. For a process that serves requests: the
 *   busy handler sleeps on the event loop, so one admin write waiting for a
 *   lock would stall every public request. Writers there retry with timers
 *   instead (`retryWhileBusy` in retry-busy.ts).
 */
export type LockWait = 'wait' | 'fail-fast'

export const WAIT_BUSY_TIMEOUT_MS = 5000

/**
 * One connection per process. WAL lets readers (other workers, the CLI's
 * backup) run while the admin API writes, so reads never need to wait.
 */
export function openDb(path: string, options: { readonly?: boolean; lockWait?: LockWait } = {}): Db {
  if (path !== ':memory:' && !options.readonly) mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false })
  setLockWait(db, options.lockWait ?? 'wait')
  if (!options.readonly) db.pragma('journal_mode = WAL')
  db.pragma('foreign_keys = ON')
  db.pragma('synchronous = NORMAL')
  return db
}

/** Switches a connection opened for start-up (`wait`) to serving (`fail-fast`). */
export function setLockWait(db: Db, lockWait: LockWait): void {
  db.pragma(`busy_timeout = ${lockWait === 'wait' ? WAIT_BUSY_TIMEOUT_MS : 0}`)
}
