/**
 * The one place that turns request facts + a representation into status,
 * headers and byte range, whether the bytes are in memory, on disk or rendered.
 */
import { evaluatePreconditions, ifRangeAllowsPartial, type ConditionalHeaders } from '../http/conditional'
import type { ContentCoding } from '../http/etag'
import { getOrCreate, newWeakMap } from '../util/maps'
import { decideRange } from '../http/range'

export type HeaderMap = Record<string, string | number>

/** One servable set of bytes: the file, a precompressed sibling, or an image derivative. */
export interface Representation {
  readonly sizeBytes: number
  readonly etag: string
  /** HTTP-date of the mtime, precomputed once per file version. */
  readonly lastModified: string
  readonly lastModifiedSeconds: number
  readonly contentType: string
  readonly contentEncoding: ContentCoding | undefined
}

export interface DeliveryRequest extends ConditionalHeaders {
  readonly method: string
  readonly range: string | undefined
  readonly ifRange: string | undefined
}

export interface ResponsePlan {
  readonly status: 200 | 206 | 304 | 412 | 416
  readonly headers: Readonly<HeaderMap>
  /** Bytes to send, inclusive; undefined when the response has no body (HEAD, 304, 412, 416). */
  readonly body: { readonly start: number; readonly end: number } | undefined
}

const NOT_STORED = 'no-store'

/** The answers that depend on nothing but the representation, the base headers and GET vs HEAD. */
interface RememberedPlans {
  get?: ResponsePlan
  head?: ResponsePlan
  notModified?: ResponsePlan
}

/**
 * Hot files are answered with the same base headers over and over, so 200s
 * and 304s are planned once per (base headers, representation) and frozen.
 * Both keys are replaced, never changed in place, when what they describe
 * changes (a new file version, a new policy or decision), and the WeakMaps
 * let the plans go with them.
 */
const remembered = new WeakMap<Readonly<HeaderMap>, WeakMap<Representation, RememberedPlans>>()

const noPlansYet = (): RememberedPlans => ({})

function rememberedFor(base: Readonly<HeaderMap>, rep: Representation): RememberedPlans {
  return getOrCreate(getOrCreate(remembered, base, newWeakMap<Representation, RememberedPlans>), rep, noPlansYet)
}

/**
 * @param base headers every answer for this asset carries (CORS, Vary,
 *   Cache-Control, nosniff, CSP); the plan adds validators, type and length.
 *   Remembered plans are shared between requests, hence frozen.
 */
export function planAssetResponse(request: DeliveryRequest, rep: Representation, base: Readonly<HeaderMap>): ResponsePlan {
  const outcome = evaluatePreconditions(request, rep)
  if (outcome === 'not-modified') {
    // RFC 9110 §15.4.5: a 304 repeats the validators, Cache-Control and Vary
    // (CORS headers are in `base`) and has neither body nor Content-Length.
    const plans = rememberedFor(base, rep)
    plans.notModified ??= frozenPlan(304, { ...base, ETag: rep.etag, 'Last-Modified': rep.lastModified }, undefined)
    return plans.notModified
  }
  if (outcome === 'failed') {
    // 412 and 416 answer one request's conditions, not the resource: a shared
    // cache that keys on the URL alone must not hand them to other clients.
    const headers = notStored({ ...base, ETag: rep.etag, 'Last-Modified': rep.lastModified, 'Content-Length': 0 })
    return { status: 412, headers, body: undefined }
  }

  const isGet = request.method === 'GET'
  // RFC 9110 §14.2: Range is defined for GET only; HEAD answers like a plain GET.
  // Ranges apply to identity bytes only (the Range request chose identity already).
  if (isGet && request.range !== undefined && rep.contentEncoding === undefined && ifRangeAllowsPartial(request.ifRange, rep)) {
    const partial = planRange(request.range, rep, base)
    if (partial !== undefined) return partial
  }
  const plans = rememberedFor(base, rep)
  if (isGet) {
    plans.get ??= frozenPlan(200, representationHeaders(rep, base, rep.sizeBytes), rep.sizeBytes > 0 ? { start: 0, end: rep.sizeBytes - 1 } : undefined)
    return plans.get
  }
  plans.head ??= frozenPlan(200, representationHeaders(rep, base, rep.sizeBytes), undefined)
  return plans.head
}

/**
 * An answer no cache may keep. A CDN that reads CDN-Cache-Control or
 * Surrogate-Control ignores Cache-Control (RFC 9213 §2.1), so those go.
 */
function notStored(headers: HeaderMap): HeaderMap {
  delete headers['CDN-Cache-Control']
  delete headers['Surrogate-Control']
  headers['Cache-Control'] = NOT_STORED
  return headers
}

function frozenPlan(status: ResponsePlan['status'], headers: HeaderMap, body: ResponsePlan['body']): ResponsePlan {
  return Object.freeze({ status, headers: Object.freeze(headers), body: body && Object.freeze(body) })
}

/** 206 or 416 for a Range the representation can answer; undefined: ignore the Range, answer 200. */
function planRange(rangeHeader: string, rep: Representation, base: Readonly<HeaderMap>): ResponsePlan | undefined {
  const size = rep.sizeBytes
  const range = decideRange(rangeHeader, size)
  if (range.kind === 'unsatisfiable') {
    const headers = representationHeaders(rep, base, 0)
    delete headers['Content-Type']
    headers['Content-Range'] = `bytes */${size}`
    return { status: 416, headers: notStored(headers), body: undefined }
  }
  if (range.kind === 'partial') {
    const headers = representationHeaders(rep, base, range.end - range.start + 1)
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`
    return { status: 206, headers, body: { start: range.start, end: range.end } }
  }
  return undefined
}

function representationHeaders(rep: Representation, base: Readonly<HeaderMap>, contentLength: number): HeaderMap {
  const headers: HeaderMap = {
    ...base,
    'Content-Type': rep.contentType,
    'Accept-Ranges': 'bytes',
    ETag: rep.etag,
    'Last-Modified': rep.lastModified,
  }
  if (rep.contentEncoding !== undefined) headers['Content-Encoding'] = rep.contentEncoding
  headers['Content-Length'] = contentLength
  return headers
}

export const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
/** CSP applies to documents only, so this changes nothing for a stylesheet, script or image used by a page. */
export const SANDBOX_CSP = 'sandbox'

/**
 * Headers every answer about one asset carries, whatever its status: the CORS
 * decision's headers, Vary, Cache-Control (the CDN's too) and the content-safety headers.
 */
export function assetBaseHeaders(options: {
  readonly corsHeaders: Readonly<Record<string, string>>
  readonly vary: string | undefined
  readonly cacheControl: string
  /** CDN-Cache-Control (RFC 9213); null: not sent. */
  readonly cdnCacheControl?: string | null
  /** Also as Surrogate-Control, for the CDNs that read that instead. */
  readonly surrogateControl?: boolean
  readonly isSvg: boolean
  /**
   * Sandbox every asset opened as a document: with the admin console on the
   * same origin (ADMIN_ON_MAIN), an uploaded HTML file must not run script next to it.
   */
  readonly sandboxAll?: boolean
}): HeaderMap {
  const headers: HeaderMap = { ...options.corsHeaders, 'Cache-Control': options.cacheControl, 'X-Content-Type-Options': 'nosniff' }
  const cdn = options.cdnCacheControl
  if (cdn !== undefined && cdn !== null) {
    headers['CDN-Cache-Control'] = cdn
    if (options.surrogateControl === true) headers['Surrogate-Control'] = cdn
  }
  if (options.vary !== undefined) headers.Vary = options.vary
  // An SVG opened directly runs its scripts on our origin; this keeps it an inert picture.
  if (options.isSvg) headers['Content-Security-Policy'] = SVG_CSP
  else if (options.sandboxAll === true) headers['Content-Security-Policy'] = SANDBOX_CSP
  return headers
}
