/**
 * The one writer for answers that are not a planned asset response: refusals,
 * preflights, 404s, problem+json (RFC 9457) for image errors, 500. Their
 * headers are built by the functions below, shared between requests and frozen.
 */
import type { ServerResponse } from 'node:http'
import type { CorsDecision } from '../cors/types'
import { ERROR_CATALOGUE, problemType, type CrossportError } from '../http/errors'
import { joinVary } from '../http/vary'
import { ALLOWED_METHODS } from './allowed-methods'
import type { HeaderMap } from './plan'

export interface ErrorAnswer {
  readonly status: number
  readonly headers: Readonly<HeaderMap>
  /** undefined: empty body. */
  readonly body: string | undefined
}

/**
 * Cache-Control of 404s: a CDN may keep them, but must ask again before
 * reuse, so an upload shows up at once.
 */
export const NOT_FOUND_CACHE_CONTROL = 'no-cache'
const NOSNIFF = 'nosniff'
const NOT_STORED = 'no-store'

export function writeError(res: ServerResponse, answer: ErrorAnswer): undefined {
  res.writeHead(answer.status, answer.headers)
  res.end(answer.body)
  return undefined
}

/** An empty answer that depends on nothing but the request line (405, a refused path, 500). */
export function emptyAnswer(status: number, headers: HeaderMap): ErrorAnswer {
  return Object.freeze({ status, headers: withEmptyBody(status, { ...headers, 'X-Content-Type-Options': NOSNIFF }), body: undefined })
}

export const INTERNAL_ERROR = emptyAnswer(500, { 'Cache-Control': NOT_STORED })

/**
 * Bodiless answers made of the CORS decision alone: `decided` is a preflight
 * or strict-mode answer (its status is the decision's), `options` a plain
 * OPTIONS, `not-found` a 404, `refused-render` the 403 for an image derivative
 * a refused origin asked for (never stored). `unsigned` is the 403 for a
 * missing or invalid URL signature: like every 403, no CORS headers, never
 * stored, the folder's Vary.
 */
export type DecidedAnswer = 'decided' | 'options' | 'not-found' | 'refused-render' | 'unsigned'

/** Decisions are shared and frozen (decision-memo.ts), so each answer is built once per decision. */
const decidedAnswers = new WeakMap<CorsDecision, Partial<Record<DecidedAnswer, ErrorAnswer>>>()

export function decidedAnswer(decision: CorsDecision, kind: DecidedAnswer): ErrorAnswer {
  let answers = decidedAnswers.get(decision)
  if (answers === undefined) decidedAnswers.set(decision, (answers = {}))
  return (answers[kind] ??= buildDecidedAnswer(decision, kind))
}

function buildDecidedAnswer(decision: CorsDecision, kind: DecidedAnswer): ErrorAnswer {
  const status = kind === 'decided' ? (decision.status ?? 204) : kind === 'options' ? 204 : kind === 'not-found' ? 404 : 403
  const headers: HeaderMap = kind === 'unsigned' ? {} : { ...decision.headers }
  // Not a CORS preflight: say what the resource supports (RFC 9110 §9.3.7).
  if (kind === 'options') headers.Allow = ALLOWED_METHODS
  if (kind === 'not-found') headers['Cache-Control'] = NOT_FOUND_CACHE_CONTROL
  if (kind === 'refused-render' || kind === 'unsigned') headers['Cache-Control'] = NOT_STORED
  const vary = joinVary(decision.vary)
  if (vary !== undefined) headers.Vary = vary
  if (status >= 400) headers['X-Content-Type-Options'] = NOSNIFF
  return Object.freeze({ status, headers: withEmptyBody(status, headers), body: undefined })
}

/** RFC 9457 problem details for image errors; undefined = the derivative vanished (503, retry). */
export function problemAnswer(decision: CorsDecision, error: CrossportError | undefined): ErrorAnswer {
  const code = error?.code ?? 'OVERLOADED'
  const status = error?.status ?? ERROR_CATALOGUE.OVERLOADED.status
  const body = JSON.stringify({
    type: problemType(code),
    title: ERROR_CATALOGUE[code].title,
    status,
    detail: error?.message ?? 'The rendered image was evicted before it could be sent; retry.',
  })
  const headers: HeaderMap = {
    ...decision.headers,
    ...(error?.headers ?? (error === undefined ? { 'Retry-After': '1' } : {})),
    'Content-Type': 'application/problem+json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': NOT_STORED,
    'X-Content-Type-Options': NOSNIFF,
  }
  const vary = joinVary(decision.vary)
  if (vary !== undefined) headers.Vary = vary
  return { status, headers, body }
}

function withEmptyBody(status: number, headers: HeaderMap): Readonly<HeaderMap> {
  // 204 and 304 never carry a body or Content-Length (RFC 9110 §8.6).
  if (status !== 204 && status !== 304) headers['Content-Length'] = 0
  return Object.freeze(headers)
}
