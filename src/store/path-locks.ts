/**
 * One writer per asset path at a time in this process, so a put's
 * precondition and its commit see no other put or delete of the same path in
 * between. Any store uses it; across hosts only the store itself (rename,
 * conditional writes) can order writes.
 */
export class PathLocks {
  /** Per-path tail of the chain of work waiting for that path. */
  private readonly tails = new Map<string, Promise<void>>()

  /** Runs `work` once every earlier `run` of the same path has settled. */
  async run<T>(path: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(path) ?? Promise.resolve()
    const running = previous.then(work)
    const tail = running.then(
      () => undefined,
      () => undefined,
    )
    this.tails.set(path, tail)
    try {
      return await running
    } finally {
      if (this.tails.get(path) === tail) this.tails.delete(path)
    }
  }
}
