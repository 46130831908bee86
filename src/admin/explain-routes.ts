import type Router from '@koa/router'
import type { AdminContext } from './context'
import { decideCors } from '../cors/decide'
import { explainReasons } from '../cors/reason-text'
import { decideSignature, describeSignature, type SignatureDecision } from '../cors/signature'
import type { CorsDecision, CorsRequest } from '../cors/types'
import { parseSafePath } from '../http/safe-path'
import { CrossportError } from '../http/errors'
import { IMAGE_PARAMS } from '../images/params'
import type { CompiledFolder } from '../policy/table'
import { parseOrigin } from '../policy/origin'
import { parseOriginRule } from '../policy/origin-rule'
import { requireScope } from './auth'
import { parseInput, refuseField } from './schemas/parse'
import { explainQuerySchema } from './schemas/queries'
import type { Answer, Explanation } from './schemas/api-types'

// Fetch §3.2.2 (CORS-safelisted methods): these never need a preflight on their own.
const SIMPLE_METHODS = new Set(['GET', 'HEAD', 'POST'])

/**
 * `GET /explain`: what the public listener would answer, and why. It runs the
 * very functions a public request runs (`policies.current().resolve()` and
 * `decideCors`), so the explanation cannot drift from the behaviour.
 */
export function registerExplainRoutes(router: Router, context: AdminContext): void {
  router.get('/explain', requireScope('read'), (ctx) => {
    const query = parseInput(explainQuerySchema, ctx.query)
    const { path, ownOrigin, rawQuery } = splitTarget(query.path)
    const safe = parseSafePath(path)
    if (!safe.ok) throw new CrossportError('BAD_REQUEST', `path ${JSON.stringify(path)} would be refused by the public listener: ${safe.reason}`)

    const origin = query.origin === undefined || query.origin === '' ? undefined : requestOrigin(query.origin)
    const isPreflight = query.preflight ?? (!SIMPLE_METHODS.has(query.method) || (query.headers !== undefined && query.headers !== ''))
    const request: CorsRequest = {
      method: isPreflight ? 'OPTIONS' : query.method,
      origin,
      requestMethod: isPreflight ? query.method : undefined,
      requestHeaders: isPreflight ? query.headers : undefined,
      requestPrivateNetwork: isPreflight && query.privateNetwork === true,
      referer: query.referer,
      secFetchSite: query.secFetchSite,
      ownOrigin,
    }
    const compiled = context.policies.current().resolve(safe.path)
    const decision = decideCors(request, compiled)
    const signature = signatureOf(decision, compiled, safe.path, rawQuery, context)
    const isUnsigned = signature?.isRequired === true && signature.verdict.reason !== 'valid'
    // Every 403 carries no CORS headers (pipeline/write-error.ts).
    const headers: Record<string, string> = isUnsigned ? { 'Cache-Control': 'no-store' } : { ...decision.headers }
    if (decision.vary.length > 0) headers.Vary = decision.vary.join(', ')
    const { folder } = compiled
    ctx.body = {
      path: safe.path,
      folder: { id: folder.id, path: folder.path },
      origin: origin ?? null,
      method: query.method,
      preflight: isPreflight,
      outcome: decision.outcome,
      // undefined from decideCors means "deliver the asset": 200 (or 206/304, which explain cannot know).
      status: isUnsigned ? 403 : (decision.status ?? 200),
      headers,
      reasons: explainReasons(signature === undefined ? decision.reasons : [...decision.reasons, ...describeSignature(signature, compiled)]),
      signature: signatureOut(signature),
      policy: folder.policy,
    } satisfies Answer<Explanation>
  })
}

/**
 * The signature step a public request would run after CORS;
 * undefined when CORS already answered (preflights are never signed).
 */
function signatureOf(
  decision: CorsDecision,
  compiled: CompiledFolder,
  path: string,
  rawQuery: string | undefined,
  context: AdminContext,
): SignatureDecision | undefined {
  if (decision.isPreflight || decision.status !== undefined || compiled.folder.policy.signedUrls === 'off') return undefined
  const query = new URLSearchParams(rawQuery ?? '')
  const facts = { path, rawQuery, hasImageParams: IMAGE_PARAMS.some((name) => query.has(name)), nowSeconds: Math.floor(Date.now() / 1000) }
  return decideSignature(facts, compiled, context.config.urlSigningKeys)
}

function signatureOut(signature: SignatureDecision | undefined) {
  if (signature === undefined || !signature.isRequired) return { required: false }
  const { verdict } = signature
  return {
    required: true,
    verdict: verdict.reason,
    detail: verdict.detail,
    kid: verdict.kid ?? null,
    expiresAt: verdict.expiresAtSeconds === undefined ? null : new Date(verdict.expiresAtSeconds * 1000).toISOString(),
  }
}

/** A path, or a full URL whose pathname is used and whose origin counts as the server's own; the query is kept for the signature. */
function splitTarget(target: string): { path: string; ownOrigin: string | undefined; rawQuery: string | undefined } {
  if (/^https?:\/\//i.test(target)) {
    let url: URL
    try {
      url = new URL(target)
    } catch {
      throw new CrossportError('BAD_REQUEST', `path ${JSON.stringify(target)} is not a valid URL`)
    }
    return { path: url.pathname, ownOrigin: url.origin, rawQuery: url.search === '' ? undefined : url.search.slice(1) }
  }
  if (!target.startsWith('/')) throw new CrossportError('BAD_REQUEST', 'path must start with / or be a full http(s) URL')
  const queryAt = target.search(/[?#]/)
  const hashAt = target.indexOf('#')
  const path = queryAt === -1 ? target : target.slice(0, queryAt)
  const hasQuery = queryAt !== -1 && target[queryAt] === '?'
  const rawQuery = hasQuery ? target.slice(queryAt + 1, hashAt === -1 ? undefined : hashAt) : undefined
  return { path, ownOrigin: undefined, rawQuery }
}

/** The Origin header a browser would send for this input (normalised), or 422 with the reason. */
function requestOrigin(input: string): string {
  const origin = parseOrigin(input)
  if (origin !== undefined) return origin
  const rule = parseOriginRule(input)
  const reason = rule.ok
    ? `${JSON.stringify(input)} is an origin rule, but a request's Origin is one exact origin (scheme://host[:port]) or null`
    : rule.reason
  throw refuseField('origin', reason)
}
