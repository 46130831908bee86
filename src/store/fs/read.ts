/**
 * Reading files by descriptor: a file is opened once, described by `fstat`
 * of that very descriptor, and every byte sent comes from it, so what is
 * sent is what was described even if the path is replaced meanwhile.
 */
import { constants, fstatSync, open as fsOpen, read as fsRead, readlinkSync, type Stats } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { promisify } from 'node:util'
import type { Writable } from 'node:stream'
import type { OpenStoredFile, StoredFile, Transfer } from '../asset-store'
import { isMissing } from './errors'
import { closeQuietly, sendFileRange } from './file-transfer'
import { toStoredFile } from './root'

// Plain numeric descriptors rather than FileHandle: fs.ReadStream on an fd reads
// with fewer promise hops per chunk, which roughly doubles download throughput.
//
// Only what may wait for the disk (open, read) goes to the thread pool. fstat
// and readlink of an open descriptor, and closing a read-only one, answer from
// kernel memory in a few microseconds, while a thread-pool round trip costs
// tens of microseconds of CPU and a context switch: on a 1 MB range that was
// three of five round trips per request.
const openFd = promisify(fsOpen)
const readFd = promisify(fsRead)

class OpenedFile implements OpenStoredFile {
  private isHandedOff = false
  constructor(
    private readonly fd: number,
    readonly info: StoredFile,
  ) {}

  sendTo(sink: Writable, start: number, end: number): Transfer {
    this.isHandedOff = true
    return sendFileRange(this.fd, sink, start, end)
  }

  async readAll(): Promise<Buffer> {
    this.isHandedOff = true
    try {
      const buffer = Buffer.allocUnsafe(this.info.sizeBytes)
      let offset = 0
      while (offset < buffer.length) {
        const { bytesRead } = await readFd(this.fd, buffer, offset, buffer.length - offset, offset)
        if (bytesRead === 0) break
        offset += bytesRead
      }
      // Truncated while reading: serve what the fstat promised or nothing at all.
      if (offset !== buffer.length) throw Object.assign(new Error('file shrank while reading'), { code: 'ENOENT' })
      return buffer
    } finally {
      closeQuietly(this.fd)
    }
  }

  close(): void {
    if (this.isHandedOff) return
    this.isHandedOff = true
    closeQuietly(this.fd)
  }
}

/** Whether /proc/self/fd names open files here (Linux); false after the first failure. */
let canReadFdPaths = process.platform === 'linux'

/** The kernel's path of the open file: symlink-free, whatever happened to its name since; undefined where unknown. */
function openedPath(fd: number): string | undefined {
  if (!canReadFdPaths) return undefined
  try {
    // A file replaced since it was opened reads as "<path> (deleted)": still the same prefix.
    return readlinkSync(`/proc/self/fd/${fd}`)
  } catch {
    canReadFdPaths = false
    return undefined
  }
}

/** Whether the file open as `fd` (found as `key`, `stats` from its fstat) lies under `rootPrefix`. */
async function isOpenedInside(fd: number, key: string, stats: Stats, rootPrefix: string): Promise<boolean> {
  const path = openedPath(fd)
  if (path !== undefined) return path.startsWith(rootPrefix)
  // Elsewhere: where `key` leads now, and that it leads to the very file we opened.
  try {
    const real = await realpath(key)
    if (!real.startsWith(rootPrefix)) return false
    const now = await stat(real)
    return now.dev === stats.dev && now.ino === stats.ino
  } catch (error) {
    if (isMissing(error, 'public')) return false
    throw error
  }
}

/**
 * Opens the file at `key` (a real path, found by a lookup as asset `path`)
 * and describes it from `fstat` of that very handle.
 *
 * The key was checked when it was looked up, but delivery trusts that for up
 * to FILE_CACHE_TTL_MS, and O_NOFOLLOW covers the last component only. So
 * the opened file itself must still lie below `rootPrefix` before a byte of
 * it is read: a parent folder swapped for a symlink meanwhile makes this a
 * miss (undefined), like a file that is gone.
 */
export async function openInside(key: string, path: string, rootPrefix: string): Promise<OpenStoredFile | undefined> {
  let fd: number
  try {
    // O_NOFOLLOW: `key` is a real path, so a symlink there now means it was swapped in since lookup.
    fd = await openFd(key, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (error) {
    if (isMissing(error, 'public')) return undefined
    throw error
  }
  try {
    const s = fstatSync(fd)
    if (!s.isFile() || !(await isOpenedInside(fd, key, s, rootPrefix))) {
      closeQuietly(fd)
      return undefined
    }
    return new OpenedFile(fd, toStoredFile(path, key, s))
  } catch (error) {
    closeQuietly(fd)
    throw error
  }
}
