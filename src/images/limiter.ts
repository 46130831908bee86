import { CrossportError } from '../http/errors'

/**
 * At most `concurrency` tasks run at once and at most `queueLimit` wait; past
 * that a task is refused at once with 503 + Retry-After rather than queued
 * without bound (each waiting render would hold a request, and memory, open).
 */
export class RenderLimiter {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(
    private readonly concurrency: number,
    private readonly queueLimit: number,
  ) {}

  get activeCount(): number {
    return this.active
  }

  get queuedCount(): number {
    return this.waiting.length
  }

  /**
   * Runs `task` when a slot is free. When `signal` aborts while the task still
   * waits, it leaves the queue without running and the promise rejects with
   * the signal's reason: work nobody waits for any more is never started.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted()
    if (this.active >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) {
        throw new CrossportError('OVERLOADED', 'Too many image renders in progress; try again shortly', { headers: { 'Retry-After': '1' } })
      }
      // The slot is handed over by `release`, so `active` never drops in between
      // and a newcomer cannot overtake the queue.
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const at = this.waiting.indexOf(start)
          if (at >= 0) this.waiting.splice(at, 1)
          reject(signal?.reason)
        }
        const start = () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }
        this.waiting.push(start)
        signal?.addEventListener('abort', onAbort, { once: true })
      })
    } else {
      this.active++
    }
    try {
      return await task()
    } finally {
      this.release()
    }
  }

  private release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.active--
  }
}
