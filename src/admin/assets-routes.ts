import type Router from '@koa/router'
import type { Context } from 'koa'
import sharp, { type Metadata } from 'sharp'
import type { AdminContext } from './context'
import { AuditRepo } from '../db/audit-repo'
import { isDatabaseBusy, writeTransaction } from '../db/retry-busy'
import { contentTypeFor } from '../http/media-type'
import { parseSafePath } from '../http/safe-path'
import { CrossportError, isCrossportError } from '../http/errors'
import { HEALTH_PATHS } from '../ops/health'
import { evaluateWritePreconditions, type ConditionalHeaders } from '../http/conditional'
import type { AssetStore, StoredFile } from '../store/asset-store'
import { bodyTooLarge } from '../store/upload-body'
import { expectedKind, SNIFF_BYTES, sniffMismatch } from '../store/magic'
import { getActor, requireScope } from './auth'
import { ADMIN_PREFIX } from './folder-routes'

const ASSETS_PREFIX = `${ADMIN_PREFIX}/assets`
/** Everything under it goes to the admin app when ADMIN_ON_MAIN mounts it on the public listener. */
const ADMIN_MOUNT = '/admin'
export const DEFAULT_LIST_LIMIT = 100
export const MAX_LIST_LIMIT = 1000
/** Image metadata entries kept (keyed by path + ETag, so a replaced file is never answered from the cache). */
const IMAGE_METADATA_CACHE_SIZE = 1000
/** How long an asset change's audit row keeps trying after the answer went out (ms). */
const LATE_AUDIT_RETRY_MS = 10 * 60_000

export interface AssetMetadata {
  readonly path: string
  readonly size: number
  readonly contentType: string
  readonly etag: string
  readonly modifiedAt: string
  readonly image?: ImageMetadata
}

export interface ImageMetadata {
  readonly width: number
  readonly height: number
  readonly format: string
}

export interface AssetRoutesOptions {
  /** Another store (an object store) in place of the file system under ASSETS_DIR. */
  readonly store?: AssetStore
}

/**
 * `/assets` of the admin API (DESIGN §2): streamed atomic uploads,
 * metadata, cursor-paginated listing, delete. Every change is audited and
 * announced with `asset-changed`, which drops derivatives and cached stats.
 */
export function registerAssetRoutes(router: Router, context: AdminContext, options: AssetRoutesOptions = {}): void {
  const { db, config, events, logger } = context
  const log = logger.child({ component: 'assets' })
  const store = options.store ?? context.store
  const audit = new AuditRepo(db)
  // The store has already changed when this runs, so the answer must say so even if the
  // audit row cannot be written in time: a lock held past DB_BUSY_RETRY_MS keeps the row
  // retrying in the background instead of turning a done change into "503, nothing changed".
  const recordChange = async (work: () => void): Promise<void> => {
    try {
      await writeTransaction(db, config.dbBusyRetryMs, work)
    } catch (error: unknown) {
      if (!isDatabaseBusy(error)) {
        log.error({ err: error }, 'audit row for an asset change could not be written')
        return
      }
      log.warn('audit row for an asset change waits for the database lock')
      writeTransaction(db, LATE_AUDIT_RETRY_MS, work).catch((late: unknown) =>
        log.error({ err: late }, 'audit row for an asset change could not be written'),
      )
    }
  }
  const imageMetadata = new ImageMetadataCache(store, IMAGE_METADATA_CACHE_SIZE)

  router.get('/assets', requireScope('read'), async (ctx) => {
    const prefix = listPrefix(ctx.query.prefix)
    const limit = listLimit(ctx.query.limit)
    const after = decodeCursor(ctx.query.cursor)
    const delimiter = listDelimiter(ctx.query.delimiter)
    const page = await store.list({ prefix, after, limit, ...(delimiter ? { delimiter } : {}) })
    ctx.body = {
      items: page.items.map(describe),
      // Only with delimiter=/, so a client that never asked sees the same shape as before.
      ...(delimiter ? { folders: page.folders } : {}),
      nextCursor: page.hasMore && page.last !== undefined ? encodeCursor(page.last) : null,
    }
  })

  router.get('/assets/*path', requireScope('read'), async (ctx) => {
    const path = assetPath(ctx)
    const stat = await store.stat(path)
    if (stat === undefined) throw assetNotFound(path)
    const image = await imageMetadata.get(stat)
    ctx.body = { ...describe(stat), ...(image ? { image } : {}) }
  })

  router.put('/assets/*path', requireScope('write'), async (ctx) => {
    try {
      const path = assetPath(ctx)
      refuseReservedPath(path, config.adminOnMain)
      const actor = getActor(ctx)
      const declaredType = ctx.get('Content-Type') || undefined
      checkUploadHeaders(ctx, config.maxUploadBytes)
      const conditions = readConditions(ctx)
      // Fail fast on a precondition that already fails, before reading a byte;
      // the check that counts runs again right before the rename.
      if (conditions.ifMatch !== undefined || conditions.ifNoneMatch !== undefined) checkConditions(conditions, await store.stat(path), path)

      const kind = expectedKind(path, declaredType)
      const { before, after } = await store.put(path, ctx.req, {
        maxBytes: config.maxUploadBytes,
        headBytes: SNIFF_BYTES,
        inspect: (head) => {
          if (kind === undefined) return
          const mismatch = sniffMismatch(kind, head)
          if (mismatch !== undefined) throw new CrossportError('CONTENT_MISMATCH', `${path}: ${mismatch}`)
        },
        precondition: (current) => checkConditions(conditions, current, path),
      })

      events.emit('asset-changed', path)
      await recordChange(() => audit.record(actor.name, 'asset.upload', path, before ? auditFacts(before) : null, auditFacts(after)))
      log.info({ path, sizeBytes: after.sizeBytes, actor: actor.name, replaced: before !== undefined }, 'asset uploaded')

      const image = await imageMetadata.get(after)
      ctx.status = before === undefined ? 201 : 200
      if (before === undefined) ctx.set('Location', `${ASSETS_PREFIX}${encodePath(path)}`)
      ctx.body = { ...describe(after), ...(image ? { image } : {}) }
    } catch (error: unknown) {
      throw abandonBody(ctx, error)
    }
  })

  router.delete('/assets/*path', requireScope('write'), async (ctx) => {
    const path = assetPath(ctx)
    const actor = getActor(ctx)
    const removed = await store.delete(path)
    if (removed === undefined) throw assetNotFound(path)
    imageMetadata.forget(path)
    events.emit('asset-changed', path)
    for (const sibling of removed.siblings) events.emit('asset-changed', sibling)
    await recordChange(() => audit.record(actor.name, 'asset.delete', path, { ...auditFacts(removed.before), siblings: removed.siblings }, null))
    await context.images?.purge(path)
    log.info({ path, siblings: removed.siblings, actor: actor.name }, 'asset deleted')
    ctx.status = 204
  })
}

function describe(stat: StoredFile): AssetMetadata {
  return {
    path: stat.path,
    size: stat.sizeBytes,
    contentType: contentTypeFor(stat.path),
    etag: stat.etag,
    modifiedAt: new Date(stat.mtimeMs).toISOString(),
  }
}

const auditFacts = (stat: StoredFile) => ({ size: stat.sizeBytes, etag: stat.etag })

const assetNotFound = (path: string) => new CrossportError('ASSET_NOT_FOUND', `No asset at ${path}`)

/**
 * The asset path from the raw (still percent-encoded) request path, checked by
 * the very function the public listener uses, so an upload can only create
 * what the public side would serve at that URL.
 */
function assetPath(ctx: Context): string {
  const raw = ctx.path.slice(ASSETS_PREFIX.length)
  const safe = parseSafePath(raw)
  if (!safe.ok) throw new CrossportError('INVALID_ASSET_PATH', `${JSON.stringify(raw)} is not a valid asset path: ${safe.reason}`)
  if (safe.path.endsWith('/')) throw new CrossportError('INVALID_ASSET_PATH', `${safe.path} names a folder; give a file path such as ${safe.path}logo.png`)
  return safe.path
}

/**
 * The public listener answers these paths itself before it looks at the
 * store, so an asset there could never be served: refuse it rather than
 * accept bytes nobody can fetch.
 */
function refuseReservedPath(path: string, isAdminOnMain: boolean): void {
  if (HEALTH_PATHS.has(path)) throw new CrossportError('PATH_RESERVED', `${path} is the server's own probe; store the asset under another name`)
  if (isAdminOnMain && (path === ADMIN_MOUNT || path.startsWith(ADMIN_MOUNT + '/'))) {
    throw new CrossportError('PATH_RESERVED', `${path} is under ${ADMIN_MOUNT}/, which the admin side owns on this listener (ADMIN_ON_MAIN)`)
  }
}

const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/')

function checkUploadHeaders(ctx: Context, maxBytes: number): void {
  // The body is stored as sent: a coded body would be served as if it were the identity bytes.
  const coding = ctx.get('Content-Encoding').toLowerCase()
  if (coding !== '' && coding !== 'identity') {
    throw new CrossportError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${coding} is not accepted; upload the file as it should be served (store .br/.gz siblings as their own assets)`)
  }
  const declared = ctx.get('Content-Length')
  if (declared !== '' && Number(declared) > maxBytes) throw bodyTooLarge(maxBytes)
}

/** `*` or the listed entity-tags (`"a", W/"b"`); undefined when the header is absent. */
type Conditions = Pick<ConditionalHeaders, 'ifMatch' | 'ifNoneMatch'>

function readConditions(ctx: Context): Conditions {
  return { ifMatch: parseEtagList(ctx.get('If-Match')), ifNoneMatch: parseEtagList(ctx.get('If-None-Match')) }
}

/** RFC 9110 §13.1.1: `*` or a comma-separated list of (possibly weak) entity-tags. */
function parseEtagList(value: string): string | undefined {
  const trimmed = value.trim()
  if (trimmed === '') return undefined
  if (trimmed === '*') return '*'
  const tags = trimmed.match(/(?:W\/)?"[^"]*"/g) ?? []
  if (tags.length === 0) throw new CrossportError('BAD_REQUEST', `Malformed entity-tag list: ${JSON.stringify(trimmed.slice(0, 100))} (send "<etag>" with the quotes)`)
  return tags.join(', ')
}

/** For a PUT a failed condition is 412 (`evaluateWritePreconditions` has the RFC 9110 order and comparisons). */
function checkConditions(conditions: Conditions, current: StoredFile | undefined, path: string): void {
  const failed = evaluateWritePreconditions(conditions, current?.etag)
  if (failed === 'if-match') {
    throw new CrossportError(
      'PRECONDITION_FAILED',
      current === undefined ? `If-Match: ${path} does not exist` : `If-Match: ${path} is now ${current.etag}; fetch it again before replacing it`,
    )
  }
  if (failed === 'if-none-match') throw new CrossportError('PRECONDITION_FAILED', `If-None-Match: ${path} already exists (${current?.etag})`)
}

/**
 * After a refusal the rest of the body is still on its way. Answer with
 * `Connection: close` (the stream cannot be reused) and drain what is in
 * flight, so the client reads the problem instead of a reset; Node closes the
 * socket once the answer is out.
 */
function abandonBody(ctx: Context, error: unknown): unknown {
  if (ctx.req.complete || ctx.req.destroyed) return error
  ctx.req.resume()
  if (!isCrossportError(error)) return error
  return new CrossportError(error.code, error.message, {
    cause: error.cause ?? error,
    fields: error.fields,
    headers: { ...error.headers, Connection: 'close' },
  })
}

function listPrefix(value: unknown): string {
  if (value === undefined || value === '') return '/'
  if (typeof value !== 'string') throw new CrossportError('BAD_REQUEST', 'prefix: give one prefix such as /brand/')
  // Query values arrive decoded; re-encode each segment so parseSafePath sees what it expects.
  const safe = value.startsWith('/') ? parseSafePath(value.split('/').map(encodeURIComponent).join('/')) : undefined
  if (safe === undefined || !safe.ok) {
    throw new CrossportError('BAD_REQUEST', `prefix ${JSON.stringify(value.slice(0, 100))} is not an asset path prefix${safe && !safe.ok ? `: ${safe.reason}` : ' (it must start with /)'}`)
  }
  return safe.path
}

/** `delimiter=/` lists one folder level (S3 ListObjectsV2 semantics); no other delimiter exists here. */
function listDelimiter(value: unknown): '/' | undefined {
  if (value === undefined || value === '') return undefined
  if (value === '/') return '/'
  throw new CrossportError('BAD_REQUEST', 'delimiter: the only delimiter is / (one folder level)')
}

function listLimit(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_LIST_LIMIT
  const n = typeof value === 'string' && /^[0-9]{1,5}$/.test(value) ? Number(value) : NaN
  if (!(n >= 1 && n <= MAX_LIST_LIMIT)) throw new CrossportError('BAD_REQUEST', `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`)
  return n
}

// The cursor is the last path of the previous page. Opaque to clients so it
// can change shape later; stable because the listing is sorted by path, so a
// file added or removed elsewhere never shifts the next page.
const encodeCursor = (path: string): string => Buffer.from(path, 'utf8').toString('base64url')

function decodeCursor(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined
  const path = typeof value === 'string' && /^[A-Za-z0-9_-]+$/.test(value) ? Buffer.from(value, 'base64url').toString('utf8') : ''
  if (!path.startsWith('/')) throw new CrossportError('BAD_REQUEST', 'cursor is not one this server gave out; start again without it')
  return path
}

/** sharp metadata (header only, no decode), cached by path + ETag. */
class ImageMetadataCache {
  private readonly entries = new Map<string, ImageMetadata | null>()

  constructor(
    private readonly store: AssetStore,
    private readonly maxEntries: number,
  ) {}

  async get(stat: StoredFile): Promise<ImageMetadata | undefined> {
    if (!contentTypeFor(stat.path).startsWith('image/')) return undefined
    const key = `${stat.path}\n${stat.etag}`
    const cached = this.entries.get(key)
    if (cached !== undefined) return cached ?? undefined
    const found = await this.read(stat.path)
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next()
      if (oldest.done !== true) this.entries.delete(oldest.value)
    }
    this.entries.set(key, found ?? null)
    return found
  }

  forget(path: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${path}\n`)) this.entries.delete(key)
  }

  private async read(path: string): Promise<ImageMetadata | undefined> {
    try {
      const local = this.store.localPath?.(path)
      let metadata: Metadata
      if (local !== undefined) {
        metadata = await sharp(local).metadata()
      } else {
        const reader = sharp()
        this.store.read(path).pipe(reader)
        metadata = await reader.metadata()
      }
      const { width, height, format } = metadata
      if (width === undefined || height === undefined || format === undefined) return undefined
      return { width, height, format }
    } catch {
      // Not something sharp can read (a non-image, an SVG without librsvg): metadata simply has no `image`.
      return undefined
    }
  }
}
