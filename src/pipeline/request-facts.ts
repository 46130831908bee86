/**
 * The request facts each step reads, taken from the request line and headers
 * once. Pure: they take header records, so the steps are testable without HTTP.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { CorsRequest } from '../cors/types'
import type { DeliveryRequest } from './plan'

/** The path (still percent-encoded) and the query string of a request target in origin form. */
export interface TargetParts {
  readonly rawPath: string
  /** After `?`, as sent; undefined without one. */
  readonly queryString: string | undefined
}

export function splitTarget(url: string): TargetParts {
  const q = url.indexOf('?')
  return q === -1 ? { rawPath: url, queryString: undefined } : { rawPath: url.slice(0, q), queryString: url.slice(q + 1) }
}

/** What the CORS and strict-mode decision reads. */
export function corsRequestOf(method: string, h: IncomingHttpHeaders): CorsRequest {
  return {
    method,
    origin: h.origin,
    requestMethod: single(h['access-control-request-method']),
    requestHeaders: single(h['access-control-request-headers']),
    requestPrivateNetwork: h['access-control-request-private-network'] === 'true',
    referer: h.referer,
    secFetchSite: single(h['sec-fetch-site']),
    ownOrigin: h.host === undefined ? undefined : 'http://' + h.host,
  }
}

/** What planning an asset response reads: ranges and validators. */
export function deliveryRequestOf(method: string, h: IncomingHttpHeaders): DeliveryRequest {
  return {
    method,
    range: h.range,
    ifRange: single(h['if-range']),
    ifMatch: h['if-match'],
    ifNoneMatch: h['if-none-match'],
    ifModifiedSince: h['if-modified-since'],
    ifUnmodifiedSince: h['if-unmodified-since'],
  }
}

/** Node joins repeated headers it knows; unknown ones arrive as arrays. */
const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(', ') : value)
