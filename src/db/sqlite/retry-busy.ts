import { setTimeout as sleep } from 'node:timers/promises'

/** First pause after SQLITE_BUSY; each further pause doubles, up to `MAX_PAUSE_MS`. */
const FIRST_PAUSE_MS = 2
/** Short enough that a write goes through soon after the lock is released. */
const MAX_PAUSE_MS = 50

/**
 * Another connection holds the lock this statement needs (SQLITE_BUSY and its
 * extended codes; SQLITE_LOCKED is the same situation within one process).
 * Nothing was changed, so running the statement again is safe.
 */
export function isDatabaseBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED')
}

/**
 * Runs `attempt` (a statement or a transaction) and, while it fails
 * with SQLITE_BUSY, runs it again after a growing pause, for at most
 * `budgetMs` in all. The serving process opens the database with
 * busy_timeout 0 (`setLockWait(db, 'fail-fast')`), so each attempt fails at
 * once and the pauses are timers: the event loop serves other requests
 * meanwhile, where SQLite's own busy handler would sleep on it. After the
 * budget the last SQLITE_BUSY is thrown (the admin API answers 503 with
 * Retry-After). Any other error is thrown at once.
 */
export async function retryWhileBusy<T>(attempt: () => T | Promise<T>, budgetMs: number): Promise<T> {
  const startedAtMs = performance.now()
  for (let pauseMs = FIRST_PAUSE_MS; ; pauseMs = Math.min(pauseMs * 2, MAX_PAUSE_MS)) {
    try {
      return await attempt()
    } catch (error: unknown) {
      const leftMs = budgetMs - (performance.now() - startedAtMs)
      if (!isDatabaseBusy(error) || leftMs <= 0) throw error
      await sleep(Math.min(pauseMs, leftMs))
    }
  }
}
