/**
 * The one place that turns request facts + a representation into status,
 * headers and byte range. Both the fast lane and the Koa lane call it, so
 * conditionals, ranges and validators behave the same whichever lane answers.
 */
import { evaluatePreconditions, ifRangeAllowsPartial, type ConditionalHeaders } from './conditional'
import type { ContentCoding } from './etag'
import { decideRange } from './range'

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
  readonly headers: HeaderMap
  /** Bytes to send, inclusive; undefined when the response has no body (HEAD, 304, 412, 416). */
  readonly body: { readonly start: number; readonly end: number } | undefined
}

/**
 * @param base headers every answer for this asset carries (CORS, Vary,
 *   Cache-Control, nosniff, CSP); the plan adds validators, type and length.
 */
const NOT_STORED = 'no-store'

export function planAssetResponse(request: DeliveryRequest, rep: Representation, base: Readonly<HeaderMap>): ResponsePlan {
  const validators = { etag: rep.etag, lastModifiedSeconds: rep.lastModifiedSeconds }
  const outcome = evaluatePreconditions(request, validators)
  if (outcome === 'not-modified') {
    // RFC 9110 §15.4.5: a 304 repeats the validators, Cache-Control and Vary
    // (CORS headers are in `base`) and has neither body nor Content-Length.
    return { status: 304, headers: { ...base, ETag: rep.etag, 'Last-Modified': rep.lastModified }, body: undefined }
  }
  if (outcome === 'failed') {
    // 412 and 416 answer one request's conditions, not the resource: a shared
    // cache that keys on the URL alone must not hand them to other clients.
    const headers = { ...base, ETag: rep.etag, 'Last-Modified': rep.lastModified, 'Content-Length': 0, 'Cache-Control': NOT_STORED }
    return { status: 412, headers, body: undefined }
  }

  const headers: HeaderMap = {
    ...base,
    'Content-Type': rep.contentType,
    'Accept-Ranges': 'bytes',
    ETag: rep.etag,
    'Last-Modified': rep.lastModified,
  }
  if (rep.contentEncoding !== undefined) headers['Content-Encoding'] = rep.contentEncoding
  const size = rep.sizeBytes
  const isGet = request.method === 'GET'

  // RFC 9110 §14.2: Range is defined for GET only; HEAD answers like a plain GET.
  // Ranges apply to identity bytes only (the Range request chose identity already).
  if (isGet && request.range !== undefined && rep.contentEncoding === undefined && ifRangeAllowsPartial(request.ifRange, validators)) {
    const range = decideRange(request.range, size)
    if (range.kind === 'unsatisfiable') {
      headers['Content-Range'] = `bytes */${size}`
      headers['Content-Length'] = 0
      headers['Cache-Control'] = NOT_STORED
      delete headers['Content-Type']
      return { status: 416, headers, body: undefined }
    }
    if (range.kind === 'partial') {
      headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`
      headers['Content-Length'] = range.end - range.start + 1
      return { status: 206, headers, body: { start: range.start, end: range.end } }
    }
  }
  headers['Content-Length'] = size
  return { status: 200, headers, body: isGet && size > 0 ? { start: 0, end: size - 1 } : undefined }
}

/** `Vary` value from the CORS decision's list plus what delivery itself keyed on, without duplicates. */
export function joinVary(...lists: ReadonlyArray<readonly string[]>): string | undefined {
  const seen = new Set<string>()
  const names: string[] = []
  for (const list of lists) {
    for (const name of list) {
      const key = name.toLowerCase()
      if (seen.has(key)) continue
      seen.add(key)
      names.push(name)
    }
  }
  return names.length === 0 ? undefined : names.join(', ')
}

export const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

/**
 * Headers every answer about one asset carries, whatever its status: the CORS
 * decision's headers, Vary, Cache-Control and the content-safety headers.
 */
export function assetBaseHeaders(options: {
  readonly corsHeaders: Readonly<Record<string, string>>
  readonly vary: string | undefined
  readonly cacheControl: string
  readonly isSvg: boolean
}): HeaderMap {
  const headers: HeaderMap = { ...options.corsHeaders, 'Cache-Control': options.cacheControl, 'X-Content-Type-Options': 'nosniff' }
  if (options.vary !== undefined) headers.Vary = options.vary
  // An SVG opened directly runs its scripts on our origin; this keeps it an inert picture.
  if (options.isSvg) headers['Content-Security-Policy'] = SVG_CSP
  return headers
}
