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

/** The codes whose reason names nothing. */
type FixedCode = {
  [R in Reason as R['code']]: Exclude<keyof R, 'code'> extends never ? R['code'] : never
}[Reason['code']]

const FIXED = new Map<FixedCode, Reason>()

/**
 * The one frozen reason for a code that names nothing, shared by every
 * decision: recording it allocates nothing.
 */
export function fixedReason<C extends FixedCode>(code: C): Extract<Reason, { code: C }> {
  let reason = FIXED.get(code)
  if (reason === undefined) {
    reason = Object.freeze({ code }) as Reason
    FIXED.set(code, reason)
  }
  return reason as Extract<Reason, { code: C }>
}
