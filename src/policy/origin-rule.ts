/**
 * Origin rules as an admin writes them (`https://shop.example`,
 * `https://*.shop.example`, `*`, `null`), parsed to their stored form or
 * refused with a reason fit for a problem `detail`.
 */
import { getPublicSuffix } from 'tldts'
import { ANY_ORIGIN, CONTROL_OR_SPACE, MAX_ORIGIN_LENGTH, NULL_ORIGIN, parseParts, quote, serialise } from './origin'

export type OriginRuleResult = { ok: true; rule: string } | { ok: false; reason: string }

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

function labelCount(host: string): number {
  return host.split('.').filter((label) => label !== '').length
}
