/**
 * Writing uploads: the body goes into a temp file beside the store, is made
 * durable, and only then renamed over the asset (see `FsAssetStore.put`).
 */
import { mkdir, open, rm, stat, utimes, type FileHandle } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import type { PutOptions, StoredFile } from '../asset-store'
import { receiveBody } from '../upload-body'
import { claimTempFile, releaseTempFile } from './temp-sweep'

/** Writes one chunk to an upload's temp file; rejects (ENOSPC…) when the disk refuses. */
export type WriteChunk = (handle: FileHandle, chunk: Buffer) => Promise<void>

export async function writeFully(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset)
    offset += bytesWritten
  }
}

/**
 * Runs `commit` with a temp file in `tempDir` holding the whole body, synced
 * and closed. The temp file is removed afterwards unless `commit` renamed it
 * away, and on any failure; the sweep leaves it alone meanwhile.
 */
export async function withUploadedTemp<T>(
  tempDir: string,
  body: Readable,
  options: PutOptions,
  writeChunk: WriteChunk,
  commit: (tempPath: string) => Promise<T>,
): Promise<T> {
  const tempPath = claimTempFile(tempDir)
  let handle: FileHandle | undefined
  try {
    await mkdir(tempDir, { recursive: true })
    handle = await open(tempPath, 'wx', 0o644)
    const opened = handle
    await receiveBody(body, options, (chunk) => writeChunk(opened, chunk))
    // Durable before visible: after a crash the name points at complete bytes or at the old file.
    await handle.sync()
    await handle.close()
    handle = undefined
    return await commit(tempPath)
  } catch (error: unknown) {
    await handle?.close().catch(() => undefined)
    throw error
  } finally {
    // Gone already when the commit renamed it into place.
    await rm(tempPath, { force: true })
    releaseTempFile(tempPath)
  }
}

// Directory entries (the rename) are only durable once the directory itself is synced.
export async function syncDir(folder: string): Promise<void> {
  const handle = await open(folder, 'r')
  try {
    await handle.sync()
  } catch (error: unknown) {
    // Some file systems (and Windows) refuse fsync on a directory; the rename still happened.
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR') throw error
  } finally {
    await handle.close()
  }
}

/**
 * The ETag is size + mtime in milliseconds, so a same-size replacement within
 * the same millisecond would keep the old ETag and caches would keep the old
 * bytes (RFC 9110 §8.8.3: a strong validator must change with the content).
 * Move the new file's mtime past the old one in that case.
 */
export async function keepEtagDistinct(tempPath: string, before: StoredFile | undefined): Promise<void> {
  if (before === undefined) return
  const stats = await stat(tempPath)
  if (stats.size !== before.sizeBytes || Math.floor(stats.mtimeMs) > Math.floor(before.mtimeMs)) return
  // The middle of the next millisecond, in seconds: utimes goes through a double of
  // seconds, and an exact millisecond boundary can come back a nanosecond short
  // (x.123 s -> 122999999 ns), which would floor to the old ETag.
  await utimes(tempPath, stats.atime, (Math.floor(before.mtimeMs) + 1.5) / 1000)
}
