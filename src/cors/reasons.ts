/**
 * Why a CORS or signature decision came out as it did, as data: a code and the
 * facts it names. The decision records them in order; `explain` and the logs
 * render them as sentences through `reasonText`, so the wording lives in one
 * place and the deciding code reads as logic.
 */
import type { OriginMatch } from '../policy/origin-matcher'
import type { VerdictReason } from '../signing/url-signature'

/** Why a request's Origin may not read the response. */
export type OriginRefusal =
  | { readonly code: 'origin-not-allowed'; readonly origin: string }
  /** A `*` rule matched, but credentials are on. */
  | { readonly code: 'any-origin-with-credentials' }

export type Reason =
  /** The folder whose policy applies: the longest folder prefix of the path. */
  | { readonly code: 'folder-applies'; readonly folder: string }
  | { readonly code: 'preflight'; readonly origin: string; readonly method: string }
  /** The folder's rules against an origin, matched or not; `match.reason` says how. */
  | { readonly code: 'origin-match'; readonly match: OriginMatch }
  | OriginRefusal
  /** `allowed` is the Access-Control-Allow-Methods value (`''` when none). */
  | { readonly code: 'method-not-allowed'; readonly method: string; readonly allowed: string }
  | { readonly code: 'method-allowed'; readonly method: string }
  /**
   * `headers` lower case, `allowed` the Access-Control-Allow-Headers value;
   * `isAuthorizationBeyondStar`: the list has `*`, which never covers Authorization.
   */
  | {
      readonly code: 'headers-not-allowed'
      readonly headers: readonly string[]
      readonly allowed: string
      readonly isAuthorizationBeyondStar: boolean
    }
  | { readonly code: 'headers-allowed' }
  | { readonly code: 'private-network-not-allowed' }
  | { readonly code: 'private-network-allowed' }
  | { readonly code: 'preflight-refused' }
  | { readonly code: 'preflight-allowed'; readonly maxAgeSeconds: string }
  | { readonly code: 'no-origin' }
  /** No Origin, but a `*` rule without credentials: the answer carries `*` anyway. */
  | { readonly code: 'any-origin-without-origin' }
  | { readonly code: 'same-origin'; readonly origin: string }
  | { readonly code: 'served-without-cors'; readonly refusal: OriginRefusal }
  | { readonly code: 'strict-refusal'; readonly refusal: OriginRefusal }
  | { readonly code: 'strict-refused' }
  | { readonly code: 'allowed-any-origin' }
  | { readonly code: 'allowed-origin'; readonly origin: string; readonly withCredentials: boolean }
  | { readonly code: 'referer-not-url' }
  | { readonly code: 'strict-referer-own-origin'; readonly origin: string }
  | { readonly code: 'strict-referer-allowed'; readonly match: OriginMatch }
  | { readonly code: 'strict-referer-refused'; readonly origin: string; readonly match: OriginMatch }
  | { readonly code: 'strict-cross-site-hidden' }
  /** `secFetchSite` as sent, lower case; undefined when absent. */
  | { readonly code: 'strict-no-other-site'; readonly secFetchSite: string | undefined }
  | { readonly code: 'signature-not-needed' }
  | { readonly code: 'signature-required'; readonly mode: 'required' | 'derivatives' }
  | { readonly code: 'signature-valid'; readonly detail: string; readonly remainingSeconds: number }
  | { readonly code: 'signature-invalid'; readonly verdict: VerdictReason; readonly detail: string }
  | { readonly code: 'signature-refused' }

/** The codes whose reason names nothing: one frozen object each, shared by every decision. */
type ConstantCode = {
  [R in Reason as R['code']]: Exclude<keyof R, 'code'> extends never ? R['code'] : never
}[Reason['code']]

const constant = <C extends ConstantCode>(code: C) => Object.freeze({ code }) as Extract<Reason, { code: C }>

export const HEADERS_ALLOWED = constant('headers-allowed')
export const PRIVATE_NETWORK_NOT_ALLOWED = constant('private-network-not-allowed')
export const PRIVATE_NETWORK_ALLOWED = constant('private-network-allowed')
export const PREFLIGHT_REFUSED = constant('preflight-refused')
export const NO_ORIGIN = constant('no-origin')
export const ANY_ORIGIN_WITHOUT_ORIGIN = constant('any-origin-without-origin')
export const ANY_ORIGIN_WITH_CREDENTIALS = constant('any-origin-with-credentials')
export const STRICT_REFUSED = constant('strict-refused')
export const ALLOWED_ANY_ORIGIN = constant('allowed-any-origin')
export const REFERER_NOT_URL = constant('referer-not-url')
export const STRICT_CROSS_SITE_HIDDEN = constant('strict-cross-site-hidden')
export const SIGNATURE_NOT_NEEDED = constant('signature-not-needed')
export const SIGNATURE_REFUSED = constant('signature-refused')
