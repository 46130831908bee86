/**
 * Origins and origin rules (DESIGN §1 "Origin matching is exact and normalised").
 *
 * An origin is compared as its ASCII serialisation (HTML §7.5 "serialization of
 * an origin"): `scheme://host[:port]`, scheme and host lower case, IDN hosts in
 * punycode, the scheme's default port dropped. Parsing is strict on purpose: a
 * browser's `Origin` header never carries userinfo, a path, a query or a
 * fragment (Fetch §3.1 "`Origin` header"), so anything that does is not an
 * origin, and an admin who types one gets told why instead of a silent rewrite.
 */

import { getDomain, getPublicSuffix } from 'tldts'

/** What a request origin compared against a folder's rules came to. */
export interface OriginMatch {
  readonly matched: boolean
  /** The rule that matched, as stored (e.g. `https://*.shop.example`). */
  readonly rule: string | undefined
  /** One plain sentence for `explain` and the logs. */
  readonly reason: string
}

export type OriginMatcher = (origin: string) => OriginMatch

export type OriginRuleResult = { ok: true; rule: string } | { ok: false; reason: string }

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
 * distinct origins; the bound keeps random hostile values from growing memory.
 */
const NORMALISED_CACHE_SIZE = 1024
/** Match results kept per compiled folder (one Map lookup on the hot path). */
const MATCH_CACHE_SIZE = 256

// `scheme://authority` and nothing else. `\\` is refused because the URL parser
// reads it as `/` for special schemes; `%` because an Origin is never escaped.
const ORIGIN_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#@\\%]*)$/
// Controls, spaces and DEL: never in a header-borne origin, and a classic way to
// smuggle a second value past a naive comparison.
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]/
const IPV6_AUTHORITY = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/
const NAME_AUTHORITY = /^([^:[\]]+)(?::(\d{1,5}))?$/
// After UTS #46 processing an ASCII host label holds only these; anything else
// (`*`, `$`, `!`) is accepted by the WHATWG parser but names no real host.
const ASCII_DOMAIN = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/

interface OriginParts {
  /** `http` or `https`. */
  readonly scheme: string
  /** ASCII host as serialised: lower case, punycode, IPv6 in brackets. */
  readonly host: string
  /** `:8443`, or `''` for the scheme's default port. */
  readonly portPart: string
}

type PartsResult = { ok: true; parts: OriginParts } | { ok: false; reason: string }

const normalisedCache = new Map<string, string | null>()

/**
 * A request's `Origin` value → its normalised serialisation, `'null'` for the
 * opaque origin, or `undefined` when it is not an http(s) origin at all.
 * Results are cached (bounded), because this runs on every request.
 */
export function parseOrigin(input: string): string | undefined {
  const cached = normalisedCache.get(input)
  if (cached !== undefined) return cached ?? undefined
  const parsed = input === NULL_ORIGIN ? NULL_ORIGIN : parseParts(input)
  const origin = typeof parsed === 'string' ? parsed : parsed.ok ? serialise(parsed.parts) : undefined
  if (input.length <= MAX_ORIGIN_LENGTH) {
    // FIFO eviction: cheap, and hostile churn only costs a re-parse.
    if (normalisedCache.size >= NORMALISED_CACHE_SIZE) {
      const oldest = normalisedCache.keys().next()
      if (oldest.done !== true) normalisedCache.delete(oldest.value)
    }
    normalisedCache.set(input, origin ?? null)
  }
  return origin
}

/**
 * An origin rule as an admin writes it → its stored form, or a reason fit for
 * a problem `detail`. Accepted: an exact origin (normalised), `*`, `null`, and
 * `scheme://*.domain[:port]` where `*.` is the whole left-most label and the
 * domain has at least two labels.
 *
 * A trailing `/` is refused rather than stripped: an origin has no path, and
 * the reason tells the admin exactly what to write instead.
 */
export function parseOriginRule(input: string): OriginRuleResult {
  if (input === ANY_ORIGIN || input === NULL_ORIGIN) return { ok: true, rule: input }
  const shown = quote(input)
  if (input === '') return refuse('an origin rule must not be empty')
  if (input.length > MAX_ORIGIN_LENGTH) return refuse(`an origin rule must be at most ${MAX_ORIGIN_LENGTH} characters`)
  if (CONTROL_OR_SPACE.test(input)) return refuse(`${shown} contains whitespace or control characters; an origin has none`)
  if (input.toLowerCase() === NULL_ORIGIN) return refuse(`${shown} must be written in lower case: null`)
  if (input.startsWith('*.')) {
    return refuse(`${shown} has no scheme; a wildcard rule looks like https://*.shop.example`)
  }
  const schemeAt = input.indexOf('://')
  if (schemeAt === -1) {
    // `javascript:…`, `mailto:…` have a scheme but no authority; `shop.example:8080` has neither.
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(input) && !/^[^:/]+:\d+(?:\/.*)?$/.test(input)) {
      return refuse(`${shown} is not an origin: only http:// and https:// origins can be allowed`)
    }
    return refuse(`${shown} has no scheme; an origin looks like ${quote(`https://${input.replace(/\/.*$/, '')}`)}`)
  }
  const authority = input.slice(schemeAt + 3)
  const isWildcard = authority.includes('*')
  if (isWildcard) {
    const scheme = input.slice(0, schemeAt).toLowerCase()
    if (!authority.startsWith('*.') || authority.indexOf('*', 1) !== -1) {
      return refuse(`${shown} puts * in the wrong place: it may only be the whole left-most label, as in ${scheme}://*.shop.example`)
    }
    const rest = authority.slice(2)
    if (rest === '' || /^[.:/?#]/.test(rest)) {
      return refuse(`${shown} needs a domain after *., as in ${scheme}://*.shop.example`)
    }
  }
  const parsed = parseParts(input, isWildcard)
  if (!parsed.ok) return refuse(parsed.reason)
  const { scheme, host } = parsed.parts
  if (isWildcard && labelCount(host.slice(2)) < 2) {
    return refuse(
      `${shown} is too broad: the domain after *. needs at least two labels (${scheme}://*.shop.example), otherwise it shares with a whole top-level domain`,
    )
  }
  return { ok: true, rule: serialise(parsed.parts) }

  function refuse(reason: string): OriginRuleResult {
    return { ok: false, reason }
  }
}

/**
 * `parseOriginRule` plus the check for rules being registered now: a wildcard
 * must sit under a registrable domain, never directly over a public suffix
 * (`co.uk`, `github.io`, …, from the Public Suffix List, private section
 * included), where anyone can register a site of their own. Stored rules are
 * only parsed, so a rule an older version accepted keeps matching until an
 * admin changes it; removing one needs only `parseOriginRule`.
 */
export function parseNewOriginRule(input: string): OriginRuleResult {
  const parsed = parseOriginRule(input)
  if (!parsed.ok) return parsed
  const wildcardAt = parsed.rule.indexOf('://*.')
  if (wildcardAt === -1) return parsed
  const scheme = parsed.rule.slice(0, wildcardAt)
  const domain = parsed.rule.slice(wildcardAt + 5).replace(/:\d+$/, '')
  if (getPublicSuffix(domain, { allowPrivateDomains: true }) !== domain) return parsed
  return {
    ok: false,
    reason:
      `${quote(input)} is too broad: ${domain} is a public suffix, under which anyone can register a site; ` +
      `list the sites, or put the wildcard under one registered domain (${scheme}://*.shop.${domain})`,
  }
}

/**
 * Compiles a folder's rules into a matcher. Exact rules sit in a Set; wildcard
 * rules in a Map keyed by `scheme://domain[:port]`, found by walking the
 * request host's parent domains (O(labels), independent of the rule count).
 * Rules that do not parse are ignored: the admin API never stores them.
 */
export function createOriginMatcher(rules: readonly string[]): OriginMatcher {
  const exact = new Set<string>()
  const wildcards = new Map<string, string>()
  const stored: string[] = []
  let allowsAny = false
  let allowsNull = false
  for (const raw of rules) {
    const parsed = parseOriginRule(raw)
    if (!parsed.ok) continue
    const rule = parsed.rule
    stored.push(rule)
    if (rule === ANY_ORIGIN) allowsAny = true
    else if (rule === NULL_ORIGIN) allowsNull = true
    else if (rule.includes('://*.')) wildcards.set(rule.replace('://*.', '://'), rule)
    else exact.add(rule)
  }

  const cache = new Map<string, OriginMatch>()

  function decide(input: string): OriginMatch {
    const origin = parseOrigin(input)
    if (origin === undefined) {
      return miss(`${quote(input)} is not a valid origin (scheme://host[:port] or null), so no rule can match it`)
    }
    if (origin === NULL_ORIGIN) {
      if (allowsNull) return hit('null', `${quote(input)} matches the rule null`)
      return miss(
        allowsAny
          ? 'the opaque origin null is only matched by an explicit null rule; * never matches it'
          : 'the opaque origin null is only matched by an explicit null rule, and this folder has none',
      )
    }
    if (exact.has(origin)) return hit(origin, `${quote(input)} matches the rule ${origin}`)
    const parts = splitOrigin(origin)
    if (wildcards.size > 0) {
      const prefix = `${parts.scheme}://`
      let dot = parts.host.indexOf('.')
      while (dot !== -1) {
        const rule = wildcards.get(prefix + parts.host.slice(dot + 1) + parts.portPart)
        if (rule !== undefined) return hit(rule, `${quote(input)} matches the rule ${rule}`)
        dot = parts.host.indexOf('.', dot + 1)
      }
    }
    if (allowsAny) return hit(ANY_ORIGIN, `${quote(input)} matches the rule *`)
    return miss(explainMiss(input, parts, stored))
  }

  return (input: string): OriginMatch => {
    const cached = cache.get(input)
    if (cached !== undefined) return cached
    const match = decide(input)
    if (input.length <= MAX_ORIGIN_LENGTH) {
      if (cache.size >= MATCH_CACHE_SIZE) {
        const oldest = cache.keys().next()
        if (oldest.done !== true) cache.delete(oldest.value)
      }
      cache.set(input, match)
    }
    return match
  }
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

function hit(rule: string, reason: string): OriginMatch {
  return Object.freeze({ matched: true, rule, reason })
}

function miss(reason: string): OriginMatch {
  return Object.freeze({ matched: false, rule: undefined, reason })
}

/** How many of the closest rules a miss names (the rest are counted). */
const MAX_EXPLAINED_RULES = 3

/**
 * How close a rule came to matching, highest first: the ranking that decides
 * which rules a miss names. A near miss is what an operator needs to see
 * (a typo, a forgotten port, a look-alike), however many rules the folder has.
 */
const Closeness = {
  /** Same host (or under the wildcard's domain); only the scheme or port differs, or it is the wildcard's own domain. */
  sameHost: 6,
  /** Same registrable domain (cdn.shop.example vs www.shop.example). */
  sameSite: 5,
  /** The rule's domain appears inside the origin's host (shop.example.evil.net): a wildcard's first. */
  lookAlikeWildcard: 4,
  lookAlike: 3,
  sameScheme: 1,
  unrelated: 0,
} as const

interface RuleMiss {
  readonly rule: string
  readonly why: string
  readonly closeness: number
}

/**
 * Why an origin matched none of the rules: the closest rules (at most
 * MAX_EXPLAINED_RULES, ranked by `Closeness`, ties in rule order) each with
 * the reason it fails, and a count of the others.
 */
function explainMiss(input: string, parts: OriginParts, rules: readonly string[]): string {
  const shown = quote(input)
  const candidates = rules.filter((r) => r !== NULL_ORIGIN)
  if (candidates.length === 0) {
    return rules.length === 0
      ? `${shown} is not allowed: this folder has no origin rules, so it is not shared cross-origin`
      : `${shown} is not allowed: this folder only allows the null origin`
  }
  const closest = rankRuleMisses(parts, candidates).slice(0, MAX_EXPLAINED_RULES)
  const details = closest.map((e, i) => `${i === 0 ? `${shown} does not match` : 'nor'} ${e.rule}: ${e.why}`).join('; ')
  const more = candidates.length - closest.length
  return more > 0 ? `${details} (nor any of the ${more} other rule${more === 1 ? '' : 's'})` : details
}

/** Every rule with why it fails for `origin`, closest first (a stable sort keeps rule order among equals). */
function rankRuleMisses(origin: OriginParts, rules: readonly string[]): RuleMiss[] {
  return rules.map((rule) => explainRule(origin, rule)).sort((a, b) => b.closeness - a.closeness)
}

function explainRule(origin: OriginParts, rule: string): RuleMiss {
  const wildcardAt = rule.indexOf('://*.')
  const ruleParts = splitOrigin(wildcardAt === -1 ? rule : rule.replace('://*.', '://'))
  const schemeDiffers = ruleParts.scheme !== origin.scheme
  const otherScheme = `its scheme is ${origin.scheme}, the rule's is ${ruleParts.scheme}`
  const otherPort = `its port is ${portOf(origin)}, the rule's is ${portOf(ruleParts)}`
  const farther = (why: string, isLookAlike: boolean, lookAlikeRank: number): RuleMiss => ({
    rule,
    why: isLookAlike ? `${why} (a look-alike: ${ruleParts.host} appears inside another domain)` : why,
    closeness: isLookAlike
      ? lookAlikeRank
      : sameSite(origin.host, ruleParts.host)
        ? Closeness.sameSite
        : schemeDiffers
          ? Closeness.unrelated
          : Closeness.sameScheme,
  })
  if (wildcardAt === -1) {
    if (ruleParts.host === origin.host) {
      return { rule, why: schemeDiffers ? otherScheme : otherPort, closeness: Closeness.sameHost }
    }
    return farther(`its host ${origin.host} is not ${ruleParts.host}`, containsLabels(origin.host, ruleParts.host), Closeness.lookAlike)
  }
  const domain = ruleParts.host
  if (origin.host === domain) {
    return { rule, why: `*. matches subdomains of ${domain} only, not ${domain} itself`, closeness: Closeness.sameHost }
  }
  if (origin.host.endsWith(`.${domain}`)) {
    return { rule, why: schemeDiffers ? otherScheme : otherPort, closeness: Closeness.sameHost }
  }
  return farther(`its host is not under ${domain}`, origin.host.includes(domain), Closeness.lookAlikeWildcard)
}

/** Both hosts belong to one registrable domain (Public Suffix List); IP addresses have none. */
function sameSite(a: string, b: string): boolean {
  const domain = getDomain(a, { allowPrivateDomains: true })
  return domain !== null && domain === getDomain(b, { allowPrivateDomains: true })
}

/** `host` holds all of `inner`'s labels in a row, but elsewhere than at its end: `shop.example.evil.net` holds `shop.example`. */
function containsLabels(host: string, inner: string): boolean {
  return `.${host}.`.includes(`.${inner}.`) && !host.endsWith(`.${inner}`)
}

function portOf(parts: OriginParts): string {
  if (parts.portPart !== '') return parts.portPart.slice(1)
  return parts.scheme === 'https' ? '443 (default)' : '80 (default)'
}

/** Splits a normalised origin; only called on our own serialisations. */
function splitOrigin(origin: string): OriginParts {
  const schemeEnd = origin.indexOf('://')
  const scheme = origin.slice(0, schemeEnd)
  const authority = origin.slice(schemeEnd + 3)
  const hostEnd = authority.startsWith('[') ? authority.indexOf(']') + 1 : authority.indexOf(':')
  if (hostEnd <= 0 || hostEnd >= authority.length) return { scheme, host: authority, portPart: '' }
  return { scheme, host: authority.slice(0, hostEnd), portPart: authority.slice(hostEnd) }
}

function serialise(parts: OriginParts): string {
  return `${parts.scheme}://${parts.host}${parts.portPart}`
}

/** Strict parse of `scheme://host[:port]`, with a reason for the admin API when it fails. */
function parseParts(input: string, isWildcard = false): PartsResult {
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

function labelCount(host: string): number {
  return host.split('.').filter((label) => label !== '').length
}

/**
 * User input as shown in a message: as it is when it is short and printable,
 * else JSON-quoted (so whitespace and controls are visible) and cut short, so
 * a huge value cannot flood a problem body.
 */
function quote(value: string): string {
  const MAX_SHOWN_LENGTH = 100
  if (value !== '' && value.length <= MAX_SHOWN_LENGTH && !CONTROL_OR_SPACE.test(value)) return value
  return JSON.stringify(value.length > MAX_SHOWN_LENGTH ? `${value.slice(0, MAX_SHOWN_LENGTH)}…` : value)
}
