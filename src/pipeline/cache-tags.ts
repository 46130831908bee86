/**
 * The cache-tag header a CDN reads (`xkey`, `Surrogate-Key`, …) on every
 * answer it may store, so a purge by tag reaches it. Absent when no CDN is
 * configured: those answers stay exactly as they were.
 */
import { LRUCache } from 'lru-cache'
import type { CdnAdapter } from '../cdn/adapters'
import { responseTags } from '../cdn/tags'
import type { HeaderMap } from './plan'
import type { ErrorAnswer } from './write-error'

export interface CacheTagHeader {
  readonly name: string
  /** The header's value for any answer about the decoded path `path`. */
  value(path: string): string
}

/** Paths whose header value is remembered: hot 404s and preflights then cost one lookup. */
const REMEMBERED_PATHS = 10_000

/** The adapter's tag header, or undefined when it sends none (CDN=none). */
export function cacheTagHeader(adapter: Pick<CdnAdapter, 'tagHeader' | 'tagHeaderValue'>): CacheTagHeader | undefined {
  const name = adapter.tagHeader
  if (name === undefined) return undefined
  const values = new LRUCache<string, string>({ max: REMEMBERED_PATHS })
  return {
    name,
    value: (path) => {
      let value = values.get(path)
      if (value === undefined) values.set(path, (value = adapter.tagHeaderValue(responseTags(path))))
      return value
    },
  }
}

/** `headers` with the tags of `path` added (a new object; shared header records stay frozen). */
export function withCacheTags(headers: Readonly<HeaderMap>, tags: CacheTagHeader, path: string): HeaderMap {
  return { ...headers, [tags.name]: tags.value(path) }
}

/**
 * The answer with its cache tags when a CDN may store it (a 404, a preflight,
 * a plain OPTIONS). An answer marked no-store (refusals, problems) is never
 * stored, so nothing has to purge it: it goes out as it is.
 */
export function taggedAnswer(answer: ErrorAnswer, tags: CacheTagHeader | undefined, path: string): ErrorAnswer {
  if (tags === undefined || answer.headers['Cache-Control'] === 'no-store') return answer
  return { ...answer, headers: withCacheTags(answer.headers, tags, path) }
}
