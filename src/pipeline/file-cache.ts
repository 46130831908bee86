/**
 * What the pipeline knows about each asset path, kept in memory so a hot file
 * costs no system call: the stat of the file and of its precompressed
 * siblings (with their real paths, ETags and dates), and for small files the
 * bytes themselves.
 *
 * An entry is trusted for `ttlMs`, then the next request re-checks it
 * (asynchronously) before answering; `invalidate` (on 'asset-changed') drops
 * it at once. Paths and bodies live in two LRUs (lru-cache): paths bounded
 * by count, bodies by `maxBytes`.
 */
import { LRUCache } from 'lru-cache'
import type { AssetStore, OpenStoredFile, StoredFile } from '../store/asset-store'

/** What the cache reads through: the read side of the one store. */
type AssetSource = Pick<AssetStore, 'lookup' | 'open'>
import { isPrecompressedSibling, PRECOMPRESSED_SIBLINGS } from '../http/precompressed'
import { sameVersion } from '../store/asset-store'
import { withCoding, formatHttpDate, lastModifiedSeconds, type ContentCoding } from '../http/etag'
import { isFingerprinted } from '../http/fingerprint'
import { contentTypeFor, isSvgPath } from '../http/media-type'
import type { Representation } from './plan'

/** One representation of one path (the file or a precompressed sibling) as the cache holds it. */
export interface CachedRepresentation extends Representation {
  readonly info: StoredFile
  /** The whole file in memory, while it is in the body LRU. */
  body: Buffer | undefined
}

/** What the cache knows about one path. */
export interface CacheEntry {
  readonly path: string
  /** undefined: nothing servable at this path (missing, directory, outside the root). */
  readonly identity: CachedRepresentation | undefined
  readonly br: CachedRepresentation | undefined
  readonly gzip: CachedRepresentation | undefined
  readonly hasSiblings: boolean
  readonly isSvg: boolean
  readonly isFingerprinted: boolean
  readonly expiresAtMs: number
}

export interface FileCacheOptions {
  readonly ttlMs: number
  /** Files up to this size are kept in memory. */
  readonly maxFileBytes: number
  /** Budget for all bodies together. */
  readonly maxBytes: number
  /** Bound on remembered paths (found or not), so requests for random names cannot grow memory. */
  readonly maxEntries?: number
  /**
   * For this long past `ttlMs` an entry is still answered while one re-check
   * runs in the background (0: requests wait for the re-check). For a remote
   * store, whose re-check is a round trip, so a hot path never stalls.
   */
  readonly staleWhileRefreshMs?: number
}

const DEFAULT_MAX_ENTRIES = 50_000

export function makeRepresentation(info: StoredFile, contentType: string, coding: ContentCoding | undefined): CachedRepresentation {
  const seconds = lastModifiedSeconds(info.mtimeMs)
  return {
    info,
    sizeBytes: info.sizeBytes,
    // The store's own strong ETag: on a remote store it follows the bytes, where size and a whole-second mtime may not.
    etag: withCoding(info.etag, coding),
    lastModified: formatHttpDate(seconds),
    lastModifiedSeconds: seconds,
    contentType,
    contentEncoding: coding,
    body: undefined,
  }
}

export class FileCache {
  private readonly entries: LRUCache<string, CacheEntry>
  private readonly refreshing = new Map<string, Promise<CacheEntry>>()
  private readonly loading = new Map<CachedRepresentation, Promise<CachedRepresentation | undefined>>()
  /** Representations holding a body; evicting one lets its body go. */
  private readonly bodies: LRUCache<CachedRepresentation, Buffer>
  private lastTouched: CachedRepresentation | undefined

  constructor(
    private readonly source: AssetSource,
    private readonly options: FileCacheOptions,
  ) {
    this.entries = new LRUCache({
      max: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
      // Only an eviction lets bodies go: a replaced entry may share them with its successor.
      dispose: (entry, _path, reason) => {
        if (reason === 'evict') this.releaseAll(entry)
      },
    })
    this.bodies = new LRUCache({
      // lru-cache needs a positive budget and sizes; an empty file weighs one byte.
      maxSize: Math.max(1, options.maxBytes),
      sizeCalculation: (body) => Math.max(1, body.length),
      dispose: (_body, representation, reason) => {
        if (reason === 'set') return
        representation.body = undefined
        if (this.lastTouched === representation) this.lastTouched = undefined
      },
    })
  }

  /**
   * The entry when it is still trusted, else undefined (call `refresh`). A
   * peek, not a get: a path in use is refreshed, and so moved up the LRU,
   * every `ttlMs`, which is recency enough for evicting among 50 000 paths.
   */
  fresh(path: string, nowMs: number): CacheEntry | undefined {
    const entry = this.entries.peek(path)
    if (entry === undefined || nowMs < entry.expiresAtMs) return entry
    if (nowMs >= entry.expiresAtMs + (this.options.staleWhileRefreshMs ?? 0)) return undefined
    // A failed re-check leaves the entry to expire; the request after that waits and sees the failure.
    this.refresh(path).catch(() => undefined)
    return entry
  }

  /** Re-checks the path (stat + siblings) and stores the result; concurrent callers share one check. */
  refresh(path: string): Promise<CacheEntry> {
    const running = this.refreshing.get(path)
    if (running) return running
    const promise = this.check(path).then(
      (entry) => {
        // Dropped by `invalidate` meanwhile: answer this request, but do not keep what may be stale.
        if (this.refreshing.get(path) === promise) {
          this.refreshing.delete(path)
          this.entries.set(entry.path, entry)
        }
        return entry
      },
      (error: unknown) => {
        if (this.refreshing.get(path) === promise) this.refreshing.delete(path)
        throw error
      },
    )
    this.refreshing.set(path, promise)
    return promise
  }

  /** Forget a path at once (asset written or deleted). A sibling's change also drops its base file. */
  invalidate(path: string): void {
    this.drop(path)
    for (const [, suffix] of PRECOMPRESSED_SIBLINGS) {
      if (path.endsWith(suffix)) this.drop(path.slice(0, -suffix.length))
    }
  }

  /** Forgets every path: changes may have been missed (another host's notifications were lost). */
  invalidateAll(): void {
    for (const path of [...this.entries.keys()]) this.drop(path)
    this.refreshing.clear()
  }

  /** Whether this version's bytes are worth keeping in memory. */
  isSmall(version: CachedRepresentation): boolean {
    return version.sizeBytes <= this.options.maxFileBytes && version.sizeBytes <= this.options.maxBytes
  }

  /** Marks a body as just used (LRU order). */
  touch(representation: CachedRepresentation): void {
    // A hot file is touched thousands of times a second: reorder only when another was used since.
    if (this.lastTouched === representation) return
    this.lastTouched = representation
    this.bodies.get(representation)
  }

  /**
   * Reads a small file into memory. Resolves the version that describes the
   * bytes read (a new one when the file changed since it was stat'ed), or
   * undefined when it is gone.
   */
  loadBody(path: string, version: CachedRepresentation): Promise<CachedRepresentation | undefined> {
    const running = this.loading.get(version)
    if (running) return running
    const promise = this.readBody(path, version).finally(() => this.loading.delete(version))
    this.loading.set(version, promise)
    return promise
  }

  /**
   * The file changed under a cached version (seen by `fstat` after opening):
   * record the new version so the next requests use it.
   */
  replaceVersion(path: string, old: CachedRepresentation, info: StoredFile): CachedRepresentation {
    const version = makeRepresentation(info, old.contentType, old.contentEncoding)
    const entry = this.entries.peek(path)
    if (entry !== undefined) {
      const slot = old.contentEncoding ?? 'identity'
      if (entry[slot] === old) this.entries.set(path, { ...entry, [slot]: version })
      this.release(old)
    }
    return version
  }

  /**
   * Opens the file of a version for streaming. The version returned describes
   * the opened bytes (a new one when the file was replaced since the stat);
   * undefined when the file is gone.
   */
  async open(path: string, version: CachedRepresentation): Promise<{ opened: OpenStoredFile; representation: CachedRepresentation } | undefined> {
    const opened = await this.source.open(version.info.key)
    if (opened === undefined) {
      this.invalidate(path)
      return undefined
    }
    return { opened, representation: sameVersion(opened.info, version.info) ? version : this.replaceVersion(path, version, opened.info) }
  }

  /**
   * Whether the version's file still opens where it was found (inside the
   * store; see `AssetStore.open`), for readers that take a path rather than
   * a handle (sharp). Forgets the path when it does not.
   */
  async isStillThere(path: string, version: CachedRepresentation): Promise<boolean> {
    const found = await this.open(path, version)
    found?.opened.close()
    return found !== undefined
  }

  /** Bytes currently held in memory (for tests and metrics). */
  get memoryBytes(): number {
    return this.bodies.calculatedSize
  }

  private async readBody(path: string, version: CachedRepresentation): Promise<CachedRepresentation | undefined> {
    const opened = await this.source.open(version.info.key)
    if (opened === undefined) {
      this.drop(path)
      return undefined
    }
    const current = sameVersion(opened.info, version.info) ? version : this.replaceVersion(path, version, opened.info)
    let body: Buffer
    try {
      body = await opened.readAll()
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.drop(path)
        return undefined
      }
      throw error
    }
    if (current.body === undefined && this.isSmall(current)) {
      current.body = body
      this.bodies.set(current, body)
      // Served from this buffer even if the LRU let go of it right away.
      if (current.body === undefined) return { ...current, body }
    }
    return current.body === undefined ? { ...current, body } : current
  }

  private async check(path: string): Promise<CacheEntry> {
    const old = this.entries.peek(path)
    const contentType = old?.identity?.contentType ?? contentTypeFor(path)
    const isSibling = isPrecompressedSibling(path)
    const [identity, br, gzip] = await Promise.all([
      this.source.lookup(path),
      isSibling ? undefined : this.source.lookup(path + '.br'),
      isSibling ? undefined : this.source.lookup(path + '.gz'),
    ])
    const keep = (info: StoredFile | undefined, previous: CachedRepresentation | undefined, coding: ContentCoding | undefined) => {
      // A sibling older than its file was compressed from an earlier version
      // (the file was replaced, the sibling not yet): never serve it.
      const isStale = coding !== undefined && info !== undefined && identity !== undefined && info.mtimeMs < identity.mtimeMs
      if (info === undefined || identity === undefined || isStale) {
        if (previous) this.release(previous)
        return undefined
      }
      // Unchanged: keep the same object, and with it the body already in memory.
      if (previous !== undefined && sameVersion(previous.info, info)) return previous
      if (previous) this.release(previous)
      return makeRepresentation(info, contentType, coding)
    }
    const brVersion = keep(br, old?.br, 'br')
    const gzipVersion = keep(gzip, old?.gzip, 'gzip')
    return {
      path,
      identity: keep(identity, old?.identity, undefined),
      br: brVersion,
      gzip: gzipVersion,
      hasSiblings: brVersion !== undefined || gzipVersion !== undefined,
      isSvg: isSvgPath(path),
      isFingerprinted: isFingerprinted(path),
      expiresAtMs: performance.now() + this.options.ttlMs,
    }
  }

  private drop(path: string): void {
    const entry = this.entries.peek(path)
    this.refreshing.delete(path)
    if (entry === undefined) return
    this.entries.delete(path)
    this.releaseAll(entry)
  }

  private releaseAll(entry: CacheEntry): void {
    for (const representation of [entry.identity, entry.br, entry.gzip]) if (representation) this.release(representation)
  }

  private release(representation: CachedRepresentation): void {
    // The LRU's dispose clears `body`.
    if (representation.body !== undefined) this.bodies.delete(representation)
  }
}
