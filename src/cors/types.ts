import type { Reason } from './reasons'

/** Facts about one request that the CORS decision needs; gathered by the HTTP layer. */
export interface CorsRequest {
  /** Request method, upper case. */
  readonly method: string
  readonly origin: string | undefined
  /** `Access-Control-Request-Method`. */
  readonly requestMethod: string | undefined
  /** `Access-Control-Request-Headers`, raw (comma-separated). */
  readonly requestHeaders: string | undefined
  /** `Access-Control-Request-Private-Network: true` was sent. */
  readonly requestPrivateNetwork: boolean
  readonly referer: string | undefined
  /** `Sec-Fetch-Site`: same-origin | same-site | cross-site | none. */
  readonly secFetchSite: string | undefined
  /** This server's own origin as the client addressed it (scheme://Host), for same-origin Referers. */
  readonly ownOrigin: string | undefined
}

/** `none`: the request carried no Origin, so CORS did not apply. */
export type CorsOutcome = 'allowed' | 'refused' | 'none'

export interface CorsDecision {
  readonly isPreflight: boolean
  readonly outcome: CorsOutcome
  /**
   * 204 or 403 for a preflight, 403 for a strict-mode refusal; `undefined`
   * means: go on and deliver the asset with `headers` added.
   */
  readonly status: 204 | 403 | undefined
  /** Headers to send (CORS, Timing-Allow-Origin, CORP, Cache-Control on refusals). Never `Vary`. */
  readonly headers: Readonly<Record<string, string>>
  /** Request header names this answer depends on, for `Vary` (e.g. `Origin`). */
  readonly vary: readonly string[]
  /** Why, in order, for `explain` and the logs (`reasonText` words them). */
  readonly reasons: readonly Reason[]
}
