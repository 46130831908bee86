/**
 * What each CDN's purge API expects, as plain requests (pure, so the tests
 * can compare them with the documentation). Limits per call are the
 * vendors' documented ones; longer lists are split into several calls.
 */
import type { CdnSettings } from '../../config/cdn-settings'
import { edgeGridAuthorization, parseEdgeGridCredentials } from './edgegrid'
import { batches, joinedWithin, type PurgeHttpRequest } from './send'

/** Fastly: "Up to 256 surrogate keys can be purged in one batch request". */
export const FASTLY_KEYS_PER_CALL = 256
/** Cloudflare: at most 100 purge operations (here tags) per request on every plan. */
export const CLOUDFLARE_TAGS_PER_CALL = 100
/** Akamai Fast Purge takes bodies up to 50,000 bytes: 250 tags of 128 characters stay well below. */
export const AKAMAI_TAGS_PER_CALL = 250
/** Varnish refuses request headers over 8 KiB by default (http_req_hdr_len). */
export const VARNISH_XKEY_HEADER_CHARS = 4096

export const DEFAULT_API_URLS = {
  fastly: 'https://api.fastly.com',
  cloudflare: 'https://api.cloudflare.com',
  bunny: 'https://api.bunny.net',
} as const

const JSON_TYPE = { 'Content-Type': 'application/json' } as const

type Needs<K extends keyof CdnSettings> = Pick<CdnSettings, K>

/** Varnish (xkey vmod): `PURGE` with the tags space-separated in `xkey-purge`, to every instance. */
export function varnishRequests(settings: Needs<'purgeUrls'>, tags: readonly string[]): PurgeHttpRequest[] {
  const values = joinedWithin(tags, ' ', VARNISH_XKEY_HEADER_CHARS)
  return settings.purgeUrls.flatMap((url) => values.map((value) => ({ method: 'PURGE', url, headers: { 'xkey-purge': value } })))
}

/** Fastly: batch purge by surrogate key, `POST /service/{id}/purge` with `Fastly-Key`. */
export function fastlyRequests(settings: Needs<'apiUrl' | 'apiToken' | 'serviceId'>, tags: readonly string[]): PurgeHttpRequest[] {
  const url = `${settings.apiUrl ?? DEFAULT_API_URLS.fastly}/service/${encodeURIComponent(settings.serviceId ?? '')}/purge`
  const headers = { ...JSON_TYPE, Accept: 'application/json', 'Fastly-Key': settings.apiToken ?? '' }
  return batches(tags, FASTLY_KEYS_PER_CALL).map((keys) => ({ method: 'POST', url, headers, body: JSON.stringify({ surrogate_keys: keys }) }))
}

/** Cloudflare: `POST /client/v4/zones/{zone}/purge_cache` with `{"tags":[…]}` and a Bearer API token. */
export function cloudflareRequests(settings: Needs<'apiUrl' | 'apiToken' | 'serviceId'>, tags: readonly string[]): PurgeHttpRequest[] {
  const url = `${settings.apiUrl ?? DEFAULT_API_URLS.cloudflare}/client/v4/zones/${encodeURIComponent(settings.serviceId ?? '')}/purge_cache`
  const headers = { ...JSON_TYPE, Authorization: `Bearer ${settings.apiToken ?? ''}` }
  return batches(tags, CLOUDFLARE_TAGS_PER_CALL).map((batch) => ({ method: 'POST', url, headers, body: JSON.stringify({ tags: batch }) }))
}

/** Bunny: `POST /pullzone/{id}/purgeCache` with `{"CacheTag": …}` and `AccessKey`; one tag per call. */
export function bunnyRequests(settings: Needs<'apiUrl' | 'apiToken' | 'serviceId'>, tags: readonly string[]): PurgeHttpRequest[] {
  const url = `${settings.apiUrl ?? DEFAULT_API_URLS.bunny}/pullzone/${encodeURIComponent(settings.serviceId ?? '')}/purgeCache`
  const headers = { ...JSON_TYPE, AccessKey: settings.apiToken ?? '' }
  return tags.map((tag) => ({ method: 'POST', url, headers, body: JSON.stringify({ CacheTag: tag }) }))
}

/**
 * Akamai Fast Purge v3: `POST /ccu/v3/delete/tag/production` with
 * `{"objects":[…]}`, signed with EdgeGrid from CDN_API_TOKEN
 * (`client_token:client_secret:access_token`). Delete, not invalidate: a
 * policy change must not be answered from the old object while the origin
 * revalidates it.
 */
export function akamaiRequests(settings: Needs<'apiUrl' | 'apiToken'>, tags: readonly string[], now?: { timestamp: string; nonce: string }): PurgeHttpRequest[] {
  const url = `${settings.apiUrl ?? ''}/ccu/v3/delete/tag/production`
  const credentials = parseEdgeGridCredentials(settings.apiToken ?? '')
  return batches(tags, AKAMAI_TAGS_PER_CALL).map((objects) => {
    const body = JSON.stringify({ objects })
    const authorization = credentials === undefined ? '' : edgeGridAuthorization(credentials, { method: 'POST', url, body }, now)
    return { method: 'POST', url, headers: { ...JSON_TYPE, Authorization: authorization }, body }
  })
}

/** Webhook: a JSON `POST` of `{tags, paths}` to every URL, with a Bearer token when one is set. */
export function webhookRequests(settings: Needs<'purgeUrls' | 'apiToken'>, tags: readonly string[], paths: readonly string[]): PurgeHttpRequest[] {
  const headers: Record<string, string> = { ...JSON_TYPE }
  if (settings.apiToken !== undefined) headers.Authorization = `Bearer ${settings.apiToken}`
  const body = JSON.stringify({ tags, paths })
  return settings.purgeUrls.map((url) => ({ method: 'POST', url, headers, body }))
}
