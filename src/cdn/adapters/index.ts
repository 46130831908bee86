import type { CdnKind, CdnSettings } from '../../config/cdn-settings'
import { compactTag } from '../tags'
import { sendAll, type PurgeHttpRequest } from './send'
import type { CdnAdapter } from './types'
import { akamaiRequests, bunnyRequests, cloudflareRequests, fastlyRequests, varnishRequests, webhookRequests } from './vendors'

export { PurgeDeliveryError, type CdnAdapter } from './types'

interface Vendor {
  /** The header the CDN reads tags from; undefined: none is sent. */
  readonly header: string | undefined
  /** Between two tags in that header, as the vendor documents it. */
  readonly separator: ' ' | ','
  /** How a tag is written, in the header and in the purge alike. */
  readonly encode?: (tag: string) => string
  readonly requests: (settings: CdnSettings, tags: readonly string[], paths: readonly string[]) => PurgeHttpRequest[]
}

/**
 * Each CDN's tag header and purge. Webhook receivers get `Cache-Tag`, the
 * name Cloudflare and most tag-aware proxies read, comma-separated.
 */
export const VENDORS: Readonly<Record<CdnKind, Vendor>> = {
  none: { header: undefined, separator: ',', requests: () => [] },
  // xkey splits on spaces and commas; the purge header uses spaces.
  varnish: { header: 'xkey', separator: ' ', requests: varnishRequests },
  fastly: { header: 'Surrogate-Key', separator: ' ', requests: fastlyRequests },
  cloudflare: { header: 'Cache-Tag', separator: ',', requests: cloudflareRequests },
  // Bunny keeps 1024 bytes of CDN-Tag: compact tags keep 50 of them within it.
  bunny: { header: 'CDN-Tag', separator: ',', encode: compactTag, requests: bunnyRequests },
  akamai: { header: 'Edge-Cache-Tag', separator: ',', requests: (s, tags) => akamaiRequests(s, tags) },
  webhook: { header: 'Cache-Tag', separator: ',', requests: webhookRequests },
}

/** The adapter for the configured CDN (`CDN`, `CACHE_TAG_HEADER` and the purge settings). */
export function createCdnAdapter(settings: CdnSettings): CdnAdapter {
  const vendor = VENDORS[settings.kind]
  const encode = vendor.encode ?? ((tag: string) => tag)
  const header = settings.kind === 'none' ? undefined : (settings.tagHeader ?? vendor.header)
  return {
    kind: settings.kind,
    tagHeader: header,
    tagHeaderValue: (tags) => tags.map(encode).join(vendor.separator),
    purge: async (tags, paths) => {
      const requests = vendor.requests(settings, [...new Set(tags.map(encode))], paths)
      await sendAll(requests, settings.purgeTimeoutMs)
    },
  }
}
