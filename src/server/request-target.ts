/**
 * Request targets in absolute form (RFC 9112 §3.2.2): `GET http://cdn.example/a.css HTTP/1.1`.
 * A server MUST accept them; proxies and some CDNs send them. They are turned
 * into origin form before anything routes on the path, so every path rule
 * (admin mount, safe path, dot segments, encoding) sees what it would see for
 * `GET /a.css`. Pure.
 */

export type RequestTarget =
  /** Origin form already, or a form the path rules refuse by themselves (`*`, other schemes). */
  | { readonly form: 'origin' }
  /** `url` is the path and query, verbatim; `host` the target's authority, which replaces Host. */
  | { readonly form: 'absolute'; readonly url: string; readonly host: string }
  | { readonly form: 'invalid'; readonly reason: string }

const ORIGIN: RequestTarget = Object.freeze({ form: 'origin' })

// Only http and https name resources this server could be the origin of; the
// scheme is case-insensitive (RFC 9110 §4.2.3).
const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)(.*)$/is
// RFC 9110 §7.2 uri-host [":" port]: a reg-name or an IP literal. No userinfo:
// RFC 9110 §4.2.4 says to treat "user@host" as an error, as it is a phishing aid.
const AUTHORITY = /^(?:\[[0-9a-f:.]+\]|[a-z0-9._~!$&'()*+,;=%-]+)(?::[0-9]*)?$/i

/**
 * Classifies `req.url`. The path is taken verbatim, never through `new URL()`:
 * that would resolve `..` and decode `%2e`, hiding from the path rules what
 * the client actually asked for.
 */
export function classifyTarget(url: string): RequestTarget {
  // Nearly every request: origin form, one comparison.
  if (url.charCodeAt(0) === 0x2f) return ORIGIN
  const match = ABSOLUTE_FORM.exec(url)
  if (match === null) return ORIGIN
  const host = match[1] ?? ''
  const rest = match[2] ?? ''
  if (host === '' || !AUTHORITY.test(host)) return { form: 'invalid', reason: 'absolute-form target without a valid host' }
  // RFC 9110 §4.2.1: an empty path is "/"; a fragment is never part of a request target.
  if (rest.startsWith('#')) return { form: 'invalid', reason: 'fragment in request target' }
  return { form: 'absolute', url: rest.startsWith('/') ? rest : '/' + rest, host }
}
