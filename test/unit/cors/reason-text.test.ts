import { decideCors } from '../../../src/cors/decide'
import { explainReasons, reasonText } from '../../../src/cors/reason-text'
import { fixedReason, type Reason } from '../../../src/cors/reasons'
import type { OriginMatch } from '../../../src/policy/origin-matcher'
import { compilePolicyTable } from '../../../src/policy/table'
import { DEFAULT_POLICY, type Policy } from '../../../src/policy/types'
import { corsRequest } from '../../helpers/records'

const SHOP = 'https://shop.example'
const miss: OriginMatch = { matched: false, rule: undefined, reason: 'https://evil.example does not match https://shop.example: its host evil.example is not shop.example' }
const hit: OriginMatch = { matched: true, rule: SHOP, reason: 'https://shop.example matches the rule https://shop.example' }
const ANY_ORIGIN_WITH_CREDENTIALS = fixedReason('any-origin-with-credentials')
const NO_ORIGIN = fixedReason('no-origin')
const CREDENTIALS_STAR =
  'The * rule cannot allow a request with credentials (Fetch §3.2.5 forbids Access-Control-Allow-Origin: * with credentials); list the origin exactly.'

describe('reasonText(reason)', () => {
  // The sentences explain has always answered: the console, the CLI and scripts show them as they are.
  it.each<[Reason, string]>([
    [{ code: 'folder-applies', folder: '/brand/' }, 'Folder /brand/ applies (the longest folder prefix with a policy).'],
    [{ code: 'preflight', origin: SHOP, method: 'PUT' }, 'Preflight: OPTIONS from https://shop.example asking to send PUT.'],
    [{ code: 'preflight', origin: SHOP, method: '' }, 'Preflight: OPTIONS from https://shop.example asking to send (empty method).'],
    [{ code: 'origin-match', match: miss }, miss.reason],
    [{ code: 'origin-match', match: hit }, hit.reason],
    [ANY_ORIGIN_WITH_CREDENTIALS, CREDENTIALS_STAR],
    [{ code: 'method-not-allowed', method: 'DELETE', allowed: 'GET, HEAD' }, 'Method DELETE is not among the allowed methods (GET, HEAD).'],
    [{ code: 'method-not-allowed', method: '', allowed: '' }, 'Method (empty) is not among the allowed methods (none).'],
    [{ code: 'method-allowed', method: 'GET' }, 'Method GET is allowed.'],
    [
      { code: 'headers-not-allowed', headers: ['x-secret'], allowed: 'Range', isAuthorizationBeyondStar: false },
      'Request header x-secret is not among the allowed headers (Range).',
    ],
    [
      { code: 'headers-not-allowed', headers: ['x-a', 'authorization'], allowed: '', isAuthorizationBeyondStar: false },
      'Request headers x-a, authorization are not among the allowed headers (none).',
    ],
    [
      { code: 'headers-not-allowed', headers: ['authorization'], allowed: '*', isAuthorizationBeyondStar: true },
      'Request header authorization is not among the allowed headers (*) (* never covers Authorization; list it by name).',
    ],
    [{ code: 'headers-allowed' }, 'Every requested header is allowed.'],
    [{ code: 'private-network-not-allowed' }, 'Private Network Access was requested, but the policy does not allow it (privateNetwork is false).'],
    [{ code: 'private-network-allowed' }, 'Private Network Access was requested and the policy allows it.'],
    [{ code: 'preflight-refused' }, 'Answered 403 without CORS headers, so the browser will not send the request.'],
    [{ code: 'preflight-allowed', maxAgeSeconds: '600' }, 'Answered 204; the browser may cache this preflight for 600 seconds.'],
    [NO_ORIGIN, 'No Origin header: this is not a CORS request.'],
    [{ code: 'any-origin-without-origin' }, 'The * rule allows every site, so the answer carries Access-Control-Allow-Origin: * anyway.'],
    [{ code: 'same-origin', origin: SHOP }, "https://shop.example is this server's own origin: a same-origin request, so CORS does not apply."],
    [
      { code: 'served-without-cors', refusal: { code: 'origin-not-allowed', origin: 'null' } },
      'null is not allowed. Served without CORS headers, so the browser will not let the page read it.',
    ],
    [{ code: 'served-without-cors', refusal: ANY_ORIGIN_WITH_CREDENTIALS }, `${CREDENTIALS_STAR} Served without CORS headers, so the browser will not let the page read it.`],
    [{ code: 'strict-refusal', refusal: { code: 'origin-not-allowed', origin: 'garbage' } }, 'Strict mode: garbage is not allowed.'],
    [{ code: 'strict-refusal', refusal: ANY_ORIGIN_WITH_CREDENTIALS }, `Strict mode: ${CREDENTIALS_STAR}`],
    [{ code: 'strict-refused' }, 'Refused with 403 (Cache-Control: no-store, so no cache replays it to an allowed site).'],
    [{ code: 'allowed-any-origin' }, 'Allowed: Access-Control-Allow-Origin: * (the folder allows every site and no credentials).'],
    [{ code: 'allowed-origin', origin: SHOP, withCredentials: false }, 'Allowed: Access-Control-Allow-Origin echoes https://shop.example.'],
    [{ code: 'allowed-origin', origin: SHOP, withCredentials: true }, 'Allowed: Access-Control-Allow-Origin echoes https://shop.example, with credentials.'],
    [{ code: 'referer-not-url' }, 'The Referer is not an http(s) URL, so it is treated as absent.'],
    [{ code: 'strict-referer-own-origin', origin: SHOP }, "Strict mode: the Referer is from this server's own origin https://shop.example; served."],
    [{ code: 'strict-referer-allowed', match: hit }, `Strict mode: the Referer's origin is allowed (${hit.reason}); served.`],
    [
      { code: 'strict-referer-refused', origin: 'https://evil.example', match: miss },
      `Strict mode: the Referer's origin https://evil.example is neither allowed nor this server's own origin (${miss.reason}).`,
    ],
    [
      { code: 'strict-cross-site-hidden' },
      'Strict mode: no Origin and no usable Referer, but Sec-Fetch-Site says cross-site: a cross-site request that hides who it is.',
    ],
    [
      { code: 'strict-no-other-site', secFetchSite: undefined },
      'Strict mode: no Origin or Referer reveals another site (Sec-Fetch-Site: absent), as with direct navigation; served.',
    ],
    [
      { code: 'strict-no-other-site', secFetchSite: 'none' },
      'Strict mode: no Origin or Referer reveals another site (Sec-Fetch-Site: none), as with direct navigation; served.',
    ],
    [{ code: 'signature-not-needed' }, 'signedUrls is "derivatives" and the URL has no image parameters: a plain asset needs no signature.'],
    [{ code: 'signature-required', mode: 'required' }, 'signedUrls is "required": every request needs a signature.'],
    [{ code: 'signature-required', mode: 'derivatives' }, 'signedUrls is "derivatives" and the URL has image parameters: it needs a signature.'],
    [
      { code: 'signature-valid', detail: 'The signature is valid.', remainingSeconds: 40 },
      'The signature is valid. It expires in 40 s; Cache-Control (and the CDN\'s own, when set) is capped to that.',
    ],
    [
      { code: 'signature-invalid', verdict: 'expired', detail: 'The signature is authentic but has expired.' },
      'Signature expired: The signature is authentic but has expired.',
    ],
    [{ code: 'signature-refused' }, 'Refused with 403 (empty body, Cache-Control: no-store).'],
  ])('words %j as %j', (reason, expected) => {
    expect(reasonText(reason)).toBe(expected)
  })
})

describe('explainReasons(reasons) for a whole decision', () => {
  const folder = (policy: Partial<Policy>) =>
    compilePolicyTable([{ id: 1, path: '/brand/', policy: { ...DEFAULT_POLICY, origins: [], ...policy }, createdAt: '', updatedAt: '' }]).resolve('/brand/a.png')

  it('words a strict-mode hotlink refusal in order', () => {
    const decision = decideCors(corsRequest({ referer: 'https://evil.example/page' }), folder({ origins: [SHOP], mode: 'strict' }))
    expect(explainReasons(decision.reasons)).toEqual([
      'Folder /brand/ applies (the longest folder prefix with a policy).',
      'No Origin header: this is not a CORS request.',
      "Strict mode: the Referer's origin https://evil.example is neither allowed nor this server's own origin (https://evil.example does not match https://shop.example: its host evil.example is not shop.example).",
      'Refused with 403 (Cache-Control: no-store, so no cache replays it to an allowed site).',
    ])
  })

  it('words an allowed preflight in order', () => {
    const request = corsRequest({ method: 'OPTIONS', origin: SHOP, requestMethod: 'GET', requestHeaders: 'range' })
    expect(explainReasons(decideCors(request, folder({ origins: [SHOP] })).reasons)).toEqual([
      'Folder /brand/ applies (the longest folder prefix with a policy).',
      'Preflight: OPTIONS from https://shop.example asking to send GET.',
      'https://shop.example matches the rule https://shop.example',
      'Method GET is allowed.',
      'Every requested header is allowed.',
      'Answered 204; the browser may cache this preflight for 600 seconds.',
    ])
  })

  it('shares one frozen object for a reason that names nothing, so a decision allocates no more than before', () => {
    const shared = folder({ origins: [SHOP] })
    const first = decideCors(corsRequest(), shared).reasons[1]
    const second = decideCors(corsRequest(), folder({ origins: ['*'] })).reasons[1]
    expect(first).toBe(NO_ORIGIN)
    expect(second).toBe(NO_ORIGIN)
    expect(Object.isFrozen(NO_ORIGIN)).toBe(true)
  })
})
