/**
 * Concurrent callers asking for the same thing share one piece of work (one
 * render for many first requests), and the work is told to stop once every
 * caller has stopped waiting (its client left, or its deadline passed).
 */
interface Job<T> {
  readonly promise: Promise<T>
  readonly controller: AbortController
  waiting: number
}

export class SharedWork<T> {
  private readonly jobs = new Map<string, Job<T>>()

  get size(): number {
    return this.jobs.size
  }

  /**
   * Joins the running job for `key` or starts `work`. The job's signal aborts
   * when the last caller's `signal` has aborted; from then on a new caller
   * starts fresh work instead of joining what is being abandoned.
   */
  join(key: string, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let job = this.jobs.get(key)
    if (job === undefined) {
      const controller = new AbortController()
      const started: Job<T> = { controller, waiting: 0, promise: work(controller.signal) }
      const forget = () => {
        if (this.jobs.get(key) === started) this.jobs.delete(key)
      }
      started.promise.then(forget, forget)
      this.jobs.set(key, started)
      job = started
    }
    const joined = job
    joined.waiting++
    const leave = () => {
      if (--joined.waiting > 0) return
      if (this.jobs.get(key) === joined) this.jobs.delete(key)
      joined.controller.abort(signal.reason)
    }
    if (signal.aborted) leave()
    else signal.addEventListener('abort', leave, { once: true })
    return joined.promise.finally(() => signal.removeEventListener('abort', leave))
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts, whichever comes first. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined)
    return Promise.reject(signal.reason as unknown)
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as unknown)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
