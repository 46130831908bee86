import { capCacheControl } from '../../../src/signing/cache-cap'
import {
  canonicalString,
  parseSigningKeys,
  signQuery,
  verifySignature,
  withoutSignatureParams,
  type SigningKeyring,
} from '../../../src/signing/url-signature'

// The documented test vector (docs: signed URLs), computed independently with Python's hmac module.
const VECTOR = {
  keys: 'k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
  path: '/paid/café.jpg',
  params: [['w', '640'], ['fmt', 'auto'], ['note', 'a b&c']] as Array<[string, string]>,
  expires: 1767225600,
  canonical: '/paid/café.jpg\nexpires=1767225600&fmt=auto&kid=k1&note=a%20b%26c&w=640',
  sig: 'RbxsEXCrWouWOQ78TV5cbYDxeeb964hLBW9xYiZEq4E',
}
const NOW = VECTOR.expires - 600

function keyring(text: string): SigningKeyring {
  const parsed = parseSigningKeys(text)
  if (!parsed.ok) throw new Error(parsed.reason)
  return parsed.keyring
}

const SECRET_B = 'MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE'

describe('the documented algorithm', () => {
  it('builds the canonical string of the test vector', () => {
    expect(canonicalString(VECTOR.path, [...VECTOR.params, ['expires', String(VECTOR.expires)], ['kid', 'k1']])).toBe(VECTOR.canonical)
  })

  it('signs the test vector to the documented sig', () => {
    const signed = signQuery(keyring(VECTOR.keys), VECTOR.path, VECTOR.params, VECTOR.expires)
    expect(signed.query).toBe(`w=640&fmt=auto&note=a%20b%26c&expires=1767225600&kid=k1&sig=${VECTOR.sig}`)
  })

  it('verifies the test vector whatever the parameter order and encoding (+ for space, lower-case hex)', () => {
    const query = `kid=k1&sig=${VECTOR.sig}&note=a+b%26c&expires=1767225600&fmt=auto&w=640`
    expect(verifySignature(keyring(VECTOR.keys), VECTOR.path, query, NOW)).toMatchObject({ reason: 'valid', kid: 'k1', expiresAtSeconds: VECTOR.expires })
  })

  it('keeps repeated names as separate pairs, sorted by value', () => {
    expect(canonicalString('/a', [['t', 'b'], ['t', 'a'], ['s', '']])).toBe('/a\ns=&t=a&t=b')
  })

  it('encodes every byte outside A-Z a-z 0-9 - . _ ~, including ! \' ( ) *', () => {
    expect(canonicalString('/a', [["x!'()*", '~-._é/?=']])).toBe('/a\nx%21%27%28%29%2A=~-._%C3%A9%2F%3F%3D')
  })
})

describe('verifySignature', () => {
  const ring = keyring(VECTOR.keys)
  const good = signQuery(ring, '/paid/a.jpg', [['w', '640']], NOW + 60).query

  it('is valid for an untouched URL and reports its expiry', () => {
    expect(verifySignature(ring, '/paid/a.jpg', good, NOW)).toMatchObject({ reason: 'valid', expiresAtSeconds: NOW + 60 })
  })

  it.each([
    ['no query at all', undefined],
    ['a query without signature parameters', 'w=640'],
  ])('is missing for %s', (_name, query) => {
    expect(verifySignature(ring, '/paid/a.jpg', query, NOW).reason).toBe('missing')
  })

  const replace = (name: string, value: string) => good.replace(new RegExp(`(^|&)${name}=[^&]*`), `$1${name}=${value}`)
  it.each([
    ['sig absent', good.replace(/&sig=[^&]*/, '')],
    ['expires absent', good.replace(/&expires=[^&]*/, '')],
    ['kid absent', good.replace(/&kid=[^&]*/, '')],
    ['sig repeated', `${good}&sig=${good.slice(-43)}`],
    ['expires repeated', `${good}&expires=${NOW + 60}`],
    ['expires not digits', replace('expires', '1e10')],
    ['expires negative', replace('expires', '-1')],
    ['sig too short', replace('sig', 'abc')],
    ['sig not base64url', replace('sig', '+'.repeat(43))],
  ])('is malformed with %s', (_name, query) => {
    expect(verifySignature(ring, '/paid/a.jpg', query, NOW).reason).toBe('malformed')
  })

  it.each([
    ['a changed width (w=640 → w=3840)', '/paid/a.jpg', replace('w', '3840')],
    ['an added parameter', '/paid/a.jpg', `${good}&q=90`],
    ['a removed parameter', '/paid/a.jpg', good.replace('w=640&', '')],
    ['a later expiry', '/paid/a.jpg', replace('expires', String(NOW + 999999))],
    ['another path', '/paid/b.jpg', good],
    ['a path that differs in case', '/paid/A.jpg', good],
    ['a flipped signature character', '/paid/a.jpg', good.replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`)],
  ])('is bad-signature for %s', (_name, path, query) => {
    expect(verifySignature(ring, path, query, NOW).reason).toBe('bad-signature')
  })

  it('is unknown-key for a kid no configured key has, and when no keys are configured', () => {
    expect(verifySignature(ring, '/paid/a.jpg', replace('kid', 'k9'), NOW)).toMatchObject({ reason: 'unknown-key', kid: 'k9' })
    expect(verifySignature(undefined, '/paid/a.jpg', good, NOW).reason).toBe('unknown-key')
  })

  it('is expired from the expiry second on, and only for an authentic URL', () => {
    expect(verifySignature(ring, '/paid/a.jpg', good, NOW + 59).reason).toBe('valid')
    expect(verifySignature(ring, '/paid/a.jpg', good, NOW + 60).reason).toBe('expired')
    expect(verifySignature(ring, '/paid/a.jpg', replace('w', '1'), NOW + 60).reason).toBe('bad-signature')
  })
})

describe('verifying the same URL again (authentic URLs are remembered)', () => {
  const ring = keyring(VECTOR.keys)
  const url = signQuery(ring, '/again.jpg', [['w', '640']], NOW + 10).query

  it('still checks the expiry on every request', () => {
    expect(verifySignature(ring, '/again.jpg', url, NOW).reason).toBe('valid')
    expect(verifySignature(ring, '/again.jpg', url, NOW + 10).reason).toBe('expired')
    expect(verifySignature(ring, '/again.jpg', url, NOW + 1).reason).toBe('valid')
  })

  it('still refuses altered copies and other paths of a remembered URL', () => {
    verifySignature(ring, '/again.jpg', url, NOW)
    expect(verifySignature(ring, '/again.jpg', url.replace('w=640', 'w=3840'), NOW).reason).toBe('bad-signature')
    expect(verifySignature(ring, '/other.jpg', url, NOW).reason).toBe('bad-signature')
  })

  it('forgets it under another keyring (a restart without that key)', () => {
    verifySignature(ring, '/again.jpg', url, NOW)
    expect(verifySignature(keyring(`k1:${SECRET_B}`), '/again.jpg', url, NOW).reason).toBe('bad-signature')
  })
})

describe('key rotation', () => {
  const old = keyring(VECTOR.keys)
  const rotated = keyring(`k2:${SECRET_B},${VECTOR.keys}`)

  it('signs with the first key', () => {
    expect(signQuery(rotated, '/a.jpg', [], NOW + 60).query).toMatch(/&kid=k2&sig=/)
  })

  it('still verifies URLs signed with a later key, and new ones', () => {
    const before = signQuery(old, '/a.jpg', [], NOW + 60).query
    const after = signQuery(rotated, '/a.jpg', [], NOW + 60).query
    expect(verifySignature(rotated, '/a.jpg', before, NOW).reason).toBe('valid')
    expect(verifySignature(rotated, '/a.jpg', after, NOW).reason).toBe('valid')
    expect(verifySignature(old, '/a.jpg', after, NOW).reason).toBe('unknown-key')
  })

  it('refuses a URL whose kid names another key than the one that signed it', () => {
    const before = signQuery(old, '/a.jpg', [], NOW + 60).query.replace('kid=k1', 'kid=k2')
    expect(verifySignature(rotated, '/a.jpg', before, NOW).reason).toBe('bad-signature')
  })
})

describe('parseSigningKeys', () => {
  it.each([
    ['', 'must be kid:secret'],
    ['k1', 'must be kid:secret'],
    ['k 1:' + SECRET_B, 'key id'],
    ['k1:c2hvcnQ', 'at least 32'],
    ['k1:not*base64' + SECRET_B, 'base64url'],
    [`k1:${SECRET_B},k1:${SECRET_B}`, 'used twice'],
  ])('refuses %j', (text, reason) => {
    const parsed = parseSigningKeys(text)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.reason).toContain(reason)
  })

  it('accepts padded secrets and spaces around entries', () => {
    const parsed = parseSigningKeys(` k1:${SECRET_B}= , k2:${SECRET_B}`)
    expect(parsed.ok && [...parsed.keyring.byKid.keys()]).toEqual(['k1', 'k2'])
  })
})

describe('withoutSignatureParams', () => {
  it('keeps what the URL asks for and drops expires, kid and sig', () => {
    expect(withoutSignatureParams(new URLSearchParams('w=640&expires=1&kid=k&sig=s&q=75')).toString()).toBe('w=640&q=75')
  })
})

describe('capCacheControl', () => {
  it.each([
    ['public, max-age=3600', 60, 'public, max-age=60'],
    ['public, max-age=31536000, immutable', 60, 'public, max-age=60'],
    ['public, max-age=30, immutable', 60, 'public, max-age=30, immutable'],
    ['public, max-age=3600, s-maxage=86400', 60, 'public, max-age=60, s-maxage=60'],
    ['public', 60, 'public, max-age=60'],
    ['no-store', 60, 'no-store'],
    ['no-cache', 60, 'no-cache, max-age=60'],
  ])('%j with %i s left → %j', (value, seconds, expected) => {
    expect(capCacheControl(value, seconds)).toBe(expected)
  })
})
