/**
 * The one CORS / hotlink decision, used by the public listener and by the
 * admin `explain` endpoint, so explain can never tell another story than a
 * request gets. Pure: request facts + compiled folder in,
 * status, headers, Vary names and reasons out.
 *
 * References: Fetch §3.2 "CORS protocol" (https://fetch.spec.whatwg.org/#http-cors-protocol),
 * Private Network Access §3 (https://wicg.github.io/private-network-access/),
 * Resource Timing §4.5 (`Timing-Allow-Origin`), Fetch §3.7 (`Cross-Origin-Resource-Policy`).
 */
import { normaliseMethod, type CompiledFolder } from '../policy/table'
import { ANY_ORIGIN, originOfUrl, parseOrigin } from '../policy/origin'
import { fixedReason, type OriginRefusal, type Reason } from './reasons'
import type { CorsDecision, CorsRequest } from './types'

// A preflight answer depends on every request header the check reads (Fetch §3.2.4:
// the preflight cache is keyed on them in the browser, but a shared cache only knows Vary).
const PREFLIGHT_VARY: readonly string[] = Object.freeze([
  'Origin',
  'Access-Control-Request-Method',
  'Access-Control-Request-Headers',
  'Access-Control-Request-Private-Network',
])
// Referer and Sec-Fetch-Site are deliberately not listed even in strict mode: varying on
// Referer would make every page its own cache entry. Refusals are `no-store` instead, and
// refusing cached hits to hotlinkers is the CDN's edge rule (docs/deploy.md).
const ORIGIN_VARY: readonly string[] = Object.freeze(['Origin'])
const NO_VARY: readonly string[] = Object.freeze([])

/** A refusal must never be stored: a shared cache would replay it to a site that is allowed. */
const NO_STORE = 'no-store'
// Fetch §3.7: lets no-cors embeds (<img>, <video>) of a shared folder load under COEP.
const CORP_CROSS_ORIGIN = 'cross-origin'

// Fetch §3.2.3: `*` in Access-Control-Allow-Headers never covers Authorization.
const AUTHORIZATION = 'authorization'
// RFC 9110 §5.1: a field name is a token.
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Fetch §3.2.2: a CORS-preflight request is OPTIONS with Origin and Access-Control-Request-Method. */
export function isPreflightRequest(request: CorsRequest): request is CorsRequest & { origin: string; requestMethod: string } {
  return request.method === 'OPTIONS' && request.origin !== undefined && request.requestMethod !== undefined
}

export function decideCors(request: CorsRequest, compiled: CompiledFolder): CorsDecision {
  const reasons: Reason[] = [{ code: 'folder-applies', folder: compiled.folder.path }]
  if (isPreflightRequest(request)) return decidePreflight(request, request.origin, request.requestMethod, compiled, reasons)
  return decideActual(request, compiled, reasons)
}

function decidePreflight(
  request: CorsRequest,
  origin: string,
  requestMethod: string,
  compiled: CompiledFolder,
  reasons: Reason[],
): CorsDecision {
  const { policy } = compiled.folder
  reasons.push({ code: 'preflight', origin, method: requestMethod })
  const refuse = (why: Reason): CorsDecision => {
    reasons.push(why, fixedReason('preflight-refused'))
    return refusal(true, PREFLIGHT_VARY, reasons)
  }

  const match = compiled.matchOrigin(origin)
  const matchReason: Reason = { code: 'origin-match', match }
  if (!match.matched) return refuse(matchReason)
  reasons.push(matchReason)
  if (match.rule === ANY_ORIGIN && policy.credentials) return refuse(fixedReason('any-origin-with-credentials'))

  const method = normaliseMethod(requestMethod.trim())
  if (!compiled.methods.has(method)) {
    return refuse({ code: 'method-not-allowed', method, allowed: compiled.allowMethodsHeader })
  }
  reasons.push({ code: 'method-allowed', method })

  const refusedHeaders: string[] = []
  let requestedCount = 0
  if (request.requestHeaders !== undefined) {
    for (const raw of request.requestHeaders.split(',')) {
      const name = raw.trim()
      if (name === '') continue
      requestedCount += 1
      const lower = name.toLowerCase()
      const isAllowed =
        FIELD_NAME.test(name) &&
        (compiled.allowHeaderNames.has(lower) || (compiled.allowsAnyHeader && lower !== AUTHORIZATION))
      if (!isAllowed) refusedHeaders.push(lower)
    }
  }
  if (refusedHeaders.length > 0) {
    return refuse({
      code: 'headers-not-allowed',
      headers: refusedHeaders,
      allowed: compiled.allowHeadersHeader,
      isAuthorizationBeyondStar: compiled.allowsAnyHeader && refusedHeaders.includes(AUTHORIZATION),
    })
  }
  if (requestedCount > 0) reasons.push(fixedReason('headers-allowed'))

  if (request.requestPrivateNetwork) {
    if (!policy.privateNetwork) return refuse(fixedReason('private-network-not-allowed'))
    reasons.push(fixedReason('private-network-allowed'))
  }

  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': allowOriginValue(origin, compiled),
  }
  if (policy.credentials) headers['Access-Control-Allow-Credentials'] = 'true'
  headers['Access-Control-Allow-Methods'] = compiled.allowMethodsHeader
  if (compiled.allowHeadersHeader !== '') headers['Access-Control-Allow-Headers'] = compiled.allowHeadersHeader
  headers['Access-Control-Max-Age'] = compiled.maxAgeHeader
  if (request.requestPrivateNetwork) headers['Access-Control-Allow-Private-Network'] = 'true'
  reasons.push({ code: 'preflight-allowed', maxAgeSeconds: compiled.maxAgeHeader })
  return { isPreflight: true, outcome: 'allowed', status: 204, headers, vary: PREFLIGHT_VARY, reasons }
}

function decideActual(request: CorsRequest, compiled: CompiledFolder, reasons: Reason[]): CorsDecision {
  const { policy } = compiled.folder
  const isStrict = policy.mode === 'strict'
  const vary = compiled.dependsOnOrigin ? ORIGIN_VARY : NO_VARY
  const origin = request.origin

  if (origin === undefined) {
    reasons.push(fixedReason('no-origin'))
    if (isStrict) {
      const refusal = strictRefusalWithoutOrigin(request, compiled, reasons)
      if (refusal !== undefined) return strictRefusal(refusal, vary, reasons)
    }
    const headers: Record<string, string> = {}
    if (compiled.allowsAnyOrigin && !policy.credentials) {
      // Harmless without Origin, and a shared cache can then reuse this answer for any site.
      headers['Access-Control-Allow-Origin'] = ANY_ORIGIN
      headers['Timing-Allow-Origin'] = ANY_ORIGIN
      reasons.push(fixedReason('any-origin-without-origin'))
    }
    if (compiled.isShared) headers['Cross-Origin-Resource-Policy'] = CORP_CROSS_ORIGIN
    return { isPreflight: false, outcome: 'none', status: undefined, headers, vary, reasons }
  }

  const match = compiled.matchOrigin(origin)
  reasons.push({ code: 'origin-match', match })
  let refusal: OriginRefusal | undefined
  if (!match.matched) refusal = { code: 'origin-not-allowed', origin }
  else if (match.rule === ANY_ORIGIN && policy.credentials) refusal = fixedReason('any-origin-with-credentials')

  if (refusal !== undefined) {
    if (isOwnOrigin(origin, request.ownOrigin) || isSameOriginFetch(request)) {
      reasons.push({ code: 'same-origin', origin })
      return { isPreflight: false, outcome: 'none', status: undefined, headers: sharedHeaders(compiled), vary, reasons }
    }
    if (isStrict) return strictRefusal({ code: 'strict-refusal', refusal }, vary, reasons)
    reasons.push({ code: 'served-without-cors', refusal })
    return { isPreflight: false, outcome: 'refused', status: undefined, headers: sharedHeaders(compiled), vary, reasons }
  }

  const allowOrigin = allowOriginValue(origin, compiled)
  const headers: Record<string, string> = { 'Access-Control-Allow-Origin': allowOrigin }
  if (policy.credentials) headers['Access-Control-Allow-Credentials'] = 'true'
  if (compiled.exposeHeadersHeader !== '') headers['Access-Control-Expose-Headers'] = compiled.exposeHeadersHeader
  // Resource Timing §4.5: detailed timings go to the same sites that may read the response.
  headers['Timing-Allow-Origin'] = allowOrigin
  if (compiled.isShared) headers['Cross-Origin-Resource-Policy'] = CORP_CROSS_ORIGIN
  reasons.push(allowOrigin === ANY_ORIGIN ? fixedReason('allowed-any-origin') : { code: 'allowed-origin', origin, withCredentials: policy.credentials })
  return { isPreflight: false, outcome: 'allowed', status: undefined, headers, vary, reasons }
}

/**
 * `*` only when a `*` rule exists and credentials are off; otherwise the
 * request's Origin exactly as sent, since the browser compares it byte for
 * byte with its own serialisation (Fetch §4.10 "CORS check").
 */
function allowOriginValue(origin: string, compiled: CompiledFolder): string {
  return compiled.allowsAnyOrigin && !compiled.folder.policy.credentials ? ANY_ORIGIN : origin
}

function sharedHeaders(compiled: CompiledFolder): Record<string, string> {
  return compiled.isShared ? { 'Cross-Origin-Resource-Policy': CORP_CROSS_ORIGIN } : {}
}

function strictRefusal(why: Reason, vary: readonly string[], reasons: Reason[]): CorsDecision {
  reasons.push(why, fixedReason('strict-refused'))
  return refusal(false, vary, reasons)
}

/** Every 403: no CORS headers, and never stored by a shared cache that could replay it to an allowed site. */
function refusal(isPreflight: boolean, vary: readonly string[], reasons: readonly Reason[]): CorsDecision {
  return { isPreflight, outcome: 'refused', status: 403, headers: { 'Cache-Control': NO_STORE }, vary, reasons }
}

/**
 * Strict mode without Origin: Referer first (it names the embedding page), then
 * Sec-Fetch-Site (Fetch Metadata §2.4), which a browser sends even when a
 * Referrer-Policy hides the page. Returns the refusal reason, or undefined to serve.
 */
function strictRefusalWithoutOrigin(request: CorsRequest, compiled: CompiledFolder, reasons: Reason[]): Reason | undefined {
  const { referer } = request
  if (referer !== undefined && referer !== '') {
    const refererOrigin = originOfUrl(referer)
    if (refererOrigin === undefined) {
      reasons.push(fixedReason('referer-not-url'))
    } else {
      if (isOwnOrigin(refererOrigin, request.ownOrigin) || isSameOriginFetch(request)) {
        reasons.push({ code: 'strict-referer-own-origin', origin: refererOrigin })
        return undefined
      }
      const match = compiled.matchOrigin(refererOrigin)
      if (match.matched) {
        reasons.push({ code: 'strict-referer-allowed', match })
        return undefined
      }
      return { code: 'strict-referer-refused', origin: refererOrigin, match }
    }
  }
  const site = request.secFetchSite?.trim().toLowerCase()
  if (site === 'cross-site') return fixedReason('strict-cross-site-hidden')
  reasons.push({ code: 'strict-no-other-site', secFetchSite: site })
  return undefined
}

/**
 * The browser itself says the request comes from this origin (Fetch Metadata §2.4;
 * pages cannot set `Sec-` headers). This covers a TLS-terminating proxy, where
 * `ownOrigin` says http:// while the pages are https://.
 */
function isSameOriginFetch(request: CorsRequest): boolean {
  return request.secFetchSite?.trim().toLowerCase() === 'same-origin'
}

function isOwnOrigin(origin: string, ownOrigin: string | undefined): boolean {
  if (ownOrigin === undefined) return false
  const own = parseOrigin(ownOrigin)
  return own !== undefined && own !== 'null' && parseOrigin(origin) === own
}
