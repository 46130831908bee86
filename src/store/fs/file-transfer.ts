/**
 * Sends a byte range of an open file to a writable sink (an HTTP response)
 * with memory that follows the bytes in flight, not the number of downloads.
 *
 * fs.ReadStream allocates a new buffer for every chunk; at video speeds that
 * is hundreds of MB/s of garbage which the collector frees late (it is
 * external memory), so RSS climbs with throughput. Here chunk buffers are
 * shared by all transfers: a transfer borrows one for each read (pread at its
 * offset: bytes before `start` are never read) and the sink's write callback
 * returns it once the bytes have left for the socket. The next chunk is read
 * while the previous one is being written, and at most one chunk waits in
 * the sink, so a slow client holds the reader back and holds two buffers at
 * most.
 *
 * Buffers come from a pool shared by all transfers (see chunk-pool.ts):
 * 1 MiB for a large body within a fixed budget, else 64 KiB.
 *
 * Reads take a slot first: the libuv thread pool runs four at a time anyway,
 * and a buffer taken only when its read can start keeps hundreds of
 * concurrent range requests from holding hundreds of buffers in the queue.
 * (Freed buffers do not shrink RSS: the allocator keeps the memory.)
 */
import { closeSync, read as fsRead } from 'node:fs'
import type { Writable } from 'node:stream'
import type { Transfer } from '../asset-store'
import { promisify } from 'node:util'
import { ChunkPool } from './chunk-pool'

const readFd = promisify(fsRead)

/**
 * Closes a read-only descriptor now: that frees kernel memory only and takes
 * microseconds, less than the thread-pool round trip of an asynchronous close.
 */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd)
  } catch {
    // Already closed: nothing is left to free.
  }
}

/** Reads in flight across all transfers. */
const MAX_CONCURRENT_READS = 16

/** The buffers of every transfer in this process. */
export const chunks = new ChunkPool()

let readsInFlight = 0
const waitingForRead: Array<() => void> = []
/** Resolves when a read may start (first come, first served); pair with `endRead`. */
const startRead = (): Promise<void> | undefined => {
  if (readsInFlight < MAX_CONCURRENT_READS) {
    readsInFlight += 1
    return undefined
  }
  return new Promise<void>((resolve) => waitingForRead.push(resolve))
}
const endRead = (): void => {
  const next = waitingForRead.shift()
  // The slot passes straight to the next waiter; the count stays the same.
  if (next !== undefined) next()
  else readsInFlight -= 1
}

/**
 * Sends bytes `start..end` (inclusive) of `fd` to `sink`, ends the sink, and
 * closes `fd` in every case — completion, client abort or error — before
 * `done` settles.
 */
export function sendFileRange(fd: number, sink: Writable, start: number, end: number): Transfer {
  let bytesSent = 0
  let isClosed = sink.destroyed
  /** Settles the wait for the chunk in the sink; also called when the sink closes. */
  let wakeWriter: (() => void) | undefined
  /** The buffer the sink holds, until its write calls back or the transfer ends. */
  let inSink: Buffer | undefined
  const onClose = () => {
    isClosed = true
    wakeWriter?.()
  }
  sink.once('close', onClose)

  const write = (buffer: Buffer, length: number): void => {
    inSink = buffer
    sink.write(buffer.subarray(0, length), (error) => {
      if (!error) bytesSent += length
      // The sink is done with these bytes (or failed them): the buffer is free again,
      // unless the transfer ended first and already let it go.
      if (inSink === buffer) chunks.give(buffer)
      inSink = undefined
      wakeWriter?.()
    })
  }
  // Without a 'close' race, a write into a socket destroyed a moment ago might never call back.
  const writerIdle = (): Promise<void> | undefined =>
    inSink !== undefined && !isClosed
      ? new Promise<void>((resolve) => {
          wakeWriter = () => {
            wakeWriter = undefined
            resolve()
          }
        })
      : undefined

  /** Ends the sink and waits for it to finish, or to close first (a client gone at the last moment). */
  const endSink = (): Promise<void> =>
    new Promise<void>((resolve) => {
      wakeWriter = () => {
        wakeWriter = undefined
        resolve()
      }
      sink.end(() => wakeWriter?.())
    })

  async function readChunk(position: number): Promise<{ buffer: Buffer; bytesRead: number } | undefined> {
    await startRead()
    if (isClosed) {
      endRead()
      return undefined
    }
    const buffer = chunks.take(end - position + 1)
    try {
      const { bytesRead } = await readFd(fd, buffer, 0, Math.min(buffer.length, end - position + 1), position)
      if (bytesRead === 0) throw Object.assign(new Error('file shrank while it was being sent'), { code: 'ESHRANK' })
      return { buffer, bytesRead }
    } catch (error) {
      chunks.give(buffer)
      throw error
    } finally {
      endRead()
    }
  }

  async function pump(): Promise<void> {
    let position = start
    while (position <= end && !isClosed) {
      const chunk = await readChunk(position)
      if (chunk === undefined) break
      position += chunk.bytesRead
      await writerIdle()
      if (isClosed) {
        chunks.give(chunk.buffer)
        break
      }
      write(chunk.buffer, chunk.bytesRead)
    }
    await writerIdle()
    if (!isClosed) await endSink()
  }

  const done = pump()
    .catch((error: unknown) => {
      sink.destroy()
      throw error
    })
    .finally(() => {
      sink.off('close', onClose)
      // A destroyed sink may never call back for its last write: count the buffer
      // out of the budget now, but never reuse it (the socket may still read it).
      if (inSink !== undefined) chunks.give(inSink, false)
      inSink = undefined
      closeQuietly(fd)
    })
  return {
    get bytesSent() {
      return bytesSent
    },
    done,
  }
}
