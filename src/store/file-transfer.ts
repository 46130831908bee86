/**
 * Sends a byte range of an open file to a writable sink (an HTTP response)
 * with a fixed amount of memory per transfer.
 *
 * fs.ReadStream allocates a new buffer for every chunk; at video speeds that
 * is hundreds of MB/s of garbage which the collector frees late (it is
 * external memory), so RSS climbs with throughput. Here two buffers are
 * reused: a chunk is read with pread at its offset (bytes before `start` are
 * never read), handed to the sink, and its buffer is read into again only
 * after the sink's write callback says the bytes have left for the socket.
 * The next chunk is read while the previous one is being written, and at most
 * one chunk waits in the sink, so a slow client holds the reader back.
 */
import { close as fsClose, read as fsRead } from 'node:fs'
import type { Writable } from 'node:stream'
import { promisify } from 'node:util'

const readFd = promisify(fsRead)
const closeFd = promisify(fsClose)

export const TRANSFER_CHUNK_BYTES = 64 * 1024

// Buffers of finished transfers, reused by the next ones: with hundreds of
// short range requests a second, allocating fresh ones fragments the heap and
// RSS stays up long after the load is gone. Bounded: 128 × 64 KiB = 8 MiB idle.
const MAX_IDLE_BUFFERS = 128
const idleBuffers: Buffer[] = []
const takeBuffer = (): Buffer => idleBuffers.pop() ?? Buffer.allocUnsafeSlow(TRANSFER_CHUNK_BYTES)
const giveBack = (buffers: readonly Buffer[]): void => {
  for (const buffer of buffers) if (idleBuffers.length < MAX_IDLE_BUFFERS) idleBuffers.push(buffer)
}

/** One transfer in progress. */
export interface Transfer {
  /** Bytes the sink has accepted so far (the access log's count when a client aborts). */
  readonly bytesSent: number
  /**
   * Resolves when the range was sent and the sink ended, or when the sink
   * closed first (a client that went away). Rejects when reading fails, after
   * destroying the sink: a response is never completed with the wrong bytes.
   */
  readonly done: Promise<void>
}

/**
 * Sends bytes `start..end` (inclusive) of `fd` to `sink`, ends the sink, and
 * closes `fd` in every case — completion, client abort or error — before
 * `done` settles.
 */
export function sendFileRange(fd: number, sink: Writable, start: number, end: number): Transfer {
  const state = { bytesSent: 0 }
  let isClosed = sink.destroyed
  let onClose: () => void = () => {}
  const closed = new Promise<void>((resolve) => {
    onClose = () => {
      isClosed = true
      resolve()
    }
  })
  sink.once('close', onClose)

  const write = (chunk: Buffer): Promise<void> =>
    new Promise<void>((resolve) => {
      sink.write(chunk, (error) => {
        if (!error) state.bytesSent += chunk.length
        resolve()
      })
    })

  async function pump(): Promise<void> {
    const buffers = [takeBuffer(), takeBuffer()]
    const size = TRANSFER_CHUNK_BYTES
    let position = start
    let flushed: Promise<void> = Promise.resolve()
    for (let turn = 0; position <= end && !isClosed; turn ^= 1) {
      // This buffer's previous write was awaited before the last read began (below).
      const buffer = buffers[turn] as Buffer
      const { bytesRead } = await readFd(fd, buffer, 0, Math.min(size, end - position + 1), position)
      if (bytesRead === 0) throw Object.assign(new Error('file shrank while it was being sent'), { code: 'ESHRANK' })
      position += bytesRead
      await Promise.race([flushed, closed])
      if (isClosed) break
      flushed = write(buffer.subarray(0, bytesRead))
    }
    await Promise.race([flushed, closed])
    if (isClosed) return
    sink.end()
    // Every write has completed, so nothing refers to these any more. After an
    // abort or an error a write may still be pending: those are left to the GC.
    giveBack(buffers)
  }

  const done = pump()
    .catch((error: unknown) => {
      sink.destroy()
      throw error
    })
    .finally(async () => {
      sink.off('close', onClose)
      await closeFd(fd).catch(() => {})
    })
  return {
    get bytesSent() {
      return state.bytesSent
    },
    done,
  }
}
