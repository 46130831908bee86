/**
 * Origins as a browser serialises them, and their normalisation.
 *
 * An origin is compared as its ASCII serialisation (HTML §7.5 "serialization of
 * an origin"): `scheme://host[:port]`, scheme and host lower case, IDN hosts in
 * punycode, the scheme's default port dropped. Rules and requests are compared
 * in that one form only, so two spellings of one origin always meet the same
 * rules and no prefix or substring ever counts as a match. Parsing is strict on
 * purpose: a browser's `Origin` header never carries userinfo, a path, a query
 * or a fragment (Fetch §3.1 "`Origin` header"), so anything that does is not an
 * origin, and an admin who types one gets told why instead of a silent rewrite.
 */
import { LRUCache } from 'lru-cache'

/** The serialisation of an opaque origin (sandboxed iframes, `file:`, privacy redirects). */
export const NULL_ORIGIN = 'null'
export const ANY_ORIGIN = '*'

/**
 * Longest origin we parse. A DNS name is at most 253 octets; the rest leaves
 * room for scheme, port and IDN input. Longer input is refused before any
 * work so a hostile header cannot make us parse (or cache) kilobytes.
 */
export const MAX_ORIGIN_LENGTH = 512

/**
 * Normalisation results kept per process. Real traffic carries a few dozen
 * distinct origins; the bound keeps random hostile values from growing memory,
 * and their churn only costs a re-parse.
 */
const NORMALISED_CACHE_SIZE = 1024
/** What the cache holds for input that is not an http(s) origin: no serialisation is empty. */
const NOT_AN_ORIGIN = ''

// `scheme://authority` and nothing else. `\\` is refused because the URL parser
// reads it as `/` for special schemes; `%` because an Origin is never escaped.
const ORIGIN_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#@\\%]*)$/
// Controls, spaces and DEL: never in a header-borne origin, and a classic way to
// smuggle a second value past a naive comparison.
export const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]/
const IPV6_AUTHORITY = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/
const NAME_AUTHORITY = /^([^:[\]]+)(?::(\d{1,5}))?$/
// After UTS #46 processing an ASCII host label holds only these; anything else
// (`*`, `$`, `!`) is accepted by the WHATWG parser but names no real host.
const ASCII_DOMAIN = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/

export interface OriginParts {
  /** `http` or `https`. */
  readonly scheme: string
  /** ASCII host as serialised: lower case, punycode, IPv6 in brackets. */
  readonly host: string
  /** `:8443`, or `''` for the scheme's default port. */
  readonly portPart: string
}

type PartsResult = { ok: true; parts: OriginParts } | { ok: false; reason: string }

const normalisedCache = new LRUCache<string, string>({ max: NORMALISED_CACHE_SIZE })

/**
 * A request's `Origin` value → its normalised serialisation, `'null'` for the
 * opaque origin, or `undefined` when it is not an http(s) origin at all.
 * Results are cached (bounded), because this runs on every request.
 */
export function parseOrigin(input: string): string | undefined {
  const cached = normalisedCache.get(input)
  if (cached !== undefined) return cached === NOT_AN_ORIGIN ? undefined : cached
  const parsed = input === NULL_ORIGIN ? NULL_ORIGIN : parseParts(input)
  const origin = typeof parsed === 'string' ? parsed : parsed.ok ? serialise(parsed.parts) : undefined
  if (input.length <= MAX_ORIGIN_LENGTH) normalisedCache.set(input, origin ?? NOT_AN_ORIGIN)
  return origin
}

/** `scheme://host[:port]` of a URL such as a `Referer`, normalised; undefined when it has none. */
export function originOfUrl(url: string): string | undefined {
  if (url.length > 4096) return undefined
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined
  return parsed.origin
}

/** Splits a normalised origin; only called on our own serialisations. */
export function splitOrigin(origin: string): OriginParts {
  const schemeEnd = origin.indexOf('://')
  const scheme = origin.slice(0, schemeEnd)
  const authority = origin.slice(schemeEnd + 3)
  const hostEnd = authority.startsWith('[') ? authority.indexOf(']') + 1 : authority.indexOf(':')
  if (hostEnd <= 0 || hostEnd >= authority.length) return { scheme, host: authority, portPart: '' }
  return { scheme, host: authority.slice(0, hostEnd), portPart: authority.slice(hostEnd) }
}

export function serialise(parts: OriginParts): string {
  return `${parts.scheme}://${parts.host}${parts.portPart}`
}

/** Strict parse of `scheme://host[:port]`, with a reason for the admin API when it fails. */
export function parseParts(input: string, isWildcard = false): PartsResult {
  const shown = quote(input)
  if (input.length > MAX_ORIGIN_LENGTH) return fail(`an origin must be at most ${MAX_ORIGIN_LENGTH} characters`)
  if (CONTROL_OR_SPACE.test(input)) return fail(`${shown} contains whitespace or control characters; an origin has none`)
  const shape = ORIGIN_SHAPE.exec(input)
  if (shape === null) return fail(shapeProblem(input))
  const scheme = (shape[1] as string).toLowerCase()
  const authority = shape[2] as string
  if (scheme !== 'http' && scheme !== 'https') {
    return fail(`${shown} uses the scheme ${scheme}:; only http:// and https:// origins can be allowed`)
  }
  if (authority === '') return fail(`${shown} has no host`)
  const bracketed = IPV6_AUTHORITY.exec(authority)
  const named = bracketed === null ? NAME_AUTHORITY.exec(authority) : null
  const port = bracketed?.[2] ?? named?.[2]
  if (bracketed === null && named === null) {
    if (authority.startsWith(':')) return fail(`${shown} has no host`)
    return fail(`${shown} has a malformed host or port (write scheme://host or scheme://host:port, IPv6 in brackets)`)
  }
  if (port !== undefined && Number(port) > 65_535) return fail(`${shown} has port ${port}; ports go up to 65535`)
  let url: URL
  try {
    url = new URL(`${scheme}://${authority}/`)
  } catch {
    return fail(`${shown} does not have a valid host name`)
  }
  const host = url.hostname
  if (host === '') return fail(`${shown} has no host`)
  // A wildcard rule's host is `*.` + a domain; the WHATWG parser lets `*` through unchanged.
  const domain = isWildcard && host.startsWith('*.') ? host.slice(2) : host
  if (!domain.startsWith('[') && !ASCII_DOMAIN.test(domain)) {
    return fail(`${shown} does not have a valid host name (letters, digits, hyphens and dots)`)
  }
  return { ok: true, parts: { scheme, host, portPart: url.port === '' ? '' : `:${url.port}` } }

  function fail(reason: string): PartsResult {
    return { ok: false, reason }
  }
}

/** Says which part of an `scheme://host[:port]` shape is wrong. */
function shapeProblem(input: string): string {
  const shown = quote(input)
  const schemeAt = input.indexOf('://')
  if (schemeAt === -1) return `${shown} is not an origin (scheme://host[:port])`
  const afterScheme = input.slice(schemeAt + 3)
  const authorityEnd = afterScheme.search(/[/?#]/)
  const authority = authorityEnd === -1 ? afterScheme : afterScheme.slice(0, authorityEnd)
  const bare = quote(`${input.slice(0, schemeAt + 3)}${authority.slice(authority.lastIndexOf('@') + 1)}`)
  if (authority.includes('@')) return `${shown} contains user information (…@); an origin is only scheme://host[:port], e.g. ${bare}`
  if (authority.includes('\\')) return `${shown} contains a backslash; an origin has none`
  if (authority.includes('%')) return `${shown} contains percent-escapes; write the host name as it is`
  if (authorityEnd !== -1) {
    const tail = afterScheme.slice(authorityEnd)
    if (tail === '/') return `${shown} ends with /; an origin has no path: write ${bare}`
    if (tail.startsWith('/')) return `${shown} has a path; an origin is only scheme://host[:port]: write ${bare}`
    if (tail.startsWith('?')) return `${shown} has a query; an origin is only scheme://host[:port]: write ${bare}`
    return `${shown} has a fragment; an origin is only scheme://host[:port]: write ${bare}`
  }
  return `${shown} is not an origin (scheme://host[:port])`
}

/**
 * User input as shown in a message: as it is when it is short and printable,
 * else JSON-quoted (so whitespace and controls are visible) and cut short, so
 * a huge value cannot flood a problem body.
 */
export function quote(value: string): string {
  const MAX_SHOWN_LENGTH = 100
  if (value !== '' && value.length <= MAX_SHOWN_LENGTH && !CONTROL_OR_SPACE.test(value)) return value
  return JSON.stringify(value.length > MAX_SHOWN_LENGTH ? `${value.slice(0, MAX_SHOWN_LENGTH)}…` : value)
}
