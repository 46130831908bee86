import type Router from '@koa/router'
import type { AdminContext } from './context'
import { NO_PURGES } from '../cdn/change-purges'
import { AuditRepo } from '../db/audit-repo'
import { notifyChange } from '../db/postgres'
import type { SqlExecutor } from '../db/sql'
import { isDatabaseBusy, retryWhileBusy } from '../db/sqlite/retry-busy'
import { contentTypeFor } from '../http/media-type'
import { CrossportError } from '../http/errors'
import type { AssetStore, StoredFile } from '../store/asset-store'
import { expectedKind, SNIFF_BYTES, sniffMismatch } from '../store/magic'
import {
  abandonBody,
  assetPath,
  ASSETS_PREFIX,
  checkConditions,
  checkUploadHeaders,
  encodePath,
  readConditions,
  refuseReservedPath,
} from './asset-requests'
import { getActor, requireScope } from './auth'
import { ImageMetadataCache } from './image-metadata'
import type { Answer, Asset, AssetPage } from './schemas/api-types'
import { parseInput } from './schemas/parse'
import { assetListQuery, encodeCursor } from './schemas/queries'

/** Image metadata entries kept (keyed by path + ETag, so a replaced file is never answered from the cache). */
const IMAGE_METADATA_CACHE_SIZE = 1000
/** How long an asset change's audit row keeps trying after the answer went out (ms). */
const LATE_AUDIT_RETRY_MS = 10 * 60_000

export interface AssetRoutesOptions {
  /** Another store (an object store) in place of the file system under ASSETS_DIR. */
  readonly store?: AssetStore
}

/**
 * `/assets` of the admin API: streamed atomic uploads,
 * metadata, cursor-paginated listing, delete. Every change is audited and
 * announced with `asset-changed`, which drops derivatives and cached stats.
 */
export function registerAssetRoutes(router: Router, context: AdminContext, options: AssetRoutesOptions = {}): void {
  const { db, config, events, logger } = context
  const log = logger.child({ component: 'assets' })
  const store = options.store ?? context.store
  const purges = context.purges ?? NO_PURGES
  // The store has already changed when this runs, so the answer must say so even if the
  // audit row cannot be written in time: a lock held past DB_BUSY_RETRY_MS keeps the row
  // retrying in the background instead of turning a done change into "503, nothing changed".
  // The CDN's purge rides in the audit row's transaction: written with it, or retried with it.
  // So does, on PostgreSQL, the notification that makes every other host drop the paths from its caches.
  const recordChange = async (paths: readonly string[], audited: (audit: AuditRepo) => Promise<void>): Promise<void> => {
    const work = async (tx: SqlExecutor): Promise<void> => {
      await audited(new AuditRepo(tx))
      await purges.assetsChanged(tx, paths)
      for (const path of paths) await notifyChange(tx, { kind: 'asset', path })
    }
    try {
      await db.transaction(work)
    } catch (error: unknown) {
      if (!isDatabaseBusy(error)) {
        log.error({ err: error }, 'audit row for an asset change could not be written')
        return
      }
      log.warn('audit row for an asset change waits for the database lock')
      retryWhileBusy(() => db.transaction(work), LATE_AUDIT_RETRY_MS).then(() => purges.committed(), (late: unknown) =>
        log.error({ err: late }, 'audit row for an asset change could not be written'),
      )
      return
    }
    await purges.committed()
  }
  const imageMetadata = new ImageMetadataCache(store, IMAGE_METADATA_CACHE_SIZE)

  router.get('/assets', requireScope('read'), async (ctx) => {
    const { prefix, cursor, limit, delimiter } = parseInput(assetListQuery, ctx.query)
    const page = await store.list({ prefix, after: cursor, limit, ...(delimiter ? { delimiter } : {}) })
    ctx.body = {
      items: page.items.map(describe),
      // Only with delimiter=/, so a client that never asked sees the same shape as before.
      ...(delimiter ? { folders: page.folders } : {}),
      nextCursor: page.hasMore && page.last !== undefined ? encodeCursor(page.last) : null,
    } satisfies Answer<AssetPage>
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
      const isConditional = conditions.ifMatch !== undefined || conditions.ifNoneMatch !== undefined
      if (isConditional) checkConditions(conditions, await store.stat(path), path)

      const kind = expectedKind(path, declaredType)
      const { before, after } = await store.put(path, ctx.req, {
        maxBytes: config.maxUploadBytes,
        headBytes: SNIFF_BYTES,
        inspect: (head) => {
          if (kind === undefined) return
          const mismatch = sniffMismatch(kind, head)
          if (mismatch !== undefined) throw new CrossportError('CONTENT_MISMATCH', `${path}: ${mismatch}`)
        },
        // Only a conditional request gets a precondition: the store then makes its write conditional (on S3 too).
        precondition: isConditional ? (current) => checkConditions(conditions, current, path) : undefined,
      })

      events.emit('asset-changed', path)
      await recordChange([path], (audit) => audit.record(actor.name, 'asset.upload', path, before ? auditFacts(before) : null, auditFacts(after)))
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
    await recordChange([path, ...removed.siblings], (audit) => audit.record(actor.name, 'asset.delete', path, { ...auditFacts(removed.before), siblings: removed.siblings }, null))
    await context.images?.purge(path)
    log.info({ path, siblings: removed.siblings, actor: actor.name }, 'asset deleted')
    ctx.status = 204
  })
}

function describe(stat: StoredFile): Asset {
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
