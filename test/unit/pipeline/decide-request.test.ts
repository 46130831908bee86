import { checkTarget } from '../../../src/pipeline/check-target'
import { decideRequest, type DecisionRules, type RequestQuestion } from '../../../src/pipeline/decide-request'
import { compilePolicyTable, type CompiledFolder } from '../../../src/policy/table'
import { DEFAULT_POLICY, type Policy } from '../../../src/policy/types'
import { parseSigningKeys, signQuery, type SigningKeyring } from '../../../src/signing/url-signature'
import { corsRequest } from '../../helpers/records'

const SHOP = 'https://shop.example'
const EVIL = 'https://evil.example'
const NOW = 1_800_000_000
const keyring = (parseSigningKeys(`k1:${Buffer.alloc(32, 3).toString('base64url')}`) as { keyring: SigningKeyring }).keyring

function folder(policy: Partial<Policy> = {}): CompiledFolder {
  const row = { id: 1, path: '/brand/', policy: { ...DEFAULT_POLICY, origins: [SHOP], ...policy }, createdAt: '', updatedAt: '' }
  return compilePolicyTable([row]).resolve('/brand/a.jpg')
}

const question = (overrides: Partial<RequestQuestion> & { origin?: string } = {}): RequestQuestion => {
  const { origin, ...rest } = overrides
  const method = rest.method ?? 'GET'
  return { method, path: '/brand/a.jpg', queryString: undefined, cors: corsRequest({ method, origin }), ...rest }
}

/** Image parameters ask for a derivative, as the image service would say for a JPEG. */
const rules: DecisionRules = { signingKeys: keyring, wantsDerivative: (query) => query.has('w'), nowSeconds: () => NOW }

describe('decideRequest(question, compiled, rules)', () => {
  it('answers a preflight from the CORS decision alone', () => {
    const cors = corsRequest({ method: 'OPTIONS', origin: SHOP, requestMethod: 'GET' })
    const decision = decideRequest(question({ method: 'OPTIONS', cors }), folder(), rules)
    expect(decision.answer).toBe('decided')
    expect(decision.cors.status).toBe(204)
  })

  it('answers a plain OPTIONS, a strict refusal and a folder path without the store', () => {
    expect(decideRequest(question({ method: 'OPTIONS', origin: SHOP }), folder(), rules).answer).toBe('options')
    expect(decideRequest(question({ origin: EVIL }), folder({ mode: 'strict' }), rules).answer).toBe('decided')
    expect(decideRequest(question({ path: '/brand/' }), folder(), rules).answer).toBe('not-found')
  })

  it('refuses to render for a refused origin, before any I/O', () => {
    const decision = decideRequest(question({ origin: EVIL, queryString: 'w=64' }), folder(), rules)
    expect(decision).toMatchObject({ answer: 'refused-render', cors: { outcome: 'refused' } })
  })

  it('lets a refused origin have the plain file, and an allowed one the derivative', () => {
    expect(decideRequest(question({ origin: EVIL }), folder(), rules)).toMatchObject({ answer: undefined, wantsDerivative: false })
    expect(decideRequest(question({ origin: SHOP, queryString: 'w=64' }), folder(), rules)).toMatchObject({ answer: undefined, wantsDerivative: true })
  })

  it('asks for no derivative without an image service', () => {
    const decision = decideRequest(question({ origin: EVIL, queryString: 'w=64' }), folder(), { ...rules, wantsDerivative: undefined })
    expect(decision).toMatchObject({ answer: undefined, wantsDerivative: false })
  })

  it('refuses a missing or bad signature where one is required', () => {
    const paid = folder({ signedUrls: 'required' })
    expect(decideRequest(question({ origin: SHOP }), paid, rules).answer).toBe('unsigned')
    expect(decideRequest(question({ origin: SHOP, queryString: 'expires=1&kid=k1&sig=x' }), paid, rules).answer).toBe('unsigned')
  })

  it('passes a valid signature on with its remaining seconds, and the query without it', () => {
    const signed = signQuery(keyring, '/brand/a.jpg', [['w', '64']], NOW + 90)
    const decision = decideRequest(question({ origin: SHOP, queryString: signed.query }), folder({ signedUrls: 'derivatives' }), rules)
    expect(decision).toMatchObject({ answer: undefined, wantsDerivative: true, signatureSecondsLeft: 90 })
    expect(decision.answer === undefined && decision.query?.toString()).toBe('w=64')
  })
})

describe('checkTarget(method, rawPath)', () => {
  it.each([
    ['GET', '/brand/a.jpg', undefined],
    ['HEAD', '/brand/a.jpg', undefined],
    ['OPTIONS', '/brand/a.jpg', undefined],
    ['POST', '/brand/a.jpg', 405],
    ['GET', '/../etc/passwd', 400],
    ['GET', '/%zz', 400],
    ['GET', '/.env', 404],
  ])('%s %s → %p', (method, path, status) => {
    expect(checkTarget(method, path).answer?.status).toBe(status)
  })

  it('lists the allowed methods on a 405 and sends nosniff on every refusal', () => {
    expect(checkTarget('PUT', '/a').answer?.headers).toEqual({ Allow: 'GET, HEAD, OPTIONS', 'X-Content-Type-Options': 'nosniff', 'Content-Length': 0 })
    expect(Object.isFrozen(checkTarget('GET', '/%zz').answer?.headers)).toBe(true)
  })
})
