/**
 * Which bytes answer a request for a file (the file itself or a precompressed
 * sibling), and the headers every answer about that file carries. Pure.
 */
import type { CorsDecision } from '../cors/types'
import { chooseEncoding } from '../http/encoding'
import { IMMUTABLE_CACHE_CONTROL } from '../http/fingerprint'
import { joinVary } from '../http/vary'
import { getOrCreate, newMap, newWeakMap } from '../util/maps'
import { withCacheTags, type CacheTagHeader } from './cache-tags'
import type { CacheEntry, CachedRepresentation } from './file-cache'
import { assetBaseHeaders, type DeliveryRequest, type HeaderMap } from './plan'

const ACCEPT_ENCODING: readonly string[] = Object.freeze(['Accept-Encoding'])
export const NO_VARY: readonly string[] = Object.freeze([])

/** The identity bytes or a sibling, by Accept-Encoding; a Range request always gets identity. */
export function chooseRepresentation(
  entry: CacheEntry,
  identity: CachedRepresentation,
  request: DeliveryRequest,
  acceptEncoding: string | undefined,
): CachedRepresentation {
  if (!entry.hasSiblings) return identity
  const hasRange = request.method === 'GET' && request.range !== undefined
  const coding = chooseEncoding(acceptEncoding, { br: entry.br !== undefined, gzip: entry.gzip !== undefined }, hasRange)
  if (coding === 'br' && entry.br) return entry.br
  if (coding === 'gzip' && entry.gzip) return entry.gzip
  return identity
}

/** What every answer of this process adds: the console's sandbox, the CDN's cache tags. */
export interface SiteHeaders {
  readonly sandboxAll: boolean
  readonly cacheTags: CacheTagHeader | undefined
  /** The CDN reads Surrogate-Control (Varnish, Fastly): the CDN's lifetime goes there too. */
  readonly surrogateControl: boolean
}

export interface BaseHeaderFacts {
  readonly cors: CorsDecision
  /** The folder policy's Cache-Control. */
  readonly cacheControl: string
  /** The folder policy's Cache-Control for the CDN alone; null: none. */
  readonly cdnCacheControl: string | null
}

/**
 * Headers of every answer about one file: CORS, Vary, Cache-Control (and
 * the CDN's own), nosniff, CSP, cache tags. `extraVary` is what else the answer depends on (`Accept` for
 * fmt=auto). Shared per (decision, entry, extra Vary list) and frozen: all
 * three are replaced, never changed, when what they describe changes.
 */
export function baseHeaders(facts: BaseHeaderFacts, entry: CacheEntry, extraVary: readonly string[], site: SiteHeaders): Readonly<HeaderMap> {
  const byEntry = getOrCreate(remembered, facts.cors, newWeakMap<CacheEntry, Map<readonly string[], Readonly<HeaderMap>>>)
  const byVary = getOrCreate(byEntry, entry, newMap<readonly string[], Readonly<HeaderMap>>)
  let base = byVary.get(extraVary)
  if (base === undefined) {
    const built = assetBaseHeaders({
      corsHeaders: facts.cors.headers,
      // Every variant of a file that has siblings says so, identity included (RFC 9110 §12.5.5).
      vary: joinVary(facts.cors.vary, entry.hasSiblings ? ACCEPT_ENCODING : NO_VARY, extraVary),
      cacheControl: entry.isFingerprinted ? IMMUTABLE_CACHE_CONTROL : facts.cacheControl,
      cdnCacheControl: facts.cdnCacheControl,
      surrogateControl: site.surrogateControl,
      isSvg: entry.isSvg,
      sandboxAll: site.sandboxAll,
    })
    // Derivatives share their source's entry, so they carry its path's tags and go with it.
    base = Object.freeze(site.cacheTags === undefined ? built : withCacheTags(built, site.cacheTags, entry.path))
    // Only a handful of constant lists exist (images/index.ts); one built per request must not grow this.
    if (byVary.size < 4) byVary.set(extraVary, base)
  }
  return base
}

const remembered = new WeakMap<CorsDecision, WeakMap<CacheEntry, Map<readonly string[], Readonly<HeaderMap>>>>()
