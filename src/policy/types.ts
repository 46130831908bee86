/** How a folder enforces its allow-list. */
export type EnforcementMode = 'cors' | 'strict'

/** Which requests must carry a valid URL signature: none, those with image parameters, or all. */
export type SignedUrlsMode = 'off' | 'derivatives' | 'required'

/**
 * A folder's policy as stored and as the admin API shows it.
 * `origins` holds normalised origin rules: `https://shop.example`,
 * `https://*.shop.example`, `*` or `null`.
 */
export interface Policy {
  readonly origins: readonly string[]
  readonly methods: readonly string[]
  readonly allowHeaders: readonly string[]
  readonly exposeHeaders: readonly string[]
  readonly maxAge: number
  readonly credentials: boolean
  /** Answer Private Network Access preflights (`Access-Control-Allow-Private-Network`). */
  readonly privateNetwork: boolean
  readonly mode: EnforcementMode
  readonly cacheControl: string
  /**
   * Cache-Control for the CDN alone (sent as CDN-Cache-Control, and as
   * Surrogate-Control for CDNs that read that): it may keep an asset longer
   * than browsers, since every change purges it. null: not sent.
   */
  readonly cdnCacheControl: string | null
  readonly signedUrls: SignedUrlsMode
}

export const DEFAULT_POLICY: Omit<Policy, 'origins'> = Object.freeze({
  methods: Object.freeze(['GET', 'HEAD']),
  allowHeaders: Object.freeze(['Range']),
  exposeHeaders: Object.freeze(['Content-Length', 'Content-Range', 'Accept-Ranges', 'ETag']),
  maxAge: 600,
  credentials: false,
  privateNetwork: false,
  mode: 'cors',
  cacheControl: 'public, max-age=3600',
  cdnCacheControl: null,
  signedUrls: 'off',
})

export interface Folder {
  readonly id: number
  /** Starts and ends with `/`. */
  readonly path: string
  readonly policy: Policy
  readonly createdAt: string
  readonly updatedAt: string
}
