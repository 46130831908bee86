/**
 * The one place that words a decision's reasons: each code as the plain
 * sentence `explain` answers and the console and CLI show. Pure.
 */
import type { OriginRefusal, Reason } from './reasons'

/** Fetch §3.2.5 forbids `Access-Control-Allow-Origin: *` together with credentials. */
const ANY_ORIGIN_WITH_CREDENTIALS_TEXT =
  'The * rule cannot allow a request with credentials (Fetch §3.2.5 forbids Access-Control-Allow-Origin: * with credentials); list the origin exactly.'

export function reasonText(reason: Reason): string {
  switch (reason.code) {
    case 'folder-applies':
      return `Folder ${reason.folder} applies (the longest folder prefix with a policy).`
    case 'preflight':
      return `Preflight: OPTIONS from ${reason.origin} asking to send ${reason.method || '(empty method)'}.`
    case 'origin-match':
      return reason.match.reason
    case 'origin-not-allowed':
    case 'any-origin-with-credentials':
      return refusalText(reason)
    case 'method-not-allowed':
      return `Method ${reason.method || '(empty)'} is not among the allowed methods (${reason.allowed || 'none'}).`
    case 'method-allowed':
      return `Method ${reason.method} is allowed.`
    case 'headers-not-allowed':
      return headersText(reason.headers, reason.allowed, reason.isAuthorizationBeyondStar)
    case 'headers-allowed':
      return 'Every requested header is allowed.'
    case 'private-network-not-allowed':
      return 'Private Network Access was requested, but the policy does not allow it (privateNetwork is false).'
    case 'private-network-allowed':
      return 'Private Network Access was requested and the policy allows it.'
    case 'preflight-refused':
      return 'Answered 403 without CORS headers, so the browser will not send the request.'
    case 'preflight-allowed':
      return `Answered 204; the browser may cache this preflight for ${reason.maxAgeSeconds} seconds.`
    case 'no-origin':
      return 'No Origin header: this is not a CORS request.'
    case 'any-origin-without-origin':
      return 'The * rule allows every site, so the answer carries Access-Control-Allow-Origin: * anyway.'
    case 'same-origin':
      return `${reason.origin} is this server's own origin: a same-origin request, so CORS does not apply.`
    case 'served-without-cors':
      return `${refusalText(reason.refusal)} Served without CORS headers, so the browser will not let the page read it.`
    case 'strict-refusal':
      return `Strict mode: ${refusalText(reason.refusal)}`
    case 'strict-refused':
      return 'Refused with 403 (Cache-Control: no-store, so no cache replays it to an allowed site).'
    case 'allowed-any-origin':
      return 'Allowed: Access-Control-Allow-Origin: * (the folder allows every site and no credentials).'
    case 'allowed-origin':
      return `Allowed: Access-Control-Allow-Origin echoes ${reason.origin}${reason.withCredentials ? ', with credentials' : ''}.`
    case 'referer-not-url':
      return 'The Referer is not an http(s) URL, so it is treated as absent.'
    case 'strict-referer-own-origin':
      return `Strict mode: the Referer is from this server's own origin ${reason.origin}; served.`
    case 'strict-referer-allowed':
      return `Strict mode: the Referer's origin is allowed (${reason.match.reason}); served.`
    case 'strict-referer-refused':
      return `Strict mode: the Referer's origin ${reason.origin} is neither allowed nor this server's own origin (${reason.match.reason}).`
    case 'strict-cross-site-hidden':
      return 'Strict mode: no Origin and no usable Referer, but Sec-Fetch-Site says cross-site: a cross-site request that hides who it is.'
    case 'strict-no-other-site':
      return `Strict mode: no Origin or Referer reveals another site (Sec-Fetch-Site: ${reason.secFetchSite ?? 'absent'}), as with direct navigation; served.`
    case 'signature-not-needed':
      return 'signedUrls is "derivatives" and the URL has no image parameters: a plain asset needs no signature.'
    case 'signature-required':
      return reason.mode === 'required'
        ? 'signedUrls is "required": every request needs a signature.'
        : 'signedUrls is "derivatives" and the URL has image parameters: it needs a signature.'
    case 'signature-valid':
      return `${reason.detail} It expires in ${reason.remainingSeconds} s; Cache-Control (and the CDN's own, when set) is capped to that.`
    case 'signature-invalid':
      return `Signature ${reason.verdict}: ${reason.detail}`
    case 'signature-refused':
      return 'Refused with 403 (empty body, Cache-Control: no-store).'
  }
}

/** Every reason of a decision, in order, as `explain` answers them. */
export function explainReasons(reasons: readonly Reason[]): string[] {
  return reasons.map(reasonText)
}

function refusalText(refusal: OriginRefusal): string {
  return refusal.code === 'origin-not-allowed' ? `${refusal.origin} is not allowed.` : ANY_ORIGIN_WITH_CREDENTIALS_TEXT
}

function headersText(headers: readonly string[], allowed: string, isAuthorizationBeyondStar: boolean): string {
  const isMany = headers.length > 1
  const star = isAuthorizationBeyondStar ? ' (* never covers Authorization; list it by name)' : ''
  return `Request header${isMany ? 's' : ''} ${headers.join(', ')} ${isMany ? 'are' : 'is'} not among the allowed headers (${allowed || 'none'})${star}.`
}
