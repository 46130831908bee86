import { Worker } from 'node:worker_threads'
import type { Db } from './open'

/** How often the background thread moves committed pages from the WAL into the database file. */
const CHECKPOINT_INTERVAL_MS = 1000

/**
 * Pages in the WAL after which a commit on the serving connection
 * checkpoints after all, on the event loop: a safety net for when the
 * background thread is gone or far behind, never the normal case.
 */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 20_000

// Runs on its own thread with its own connection. PASSIVE never waits for
// and never blocks readers or writers; what it cannot copy now it copies on
// a later turn. Errors (the file gone at shutdown, say) are not the serving
// side's concern: the safety net above still holds.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.path, { fileMustExist: true })
db.pragma('busy_timeout = 0')
parentPort.postMessage('ready')
const checkpoint = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)') } catch {}
}
const timer = setInterval(checkpoint, workerData.intervalMs)
parentPort.once('message', () => {
  clearInterval(timer)
  checkpoint()
  db.close()
  parentPort.postMessage('closed')
})
`

export interface Checkpointer {
  /** Settles once the thread has its connection open (or has failed to), so a started server holds all it will hold. */
  readonly ready: Promise<void>
  /** Runs a last checkpoint and stops the thread; call it before closing the serving connection. */
  close(): Promise<void>
}

/**
 * Takes WAL checkpoints off the event loop of a serving process. SQLite
 * otherwise checkpoints inside the commit that crosses 1,000 WAL pages:
 * copying those pages into a large database file and syncing it holds the
 * event loop for tens of milliseconds (hundreds on a busy disk), stalling the
 * admin write that happens to cross the line and every public request queued
 * behind it.
 */
export function checkpointInBackground(db: Db, options: { intervalMs?: number } = {}): Checkpointer {
  if (db.memory || db.readonly) return { ready: Promise.resolve(), close: () => Promise.resolve() }
  db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`)
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver: require.resolve('better-sqlite3'), path: db.name, intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS },
  })
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  const said = (word: string) => new Promise<void>((resolve) => worker.on('message', (message) => message === word && resolve()))
  // Kept referenced until ready, so whoever awaits that is not left with an
  // event loop that ends under it; after that a forgotten close must not keep
  // the process alive.
  const ready = Promise.race([said('ready'), exited]).then(() => {
    worker.unref()
  })
  worker.on('error', () => {
    // The thread could not open the database: commits fall back to checkpointing themselves.
    if (db.open) db.pragma('wal_autocheckpoint = 1000')
  })
  let closing: Promise<void> | undefined
  return {
    ready,
    close: () => {
      closing ??= (async () => {
        const closed = said('closed')
        worker.postMessage('close')
        await Promise.race([closed, exited])
        await worker.terminate()
      })()
      return closing
    },
  }
}
