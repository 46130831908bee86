import type { Middleware } from 'koa'
import { isDatabaseUnavailable } from '../db/postgres'
import { isDatabaseBusy } from '../db/sqlite/retry-busy'
import { ERROR_CATALOGUE, isCrossportError, problemType, type ErrorCode, type FieldProblem } from '../http/errors'
import type { Logger } from '../ops/log'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** A PostgreSQL restart or fail-over takes seconds: asked to come back after this long. */
export const DATABASE_RETRY_AFTER_SECONDS = 5

/** RFC 9457 problem details, plus the `errors` extension member for validation failures. */
export interface Problem {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail: string
  readonly errors?: readonly FieldProblem[]
}

export interface ProblemResponse {
  readonly problem: Problem
  readonly headers: Readonly<Record<string, string>>
  /** The error should reach the log with its stack (it was not the client's fault). */
  readonly isUnexpected: boolean
}

// Statuses that framework code (Koa, the router) sets without a CrossportError,
// mapped to the catalogue so their `type` is as stable as ours.
const CODE_FOR_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  412: 'PRECONDITION_FAILED',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'VALIDATION_FAILED',
  428: 'PRECONDITION_REQUIRED',
  429: 'TOO_MANY_ATTEMPTS',
  501: 'NOT_IMPLEMENTED',
  503: 'OVERLOADED',
}

const GENERIC_500: Problem = Object.freeze({
  type: problemType('INTERNAL'),
  title: ERROR_CATALOGUE.INTERNAL.title,
  status: 500,
  detail: 'An unexpected error occurred; it has been logged.',
})

/** Problem for a status the handlers left without a body (404 from no route, 405 from the router). */
export function problemForStatus(status: number, detail: string): Problem {
  const code = CODE_FOR_STATUS[status]
  if (code !== undefined) return { type: problemType(code), title: ERROR_CATALOGUE[code].title, status, detail }
  // RFC 9457 §4.2.1: "about:blank" means the status phrase is the whole story.
  return { type: 'about:blank', title: `HTTP ${status}`, status, detail }
}

/**
 * Decides what a client may see of an error (as Koa's `onerror` does with
 * `expose`): CrossportErrors and exposed 4xx HTTP errors keep their status and
 * message; anything else is a generic 500 whose details stay in the log.
 */
export function toProblemResponse(error: unknown): ProblemResponse {
  if (isCrossportError(error)) {
    const problem: Problem = {
      type: problemType(error.code),
      title: ERROR_CATALOGUE[error.code].title,
      status: error.status,
      detail: error.message,
      ...(error.fields && error.fields.length > 0 ? { errors: error.fields } : {}),
    }
    return { problem, headers: error.headers ?? {}, isUnexpected: error.status >= 500 }
  }
  if (isDatabaseBusy(error)) {
    // Another process held the write lock for the whole retry budget
    // (DB_BUSY_RETRY_MS): the write did not happen and retrying is safe, so
    // say so rather than answer 500.
    const detail = 'The database is locked by another writer; nothing was changed. Retry shortly.'
    return { problem: { type: problemType('OVERLOADED'), title: ERROR_CATALOGUE.OVERLOADED.title, status: 503, detail }, headers: { 'Retry-After': '1' }, isUnexpected: false }
  }
  if (isDatabaseUnavailable(error)) {
    // PostgreSQL is down or restarting: delivery goes on from memory, the
    // admin API cannot read or write until it is back. A transaction cut off
    // this way was not committed, but a lost answer to COMMIT cannot say.
    const detail = 'The database cannot be reached; a change in flight may not have been made. Retry shortly.'
    const problem: Problem = { type: problemType('DATABASE_UNAVAILABLE'), title: ERROR_CATALOGUE.DATABASE_UNAVAILABLE.title, status: 503, detail }
    return { problem, headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) }, isUnexpected: false }
  }
  const status = httpErrorStatus(error)
  if (status !== undefined && status < 500) {
    const exposed = (error as { expose?: unknown }).expose === true
    const message = (error as { message?: unknown }).message
    const detail = exposed && typeof message === 'string' ? message : `Request failed with status ${status}`
    const headers = (error as { headers?: unknown }).headers
    return { problem: problemForStatus(status, detail), headers: stringRecord(headers), isUnexpected: false }
  }
  return { problem: GENERIC_500, headers: {}, isUnexpected: true }
}

/**
 * The one error mapper of the admin listener, mounted first: every error and
 * every body-less 4xx/5xx leaves as `application/problem+json`.
 */
export function createProblemMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next()
      if (ctx.status >= 400 && ctx.body == null) {
        const status = ctx.status
        ctx.body = problemForStatus(status, defaultDetail(status, ctx.method, ctx.path))
        // Koa's default 404 is not "explicit", so assigning a body would turn it into 200.
        ctx.status = status
        ctx.type = PROBLEM_CONTENT_TYPE
      }
    } catch (error: unknown) {
      const { problem, headers, isUnexpected } = toProblemResponse(error)
      if (isUnexpected) logger.error({ err: error, method: ctx.method, path: ctx.path }, 'admin request failed')
      if (ctx.headerSent || !ctx.writable) return
      // Headers set for the failed attempt (e.g. a half-built success) must not leak into the problem.
      const allow = ctx.response.get('Allow')
      ctx.res.getHeaderNames().forEach((name) => ctx.res.removeHeader(name))
      if (allow !== '' && problem.status === 405) ctx.set('Allow', allow)
      ctx.set(headers)
      ctx.set('Cache-Control', 'no-store')
      ctx.set('X-Content-Type-Options', 'nosniff')
      ctx.status = problem.status
      ctx.body = problem
      ctx.type = PROBLEM_CONTENT_TYPE
    }
  }
}

function defaultDetail(status: number, method: string, path: string): string {
  if (status === 404) return `No resource at ${path}`
  if (status === 405) return `${method} is not allowed on ${path}`
  if (status === 501) return `${method} is not implemented`
  return `Request failed with status ${status}`
}

function httpErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const status = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599 ? status : undefined
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {}
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
}
