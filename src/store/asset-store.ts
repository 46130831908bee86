import type { Readable, Writable } from 'node:stream'

/**
 * The asset store, whole: what the public listener reads and what the admin
 * API writes, behind one interface. The file system under ASSETS_DIR is the
 * default (`store/fs/`); an S3-compatible bucket implements the same methods
 * with the requests named beside each one, so neither side changes.
 *
 * Paths are decoded asset paths that already passed `parseSafePath`
 * (`/brand/logo.png`); a store still refuses anything that would leave its
 * root. An object store maps a path to the key `prefix + path` without its
 * leading `/`.
 */
export interface AssetStore {
  /**
   * The current version of the file at `path`, for the public side: resolves
   * undefined for anything that is not servable — missing, a folder, outside
   * the root, or unreadable — so a visitor gets a 404 and learns nothing
   * more. Never throws for such a file. (S3: HEAD; 404 and 403 are misses.)
   */
  lookup(path: string): Promise<StoredFile | undefined>
  /**
   * Opens a version found by `lookup` (its `key`). The opened handle
   * describes the bytes it will read, which may be a newer version than the
   * one looked up; undefined when the file disappeared or left the root
   * meanwhile. (S3: the ranged GETs of the handle pin the version with
   * `If-Match` on the object's ETag, or its version id.)
   */
  open(key: string): Promise<OpenStoredFile | undefined>
  /**
   * The current version of the asset at `path`, for the admin side:
   * undefined when there is no such file; a file that exists but cannot be
   * read is an error the operator must see (rejects). (S3: HEAD; 404 is
   * undefined, 403 rejects.)
   */
  stat(path: string): Promise<StoredFile | undefined>
  /**
   * Streams `body` into the store. Nothing is visible at `path` until the body
   * is complete, within `maxBytes`, and accepted by `inspect` and
   * `precondition`; then the new content replaces the old one atomically. On
   * any failure (limit, mismatch, precondition, client gone) nothing is left
   * behind and the error is rethrown. A same-size replacement always gets a
   * new ETag. (S3: a multipart upload, completed only after `precondition`
   * passed, with `If-Match`/`If-None-Match: *` on the completion where the
   * server has conditional writes; aborted on any failure.)
   */
  put(path: string, body: Readable, options: PutOptions): Promise<PutResult>
  /**
   * Removes the asset and its precompressed siblings (`PRECOMPRESSED_SIBLINGS`
   * of `http/precompressed`).
   * @returns what was removed, or undefined when there was no such asset.
   * (S3: HEAD, then DeleteObjects for the object and its siblings.)
   */
  delete(path: string): Promise<DeleteResult | undefined>
  /**
   * One page of assets whose path starts with `prefix`, sorted by path,
   * strictly after `after`. Dotfiles are never listed. (S3: ListObjectsV2
   * with `StartAfter`, `MaxKeys` and `Delimiter`.)
   */
  list(options: ListOptions): Promise<ListPage>
  /** The asset's bytes as a stream, for metadata readers such as sharp. (S3: GET.) */
  read(path: string): Readable
  /** A local file path when the store has one (faster than `read` for sharp); remote stores leave it out. */
  localPath?(path: string): string | undefined
  /**
   * For readiness probes: what keeps the store from serving (naming the store), or undefined when it can.
   * (File system: the root folder is readable. S3: HEAD bucket answers 200.)
   */
  whyNotReady(): Promise<string | undefined>
}

/** One version of one stored file. */
export interface StoredFile {
  /**
   * Decoded asset path, e.g. `/brand/logo.png`: the path it was asked for or
   * listed under; for an opened file, the path of its `key`.
   */
  readonly path: string
  /** Where the bytes live, as `open` takes it: the real (symlink-free) file path, or the object key. */
  readonly key: string
  readonly sizeBytes: number
  readonly mtimeMs: number
  /**
   * Changes whenever the content is replaced, even if size and mtime stay the
   * same: the inode on a file system, the object's own ETag or version id in S3.
   */
  readonly revision: string
  /** The strong ETag the public listener sends for the identity representation (`http/etag`). */
  readonly etag: string
}

/** Whether two records describe the same version of the same file. */
export const sameVersion = (a: StoredFile, b: StoredFile): boolean =>
  a.key === b.key && a.sizeBytes === b.sizeBytes && a.mtimeMs === b.mtimeMs && a.revision === b.revision

/** An opened version: `info` describes exactly the bytes this handle reads. */
export interface OpenStoredFile {
  readonly info: StoredFile
  /**
   * Sends bytes start..end (inclusive) to `sink` with back-pressure (a slow
   * client holds the reader back), ends it, and releases the handle when done
   * or when the sink closes first. Only the requested bytes are read (S3: a
   * GET with `Range: bytes=start-end`, aborted when the sink closes).
   */
  sendTo(sink: Writable, start: number, end: number): Transfer
  /** Reads the whole file (small files only) and releases the handle. */
  readAll(): Promise<Buffer>
  /** Releases the handle without reading (HEAD, a 304 decided after opening). */
  close(): void
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

export interface PutOptions {
  /** Bytes past this make `put` reject with BODY_TOO_LARGE as soon as they arrive. */
  readonly maxBytes: number
  /**
   * Called once with the first `headBytes` bytes (fewer only when the body is
   * shorter), before the rest is stored; throw to refuse the content.
   */
  readonly inspect?: (head: Buffer) => void
  readonly headBytes?: number
  /**
   * Called with the current asset (or undefined) right before the new content
   * replaces it, serialised with other puts and deletes of the same path in
   * this process; throw to refuse (If-Match / If-None-Match).
   */
  readonly precondition?: (current: StoredFile | undefined) => void
}

export interface PutResult {
  readonly before: StoredFile | undefined
  readonly after: StoredFile
}

export interface DeleteResult {
  readonly before: StoredFile
  /** Precompressed siblings that were removed too, as asset paths. */
  readonly siblings: readonly string[]
}

export interface ListOptions {
  /** Only paths starting with this string (`/brand/`); `/` for everything. */
  readonly prefix: string
  /** Exclusive lower bound (the last path of the previous page). */
  readonly after?: string
  readonly limit: number
  /**
   * `/`: one folder level only, like S3's delimiter. Paths below a deeper `/`
   * are not listed; each such folder appears once in `folders` instead, and
   * counts towards `limit` and the cursor order like an item.
   */
  readonly delimiter?: '/'
}

export interface ListPage {
  readonly items: readonly StoredFile[]
  /** With `delimiter`: the child folders on this page (`/brand/logos/`), sorted; otherwise empty. */
  readonly folders: readonly string[]
  /** Whether more entries follow the last one. */
  readonly hasMore: boolean
  /** The last path or folder on this page (the next page starts after it); undefined when the page is empty. */
  readonly last?: string
}
