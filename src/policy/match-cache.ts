/**
 * A least-recently-used cache that holds only what it was given: a Map in
 * use order. Each compiled folder has one, and of 100,000 folders most see
 * one or two origins, so it must cost next to nothing until used (a
 * preallocating LRU takes several KB per folder, a GB at that scale).
 */
export class MatchCache<V> {
  private readonly entries = new Map<string, V>()
  /** The key used last: a page sends the same Origin again and again, so its hit moves nothing. */
  private newest: string | undefined

  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key)
    if (value !== undefined && key !== this.newest) {
      // Re-inserting moves the key to the end of the Map's order: most recently used.
      this.entries.delete(key)
      this.entries.set(key, value)
      this.newest = key
    }
    return value
  }

  set(key: string, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    this.newest = key
    if (this.entries.size > this.max) {
      // The first key in order is the least recently used.
      const oldest = this.entries.keys().next().value as string
      this.entries.delete(oldest)
    }
  }
}
