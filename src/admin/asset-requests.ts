import type { Context } from 'koa'
import { CrossportError, isCrossportError } from '../http/errors'
import { parseSafePath } from '../http/safe-path'
import { HEALTH_PATHS } from '../ops/health'
import { evaluateWritePreconditions, type ConditionalHeaders } from '../http/conditional'
import type { StoredFile } from '../store/asset-store'
import { bodyTooLarge } from '../store/upload-body'
import { ADMIN_PREFIX } from './folder-routes'

/** What `/assets/{path}` checks of a request before and while the store works on it. */

export const ASSETS_PREFIX = `${ADMIN_PREFIX}/assets`
/** Everything under it goes to the admin app when ADMIN_ON_MAIN mounts it on the public listener. */
const ADMIN_MOUNT = '/admin'

/**
 * The asset path from the raw (still percent-encoded) request path, checked by
 * the very function the public listener uses, so an upload can only create
 * what the public side would serve at that URL.
 */
export function assetPath(ctx: Context): string {
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
export function refuseReservedPath(path: string, isAdminOnMain: boolean): void {
  if (HEALTH_PATHS.has(path)) throw new CrossportError('PATH_RESERVED', `${path} is the server's own probe; store the asset under another name`)
  if (isAdminOnMain && (path === ADMIN_MOUNT || path.startsWith(ADMIN_MOUNT + '/'))) {
    throw new CrossportError('PATH_RESERVED', `${path} is under ${ADMIN_MOUNT}/, which the admin side owns on this listener (ADMIN_ON_MAIN)`)
  }
}

export const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/')

export function checkUploadHeaders(ctx: Context, maxBytes: number): void {
  // The body is stored as sent: a coded body would be served as if it were the identity bytes.
  const coding = ctx.get('Content-Encoding').toLowerCase()
  if (coding !== '' && coding !== 'identity') {
    throw new CrossportError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${coding} is not accepted; upload the file as it should be served (store .br/.gz siblings as their own assets)`)
  }
  const declared = ctx.get('Content-Length')
  if (declared !== '' && Number(declared) > maxBytes) throw bodyTooLarge(maxBytes)
}

/** `*` or the listed entity-tags (`"a", W/"b"`); undefined when the header is absent. */
export type Conditions = Pick<ConditionalHeaders, 'ifMatch' | 'ifNoneMatch'>

export function readConditions(ctx: Context): Conditions {
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
export function checkConditions(conditions: Conditions, current: StoredFile | undefined, path: string): void {
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
export function abandonBody(ctx: Context, error: unknown): unknown {
  if (ctx.req.complete || ctx.req.destroyed) return error
  ctx.req.resume()
  if (!isCrossportError(error)) return error
  return new CrossportError(error.code, error.message, {
    cause: error.cause ?? error,
    fields: error.fields,
    headers: { ...error.headers, Connection: 'close' },
  })
}

