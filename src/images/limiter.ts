import { CrossportError } from '../errors'

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

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) {
        throw new CrossportError('OVERLOADED', 'Too many image renders in progress; try again shortly', { headers: { 'Retry-After': '1' } })
      }
      // The slot is handed over by `release`, so `active` never drops in between
      // and a newcomer cannot overtake the queue.
      await new Promise<void>((resolve) => this.waiting.push(resolve))
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
