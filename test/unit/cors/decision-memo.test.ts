import { decideCors } from '../../../src/cors/decide'
import { decideCorsRemembered } from '../../../src/cors/decision-memo'
import type { CorsRequest } from '../../../src/cors/types'
import { compilePolicyTable, type CompiledFolder } from '../../../src/policy/table'
import { DEFAULT_POLICY, type Policy } from '../../../src/policy/types'
import { corsRequest, OWN_ORIGIN } from '../../helpers/records'

const SHOP = 'https://shop.example'
const EVIL = 'https://evil.example'
/** A page served over plain http, as this server's own origin is in the facts (`http://` + Host). */
const EVIL_HTTP = 'http://evil.example'
const OWN = OWN_ORIGIN

function compiled(policy: Partial<Policy>): CompiledFolder {
  const folder = {
    id: 7,
    path: '/brand/',
    policy: { ...DEFAULT_POLICY, origins: [SHOP], allowHeaders: ['Range'], ...policy },
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
  }
  return compilePolicyTable([folder]).resolve('/brand/a.png')
}

const request = corsRequest

// Requests that differ in exactly one fact decideCors reads, for every kind of request.
const VARIANTS: ReadonlyArray<Partial<CorsRequest>> = [
  {},
  { method: 'HEAD' },
  { origin: SHOP },
  { origin: EVIL },
  { origin: OWN },
  { origin: EVIL, secFetchSite: 'same-origin' },
  { origin: EVIL, secFetchSite: 'cross-site' },
  // The same Origin first for another Host, then for its own: only Host (ownOrigin) tells them apart.
  { origin: EVIL_HTTP },
  { origin: EVIL_HTTP, ownOrigin: EVIL_HTTP },
  { method: 'HEAD', origin: EVIL_HTTP, ownOrigin: 'http://evil.example:8080' },
  { origin: 'null' },
  { referer: `${SHOP}/page` },
  { referer: `${EVIL}/page` },
  { referer: `${OWN}/page` },
  { secFetchSite: 'cross-site' },
  { secFetchSite: 'same-origin' },
  { secFetchSite: '' },
  { method: 'OPTIONS', origin: SHOP },
  { method: 'OPTIONS', origin: SHOP, requestMethod: 'GET' },
  { method: 'OPTIONS', origin: SHOP, requestMethod: 'PUT' },
  { method: 'OPTIONS', origin: SHOP, requestMethod: 'GET', requestHeaders: 'range' },
  { method: 'OPTIONS', origin: SHOP, requestMethod: 'GET', requestHeaders: 'x-secret' },
  { method: 'OPTIONS', origin: SHOP, requestMethod: 'GET', requestPrivateNetwork: true },
  { method: 'OPTIONS', origin: EVIL, requestMethod: 'GET' },
]

describe('decideCorsRemembered(request, compiled)', () => {
  it.each([
    ['a cors folder', compiled({})],
    ['a strict folder', compiled({ mode: 'strict' })],
    ['a * folder with private network access', compiled({ origins: ['*'], privateNetwork: true })],
  ])('in %s decides exactly as decideCors, whatever was asked before', (_name, folder) => {
    // Twice through the list: the second pass is answered from memory.
    for (let pass = 0; pass < 2; pass++) {
      for (const overrides of VARIANTS) {
        const r = request(overrides)
        expect(decideCorsRemembered(r, folder)).toEqual(decideCors(r, folder))
      }
    }
  })

  it('hands the same decision object to requests that ask the same thing', () => {
    const folder = compiled({})
    const first = decideCorsRemembered(request({ origin: SHOP }), folder)
    expect(decideCorsRemembered(request({ origin: SHOP, referer: `${SHOP}/other-page` }), folder)).toBe(first)
    expect(decideCorsRemembered(request({ origin: EVIL }), folder)).not.toBe(first)
    const noOrigin = decideCorsRemembered(request(), folder)
    expect(decideCorsRemembered(request({ referer: `${EVIL}/x`, method: 'HEAD' }), folder)).toBe(noOrigin)
  })

  it('starts afresh for a new compiled table, so a policy change is seen at once', () => {
    const before = decideCorsRemembered(request({ origin: EVIL }), compiled({}))
    const after = decideCorsRemembered(request({ origin: EVIL }), compiled({ origins: [SHOP, EVIL] }))
    expect(before.outcome).toBe('refused')
    expect(after.outcome).toBe('allowed')
  })

  it('stays bounded and correct when a client sends endless made-up origins', () => {
    const folder = compiled({})
    for (let i = 0; i < 2000; i++) {
      const origin = `https://site${i}.example`
      expect(decideCorsRemembered(request({ origin }), folder).outcome).toBe('refused')
    }
    expect(decideCorsRemembered(request({ origin: SHOP }), folder).outcome).toBe('allowed')
  })
})
