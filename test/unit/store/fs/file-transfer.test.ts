import { fstatSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { sendFileRange, TRANSFER_CHUNK_BYTES } from '../../../../src/store/fs/file-transfer'

const CHUNK = TRANSFER_CHUNK_BYTES

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
const content = Buffer.from(Array.from({ length: 10 * CHUNK + 123 }, (_, i) => i % 251))

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'crossport-transfer-'))
  file = join(dir, 'video.bin')
  writeFileSync(file, content)
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('sendFileRange(fd, sink, start, end)', () => {
  it.each([
    [0, content.length - 1],
    [1000, 5999],
    [content.length - 500, content.length - 1],
    [7, 7],
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
    const fd = openSync(file, 'r')
    const sink = new Collector()
    sink.hold = true
    const transfer = sendFileRange(fd, sink, 0, content.length - 1)
    await ticks(50)
    expect(sink.chunks.length).toBe(1)
    expect(transfer.bytesSent).toBe(0)
    sink.release()
    await transfer.done
    expect(sink.bytes.equals(content)).toBe(true)
  })

  it('stops and closes the descriptor when the sink is destroyed mid-transfer (client abort)', async () => {
    const fd = openSync(file, 'r')
    const sink = new Collector()
    sink.hold = true
    const transfer = sendFileRange(fd, sink, 0, content.length - 1)
    await ticks(20)
    sink.destroy()
    await transfer.done
    expect(transfer.bytesSent).toBeLessThan(content.length)
    expect(isOpen(fd)).toBe(false)
  })

  it('destroys the sink rather than complete it with missing bytes when the file shrinks', async () => {
    const fd = openSync(file, 'r')
    const sink = new Collector()
    sink.hold = true
    const transfer = sendFileRange(fd, sink, 0, content.length - 1)
    await ticks(20)
    truncateSync(file, 2 * CHUNK)
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
    const stalled = Array.from({ length: 40 }, () => {
      const sink = new Collector()
      sink.hold = true
      return { sink, transfer: sendFileRange(openSync(file, 'r'), sink, 0, content.length - 1) }
    })
    await ticks(20)
    const sink = new Collector()
    await sendFileRange(openSync(file, 'r'), sink, 0, content.length - 1).done
    expect(sink.bytes.equals(content)).toBe(true)
    for (const s of stalled) s.sink.release()
    await Promise.all(stalled.map((s) => s.transfer.done))
    expect(stalled.every((s) => s.sink.bytes.equals(content))).toBe(true)
  })
})
