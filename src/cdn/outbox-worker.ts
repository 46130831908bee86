/**
 * Delivers the purge outbox to the CDN in the background: claims due purges,
 * sends them, and records the outcome. Rows persist in the database, so a
 * restart loses nothing; a purge whose process died is claimed again once
 * its lease runs out. Delivery is at least once: a purge may be sent twice
 * (harmless, purging is idempotent), never dropped.
 */
import { PurgeOutboxRepo, type OutboxPurge } from '../db/purge-outbox-repo'
import type { SqlExecutor } from '../db/sql'
import { retryWhileBusy } from '../db/sqlite/retry-busy'
import { PurgeDeliveryError, type CdnAdapter } from './adapters'

/** What the worker reports; the process connects it to its metrics. */
export interface PurgeTelemetry {
  /** A purge was accepted by the CDN, `delayMs` after its change was committed. */
  purgeSent(delayMs: number): void
  /** A delivery failed and will be tried again. */
  purgeRetried(attempts: number, error: Error): void
  /** The CDN refused a purge for good (bad token, unknown zone); it stays listed as failed. */
  purgeFailed(error: Error): void
  /** A round could not read or update the outbox (database busy or gone); the next round tries again. */
  outboxUnavailable?(error: Error): void
}

export interface OutboxWorkerOptions {
  /** The database (either engine); each outbox update is one statement. */
  readonly db: SqlExecutor
  readonly adapter: Pick<CdnAdapter, 'purge'>
  readonly telemetry?: PurgeTelemetry
  /** How often the outbox is checked for purges written by other processes. */
  readonly pollMs?: number
  /** How long a claimed purge belongs to this worker; a dead process's claims return after it. */
  readonly leaseMs?: number
  /** Purges claimed and sent at once. */
  readonly batchSize?: number
  /** First pause after a failed delivery; doubled per attempt up to `maxRetryMs`. */
  readonly firstRetryMs?: number
  readonly maxRetryMs?: number
  /** How long a claim or an update waits while another process holds SQLite's write lock (PostgreSQL does not need it). */
  readonly busyBudgetMs?: number
  /** Delivered purges are forgotten after this long. */
  readonly keepDoneMs?: number
  readonly now?: () => number
}

const NO_TELEMETRY: PurgeTelemetry = { purgeSent: () => {}, purgeRetried: () => {}, purgeFailed: () => {} }

/** The pause before try `attempts + 1`: doubling from `firstMs`, at most `maxMs`. */
export function retryDelayMs(attempts: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(0, attempts - 1), 30))
}

export class PurgeOutboxWorker {
  private readonly repo: PurgeOutboxRepo
  private readonly telemetry: PurgeTelemetry
  private readonly now: () => number
  private readonly settings: Required<Omit<OutboxWorkerOptions, 'db' | 'adapter' | 'telemetry' | 'now'>>
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private isStarted = false
  /** A wake-up came while a round ran: run another at once. */
  private isWanted = false
  /** Callers of `settled()` waiting for the next round to start and end. */
  private waiters: Array<() => void> = []

  constructor(private readonly options: OutboxWorkerOptions) {
    this.repo = new PurgeOutboxRepo(options.db)
    this.telemetry = options.telemetry ?? NO_TELEMETRY
    this.now = options.now ?? Date.now
    this.settings = {
      pollMs: options.pollMs ?? 1000,
      leaseMs: options.leaseMs ?? 60_000,
      batchSize: options.batchSize ?? 20,
      firstRetryMs: options.firstRetryMs ?? 1000,
      maxRetryMs: options.maxRetryMs ?? 300_000,
      busyBudgetMs: options.busyBudgetMs ?? 5000,
      keepDoneMs: options.keepDoneMs ?? 24 * 3600_000,
    }
  }

  /** Starts the background loop: a round now, then one every `pollMs` and on each `wake()`. */
  start(): void {
    if (this.isStarted) return
    this.isStarted = true
    this.schedule(0)
  }

  /** Runs a round soon: call it after committing a change that enqueued a purge. */
  wake(): void {
    if (!this.isStarted) return
    if (this.running !== undefined) this.isWanted = true
    else this.schedule(0)
  }

  /**
   * Wakes the loop and resolves once a round that started after this call has
   * ended, or after `maxWaitMs`: the purges committed before the call were
   * then tried (delivered, or left for a retry). At once when not started.
   */
  settled(maxWaitMs: number): Promise<void> {
    if (!this.isStarted) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxWaitMs)
      timer.unref()
      this.waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
      this.wake()
    })
  }

  /** Stops the loop and waits for the round in flight; unfinished purges stay in the outbox. */
  async stop(): Promise<void> {
    this.isStarted = false
    clearTimeout(this.timer)
    await this.running
    for (const release of this.waiters.splice(0)) release()
  }

  /** Claims due purges and delivers them; returns how many it handled. */
  async runOnce(): Promise<number> {
    const claimed = await retryWhileBusy(() => this.repo.claimDue(this.now(), this.settings.batchSize, this.settings.leaseMs), this.settings.busyBudgetMs)
    await Promise.all(claimed.map((purge) => this.deliver(purge)))
    if (claimed.length > 0) await retryWhileBusy(() => this.repo.pruneDone(this.now() - this.settings.keepDoneMs), this.settings.busyBudgetMs)
    return claimed.length
  }

  private async deliver(purge: OutboxPurge): Promise<void> {
    try {
      await this.options.adapter.purge(purge.tags, purge.paths)
    } catch (error: unknown) {
      return this.recordFailure(purge, error instanceof Error ? error : new Error(String(error)))
    }
    await retryWhileBusy(() => this.repo.markDone(purge.id, this.now()), this.settings.busyBudgetMs)
    this.telemetry.purgeSent(Math.max(0, this.now() - purge.createdAtMs))
  }

  private async recordFailure(purge: OutboxPurge, error: Error): Promise<void> {
    // Anything but a refusal by the CDN (a bug, an odd answer) is retried too: a purge is never dropped silently.
    const isPermanent = error instanceof PurgeDeliveryError && !error.isRetryable
    if (isPermanent) {
      await retryWhileBusy(() => this.repo.markFailed(purge.id, error.message), this.settings.busyBudgetMs)
      this.telemetry.purgeFailed(error)
      return
    }
    const next = this.now() + retryDelayMs(purge.attempts, this.settings.firstRetryMs, this.settings.maxRetryMs)
    await retryWhileBusy(() => this.repo.markRetry(purge.id, next, error.message), this.settings.busyBudgetMs)
    this.telemetry.purgeRetried(purge.attempts, error)
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.round(), delayMs)
    // The loop alone never keeps the process alive; shutdown calls stop().
    this.timer.unref()
  }

  private round(): void {
    if (!this.isStarted || this.running !== undefined) return
    this.isWanted = false
    const waiting = this.waiters.splice(0)
    this.running = this.runOnce()
      .catch((error: unknown) => {
        this.telemetry.outboxUnavailable?.(error instanceof Error ? error : new Error(String(error)))
        return 0
      })
      .then((handled) => {
        this.running = undefined
        for (const release of waiting) release()
        if (!this.isStarted) return
        // A full batch may mean more are due; a wake-up during the round may mean a new purge.
        this.schedule(handled >= this.settings.batchSize || this.isWanted ? 0 : this.settings.pollMs)
      })
  }
}
