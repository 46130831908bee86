/**
 * Signed, expiring URLs, pure: canonical string, sign, verify.
 * Imports nothing from the rest of Crossport, so a site's backend can port it
 * line by line; docs and the test vector in test/unit/signing/ pin the format.
 *
 * Algorithm (version 1):
 * 1. Path: the URL path percent-decoded (UTF-8), exactly as Crossport resolves it
 *    (`/paid/caf%C3%A9.jpg` is signed as `/paid/café.jpg`).
 * 2. Query: every parameter of the URL except `sig`, the signature's own
 *    `expires` (unix seconds) and `kid` included, decoded the way
 *    application/x-www-form-urlencoded is (`+` is a space, `%XX` is a byte of
 *    UTF-8). Each name and value is then encoded again as RFC 3986 §2.3
 *    requires of data: every byte of its UTF-8 except `A-Z a-z 0-9 - . _ ~`
 *    becomes `%XX` with upper-case hex. The `name=value` pairs are sorted by
 *    encoded name, then encoded value (plain ASCII order), repeated names kept
 *    as separate pairs, and joined with `&`.
 * 3. Canonical string = path + "\n" + query.
 * 4. sig = base64url (RFC 4648 §5, no padding) of HMAC-SHA256(secret, UTF-8 of
 *    the canonical string), where `secret` is the key's bytes (its base64url
 *    text decoded) and the key is the one `kid` names.
 * `expires`, `kid` and `sig` must each appear exactly once.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { LRUCache } from 'lru-cache'

const EXPIRES_PARAM = 'expires'
const KEY_ID_PARAM = 'kid'
const SIGNATURE_PARAM = 'sig'
/** Parameter names a caller may not choose: the signature's own. */
export const SIGNATURE_PARAMS: readonly string[] = Object.freeze([EXPIRES_PARAM, KEY_ID_PARAM, SIGNATURE_PARAM])

/** NIST SP 800-107 §5.3.4: an HMAC-SHA256 key should carry at least 256 bits. */
const MIN_SECRET_BYTES = 32
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/
const BASE64URL = /^[A-Za-z0-9_-]+$/
// 32 bytes of HMAC-SHA256 are 43 base64url characters without padding.
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/
// Whole seconds, at most 12 digits (year 33658): no signs, exponents or fractions.
const EXPIRES = /^[0-9]{1,12}$/

export interface SigningKey {
  readonly kid: string
  readonly secret: Buffer
}

/** The first key signs; every key verifies, so a new key can sign while URLs minted with an old one stay valid. */
export interface SigningKeyring {
  readonly signer: SigningKey
  readonly byKid: ReadonlyMap<string, SigningKey>
}

export type KeyringParse = { readonly ok: true; readonly keyring: SigningKeyring } | { readonly ok: false; readonly reason: string }

/** Parses `kid1:secret1,kid2:secret2` (secrets base64url, at least 32 bytes). */
export function parseSigningKeys(text: string): KeyringParse {
  const keys: SigningKey[] = []
  const byKid = new Map<string, SigningKey>()
  for (const [index, raw] of text.split(',').entries()) {
    const entry = raw.trim()
    const colon = entry.indexOf(':')
    const where = `key ${index + 1}`
    if (colon === -1) return { ok: false, reason: `${where} must be kid:secret` }
    const kid = entry.slice(0, colon)
    const encoded = entry.slice(colon + 1).replace(/=+$/, '')
    if (!KEY_ID.test(kid)) return { ok: false, reason: `${where}: the key id must be 1-64 characters of A-Z a-z 0-9 _ -` }
    if (byKid.has(kid)) return { ok: false, reason: `${where}: the key id ${kid} is used twice` }
    if (!BASE64URL.test(encoded)) return { ok: false, reason: `${where} (${kid}): the secret must be base64url (A-Z a-z 0-9 - _)` }
    const secret = Buffer.from(encoded, 'base64url')
    if (secret.length < MIN_SECRET_BYTES) {
      return { ok: false, reason: `${where} (${kid}): the secret decodes to ${secret.length} bytes; at least ${MIN_SECRET_BYTES} are needed (openssl rand -base64 32 | tr '+/' '-_')` }
    }
    const key = Object.freeze({ kid, secret })
    keys.push(key)
    byKid.set(kid, key)
  }
  const signer = keys[0]
  if (signer === undefined) return { ok: false, reason: 'must name at least one key' }
  return { ok: true, keyring: Object.freeze({ signer, byKid }) }
}

const UNRESERVED = /^[A-Za-z0-9\-._~]*$/

/** RFC 3986 §2.3: everything but unreserved characters is percent-encoded (UTF-8, upper-case hex). */
export function encodeRfc3986(value: string): string {
  if (UNRESERVED.test(value)) return value
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
}

/** Step 2 and 3 above; `params` are decoded pairs and must not contain `sig`. */
export function canonicalString(path: string, params: ReadonlyArray<readonly [string, string]>): string {
  const pairs = params.map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)] as const)
  pairs.sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1]))
  return path + '\n' + pairs.map(([name, value]) => `${name}=${value}`).join('&')
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

function hmac(secret: Buffer, canonical: string): Buffer {
  return createHmac('sha256', secret).update(canonical, 'utf8').digest()
}

export interface SignedQuery {
  /** The query string to append after `?`: the caller's parameters in their order, then expires, kid, sig. */
  readonly query: string
  readonly expiresAtSeconds: number
}

/** Signs `path` (decoded) with `params` (decoded, without expires/kid/sig) until `expiresAtSeconds`. */
export function signQuery(
  keyring: SigningKeyring,
  path: string,
  params: ReadonlyArray<readonly [string, string]>,
  expiresAtSeconds: number,
): SignedQuery {
  const key = keyring.signer
  const all: Array<readonly [string, string]> = [...params, [EXPIRES_PARAM, String(expiresAtSeconds)], [KEY_ID_PARAM, key.kid]]
  const sig = hmac(key.secret, canonicalString(path, all)).toString('base64url')
  const query = [...all, [SIGNATURE_PARAM, sig] as const].map(([name, value]) => `${encodeRfc3986(name)}=${encodeRfc3986(value)}`).join('&')
  return { query, expiresAtSeconds }
}

export type VerdictReason = 'valid' | 'missing' | 'malformed' | 'expired' | 'unknown-key' | 'bad-signature'

export interface SignatureVerdict {
  readonly reason: VerdictReason
  /** From the URL, when it could be read (valid, expired, unknown-key, bad-signature). */
  readonly expiresAtSeconds?: number
  readonly kid?: string
  /** What exactly is wrong, for explain and the logs. */
  readonly detail: string
}

/**
 * URLs whose signature was authentic, per keyring, with what the clock must
 * still be compared against. Authenticity depends only on the keyring, the
 * path and the raw query, so a repeated URL skips the HMAC (the cost of a
 * verify, the 5% budget on a 1 KB request) while its expiry is still checked on every
 * request. Only authentic URLs are remembered: a forger pays the HMAC every
 * time and cannot fill this with junk. A new keyring (restart) starts afresh.
 */
interface AuthenticUrl {
  readonly kid: string
  readonly expiresAtSeconds: number
}
const authentic = new WeakMap<SigningKeyring, LRUCache<string, AuthenticUrl>>()
/** Per keyring; at about 200 bytes a URL, under 1 MiB. */
const MAX_REMEMBERED_URLS = 4096

function byClock(kid: string, expiresAtSeconds: number, nowSeconds: number): SignatureVerdict {
  if (nowSeconds >= expiresAtSeconds) return { reason: 'expired', kid, expiresAtSeconds, detail: 'The signature is authentic but has expired.' }
  return { reason: 'valid', kid, expiresAtSeconds, detail: 'The signature is valid.' }
}

/**
 * Verifies a URL's signature. `rawQuery` is the part after `?` as sent
 * (undefined when there is none). The signature is checked before the expiry,
 * so `expired` always means "authentic, but too late"; a forged or altered
 * URL is `bad-signature` whatever its expiry says.
 */
export function verifySignature(
  keyring: SigningKeyring | undefined,
  path: string,
  rawQuery: string | undefined,
  nowSeconds: number,
): SignatureVerdict {
  const memoKey = path + '\n' + (rawQuery ?? '')
  const remembered = keyring === undefined ? undefined : authentic.get(keyring)
  const known = remembered?.get(memoKey)
  if (known !== undefined) return byClock(known.kid, known.expiresAtSeconds, nowSeconds)
  const params: Array<readonly [string, string]> = []
  let sig: string | undefined
  let expires: string | undefined
  let kid: string | undefined
  let repeated: string | undefined
  if (rawQuery !== undefined) {
    for (const [name, value] of new URLSearchParams(rawQuery)) {
      if (name === SIGNATURE_PARAM) {
        if (sig !== undefined) repeated = name
        sig = value
        continue
      }
      if (name === EXPIRES_PARAM) {
        if (expires !== undefined) repeated = name
        expires = value
      } else if (name === KEY_ID_PARAM) {
        if (kid !== undefined) repeated = name
        kid = value
      }
      params.push([name, value])
    }
  }
  if (sig === undefined && expires === undefined && kid === undefined) {
    return { reason: 'missing', detail: 'The URL carries no signature (no expires, kid or sig parameter).' }
  }
  if (repeated !== undefined) return { reason: 'malformed', detail: `The ${repeated} parameter appears more than once.` }
  if (sig === undefined || expires === undefined || kid === undefined) {
    const absent = [EXPIRES_PARAM, KEY_ID_PARAM, SIGNATURE_PARAM].filter((_, i) => [expires, kid, sig][i] === undefined)
    return { reason: 'malformed', detail: `The signature is incomplete: ${absent.join(', ')} missing.` }
  }
  if (!EXPIRES.test(expires)) return { reason: 'malformed', detail: 'expires must be whole unix seconds (digits only).' }
  if (!SIGNATURE.test(sig)) return { reason: 'malformed', detail: 'sig must be 43 base64url characters (HMAC-SHA256 without padding).' }
  const expiresAtSeconds = Number(expires)
  const key = keyring?.byKid.get(kid)
  if (key === undefined) {
    const why = keyring === undefined ? 'no URL_SIGNING_KEYS are configured' : 'no configured key has that id'
    return { reason: 'unknown-key', kid, expiresAtSeconds, detail: `The key id ${JSON.stringify(kid)} is unknown: ${why}.` }
  }
  const expected = hmac(key.secret, canonicalString(path, params))
  // Constant time: how much of a guess matched must not show in the response time.
  if (!timingSafeEqual(expected, Buffer.from(sig, 'base64url'))) {
    return { reason: 'bad-signature', kid, expiresAtSeconds, detail: 'The signature does not match the path and query: the URL was altered or signed with another secret.' }
  }
  if (keyring !== undefined) {
    const memo = remembered ?? new LRUCache<string, AuthenticUrl>({ max: MAX_REMEMBERED_URLS })
    if (remembered === undefined) authentic.set(keyring, memo)
    memo.set(memoKey, { kid, expiresAtSeconds })
  }
  return byClock(kid, expiresAtSeconds, nowSeconds)
}

/** Removes the signature's own parameters, leaving what the URL asks for (e.g. image parameters). */
export function withoutSignatureParams(query: URLSearchParams): URLSearchParams {
  const rest = new URLSearchParams()
  for (const [name, value] of query) if (!SIGNATURE_PARAMS.includes(name)) rest.append(name, value)
  return rest
}
