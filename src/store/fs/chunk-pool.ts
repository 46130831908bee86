/**
 * The read buffers of all file transfers: reused rather than allocated per
 * chunk, so streaming makes no garbage, and sized by what is left to send.
 *
 * A large body is read and written 1 MiB at a time: per MiB that is one
 * read, one socket write and one event-loop turn instead of sixteen, which
 * is worth about 1.5x on a download. A remainder up to 64 KiB gets a small
 * buffer. Large buffers exist up to a fixed budget shared by every transfer
 * (lent or idle, never more); past it, reads fall back to small buffers,
 * which are always granted. So the bytes held for streaming are at most the
 * budget plus 2 x 64 KiB per download, whatever the clients' speed.
 */
export const SMALL_CHUNK_BYTES = 64 * 1024
export const LARGE_CHUNK_BYTES = 1024 * 1024
/** 16 large buffers: as many as the reads allowed in flight at once. */
export const LARGE_CHUNKS_BUDGET_BYTES = 16 * LARGE_CHUNK_BYTES
/** Idle small buffers kept for the next reads: 64 × 64 KiB = 4 MiB at most. */
const MAX_IDLE_SMALL = 64

export class ChunkPool {
  private readonly idleSmall: Buffer[] = []
  private readonly idleLarge: Buffer[] = []
  /** Large buffers in existence, lent or idle. */
  private largeCount = 0

  constructor(private readonly largeBudgetBytes: number = LARGE_CHUNKS_BUDGET_BYTES) {}

  /** The buffer size a read of up to `remaining` bytes gets now. */
  sizeFor(remaining: number): number {
    if (remaining <= SMALL_CHUNK_BYTES) return SMALL_CHUNK_BYTES
    const isLargeFree = this.idleLarge.length > 0 || (this.largeCount + 1) * LARGE_CHUNK_BYTES <= this.largeBudgetBytes
    return isLargeFree ? LARGE_CHUNK_BYTES : SMALL_CHUNK_BYTES
  }

  /** A buffer for a read of up to `remaining` bytes; hand it back with `give`. */
  take(remaining: number): Buffer {
    if (this.sizeFor(remaining) === SMALL_CHUNK_BYTES) return this.idleSmall.pop() ?? Buffer.allocUnsafeSlow(SMALL_CHUNK_BYTES)
    const idle = this.idleLarge.pop()
    if (idle !== undefined) return idle
    this.largeCount += 1
    return Buffer.allocUnsafeSlow(LARGE_CHUNK_BYTES)
  }

  /**
   * Takes a buffer back. `isReusable` false: something (a destroyed socket)
   * may still read it, so it leaves the pool and its budget, to the collector.
   */
  give(buffer: Buffer, isReusable = true): void {
    if (buffer.length === LARGE_CHUNK_BYTES) {
      if (isReusable) this.idleLarge.push(buffer)
      else this.largeCount -= 1
    } else if (isReusable && this.idleSmall.length < MAX_IDLE_SMALL) {
      this.idleSmall.push(buffer)
    }
  }

  /** Bytes in large buffers, lent or idle (never above the budget). */
  get largeBytesHeld(): number {
    return this.largeCount * LARGE_CHUNK_BYTES
  }

  /** Bytes in large buffers lent out now. */
  get largeBytesLent(): number {
    return (this.largeCount - this.idleLarge.length) * LARGE_CHUNK_BYTES
  }
}
