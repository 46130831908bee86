import { decideCors } from '../../../src/cors/decide'
import { createCdnAdapter } from '../../../src/cdn/adapters'
import { loadConfig } from '../../../src/config/config'
import { cacheTagHeader } from '../../../src/pipeline/cache-tags'
import { baseHeaders, chooseRepresentation, NO_VARY } from '../../../src/pipeline/choose-representation'
import type { CacheEntry } from '../../../src/pipeline/file-cache'
import { makeRepresentation } from '../../../src/pipeline/file-cache'
import type { DeliveryRequest } from '../../../src/pipeline/plan'
import { compilePolicyTable } from '../../../src/policy/table'
import { DEFAULT_POLICY } from '../../../src/policy/types'
import { corsRequest } from '../../helpers/records'

const info = (key: string) => ({ path: key, key, sizeBytes: 10, mtimeMs: 1_700_000_000_000, revision: '1', etag: '"1"' })
const identity = makeRepresentation(info('/a.css'), 'text/css', undefined)
const br = makeRepresentation(info('/a.css.br'), 'text/css', 'br')
const gzip = makeRepresentation(info('/a.css.gz'), 'text/css', 'gzip')
const entry = (siblings: Partial<CacheEntry> = {}): CacheEntry => ({
  path: '/a.css',
  identity,
  br: undefined,
  gzip: undefined,
  hasSiblings: siblings.br !== undefined || siblings.gzip !== undefined,
  isSvg: false,
  isFingerprinted: false,
  expiresAtMs: Infinity,
  ...siblings,
})
const get: DeliveryRequest = { method: 'GET', range: undefined, ifRange: undefined, ifMatch: undefined, ifNoneMatch: undefined, ifModifiedSince: undefined, ifUnmodifiedSince: undefined }

describe('chooseRepresentation(entry, identity, request, acceptEncoding)', () => {
  it.each([
    ['br, gzip', { br, gzip }, br],
    ['gzip', { br, gzip }, gzip],
    ['br', { gzip }, identity],
    [undefined, { br, gzip }, identity],
    ['br', {}, identity],
  ])('Accept-Encoding %p picks the right bytes', (accept, siblings, expected) => {
    expect(chooseRepresentation(entry(siblings), identity, get, accept)).toBe(expected)
  })

  it('answers a Range request from the identity bytes', () => {
    expect(chooseRepresentation(entry({ br }), identity, { ...get, range: 'bytes=0-1' }, 'br')).toBe(identity)
  })
})

describe('baseHeaders(facts, entry, extraVary, site)', () => {
  const plain = { sandboxAll: false, cacheTags: undefined, surrogateControl: false }
  const compiled = compilePolicyTable([{ id: 1, path: '/', policy: { ...DEFAULT_POLICY, origins: ['https://a.example'] }, createdAt: '', updatedAt: '' }]).resolve('/a.css')
  const cors = decideCors(corsRequest({ origin: 'https://a.example' }), compiled)
  const facts = { cors, cacheControl: 'no-cache', cdnCacheControl: null }

  it('adds Accept-Encoding to Vary for every variant of a file with siblings', () => {
    expect(baseHeaders(facts, entry({ br }), NO_VARY, plain).Vary).toBe('Origin, Accept-Encoding')
    expect(baseHeaders(facts, entry(), ['Accept'], plain).Vary).toBe('Origin, Accept')
  })

  it('shares one frozen record per decision, entry and Vary list', () => {
    const e = entry()
    const first = baseHeaders(facts, e, NO_VARY, plain)
    expect(baseHeaders(facts, e, NO_VARY, plain)).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
  })

  it('carries the path\'s cache tags in the CDN\'s header, and none without a CDN', () => {
    const adapter = createCdnAdapter(loadConfig({ CDN: 'varnish', CDN_PURGE_URLS: 'http://127.0.0.1:1/' }).cdn)
    const tagged = baseHeaders(facts, entry(), NO_VARY, { ...plain, cacheTags: cacheTagHeader(adapter) })
    expect(tagged.xkey).toBe('cpf~ cpa~a.css')
    expect(Object.isFrozen(tagged)).toBe(true)
    expect(cacheTagHeader(createCdnAdapter(loadConfig({}).cdn))).toBeUndefined()
    expect(Object.keys(baseHeaders(facts, entry(), ['Accept'], plain))).not.toContain('xkey')
  })

  describe('the CDN\'s own lifetime', () => {
    // Each case its own decision: base headers are remembered per decision, as a new policy makes a new one.
    const cdnFacts = (cdnCacheControl: string | null) => ({ cors: decideCors(corsRequest({ origin: 'https://a.example' }), compiled), cacheControl: 'public, max-age=60', cdnCacheControl })

    it('sends CDN-Cache-Control beside Cache-Control when the policy sets it, in the frozen shared record', () => {
      const f = cdnFacts('public, max-age=86400')
      const e = entry()
      const base = baseHeaders(f, e, NO_VARY, plain)
      expect(base['CDN-Cache-Control']).toBe('public, max-age=86400')
      expect(base['Cache-Control']).toBe('public, max-age=60')
      expect(base['Surrogate-Control']).toBeUndefined()
      expect(Object.isFrozen(base)).toBe(true)
      expect(baseHeaders(f, e, NO_VARY, plain)).toBe(base)
    })

    it('also sends Surrogate-Control to a CDN that reads it', () => {
      const base = baseHeaders(cdnFacts('max-age=86400'), entry(), NO_VARY, { ...plain, surrogateControl: true })
      expect(base['CDN-Cache-Control']).toBe('max-age=86400')
      expect(base['Surrogate-Control']).toBe('max-age=86400')
    })

    it('sends neither when the policy has none', () => {
      const base = baseHeaders(cdnFacts(null), entry(), NO_VARY, { ...plain, surrogateControl: true })
      expect(Object.keys(base)).not.toContain('CDN-Cache-Control')
      expect(Object.keys(base)).not.toContain('Surrogate-Control')
    })
  })
})
