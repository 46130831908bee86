import { appendFileSync, fstatSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { chunks, sendFileRange } from '../../../../src/store/fs/file-transfer'
import { LARGE_CHUNK_BYTES, LARGE_CHUNKS_BUDGET_BYTES, SMALL_CHUNK_BYTES } from '../../../../src/store/fs/chunk-pool'

/** The largest read: the test file spans several of them. */
const CHUNK = LARGE_CHUNK_BYTES

/** A sink that keeps what it gets; `hold` keeps write callbacks back until `release()`. */
class Collector extends Writable {
  readonly chunks: Buffer[] = []
  private held: (() => void)[] = []
  hold = false
  constructor() {
    super({ highWaterMark: 1 })
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk)) // a copy: the sender reuses its buffers
    if (this.hold) this.held.push(() => callback())
    else callback()
  }
  release(): void {
    this.hold = false
    for (const callback of this.held.splice(0)) callback()
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks)
  }
}

const isOpen = (fd: number): boolean => {
  try {
    fstatSync(fd)
    return true
  } catch {
    return false
  }
}
const ticks = (n: number) => new Promise<void>((resolve) => setTimeout(resolve, n))

let dir: string
let file: string
const content = Buffer.from(Array.from({ length: 3 * CHUNK + 123 }, (_, i) => i % 251))

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'crossport-transfer-'))
  file = join(dir, 'video.bin')
  writeFileSync(file, content)
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** A whole-file transfer into a sink that keeps its write callbacks back (a client that does not read). */
function heldTransfer() {
  const fd = openSync(file, 'r')
  const sink = new Collector()
  sink.hold = true
  return { fd, sink, transfer: sendFileRange(fd, sink, 0, content.length - 1) }
}

describe('sendFileRange(fd, sink, start, end)', () => {
  it.each([
    [0, content.length - 1],
    [1000, 5999],
    [content.length - 500, content.length - 1],
    [7, 7],
    // Ranges that end exactly at, just before and just past a read boundary.
    [0, CHUNK - 1],
    [0, CHUNK],
    [1, CHUNK],
    [CHUNK, 2 * CHUNK - 1],
    [CHUNK - 1, 2 * CHUNK],
    [0, SMALL_CHUNK_BYTES - 1],
    [0, SMALL_CHUNK_BYTES],
  ])('sends exactly bytes %d..%d, ends the sink and closes the descriptor', async (start, end) => {
    const fd = openSync(file, 'r')
    const sink = new Collector()
    const finished = new Promise((resolve) => sink.once('finish', resolve))
    const transfer = sendFileRange(fd, sink, start, end)
    await transfer.done
    await finished
    expect(sink.bytes.equals(content.subarray(start, end + 1))).toBe(true)
    expect(transfer.bytesSent).toBe(end - start + 1)
    expect(isOpen(fd)).toBe(false)
  })

  it('keeps at most one chunk waiting in a sink that does not drain (back-pressure)', async () => {
    const { fd, sink, transfer } = heldTransfer()
    await ticks(50)
    expect(sink.chunks.length).toBe(1)
    expect(transfer.bytesSent).toBe(0)
    sink.release()
    await transfer.done
    expect(sink.bytes.equals(content)).toBe(true)
  })

  it('stops and closes the descriptor when the sink is destroyed mid-transfer (client abort)', async () => {
    const { fd, sink, transfer } = heldTransfer()
    await ticks(20)
    sink.destroy()
    await transfer.done
    expect(transfer.bytesSent).toBeLessThan(content.length)
    expect(isOpen(fd)).toBe(false)
  })

  it('destroys the sink rather than complete it with missing bytes when the file shrinks', async () => {
    const { fd, sink, transfer } = heldTransfer()
    await ticks(20)
    truncateSync(file, 2 * SMALL_CHUNK_BYTES)
    sink.release()
    await expect(transfer.done).rejects.toThrow(/shrank/)
    expect(sink.destroyed).toBe(true)
    expect(sink.writableFinished).toBe(false)
    expect(isOpen(fd)).toBe(false)
  })

  it('completes many concurrent transfers byte-exact, more than the reads allowed at once', async () => {
    const ranges = Array.from({ length: 40 }, (_, i) => [i * 1000, content.length - 1 - i * 997] as const)
    const results = await Promise.all(
      ranges.map(async ([start, end]) => {
        const sink = new Collector()
        await sendFileRange(openSync(file, 'r'), sink, start, end).done
        return sink.bytes.equals(content.subarray(start, end + 1))
      }),
    )
    expect(results.every(Boolean)).toBe(true)
  })

  it('lets a transfer finish while many others are stalled on clients that do not read', async () => {
    const stalled = Array.from({ length: 40 }, heldTransfer)
    await ticks(20)
    const sink = new Collector()
    await sendFileRange(openSync(file, 'r'), sink, 0, content.length - 1).done
    expect(sink.bytes.equals(content)).toBe(true)
    for (const s of stalled) s.sink.release()
    await Promise.all(stalled.map((s) => s.transfer.done))
    expect(stalled.every((s) => s.sink.bytes.equals(content))).toBe(true)
  })

  it('sends the range it was asked for when the file grows during the transfer', async () => {
    const { fd, sink, transfer } = heldTransfer()
    await ticks(20)
    appendFileSync(file, Buffer.alloc(2 * CHUNK, 7))
    sink.release()
    await transfer.done
    expect(sink.bytes.equals(content)).toBe(true)
  })

  it('keeps large buffers within the shared budget however many clients stall, and returns them all', async () => {
    const stalled = Array.from({ length: 40 }, heldTransfer)
    // Each stalled download reaches its limit: one chunk in the sink, the next one read and waiting.
    for (let waited = 0; stalled.some((s) => s.sink.chunks.length === 0) && waited < 5000; waited += 10) await ticks(10)
    await ticks(50)
    expect(stalled.every((s) => s.sink.chunks.length === 1)).toBe(true)
    // 40 stalled downloads of 1 MiB reads would hold 80 MiB without the budget: they hold all of it, no more.
    expect(chunks.largeBytesLent).toBe(LARGE_CHUNKS_BUDGET_BYTES)
    expect(chunks.largeBytesHeld).toBe(LARGE_CHUNKS_BUDGET_BYTES)
    for (const s of stalled) s.sink.release()
    await Promise.all(stalled.map((s) => s.transfer.done))
    expect(stalled.every((s) => s.sink.bytes.equals(content))).toBe(true)
    expect(chunks.largeBytesLent).toBe(0)
    expect(chunks.largeBytesHeld).toBeLessThanOrEqual(LARGE_CHUNKS_BUDGET_BYTES)
  })
})
