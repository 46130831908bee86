/**
 * Disk cache of rendered derivatives.
 *
 * Layout: `<root>/<hash of url path>/<hash of source ETag + params + format>.<ext>`.
 * The source's ETag is part of every file name, so a changed source can never
 * be answered with a derivative of its old bytes, even before anybody purges.
 * One folder per source makes `purge(urlPath)` a single recursive remove.
 *
 * A hit must be cheap: an in-memory index maps the request key to the file, so
 * a warm request costs no render, no metadata read and no file system call here
 * (delivery stats the file anyway to build its ETag).
 *
 * Files are written to a temporary name and renamed (atomic on POSIX), so a
 * reader never sees half a file, also across cluster workers sharing the folder.
 * The size budget is enforced after writes: a scan of the folder removes the
 * least recently used files until 90% of the budget is left, so the next
 * writes do not each trigger a scan.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CrossportError } from '../http/errors'
import type { Logger } from 'pino'

export interface CachedDerivative {
  readonly filePath: string
  readonly contentType: string
  readonly vary: readonly string[]
}

interface IndexEntry {
  readonly derivative: CachedDerivative
  readonly urlPath: string
  readonly etag: string
  lastUsedMs: number
}

export interface DerivativeCacheOptions {
  /** Folder owned by this cache, e.g. `<CACHE_DIR>/images`. */
  readonly root: string
  readonly maxBytes: number
  readonly logger: Logger
  /** Checks the index entry's file still exists on a hit (another worker's eviction may have removed it). */
  readonly verifyHits: boolean
  /** Writes one file; injectable so tests can make the disk full. Default: `fs.promises.writeFile`. */
  readonly writeFile?: (path: string, data: Uint8Array) => Promise<void>
}

/** Errno codes of a disk (or quota) with no room left: the cache's trouble, not the image's. */
const NO_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT'])

/** After an eviction the cache holds at most this share of the budget. */
const EVICT_TO_RATIO = 0.9
/** Temp files older than this belong to a crashed render and are removed by the next scan. */
const STALE_TEMP_MS = 10 * 60_000
const TEMP_SUFFIX = '.tmp'

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32)

export class DerivativeCache {
  private readonly index = new Map<string, IndexEntry>()
  /** url path → index keys, for purge and for dropping a source's old ETag. */
  private readonly bySource = new Map<string, Set<string>>()
  /** file path → index keys (several `Accept` variants can share one file). */
  private readonly byFile = new Map<string, Set<string>>()
  /** Bumped by `purge`; a render that started before a purge must not be indexed. */
  private readonly generations = new Map<string, number>()
  /** Bytes on disk as of the last scan plus what this process wrote since; `undefined` before the first scan. */
  private accountedBytes: number | undefined
  private eviction: Promise<void> | undefined
  private evictAgain = false

  constructor(private readonly options: DerivativeCacheOptions) {}

  get root(): string {
    return this.options.root
  }

  folderFor(urlPath: string): string {
    return join(this.options.root, hash(urlPath))
  }

  /** Where the derivative of one source version, rendered with `renderKey`, lives. */
  fileFor(urlPath: string, etag: string, renderKey: string, extension: string): string {
    return join(this.folderFor(urlPath), `${hash(`${etag}\0${renderKey}`)}.${extension}`)
  }

  generation(urlPath: string): number {
    return this.generations.get(urlPath) ?? 0
  }

  /** The indexed derivative for a request key, or `undefined`. No disk access unless `verifyHits`. */
  async lookup(key: string): Promise<CachedDerivative | undefined> {
    const entry = this.index.get(key)
    if (entry === undefined) return undefined
    if (this.options.verifyHits && !(await fileExists(entry.derivative.filePath))) {
      this.forgetFile(entry.derivative.filePath)
      return undefined
    }
    entry.lastUsedMs = Date.now()
    return entry.derivative
  }

  /**
   * The indexed derivative for a request key, from memory only; undefined when
   * it is not indexed or when hits must be verified on disk (several workers).
   */
  peek(key: string): CachedDerivative | undefined {
    if (this.options.verifyHits) return undefined
    const entry = this.index.get(key)
    if (entry === undefined) return undefined
    entry.lastUsedMs = Date.now()
    return entry.derivative
  }

  /** Whether a finished derivative is on disk (rendered by an earlier process or another worker). */
  has(filePath: string): Promise<boolean> {
    return fileExists(filePath)
  }

  /**
   * Indexes a derivative under a request key. Entries of the same source with
   * another ETag are stale (the source changed): they are dropped and their files removed.
   */
  remember(key: string, urlPath: string, etag: string, derivative: CachedDerivative): void {
    const keys = this.bySource.get(urlPath) ?? new Set<string>()
    for (const old of keys) {
      const entry = this.index.get(old)
      if (entry !== undefined && entry.etag !== etag) {
        this.forgetFile(entry.derivative.filePath)
        unlink(entry.derivative.filePath).catch(() => undefined)
      }
    }
    this.bySource.set(urlPath, keys)
    keys.add(key)
    this.index.set(key, { derivative, urlPath, etag, lastUsedMs: Date.now() })
    const fileKeys = this.byFile.get(derivative.filePath) ?? new Set<string>()
    fileKeys.add(key)
    this.byFile.set(derivative.filePath, fileKeys)
  }

  /**
   * Writes a rendered derivative atomically: to a temp file beside the final
   * one, then renamed into place. Whatever fails, no temp file stays behind.
   * A full disk is IMAGE_CACHE_FULL (503), whose message names no path.
   */
  async write(filePath: string, data: Uint8Array): Promise<void> {
    const folder = filePath.slice(0, filePath.lastIndexOf('/'))
    const tempPath = `${filePath}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`
    const writeOnce = async () => {
      await mkdir(folder, { recursive: true })
      await (this.options.writeFile ?? writeFile)(tempPath, data)
      await rename(tempPath, filePath)
    }
    try {
      try {
        await writeOnce()
      } catch (error) {
        // A purge of this source removed the folder mid-write: make it again, once.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
        await writeOnce()
      }
      if (this.accountedBytes !== undefined) this.accountedBytes += data.byteLength
    } catch (error) {
      await rm(tempPath, { force: true })
      if (NO_SPACE_CODES.has((error as NodeJS.ErrnoException).code ?? '')) {
        throw new CrossportError('IMAGE_CACHE_FULL', 'The server has no room to store the rendered image; try again later', {
          cause: error,
          headers: { 'Retry-After': '60' },
        })
      }
      throw error
    }
    if (this.accountedBytes === undefined || this.accountedBytes > this.options.maxBytes) this.scheduleEviction()
  }

  /** Drops every derivative of one source: index entries and its folder. */
  async purge(urlPath: string): Promise<void> {
    this.generations.set(urlPath, this.generation(urlPath) + 1)
    for (const key of this.bySource.get(urlPath) ?? []) {
      const entry = this.index.get(key)
      if (entry !== undefined) this.forgetFile(entry.derivative.filePath)
    }
    this.bySource.delete(urlPath)
    await rm(this.folderFor(urlPath), { recursive: true, force: true })
  }

  /** Resolves when no eviction is running (for tests and shutdown). */
  async settled(): Promise<void> {
    while (this.eviction) await this.eviction
  }

  get indexSize(): number {
    return this.index.size
  }

  private forgetFile(filePath: string): void {
    for (const key of this.byFile.get(filePath) ?? []) {
      const entry = this.index.get(key)
      this.index.delete(key)
      if (entry !== undefined) {
        const sourceKeys = this.bySource.get(entry.urlPath)
        sourceKeys?.delete(key)
        if (sourceKeys !== undefined && sourceKeys.size === 0) this.bySource.delete(entry.urlPath)
      }
    }
    this.byFile.delete(filePath)
  }

  private scheduleEviction(): void {
    if (this.eviction) {
      this.evictAgain = true
      return
    }
    this.eviction = (async () => {
      do {
        this.evictAgain = false
        try {
          await this.evict()
        } catch (error) {
          this.options.logger.warn({ err: error }, 'image cache eviction failed')
        }
      } while (this.evictAgain)
    })().finally(() => {
      this.eviction = undefined
    })
  }

  /**
   * Scans the folder (the truth, also for files other workers wrote) and removes
   * the least recently used derivatives until the budget has room again.
   * Recency is the later of the file's mtime and this process's last hit:
   * atime is not reliable (relatime/noatime mounts) and touching files on
   * every hit would cost the fs call hits are meant to avoid.
   */
  private async evict(): Promise<void> {
    const files: { path: string; size: number; usedMs: number }[] = []
    const now = Date.now()
    let total = 0
    for (const folder of await readdirOrEmpty(this.options.root)) {
      const folderPath = join(this.options.root, folder)
      const names = await readdirOrEmpty(folderPath)
      if (names.length === 0) {
        // Only long-empty folders: a fresh one may be about to receive a render.
        const info = await stat(folderPath).catch(() => undefined)
        if (info !== undefined && now - info.mtimeMs > STALE_TEMP_MS) await rm(folderPath, { recursive: true, force: true }).catch(() => undefined)
        continue
      }
      for (const name of names) {
        const path = join(folderPath, name)
        const info = await stat(path).catch(() => undefined)
        if (info === undefined || !info.isFile()) continue
        if (name.endsWith(TEMP_SUFFIX)) {
          if (now - info.mtimeMs > STALE_TEMP_MS) await rm(path, { force: true })
          continue
        }
        total += info.size
        let usedMs = info.mtimeMs
        for (const key of this.byFile.get(path) ?? []) usedMs = Math.max(usedMs, this.index.get(key)?.lastUsedMs ?? 0)
        files.push({ path, size: info.size, usedMs })
      }
    }
    // Entries whose file is gone (removed by another worker or by hand) would
    // send requests to a missing file: forget them so they render again.
    const seen = new Set(files.map((f) => f.path))
    for (const path of [...this.byFile.keys()]) if (!seen.has(path)) this.forgetFile(path)

    if (total > this.options.maxBytes) {
      const target = this.options.maxBytes * EVICT_TO_RATIO
      files.sort((a, b) => a.usedMs - b.usedMs)
      let removed = 0
      for (const file of files) {
        if (total <= target) break
        // Forget first: from here on no request is pointed at a file about to go.
        this.forgetFile(file.path)
        await rm(file.path, { force: true })
        total -= file.size
        removed++
      }
      this.options.logger.debug({ removed, bytes: total }, 'image cache evicted')
    }
    this.accountedBytes = total
  }
}

async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

async function readdirOrEmpty(path: string): Promise<string[]> {
  try {
    return await readdir(path)
  } catch {
    return []
  }
}
