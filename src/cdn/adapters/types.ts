import type { CdnKind } from '../../config/cdn-settings'

/**
 * One CDN: how responses carry their cache tags, and how a purge reaches it.
 * The same adapter writes the header and sends the purge, so a tag is
 * written the same way in both (Bunny's are compacted in both).
 */
export interface CdnAdapter {
  readonly kind: CdnKind
  /** The response header that carries the tags; undefined when the CDN gets none. */
  readonly tagHeader: string | undefined
  /** The header's value for a response's tags (`responseTags`). */
  tagHeaderValue(tags: readonly string[]): string
  /**
   * Makes the CDN forget every response carrying one of `tags`. `paths` are
   * the changed paths, for receivers that want them (the webhook). Resolves
   * once every request was accepted; throws `PurgeDeliveryError` otherwise.
   */
  purge(tags: readonly string[], paths: readonly string[]): Promise<void>
}

/**
 * A purge the CDN did not accept. `isRetryable`: worth sending again later
 * (network error, timeout, 408, 429, 5xx); otherwise the request itself is
 * wrong (bad token, unknown zone: 4xx) and sending it again cannot help.
 */
export class PurgeDeliveryError extends Error {
  constructor(
    message: string,
    readonly isRetryable: boolean,
    readonly status: number | undefined = undefined,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'PurgeDeliveryError'
  }
}
