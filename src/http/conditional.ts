/**
 * Conditional requests (RFC 9110 §13), pure. Dates compare in whole seconds,
 * the resolution of Last-Modified.
 */

export interface Validators {
  readonly etag: string
  readonly lastModifiedSeconds: number
}

export interface ConditionalHeaders {
  readonly ifMatch: string | undefined
  readonly ifNoneMatch: string | undefined
  readonly ifModifiedSince: string | undefined
  readonly ifUnmodifiedSince: string | undefined
}

/** `proceed`: answer normally; `not-modified`: 304; `failed`: 412. */
export type PreconditionOutcome = 'proceed' | 'not-modified' | 'failed'

const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag)

/** The entity-tags of an If-Match / If-None-Match list, trimmed; `*` stays `*`. */
function listTags(value: string): string[] {
  const tags: string[] = []
  for (const part of value.split(',')) {
    const tag = part.trim()
    if (tag !== '') tags.push(tag)
  }
  return tags
}

/** RFC 9110 §8.8.3.2 strong comparison: neither weak, same opaque-tag. */
function matchesStrong(value: string, etag: string): boolean {
  for (const tag of listTags(value)) {
    if (tag === '*' || (!tag.startsWith('W/') && tag === etag)) return true
  }
  return false
}

/** RFC 9110 §8.8.3.2 weak comparison: opaque-tags equal, W/ ignored. */
function matchesWeak(value: string, etag: string): boolean {
  const ours = opaque(etag)
  for (const tag of listTags(value)) {
    if (tag === '*' || opaque(tag) === ours) return true
  }
  return false
}

/** Seconds since the epoch, or undefined for anything that is not an HTTP-date (then the header is ignored). */
export function parseHttpDateSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  // RFC 9110 §13.1.3: a value with more than one member is ignored. An HTTP-date
  // holds at most one comma (after the weekday), so two mean a list.
  if (value.includes(',') && value.indexOf(',') !== value.lastIndexOf(',')) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000)
}

/**
 * RFC 9110 §13.2.2, in its order: If-Match (412) → If-Unmodified-Since (412,
 * only without If-Match) → If-None-Match (304 for GET/HEAD) → If-Modified-Since
 * (304, only without If-None-Match). The representation always exists here:
 * a missing file is a 404 before preconditions are looked at.
 */
export function evaluatePreconditions(headers: ConditionalHeaders, validators: Validators): PreconditionOutcome {
  if (headers.ifMatch !== undefined) {
    if (!matchesStrong(headers.ifMatch, validators.etag)) return 'failed'
  } else if (headers.ifUnmodifiedSince !== undefined) {
    const since = parseHttpDateSeconds(headers.ifUnmodifiedSince)
    if (since !== undefined && validators.lastModifiedSeconds > since) return 'failed'
  }
  if (headers.ifNoneMatch !== undefined) {
    // Only GET and HEAD reach delivery, so a match is always 304 (never 412).
    if (matchesWeak(headers.ifNoneMatch, validators.etag)) return 'not-modified'
  } else if (headers.ifModifiedSince !== undefined) {
    const since = parseHttpDateSeconds(headers.ifModifiedSince)
    if (since !== undefined && validators.lastModifiedSeconds <= since) return 'not-modified'
  }
  return 'proceed'
}

/**
 * RFC 9110 §13.1.5: the Range applies only when If-Range names the current
 * representation — by a strong ETag (weak ones never match), or by a date equal
 * to Last-Modified. Otherwise the full representation is sent.
 */
export function ifRangeAllowsPartial(ifRange: string | undefined, validators: Validators): boolean {
  if (ifRange === undefined) return true
  const value = ifRange.trim()
  if (value.startsWith('"') || value.startsWith('W/')) return !value.startsWith('W/') && value === validators.etag
  const date = parseHttpDateSeconds(value)
  return date !== undefined && date === validators.lastModifiedSeconds
}

/** Which header refused a write. */
export type WritePreconditionFailure = 'if-match' | 'if-none-match'

/**
 * RFC 9110 §13.2.2 for a request that replaces the resource (an upload):
 * If-Match first (strong comparison; `*` needs a current representation),
 * then If-None-Match (weak comparison; `*` fails when one exists). A failure
 * is a 412 either way.
 * @param currentEtag the current representation's ETag, undefined when there is none.
 */
export function evaluateWritePreconditions(
  headers: Pick<ConditionalHeaders, 'ifMatch' | 'ifNoneMatch'>,
  currentEtag: string | undefined,
): WritePreconditionFailure | undefined {
  if (headers.ifMatch !== undefined && (currentEtag === undefined || !matchesStrong(headers.ifMatch, currentEtag))) return 'if-match'
  if (headers.ifNoneMatch !== undefined && currentEtag !== undefined && matchesWeak(headers.ifNoneMatch, currentEtag)) return 'if-none-match'
  return undefined
}
