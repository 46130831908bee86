import type { Readable } from 'node:stream'

/**
 * The write side of the asset store, as the admin API sees it. The file
 * system is the default (`FsAssetStore`); an S3-compatible store implements
 * the same interface (multipart upload = the temp file, completing it = the
 * rename) without the request path changing.
 *
 * Paths are decoded asset paths that already passed `parseSafePath`
 * (`/brand/logo.png`); a store still refuses anything that would leave its
 * root.
 */
export interface AssetStore {
  /** `undefined` when there is no such asset (or it is not a regular file). */
  stat(path: string): Promise<AssetStat | undefined>
  /**
   * Streams `body` into the store. Nothing is visible at `path` until the body
   * is complete, within `maxBytes`, and accepted by `inspect` and
   * `precondition`; then the new content replaces the old one atomically. On
   * any failure (limit, mismatch, precondition, client gone) nothing is left
   * behind and the error is rethrown.
   */
  put(path: string, body: Readable, options: PutOptions): Promise<PutResult>
  /**
   * Removes the asset and its precompressed siblings (`.br`, `.gz`).
   * @returns what was removed, or `undefined` when there was no such asset.
   */
  delete(path: string): Promise<DeleteResult | undefined>
  /** One page of assets whose path starts with `prefix`, sorted by path, strictly after `after`. */
  list(options: ListOptions): Promise<ListPage>
  /** The asset's bytes, for metadata readers such as sharp. */
  read(path: string): Readable
  /** A local file path when the store has one (faster than `read` for sharp); undefined for remote stores. */
  localPath?(path: string): string | undefined
}

export interface AssetStat {
  /** Decoded asset path, e.g. `/brand/logo.png`. */
  readonly path: string
  readonly sizeBytes: number
  readonly mtimeMs: number
  /** Same strong ETag the public listener sends for the identity representation. */
  readonly etag: string
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
  readonly precondition?: (current: AssetStat | undefined) => void
}

export interface PutResult {
  readonly before: AssetStat | undefined
  readonly after: AssetStat
}

export interface DeleteResult {
  readonly before: AssetStat
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
  readonly items: readonly AssetStat[]
  /** With `delimiter`: the child folders on this page (`/brand/logos/`), sorted; otherwise empty. */
  readonly folders: readonly string[]
  /** Whether more entries follow the last one. */
  readonly hasMore: boolean
  /** The last path or folder on this page (the next page starts after it); undefined when the page is empty. */
  readonly last?: string
}
