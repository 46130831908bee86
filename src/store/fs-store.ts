import { createReadStream, type Stats } from 'node:fs'
import { PRECOMPRESSED_SIBLINGS } from '../http/precompressed'
import { mkdir, open, readdir, realpath, rename, rm, stat, unlink, utimes, type FileHandle } from 'node:fs/promises'
import { dirname, join, sep } from 'node:path'
import type { Readable } from 'node:stream'
import { formatEtag } from '../http/etag'
import { CrossportError } from '../http/errors'
import type { AssetStat, AssetStore, DeleteResult, ListOptions, ListPage, PutOptions, PutResult } from './asset-store'
import { isOrphanedTemp, isProcessAlive, localOwner, tempFileName, type SweepFacts } from './temp-files'

/**
 * Upload temp files live inside the store's own file system, so the final
 * rename is atomic (rename(2) across file systems is a copy). A dot-folder:
 * the public side never serves dotfiles, and listings skip it.
 */
export const TEMP_DIR_NAME = '.crossport-tmp'

/** Temp files untouched this long are removed whoever wrote them (another host's crashed upload). */
const STALE_TEMP_MS = 60 * 60 * 1000
/**
 * A temp file written this recently is never removed. A live upload writes at
 * least every REQUEST_TIMEOUT_MS (60 s by default; the upload listener cuts
 * idle uploads off after it), so this is well past any live one.
 */
const TEMP_GRACE_MS = 5 * 60 * 1000
const DEFAULT_SWEEP_INTERVAL_MS = 5 * 60 * 1000

/** Temp files (full paths) that an upload of this process still writes or commits, across every store instance. */
const liveTempFiles = new Set<string>()

const DEFAULT_HEAD_BYTES = 64

/** Writes one chunk to an upload's temp file; rejects (ENOSPC…) when the disk refuses. */
export type WriteChunk = (handle: FileHandle, chunk: Buffer) => Promise<void>

export interface FsAssetStoreOptions {
  /** Called with errors of background housekeeping (stale temp sweep), which must not fail a request. */
  readonly onBackgroundError?: (error: unknown) => void
  /** Called after each sweep with the temp files it removed (names inside TEMP_DIR_NAME). */
  readonly onSwept?: (removed: readonly string[]) => void
  /** How often orphaned temp files are swept, besides once at start. */
  readonly sweepIntervalMs?: number
  /** Seam for tests that need the disk to fail (a full disk); writes the whole chunk by default. */
  readonly writeChunk?: WriteChunk
}

/** The file-system asset store rooted at `ASSETS_DIR`. */
export class FsAssetStore implements AssetStore {
  readonly tempDir: string
  private realRoot: Promise<string> | undefined
  /** Per-path tail of the commit/delete chain: one writer per path at a time in this process. */
  private readonly locks = new Map<string, Promise<void>>()
  private readonly writeChunk: WriteChunk
  private readonly sweepTimer: NodeJS.Timeout
  /** The sweep running now, if any: sweeps never overlap. */
  private sweeping: Promise<readonly string[]> | undefined

  constructor(
    readonly root: string,
    private readonly options: FsAssetStoreOptions = {},
  ) {
    this.tempDir = join(root, TEMP_DIR_NAME)
    this.writeChunk = options.writeChunk ?? writeFully
    // At start: a process killed mid-upload (kill -9, OOM) never removed its temp file.
    this.sweepInBackground()
    this.sweepTimer = setInterval(() => this.sweepInBackground(), options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS)
    this.sweepTimer.unref()
  }

  /** Stops the periodic sweep. */
  close(): void {
    clearInterval(this.sweepTimer)
  }

  /**
   * Removes temp files no live upload owns (see `isOrphanedTemp`).
   * @returns the names removed.
   */
  sweepOrphanedTemp(): Promise<readonly string[]> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = undefined
    })
    return this.sweeping
  }

  async stat(path: string): Promise<AssetStat | undefined> {
    const file = this.fileFor(path)
    let real: string
    try {
      real = await realpath(file)
    } catch (error: unknown) {
      if (isMissing(error)) return undefined
      throw error
    }
    // A symlink that leads out of the store is not an asset (DESIGN §1: nothing outside the root).
    if (!isInside(await this.rootReal(), real)) return undefined
    const stats = await stat(real).catch((error: unknown) => (isMissing(error) ? undefined : Promise.reject(error)))
    return stats?.isFile() ? toAssetStat(path, stats) : undefined
  }

  async put(path: string, body: Readable, options: PutOptions): Promise<PutResult> {
    const target = this.fileFor(path)
    const tempPath = join(this.tempDir, tempFileName(localOwner()))
    let handle: FileHandle | undefined
    let isRenamed = false
    liveTempFiles.add(tempPath)
    try {
      await mkdir(this.tempDir, { recursive: true })
      handle = await open(tempPath, 'wx', 0o644)
      await receive(body, handle, options, this.writeChunk)
      // Durable before visible: after a crash the name points at complete bytes or at the old file.
      await handle.sync()
      await handle.close()
      handle = undefined
      return await this.locked(path, async () => {
        const before = await this.stat(path)
        options.precondition?.(before)
        await keepEtagDistinct(tempPath, before)
        const parent = dirname(target)
        await this.ensureDirInside(parent, path)
        await rename(tempPath, target)
        isRenamed = true
        await syncDir(parent)
        const after = await this.stat(path)
        if (after === undefined) throw new Error(`${path} vanished right after it was renamed into place`)
        return { before, after }
      })
    } catch (error: unknown) {
      await handle?.close().catch(() => undefined)
      await rm(tempPath, { force: true })
      // Past the rename the new version is in place: never report that nothing changed.
      throw isRenamed ? error : toStoreError(error, path)
    } finally {
      liveTempFiles.delete(tempPath)
    }
  }

  async delete(path: string): Promise<DeleteResult | undefined> {
    return this.locked(path, async () => {
      const before = await this.stat(path)
      if (before === undefined) return undefined
      const target = this.fileFor(path)
      await unlink(target)
      const siblings: string[] = []
      for (const [, suffix] of PRECOMPRESSED_SIBLINGS) {
        try {
          await unlink(target + suffix)
          siblings.push(path + suffix)
        } catch (error: unknown) {
          if (!isMissing(error)) throw error
        }
      }
      await syncDir(dirname(target))
      return { before, siblings }
    })
  }

  async list(options: ListOptions): Promise<ListPage> {
    const { prefix, after, limit, delimiter } = options
    const items: AssetStat[] = []
    const folders: string[] = []
    let last: string | undefined
    let hasMore = false

    // Depth-first with each directory's entries sorted by `name` (files) or
    // `name/` (folders): that visits paths in exactly their sorted string
    // order, so a page can start after the cursor and stop at `limit` without
    // reading the rest of the tree.
    const walk = async (folder: string): Promise<boolean> => {
      let entries
      try {
        entries = await readdir(join(this.root, ...folder.split('/')), { withFileTypes: true })
      } catch (error: unknown) {
        if (isMissing(error)) return false
        throw error
      }
      const keyed = entries
        // Dotfiles (and the temp folder) are never served, so never listed; symlinks are left to the public side's checks.
        .filter((entry) => !entry.name.startsWith('.') && (entry.isFile() || entry.isDirectory()))
        .map((entry) => ({ isFolder: entry.isDirectory(), key: entry.name + (entry.isDirectory() ? '/' : '') }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      for (const { isFolder, key } of keyed) {
        const path = folder + key
        if (isFolder) {
          if (!path.startsWith(prefix) && !prefix.startsWith(path)) continue
          if (delimiter !== undefined && path.startsWith(prefix)) {
            // One level only: the folder is an entry of its own, in the same order as a file.
            if (after !== undefined && path <= after) continue
            if (folders.length + items.length >= limit) return (hasMore = true)
            folders.push(path)
            last = path
            continue
          }
          // Everything below `path` sorts before the cursor: skip the whole subtree.
          if (after !== undefined && after > path && !after.startsWith(path)) continue
          if (await walk(path)) return true
          continue
        }
        if (!path.startsWith(prefix) || (after !== undefined && path <= after)) continue
        if (folders.length + items.length >= limit) return (hasMore = true)
        const stats = await stat(join(this.root, ...path.split('/'))).catch((error: unknown) =>
          isMissing(error) ? undefined : Promise.reject(error),
        )
        if (stats?.isFile()) {
          items.push(toAssetStat(path, stats))
          last = path
        }
      }
      return false
    }

    await walk(prefix.slice(0, prefix.lastIndexOf('/') + 1) || '/')
    return { items, folders, hasMore, last }
  }

  read(path: string): Readable {
    return createReadStream(this.fileFor(path))
  }

  localPath(path: string): string {
    return this.fileFor(path)
  }

  /** `/brand/logo.png` → `<root>/brand/logo.png`; the path already passed `parseSafePath`. */
  private fileFor(path: string): string {
    const segments = path.split('/').filter((s) => s !== '')
    if (segments.length === 0 || segments.some((s) => s === '..' || s === '.' || s.startsWith('.') || s.includes(sep))) {
      throw new CrossportError('INVALID_ASSET_PATH', `${JSON.stringify(path)} is not an asset path`)
    }
    return join(this.root, ...segments)
  }

  private rootReal(): Promise<string> {
    this.realRoot ??= mkdir(this.root, { recursive: true })
      .then(() => realpath(this.root))
      .catch((error: unknown) => {
        this.realRoot = undefined
        throw error
      })
    return this.realRoot
  }

  /**
   * Creates the parent folders, refusing when a symlinked folder would put the
   * file outside the root. The deepest existing ancestor is checked first, so
   * a refused upload creates no folder outside the store either.
   */
  private async ensureDirInside(folder: string, path: string): Promise<void> {
    const root = await this.rootReal()
    const refuse = () => new CrossportError('INVALID_ASSET_PATH', `${path} leads outside the asset store (symlinked folder)`)
    let existing = folder
    for (;;) {
      try {
        if (!isInside(root, await realpath(existing), true)) throw refuse()
        break
      } catch (error: unknown) {
        if (!isMissing(error) || existing === this.root) throw error
        existing = dirname(existing)
      }
    }
    await mkdir(folder, { recursive: true })
    if (!isInside(root, await realpath(folder), true)) throw refuse()
  }

  private async locked<T>(path: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(path) ?? Promise.resolve()
    const run = previous.then(work)
    const tail = run.then(
      () => undefined,
      () => undefined,
    )
    this.locks.set(path, tail)
    try {
      return await run
    } finally {
      if (this.locks.get(path) === tail) this.locks.delete(path)
    }
  }

  private sweepInBackground(): void {
    this.sweepOrphanedTemp().then(
      (removed) => this.options.onSwept?.(removed),
      (error: unknown) => this.options.onBackgroundError?.(error),
    )
  }

  private async sweepOnce(): Promise<readonly string[]> {
    let names: string[]
    try {
      names = await readdir(this.tempDir)
    } catch (error: unknown) {
      if (isMissing(error)) return []
      throw error
    }
    const facts: SweepFacts = {
      self: localOwner(),
      isLive: (name) => liveTempFiles.has(join(this.tempDir, name)),
      isProcessAlive,
      graceMs: TEMP_GRACE_MS,
      staleMs: STALE_TEMP_MS,
    }
    const removed: string[] = []
    for (const name of names) {
      const file = join(this.tempDir, name)
      const stats = await stat(file).catch(() => undefined)
      if (stats === undefined || !stats.isFile() || !isOrphanedTemp(name, Date.now() - stats.mtimeMs, facts)) continue
      await rm(file, { force: true })
      removed.push(name)
    }
    return removed
  }
}

/**
 * Copies `source` into `handle`, one chunk at a time with the source paused
 * while a write is pending (back-pressure: memory stays at one chunk however
 * large the upload). Never destroys `source`: whether to drain or cut the
 * connection after a refusal is the HTTP layer's decision.
 */
function receive(source: Readable, handle: FileHandle, options: PutOptions, writeChunk: WriteChunk): Promise<number> {
  const headBytes = options.headBytes ?? DEFAULT_HEAD_BYTES
  return new Promise((resolve, reject) => {
    let received = 0
    let settled = false
    let head: Buffer[] = []
    let headLength = 0
    let isInspected = options.inspect === undefined
    let writing: Promise<void> = Promise.resolve()

    const inspectHead = () => {
      if (isInspected) return
      isInspected = true
      const bytes = Buffer.concat(head, headLength)
      head = []
      options.inspect?.(bytes.subarray(0, headBytes))
    }
    const handleChunk = async (chunk: Buffer) => {
      if (settled) return
      received += chunk.length
      if (received > options.maxBytes) throw bodyTooLarge(options.maxBytes)
      if (!isInspected) {
        head.push(chunk)
        headLength += chunk.length
        if (headLength >= headBytes) inspectHead()
      }
      await writeChunk(handle, chunk)
    }
    const settle = (error?: unknown) => {
      if (settled) return
      settled = true
      source.off('data', onData)
      source.off('end', onEnd)
      source.off('error', onError)
      source.off('close', onClose)
      if (error === undefined) resolve(received)
      else reject(error)
    }
    const onData = (chunk: Buffer) => {
      source.pause()
      writing = writing.then(() => handleChunk(chunk))
      writing.then(() => {
        if (!settled) source.resume()
      }, settle)
    }
    const onEnd = () => {
      writing.then(() => {
        inspectHead()
        settle()
      }).catch(settle)
    }
    const onError = (error: Error) => settle(uploadAborted(error))
    const onClose = () => {
      if (!source.readableEnded) settle(uploadAborted(new Error('the client closed the connection mid-body')))
    }
    source.on('data', onData)
    source.on('end', onEnd)
    source.on('error', onError)
    source.on('close', onClose)
  })
}

async function writeFully(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset)
    offset += bytesWritten
  }
}

export const bodyTooLarge = (maxBytes: number) =>
  new CrossportError('BODY_TOO_LARGE', `The upload exceeds MAX_UPLOAD_BYTES (${maxBytes} bytes)`, { headers: { Connection: 'close' } })

const uploadAborted = (cause: Error) => new CrossportError('BAD_REQUEST', 'The upload was aborted before the body was complete', { cause })

// Directory entries (the rename) are only durable once the directory itself is synced.
async function syncDir(folder: string): Promise<void> {
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
async function keepEtagDistinct(tempPath: string, before: AssetStat | undefined): Promise<void> {
  if (before === undefined) return
  const stats = await stat(tempPath)
  if (stats.size !== before.sizeBytes || Math.floor(stats.mtimeMs) > Math.floor(before.mtimeMs)) return
  // The middle of the next millisecond, in seconds: utimes goes through a double of
  // seconds, and an exact millisecond boundary can come back a nanosecond short
  // (x.123 s -> 122999999 ns), which would floor to the old ETag.
  await utimes(tempPath, stats.atime, (Math.floor(before.mtimeMs) + 1.5) / 1000)
}

function toAssetStat(path: string, stats: Stats): AssetStat {
  return { path, sizeBytes: stats.size, mtimeMs: stats.mtimeMs, etag: formatEtag(stats.size, stats.mtimeMs) }
}

function isInside(root: string, real: string, allowRoot = false): boolean {
  return (allowRoot && real === root) || real.startsWith(root.endsWith(sep) ? root : root + sep)
}

// ENOTDIR: a parent "folder" of the path is a file, so the asset cannot exist either.
const isMissing = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

function toStoreError(error: unknown, path: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  // The temp file is gone and the old version untouched; the system error
  // (with its server path) stays in the log, never in the answer.
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new CrossportError('STORAGE_FULL', `Not enough storage space left to store ${path}; nothing was changed`, { cause: error })
  }
  // rename onto a folder, or a parent "folder" that is a file.
  if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST' || code === 'ENOTEMPTY') {
    return new CrossportError('ASSET_PATH_CONFLICT', `${path} collides with an existing folder or file of the same name`, { cause: error })
  }
  return error
}
