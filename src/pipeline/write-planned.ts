/**
 * The one writer for planned asset responses, whatever holds the bytes:
 * nothing (HEAD, 304, 412, 416), a body in memory, or a file opened for
 * streaming with back-pressure.
 */
import type { OpenStoredFile } from '../store/asset-store'
import type { Transfer } from '../store/asset-store'
import { capCacheControl } from '../signing/cache-cap'
import type { Exchange } from './exchange'
import type { HeaderMap, ResponsePlan } from './plan'

/** Where a plan's body comes from: memory, an opened file, or nowhere (the plan has no body). */
export type PlannedBytes = Buffer | OpenStoredFile | undefined

/** Writes the plan; returns the transfer when the body streams from a file. */
export function writePlanned(x: Exchange, plan: ResponsePlan, bytes: PlannedBytes, signatureSecondsLeft: number | undefined): Transfer | undefined {
  const { res } = x
  const range = plan.body
  const isOpened = bytes !== undefined && !Buffer.isBuffer(bytes)
  if (range === undefined || bytes === undefined || res.destroyed) {
    if (isOpened) bytes.close()
    if (!res.destroyed) {
      res.writeHead(plan.status, headersFor(plan, signatureSecondsLeft))
      res.end()
    }
    return undefined
  }
  res.writeHead(plan.status, headersFor(plan, signatureSecondsLeft))
  x.bytes = range.end - range.start + 1
  if (isOpened) return (x.transfer = bytes.sendTo(res, range.start, range.end))
  res.end(range.start === 0 && range.end === bytes.length - 1 ? bytes : bytes.subarray(range.start, range.end + 1))
  return undefined
}

/**
 * Cache lifetimes as planned, capped at what a signed URL has left. Plans are
 * shared, so the capped copy is remembered beside the plan's headers for the
 * current number of seconds: a hot signed URL builds it once a second.
 */
function headersFor(plan: ResponsePlan, secondsLeft: number | undefined): Readonly<HeaderMap> {
  if (secondsLeft === undefined) return plan.headers
  const known = cappedHeaders.get(plan.headers)
  if (known !== undefined && known.secondsLeft === secondsLeft) return known.headers
  const headers = { ...plan.headers }
  for (const name of CAPPED_HEADERS) {
    const value = headers[name]
    if (typeof value === 'string') headers[name] = capCacheControl(value, secondsLeft)
  }
  Object.freeze(headers)
  cappedHeaders.set(plan.headers, { secondsLeft, headers })
  return headers
}

const cappedHeaders = new WeakMap<Readonly<HeaderMap>, { readonly secondsLeft: number; readonly headers: Readonly<HeaderMap> }>()

/** Cache-Control, and the CDN-only variants when set: RFC 9213's and Surrogate-Control. */
const CAPPED_HEADERS = ['Cache-Control', 'CDN-Cache-Control', 'Surrogate-Control'] as const
