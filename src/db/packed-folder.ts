import { LRUCache } from 'lru-cache'
import type { PackedFolder, PolicyShape } from '../policy/packed-folder'
import type { SignedUrlsMode } from '../policy/types'
import { jsonList } from './folder-repo'

/**
 * The columns of one folder row and its origins, as an array (a raw row): no
 * object per row to build and collect. The same on both engines.
 */
export type PackedRow = [
  id: number,
  path: string,
  methods: string,
  allowHeaders: string,
  exposeHeaders: string,
  maxAge: number,
  credentials: number,
  privateNetwork: number,
  mode: 'cors' | 'strict',
  cacheControl: string,
  signedUrls: SignedUrlsMode,
  cdnCacheControl: string | null,
  createdAt: string,
  updatedAt: string,
  originsJson: string,
]

/**
 * The folder columns of a `PackedRow`, from `folders f`; each engine appends
 * its own expression for the origins as one JSON array text, in order: one
 * string per folder instead of one per origin.
 */
export const PACKED_FOLDER_COLUMNS = `f.id, f.path, f.methods, f.allow_headers, f.expose_headers, f.max_age, f.credentials,
    f.private_network, f.mode, f.cache_control, f.signed_urls, f.cdn_cache_control, f.created_at, f.updated_at`

/** Distinct policy shapes kept for sharing; beyond that a folder just gets its own copy. */
const MAX_SHARED_SHAPES = 1_000

/**
 * Turns rows into packed folders. Folders with the same policy fields (but
 * origins) share one frozen shape, so 100,000 folders with a handful of
 * distinct policies hold a handful of shapes.
 */
export class PackedFolderBuilder {
  private readonly shapes = new LRUCache<string, PolicyShape>({ max: MAX_SHARED_SHAPES })

  toPacked(row: PackedRow): PackedFolder {
    const [id, path, , , , , , , , , , , createdAt, updatedAt, originsJson] = row
    return { id, path, shape: this.shapeOf(row), originsJson, createdAt, updatedAt }
  }

  private shapeOf(row: PackedRow): PolicyShape {
    const [, , methods, allowHeaders, exposeHeaders, maxAge, credentials, privateNetwork, mode, cacheControl, signedUrls, cdnCacheControl] = row
    const key = JSON.stringify(row.slice(2, 12))
    const shared = this.shapes.get(key)
    if (shared !== undefined) return shared
    const shape: PolicyShape = Object.freeze({
      methods: jsonList(methods),
      allowHeaders: jsonList(allowHeaders),
      exposeHeaders: jsonList(exposeHeaders),
      maxAge,
      credentials: credentials === 1,
      privateNetwork: privateNetwork === 1,
      mode,
      cacheControl,
      cdnCacheControl,
      signedUrls,
    })
    this.shapes.set(key, shape)
    return shape
  }
}
