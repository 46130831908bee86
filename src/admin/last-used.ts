import { isDatabaseBusy } from '../db/sqlite/retry-busy'

/** `last_used_at` is precise to this much: a token is written at most once per period. */
export const LAST_USED_RESOLUTION_MS = 60_000
/** Pause before writing again when another process held the write lock. */
export const LAST_USED_RETRY_MS = 1000

export interface LastUsedOptions {
  /** Stores one token's time; rejects with SQLITE_BUSY when another connection holds the lock. */
  readonly write: (tokenId: string, at: string) => Promise<void>
  /** A write failed for another reason than a lock; the time is dropped. */
  readonly onError?: (error: unknown, tokenId: string) => void
  readonly resolutionMs?: number
  readonly retryMs?: number
  readonly now?: () => number
}

/**
 * Records when each admin token was last used, lazily: authentication only
 * notes the time in memory, and a timer writes it after the request has been
 * answered. A write that finds the database locked is kept and tried again
 * later, so no admin request ever waits for, or fails on, this bookkeeping
 * (an admin GET needs no write). Best-effort: a time not yet written when the
 * process stops is lost.
 */
export class LastUsedRecorder {
  /** Token id → ISO time of its latest use not yet written. */
  private readonly pending = new Map<string, string>()
  private timer: NodeJS.Timeout | undefined
  private readonly resolutionMs: number
  private readonly retryMs: number
  private readonly now: () => number

  constructor(private readonly options: LastUsedOptions) {
    this.resolutionMs = options.resolutionMs ?? LAST_USED_RESOLUTION_MS
    this.retryMs = options.retryMs ?? LAST_USED_RETRY_MS
    this.now = options.now ?? Date.now
  }

  /** A request was authenticated with this token; `storedAt` is its `last_used_at` as read with it. */
  used(tokenId: string, storedAt: string | null): void {
    const nowMs = this.now()
    if (storedAt !== null && nowMs - Date.parse(storedAt) < this.resolutionMs) return
    this.pending.set(tokenId, new Date(nowMs).toISOString())
    this.schedule(0)
  }

  /**
   * Writes every pending time now; what finds the database locked (or, on
   * PostgreSQL, unreachable) stays pending. The timer is re-armed only once
   * this settles, so writes never overlap.
   */
  async flush(): Promise<void> {
    let isBusy = false
    for (const [tokenId, at] of [...this.pending]) {
      try {
        await this.options.write(tokenId, at)
        // A newer time noted meanwhile stays pending.
        if (this.pending.get(tokenId) === at) this.pending.delete(tokenId)
      } catch (error: unknown) {
        if (isDatabaseBusy(error)) {
          isBusy = true
          continue
        }
        this.pending.delete(tokenId)
        this.options.onError?.(error, tokenId)
      }
    }
    this.timer = undefined
    if (this.pending.size > 0) this.schedule(isBusy ? this.retryMs : 0)
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) return
    // unref: pending bookkeeping never keeps a stopping process alive.
    this.timer = setTimeout(() => void this.flush(), delayMs).unref()
  }
}
