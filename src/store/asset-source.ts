/**
 * The read side of the asset store, as the request path needs it. The file
 * system implementation is the default; an object store can implement the same
 * interface (its `key` being the object key, `open` a ranged GET) without the
 * request path changing.
 */
import { close as fsClose, constants, fstat, open as fsOpen, read as fsRead, realpathSync, type Stats } from 'node:fs'
import { readlink, realpath, stat } from 'node:fs/promises'
import { promisify } from 'node:util'
import { resolve, sep } from 'node:path'
import type { Writable } from 'node:stream'
import { sendFileRange, type Transfer } from './file-transfer'

/** What identifies one version of one stored object. */
export interface AssetInfo {
  /** Where the bytes live: the real (symlink-free) file path. */
  readonly key: string
  readonly sizeBytes: number
  readonly mtimeMs: number
  /** Changes when the file is replaced by rename even if size and mtime match. */
  readonly ino: number
}

/** An opened version: its info comes from the open handle, so it describes exactly these bytes. */
export interface OpenedAsset {
  readonly info: AssetInfo
  /**
   * Sends bytes start..end (inclusive) to `sink` with back-pressure, ends it,
   * and closes the handle when done or when the sink closes first.
   */
  sendTo(sink: Writable, start: number, end: number): Transfer
  /** Reads the whole object (small files only) and closes the handle. */
  readAll(): Promise<Buffer>
  /** Closes without reading (HEAD, 304 decided after opening). */
  close(): void
}

export interface AssetSource {
  /**
   * Finds the regular file for a safe asset path (`/brand/logo.png`, already
   * checked by `parseSafePath`). Resolves undefined for anything missing, a
   * directory, or a path whose symlinks lead outside the store's root.
   */
  lookup(assetPath: string): Promise<AssetInfo | undefined>
  /** Opens a version found by `lookup`; undefined when it disappeared meanwhile. */
  open(key: string): Promise<OpenedAsset | undefined>
}

const infoOf = (key: string, s: Stats): AssetInfo => ({ key, sizeBytes: s.size, mtimeMs: s.mtimeMs, ino: s.ino })

export const sameVersion = (a: AssetInfo, b: AssetInfo): boolean =>
  a.key === b.key && a.sizeBytes === b.sizeBytes && a.mtimeMs === b.mtimeMs && a.ino === b.ino

/** Expected misses: the file is simply not there (or is not a file) — a 404, never a 500. */
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'ELOOP', 'ENAMETOOLONG', 'EACCES', 'EPERM'])
const isMissing = (error: unknown): boolean => MISSING.has((error as NodeJS.ErrnoException).code ?? '')

// Plain numeric descriptors rather than FileHandle: fs.ReadStream on an fd reads
// with fewer promise hops per chunk, which roughly doubles download throughput.
const openFd = promisify(fsOpen)
const fstatFd = promisify(fstat)
const readFd = promisify(fsRead)
const closeFd = promisify(fsClose)

class OpenedFile implements OpenedAsset {
  private isHandedOff = false
  constructor(
    private readonly fd: number,
    readonly info: AssetInfo,
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
      await closeFd(this.fd)
    }
  }

  close(): void {
    if (this.isHandedOff) return
    this.isHandedOff = true
    fsClose(this.fd, () => {})
  }
}

/** The asset store on the local file system, confined to `rootDir` after resolving symlinks. */
export class FsAssetSource implements AssetSource {
  private readonly realRoot: string
  private readonly rootPrefix: string

  constructor(rootDir: string) {
    let root = resolve(rootDir)
    try {
      // Once, at start-up: the root itself may be a symlink (e.g. a deploy's current/).
      root = realpathSync(root)
    } catch {
      // Not there yet: every lookup misses until it is; the resolved path is still the boundary.
    }
    this.realRoot = root
    this.rootPrefix = root.endsWith(sep) ? root : root + sep
  }

  async lookup(assetPath: string): Promise<AssetInfo | undefined> {
    try {
      const real = await realpath(this.realRoot + assetPath)
      // A symlink anywhere on the way may point elsewhere; only the real path counts.
      if (!real.startsWith(this.rootPrefix)) return undefined
      const s = await stat(real)
      return s.isFile() ? infoOf(real, s) : undefined
    } catch (error) {
      if (isMissing(error)) return undefined
      throw error
    }
  }

  /**
   * `key` was checked when it was looked up, but delivery trusts that for up
   * to FILE_CACHE_TTL_MS; O_NOFOLLOW covers the last component only. So the
   * opened file itself must still lie inside the root before a byte of it is
   * read: a parent folder swapped for a symlink meanwhile makes this a miss.
   */
  open(key: string): Promise<OpenedAsset | undefined> {
    return openLocalFile(key, this.rootPrefix)
  }
}

/** Whether /proc/self/fd names open files here (Linux); false after the first failure. */
let canReadFdPaths = process.platform === 'linux'

/** Whether the file open as `fd` (found as `key`, `stats` from its fstat) lies under `rootPrefix`. */
async function isOpenedInside(fd: number, key: string, stats: Stats, rootPrefix: string): Promise<boolean> {
  if (canReadFdPaths) {
    try {
      // The kernel's path of the open file: symlink-free, whatever happened to `key` since.
      // A file replaced since it was opened reads as "<path> (deleted)": still the same prefix.
      return (await readlink(`/proc/self/fd/${fd}`)).startsWith(rootPrefix)
    } catch {
      canReadFdPaths = false
    }
  }
  // Elsewhere: where `key` leads now, and that it leads to the very file we opened.
  try {
    const real = await realpath(key)
    if (!real.startsWith(rootPrefix)) return false
    const now = await stat(real)
    return now.dev === stats.dev && now.ino === stats.ino
  } catch (error) {
    if (isMissing(error)) return false
    throw error
  }
}

/**
 * Opens one file by its real path and describes it from `fstat` of that very
 * handle. Also used for files outside the store that delivery serves as they
 * are (image derivatives in CACHE_DIR).
 * @param insidePrefix when given, a file that is not (any more) under this
 *   folder (with its trailing separator) is a miss.
 */
export async function openLocalFile(key: string, insidePrefix?: string): Promise<OpenedAsset | undefined> {
  let fd: number
  try {
    // O_NOFOLLOW: `key` is a real path, so a symlink there now means it was swapped in since lookup.
    fd = await openFd(key, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
  try {
    const s = await fstatFd(fd)
    if (!s.isFile() || (insidePrefix !== undefined && !(await isOpenedInside(fd, key, s, insidePrefix)))) {
      await closeFd(fd)
      return undefined
    }
    return new OpenedFile(fd, infoOf(key, s))
  } catch (error) {
    await closeFd(fd).catch(() => {})
    throw error
  }
}
