import type Router from '@koa/router'
import type { AppContext } from '../app-context'
import { decideCors } from '../cors/decide'
import type { CorsRequest } from '../cors/types'
import { parseSafePath } from '../delivery/safe-path'
import { CrossportError, validationFailed } from '../errors'
import { parseOrigin, parseOriginRule } from '../policy/origin'
import { requireScope } from './auth'
import { explainQuerySchema, parseInput } from './schemas'

// Fetch §3.2.2 (CORS-safelisted methods): these never need a preflight on their own.
const SIMPLE_METHODS = new Set(['GET', 'HEAD', 'POST'])

/**
 * `GET /explain`: what the public listener would answer, and why. It runs the
 * very functions a public request runs (`policies.current().resolve()` and
 * `decideCors`), so the explanation cannot drift from the behaviour.
 */
export function registerExplainRoutes(router: Router, context: AppContext): void {
  router.get('/explain', requireScope('read'), (ctx) => {
    const query = parseInput(explainQuerySchema, ctx.query)
    const { path, ownOrigin } = splitTarget(query.path)
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
    const headers: Record<string, string> = { ...decision.headers }
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
      status: decision.status ?? 200,
      headers,
      reasons: decision.reasons,
      policy: folder.policy,
    }
  })
}

/** A path, or a full URL whose pathname is used and whose origin counts as the server's own. */
function splitTarget(target: string): { path: string; ownOrigin: string | undefined } {
  if (/^https?:\/\//i.test(target)) {
    let url: URL
    try {
      url = new URL(target)
    } catch {
      throw new CrossportError('BAD_REQUEST', `path ${JSON.stringify(target)} is not a valid URL`)
    }
    return { path: url.pathname, ownOrigin: url.origin }
  }
  if (!target.startsWith('/')) throw new CrossportError('BAD_REQUEST', 'path must start with / or be a full http(s) URL')
  const queryAt = target.search(/[?#]/)
  return { path: queryAt === -1 ? target : target.slice(0, queryAt), ownOrigin: undefined }
}

/** The Origin header a browser would send for this input (normalised), or 422 with the reason. */
function requestOrigin(input: string): string {
  const origin = parseOrigin(input)
  if (origin !== undefined) return origin
  const rule = parseOriginRule(input)
  const reason = rule.ok
    ? `${JSON.stringify(input)} is an origin rule, but a request's Origin is one exact origin (scheme://host[:port]) or null`
    : rule.reason
  throw validationFailed(`origin: ${reason}`, [{ field: 'origin', message: reason }])
}
