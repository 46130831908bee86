import { decideCors } from '../../../src/cors/decide'
import { explainReasons } from '../../../src/cors/reason-text'
import type { CorsDecision, CorsRequest } from '../../../src/cors/types'
import { compilePolicyTable, type CompiledFolder } from '../../../src/policy/table'
import { DEFAULT_POLICY, type Policy } from '../../../src/policy/types'
import { corsRequest, OWN_ORIGIN } from '../../helpers/records'

const SHOP = 'https://shop.example'
const EVIL = 'https://evil.example'
const OWN = OWN_ORIGIN

function compiled(policy: Partial<Policy>, path = '/brand/'): CompiledFolder {
  const folder = {
    id: 7,
    path,
    policy: { ...DEFAULT_POLICY, origins: [], ...policy },
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
  }
  return compilePolicyTable([folder]).resolve(`${path}a.png`)
}

const get = corsRequest
/** The reasons as explain words them, in one line. */
const textOf = (reasons: CorsDecision['reasons']): string => explainReasons(reasons).join(' ')

function preflight(origin: string, requestMethod: string, overrides: Partial<CorsRequest> = {}): CorsRequest {
  return get({ method: 'OPTIONS', origin, requestMethod, ...overrides })
}

const PREFLIGHT_VARY = ['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers', 'Access-Control-Request-Private-Network']

describe('decideCors for an actual request with Origin', () => {
  const shared = compiled({ origins: [SHOP, 'https://*.shop.example'] })

  it('allows a listed origin: exact ACAO, expose headers, TAO, CORP, Vary: Origin', () => {
    const decision = decideCors(get({ origin: SHOP }), shared)
    expect(decision).toMatchObject({ isPreflight: false, outcome: 'allowed', status: undefined, vary: ['Origin'] })
    expect(decision.headers).toEqual({
      'Access-Control-Allow-Origin': SHOP,
      'Access-Control-Expose-Headers': 'Content-Length, Content-Range, Accept-Ranges, ETag',
      'Timing-Allow-Origin': SHOP,
      'Cross-Origin-Resource-Policy': 'cross-origin',
    })
  })

  it('allows a subdomain through a wildcard rule, echoing it', () => {
    const decision = decideCors(get({ origin: 'https://cdn.shop.example' }), shared)
    expect(decision.outcome).toBe('allowed')
    expect(decision.headers['Access-Control-Allow-Origin']).toBe('https://cdn.shop.example')
  })

  it('echoes the Origin exactly as sent when it matched after normalisation', () => {
    const decision = decideCors(get({ origin: 'https://SHOP.example:443' }), shared)
    expect(decision.outcome).toBe('allowed')
    expect(decision.headers['Access-Control-Allow-Origin']).toBe('https://SHOP.example:443')
  })

  it.each([
    ['https://shop.example.evil.net'],
    ['https://evilshop.example'],
    ['http://shop.example'],
    ['https://shop.example:8443'],
    ['null'],
    ['garbage'],
  ])('refuses %s in cors mode: served, no CORS headers, still Vary: Origin', (origin) => {
    const decision = decideCors(get({ origin }), shared)
    expect(decision).toMatchObject({ outcome: 'refused', status: undefined, vary: ['Origin'] })
    expect(decision.headers).toEqual({ 'Cross-Origin-Resource-Policy': 'cross-origin' })
  })

  it('explains a refusal naming the folder and the rule that did not match', () => {
    const { reasons } = decideCors(get({ origin: 'https://shop.example.evil.net' }), shared)
    expect(reasons[0]).toEqual({ code: 'folder-applies', folder: '/brand/' })
    expect(textOf(reasons)).toContain('does not match https://*.shop.example: its host is not under shop.example')
  })

  it('answers * for a * rule without credentials, with TAO *', () => {
    const decision = decideCors(get({ origin: EVIL }), compiled({ origins: ['*'] }))
    expect(decision.outcome).toBe('allowed')
    expect(decision.headers['Access-Control-Allow-Origin']).toBe('*')
    expect(decision.headers['Timing-Allow-Origin']).toBe('*')
    expect(decision.vary).toEqual(['Origin'])
  })

  it('answers * even to a listed origin when the policy also has *', () => {
    expect(decideCors(get({ origin: SHOP }), compiled({ origins: [SHOP, '*'] })).headers['Access-Control-Allow-Origin']).toBe('*')
  })

  it('refuses the null origin under a * rule', () => {
    const decision = decideCors(get({ origin: 'null' }), compiled({ origins: ['*'] }))
    expect(decision.outcome).toBe('refused')
    expect(decision.headers['Access-Control-Allow-Origin']).toBeUndefined()
  })

  it('allows the null origin with an explicit null rule, echoing null', () => {
    const decision = decideCors(get({ origin: 'null' }), compiled({ origins: ['null'] }))
    expect(decision.outcome).toBe('allowed')
    expect(decision.headers['Access-Control-Allow-Origin']).toBe('null')
  })

  it('with credentials always sends the exact origin and Allow-Credentials', () => {
    const decision = decideCors(get({ origin: SHOP }), compiled({ origins: [SHOP], credentials: true }))
    expect(decision.headers['Access-Control-Allow-Origin']).toBe(SHOP)
    expect(decision.headers['Access-Control-Allow-Credentials']).toBe('true')
    expect(decision.headers['Timing-Allow-Origin']).toBe(SHOP)
  })

  it('never lets a * rule allow a request with credentials (no origin reflection)', () => {
    const decision = decideCors(get({ origin: EVIL }), compiled({ origins: ['*'], credentials: true }))
    expect(decision.outcome).toBe('refused')
    expect(decision.headers['Access-Control-Allow-Origin']).toBeUndefined()
    expect(decision.headers['Access-Control-Allow-Credentials']).toBeUndefined()
  })

  it('still allows an exactly listed origin with credentials next to a * rule', () => {
    const decision = decideCors(get({ origin: SHOP }), compiled({ origins: ['*', SHOP], credentials: true }))
    expect(decision.headers['Access-Control-Allow-Origin']).toBe(SHOP)
  })

  it('omits Expose-Headers when the policy exposes none', () => {
    const decision = decideCors(get({ origin: SHOP }), compiled({ origins: [SHOP], exposeHeaders: [] }))
    expect(decision.headers).not.toHaveProperty('Access-Control-Expose-Headers')
  })

  it('refuses every origin on a folder with no rules, without Vary or CORP', () => {
    const decision = decideCors(get({ origin: SHOP }), compiled({ origins: [] }))
    expect(decision).toMatchObject({ outcome: 'refused', status: undefined, headers: {}, vary: [] })
  })

  it('treats this server\'s own origin as same-origin: served, outcome none', () => {
    const decision = decideCors(get({ origin: 'http://CDN.example:8080' }), compiled({ origins: [SHOP], mode: 'strict' }))
    expect(decision).toMatchObject({ outcome: 'none', status: undefined })
    expect(decision.headers['Access-Control-Allow-Origin']).toBeUndefined()
  })

  it('treats OPTIONS with Origin but without Access-Control-Request-Method as an actual request', () => {
    const decision = decideCors(get({ method: 'OPTIONS', origin: SHOP }), shared)
    expect(decision).toMatchObject({ isPreflight: false, outcome: 'allowed', status: undefined })
  })
})

describe('decideCors for a request without Origin', () => {
  it('says CORS did not apply and, for a listed-origin folder, still varies on Origin', () => {
    const decision = decideCors(get(), compiled({ origins: [SHOP] }))
    expect(decision).toMatchObject({ outcome: 'none', status: undefined, vary: ['Origin'] })
    expect(decision.headers).toEqual({ 'Cross-Origin-Resource-Policy': 'cross-origin' })
  })

  it('sends ACAO * and TAO * for a * policy so caches can share one answer', () => {
    const decision = decideCors(get(), compiled({ origins: ['*'] }))
    expect(decision.outcome).toBe('none')
    expect(decision.headers).toEqual({
      'Access-Control-Allow-Origin': '*',
      'Timing-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    })
  })

  it('sends no ACAO for a * policy with credentials', () => {
    expect(decideCors(get(), compiled({ origins: ['*'], credentials: true })).headers['Access-Control-Allow-Origin']).toBeUndefined()
  })

  it('adds nothing at all on an unshared folder in cors mode', () => {
    expect(decideCors(get(), compiled({ origins: [] }))).toMatchObject({ outcome: 'none', headers: {}, vary: [] })
  })
})

describe('decideCors for a preflight', () => {
  const shared = compiled({
    origins: [SHOP, 'https://*.shop.example'],
    methods: ['GET', 'HEAD', 'PUT'],
    allowHeaders: ['Range', 'X-Trace-Id'],
    maxAge: 900,
  })

  it('answers an allowed preflight with 204, origin, methods, headers, max-age and the preflight Vary', () => {
    const decision = decideCors(preflight(SHOP, 'PUT', { requestHeaders: 'x-trace-id, Range' }), shared)
    expect(decision).toMatchObject({ isPreflight: true, outcome: 'allowed', status: 204, vary: PREFLIGHT_VARY })
    expect(decision.headers).toEqual({
      'Access-Control-Allow-Origin': SHOP,
      'Access-Control-Allow-Methods': 'GET, HEAD, PUT',
      'Access-Control-Allow-Headers': 'Range, X-Trace-Id',
      'Access-Control-Max-Age': '900',
    })
  })

  it('sends the policy headers even when none were requested', () => {
    const decision = decideCors(preflight(SHOP, 'GET'), shared)
    expect(decision.status).toBe(204)
    expect(decision.headers['Access-Control-Allow-Headers']).toBe('Range, X-Trace-Id')
  })

  it('omits Allow-Headers when the policy allows none', () => {
    const decision = decideCors(preflight(SHOP, 'GET'), compiled({ origins: [SHOP], allowHeaders: [] }))
    expect(decision.status).toBe(204)
    expect(decision.headers).not.toHaveProperty('Access-Control-Allow-Headers')
  })

  it.each([
    ['get'],
    ['put'],
    [' PUT '],
  ])('compares the well-known method %j case-insensitively', (method) => {
    expect(decideCors(preflight(SHOP, method), shared).status).toBe(204)
  })

  it('compares other methods exactly', () => {
    const purge = compiled({ origins: [SHOP], methods: ['GET', 'PURGE'] })
    expect(decideCors(preflight(SHOP, 'PURGE'), purge).status).toBe(204)
    expect(decideCors(preflight(SHOP, 'purge'), purge).status).toBe(403)
  })

  it.each([
    [preflight(EVIL, 'GET'), 'evil.example'],
    [preflight('https://shop.example.evil.net', 'GET'), 'not under shop.example'],
    [preflight('null', 'GET'), 'null'],
    [preflight(SHOP, 'DELETE'), 'DELETE is not among the allowed methods (GET, HEAD, PUT)'],
    [preflight(SHOP, ''), 'not among the allowed methods'],
    [preflight(SHOP, 'GET', { requestHeaders: 'range, x-secret' }), 'x-secret is not among the allowed headers'],
    [preflight(SHOP, 'GET', { requestHeaders: 'authorization, x-a' }), 'authorization, x-a are not among the allowed headers'],
    [preflight(SHOP, 'GET', { requestHeaders: 'bad header' }), 'bad header is not among'],
    [preflight(SHOP, 'GET', { requestPrivateNetwork: true }), 'Private Network Access'],
  ])('refuses %j with 403, no CORS headers, no-store, explaining %j', (request, reason) => {
    const decision = decideCors(request, shared)
    expect(decision).toMatchObject({ isPreflight: true, outcome: 'refused', status: 403, vary: PREFLIGHT_VARY })
    expect(decision.headers).toEqual({ 'Cache-Control': 'no-store' })
    expect(textOf(decision.reasons)).toContain(reason)
  })

  it('ignores empty entries and spacing in Access-Control-Request-Headers', () => {
    expect(decideCors(preflight(SHOP, 'GET', { requestHeaders: ' RANGE ,, X-Trace-ID ,' }), shared).status).toBe(204)
  })

  it('lets * in allowHeaders allow any header but Authorization when credentials are off', () => {
    const anyHeader = compiled({ origins: [SHOP], allowHeaders: ['*'] })
    expect(decideCors(preflight(SHOP, 'GET', { requestHeaders: 'x-anything, x-other' }), anyHeader).status).toBe(204)
    const withAuth = decideCors(preflight(SHOP, 'GET', { requestHeaders: 'authorization' }), anyHeader)
    expect(withAuth.status).toBe(403)
    expect(textOf(withAuth.reasons)).toContain('* never covers Authorization')
  })

  it('treats * in allowHeaders literally when credentials are on', () => {
    const creds = compiled({ origins: [SHOP], allowHeaders: ['*'], credentials: true })
    expect(decideCors(preflight(SHOP, 'GET', { requestHeaders: 'x-anything' }), creds).status).toBe(403)
  })

  it('answers * to any origin on a * policy, and sends Allow-Credentials with an exact origin', () => {
    expect(decideCors(preflight(EVIL, 'GET'), compiled({ origins: ['*'] })).headers['Access-Control-Allow-Origin']).toBe('*')
    const creds = decideCors(preflight(SHOP, 'GET'), compiled({ origins: [SHOP], credentials: true }))
    expect(creds.headers['Access-Control-Allow-Origin']).toBe(SHOP)
    expect(creds.headers['Access-Control-Allow-Credentials']).toBe('true')
  })

  it('refuses a preflight matched only by * when credentials are on', () => {
    expect(decideCors(preflight(EVIL, 'GET'), compiled({ origins: ['*'], credentials: true })).status).toBe(403)
  })

  it('answers a Private Network Access preflight when the policy allows it', () => {
    const pna = compiled({ origins: [SHOP], privateNetwork: true })
    const decision = decideCors(preflight(SHOP, 'GET', { requestPrivateNetwork: true }), pna)
    expect(decision.status).toBe(204)
    expect(decision.headers['Access-Control-Allow-Private-Network']).toBe('true')
    expect(decideCors(preflight(SHOP, 'GET'), pna).headers).not.toHaveProperty('Access-Control-Allow-Private-Network')
  })

  it('refuses every preflight on an unshared folder', () => {
    expect(decideCors(preflight(SHOP, 'GET'), compiled({ origins: [] })).status).toBe(403)
  })

  it('is not a preflight without Origin', () => {
    const decision = decideCors(get({ method: 'OPTIONS', requestMethod: 'GET' }), shared)
    expect(decision).toMatchObject({ isPreflight: false, outcome: 'none', status: undefined })
  })

  it('answers a preflight the same way in strict mode', () => {
    const strict = compiled({ origins: [SHOP], mode: 'strict' })
    expect(decideCors(preflight(SHOP, 'GET'), strict).status).toBe(204)
    expect(decideCors(preflight(EVIL, 'GET'), strict).status).toBe(403)
  })
})

describe('decideCors in strict mode (hotlink protection)', () => {
  const strict = compiled({ origins: [SHOP, 'https://*.shop.example'], mode: 'strict' })
  const REFUSED = { outcome: 'refused', status: 403, headers: { 'Cache-Control': 'no-store' }, vary: ['Origin'] }

  it.each<[string, Partial<CorsRequest>]>([
    ['a foreign Origin', { origin: EVIL }],
    ['the null Origin', { origin: 'null' }],
    ['a foreign Referer', { referer: 'https://evil.example/page.html' }],
    ['a look-alike Referer', { referer: 'https://shop.example.evil.net/' }],
    ['a foreign Referer even with Sec-Fetch-Site same-site', { referer: 'https://evil.example/', secFetchSite: 'same-site' }],
    ['no Origin or Referer but Sec-Fetch-Site: cross-site', { secFetchSite: 'cross-site' }],
    ['an unparsable Referer with Sec-Fetch-Site: cross-site', { referer: 'not a url', secFetchSite: 'cross-site' }],
    ['Sec-Fetch-Site in upper case', { secFetchSite: 'Cross-Site' }],
  ])('refuses %s with 403 and only Cache-Control: no-store', (_, request) => {
    expect(decideCors(get(request), strict)).toMatchObject(REFUSED)
  })

  it.each<[string, Partial<CorsRequest>, string]>([
    ['an allowed Origin', { origin: SHOP }, 'allowed'],
    ['an allowed wildcard Origin', { origin: 'https://cdn.shop.example' }, 'allowed'],
    ['direct navigation (no Origin, Referer or Sec-Fetch-Site)', {}, 'none'],
    ['Sec-Fetch-Site: none (typed into the address bar)', { secFetchSite: 'none' }, 'none'],
    ['Sec-Fetch-Site: same-origin', { secFetchSite: 'same-origin' }, 'none'],
    ['Sec-Fetch-Site: same-site', { secFetchSite: 'same-site' }, 'none'],
    ['an allowed Referer', { referer: 'https://shop.example/checkout?x=1', secFetchSite: 'cross-site' }, 'none'],
    ['a Referer from this server', { referer: 'http://cdn.example:8080/index.html', secFetchSite: 'same-origin' }, 'none'],
    ['an unparsable Referer without Sec-Fetch-Site', { referer: '::::' }, 'none'],
    ['a Referer the browser marks same-origin (https page behind a TLS proxy)', { referer: 'https://cdn.example:8080/', secFetchSite: 'same-origin' }, 'none'],
    ['an Origin the browser marks same-origin', { origin: 'https://cdn.example:8080', secFetchSite: 'same-origin' }, 'none'],
  ])('serves %s', (_, request, outcome) => {
    const decision = decideCors(get(request), strict)
    expect(decision.status).toBeUndefined()
    expect(decision.outcome).toBe(outcome)
    expect(decision.vary).toEqual(['Origin'])
  })

  it('says why it refused a hotlink', () => {
    const { reasons } = decideCors(get({ referer: 'https://evil.example/page' }), strict)
    expect(textOf(reasons)).toContain("the Referer's origin https://evil.example is neither allowed nor this server's own origin")
  })

  it('says why it refused a cross-site request that hides who it is', () => {
    const { reasons } = decideCors(get({ secFetchSite: 'cross-site' }), strict)
    expect(textOf(reasons)).toContain('Sec-Fetch-Site says cross-site')
  })

  it('varies on Origin even with no origin rules', () => {
    const lonely = compiled({ origins: [], mode: 'strict' })
    expect(decideCors(get(), lonely)).toMatchObject({ outcome: 'none', status: undefined, vary: ['Origin'] })
    expect(decideCors(get({ origin: SHOP }), lonely)).toMatchObject(REFUSED)
  })
})
