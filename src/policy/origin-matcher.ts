/**
 * A folder's origin rules compiled into a matcher: what a request's Origin
 * comes to against them, and, for a miss, which rules came closest and why
 * each fails, so `explain` can show an operator the typo or the look-alike.
 */
import { getDomain } from 'tldts'
import { ANY_ORIGIN, MAX_ORIGIN_LENGTH, NULL_ORIGIN, parseOrigin, quote, splitOrigin, type OriginParts } from './origin'
import { MatchCache } from './match-cache'
import { parseOriginRule } from './origin-rule'

/** What a request origin compared against a folder's rules came to. */
export interface OriginMatch {
  readonly matched: boolean
  /** The rule that matched, as stored (e.g. `https://*.shop.example`). */
  readonly rule: string | undefined
  /** One plain sentence for `explain` and the logs. */
  readonly reason: string
}

export type OriginMatcher = (origin: string) => OriginMatch

/** Match results kept per compiled folder (one lookup on the hot path). */
const MATCH_CACHE_SIZE = 256

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
    // Stored rules are normalised when written, so this is nearly always the
    // string already held by the folder: keep that one rather than a copy.
    const rule = parsed.rule === raw ? raw : parsed.rule
    stored.push(rule)
    if (rule === ANY_ORIGIN) allowsAny = true
    else if (rule === NULL_ORIGIN) allowsNull = true
    else if (rule.includes('://*.')) wildcards.set(rule.replace('://*.', '://'), rule)
    else exact.add(rule)
  }

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

  const cache = new MatchCache<OriginMatch>(MATCH_CACHE_SIZE)
  return (input: string): OriginMatch => {
    const cached = cache.get(input)
    if (cached !== undefined) return cached
    const match = decide(input)
    if (input.length <= MAX_ORIGIN_LENGTH) cache.set(input, match)
    return match
  }
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

