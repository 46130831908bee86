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
  const plain = { sandboxAll: false, cacheTags: undefined }
  const compiled = compilePolicyTable([{ id: 1, path: '/', policy: { ...DEFAULT_POLICY, origins: ['https://a.example'] }, createdAt: '', updatedAt: '' }]).resolve('/a.css')
  const cors = decideCors(corsRequest({ origin: 'https://a.example' }), compiled)

  it('adds Accept-Encoding to Vary for every variant of a file with siblings', () => {
    expect(baseHeaders({ cors, cacheControl: 'no-cache' }, entry({ br }), NO_VARY, plain).Vary).toBe('Origin, Accept-Encoding')
    expect(baseHeaders({ cors, cacheControl: 'no-cache' }, entry(), ['Accept'], plain).Vary).toBe('Origin, Accept')
  })

  it('shares one frozen record per decision, entry and Vary list', () => {
    const e = entry()
    const first = baseHeaders({ cors, cacheControl: 'no-cache' }, e, NO_VARY, plain)
    expect(baseHeaders({ cors, cacheControl: 'no-cache' }, e, NO_VARY, plain)).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
  })

  it('carries the path\'s cache tags in the CDN\'s header, and none without a CDN', () => {
    const adapter = createCdnAdapter(loadConfig({ CDN: 'varnish', CDN_PURGE_URLS: 'http://127.0.0.1:1/' }).cdn)
    const tagged = baseHeaders({ cors, cacheControl: 'no-cache' }, entry(), NO_VARY, { sandboxAll: false, cacheTags: cacheTagHeader(adapter) })
    expect(tagged.xkey).toBe('cpf~ cpa~a.css')
    expect(Object.isFrozen(tagged)).toBe(true)
    expect(cacheTagHeader(createCdnAdapter(loadConfig({}).cdn))).toBeUndefined()
    expect(Object.keys(baseHeaders({ cors, cacheControl: 'no-cache' }, entry(), ['Accept'], plain))).not.toContain('xkey')
  })
})
