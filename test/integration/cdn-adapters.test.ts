import type { CdnKind, CdnSettings } from '../../src/config/cdn-settings'
import { createCdnAdapter, PurgeDeliveryError } from '../../src/cdn/adapters'
import { edgeGridAuthorization } from '../../src/cdn/adapters/edgegrid'
import { compactTag } from '../../src/cdn/tags'
import { startPurgeReceiver, type PurgeReceiver } from '../helpers/purge-receiver'

let api: PurgeReceiver
let second: PurgeReceiver

beforeAll(async () => {
  api = await startPurgeReceiver()
  second = await startPurgeReceiver()
})
afterAll(async () => {
  await api.close()
  await second.close()
})
beforeEach(() => {
  for (const receiver of [api, second]) {
    receiver.received.length = 0
    receiver.answerWith(200)
    receiver.answerAfter(0)
  }
})

const settings = (kind: CdnKind, extra: Partial<CdnSettings> = {}): CdnSettings => ({
  kind,
  purgeUrls: [],
  apiToken: undefined,
  serviceId: undefined,
  apiUrl: api.url,
  tagHeader: undefined,
  purgeTimeoutMs: 2000,
  purgeRetryMaxMs: 60_000,
  ...extra,
})

const TAGS = ['cpf~brand~', 'cpa~brand~logo.png']

/** Checks that every request the API got has this method, path and these headers. */
function expectEachRequest(method: string, url: string, headers: Record<string, string>): void {
  for (const request of api.received) {
    expect([request.method, request.url]).toEqual([method, url])
    for (const [name, value] of Object.entries(headers)) expect({ [name]: request.headers[name] }).toEqual({ [name]: value })
  }
}
const bodies = <T>(): T[] => api.received.map((r) => JSON.parse(r.body) as T)

describe('the tag header of each CDN', () => {
  it.each([
    ['varnish', 'xkey', 'cpf~brand~ cpa~brand~logo.png'],
    ['fastly', 'Surrogate-Key', 'cpf~brand~ cpa~brand~logo.png'],
    ['cloudflare', 'Cache-Tag', 'cpf~brand~,cpa~brand~logo.png'],
    ['bunny', 'CDN-Tag', TAGS.map(compactTag).join(',')],
    ['akamai', 'Edge-Cache-Tag', 'cpf~brand~,cpa~brand~logo.png'],
    ['webhook', 'Cache-Tag', 'cpf~brand~,cpa~brand~logo.png'],
  ] as const)('%s: %s', (kind, header, value) => {
    const adapter = createCdnAdapter(settings(kind))
    expect(adapter.tagHeader).toBe(header)
    expect(adapter.tagHeaderValue(TAGS)).toBe(value)
  })

  it('none: no header, and a purge sends nothing', async () => {
    const adapter = createCdnAdapter(settings('none', { tagHeader: 'X-Tags' }))
    expect(adapter.tagHeader).toBeUndefined()
    await adapter.purge(TAGS, ['/brand/'])
    expect(api.received).toEqual([])
  })

  it('CACHE_TAG_HEADER replaces the name, not the separator', () => {
    const adapter = createCdnAdapter(settings('fastly', { tagHeader: 'X-Purge-Keys' }))
    expect(adapter.tagHeader).toBe('X-Purge-Keys')
    expect(adapter.tagHeaderValue(TAGS)).toBe('cpf~brand~ cpa~brand~logo.png')
  })
})

describe('purge(tags, paths) sends the request each API documents', () => {
  it('varnish: PURGE with xkey-purge (space-separated) to every instance', async () => {
    const adapter = createCdnAdapter(settings('varnish', { purgeUrls: [`${api.url}/`, `${second.url}/`] }))
    await adapter.purge(TAGS, ['/brand/'])
    for (const receiver of [api, second]) {
      expect(receiver.received).toHaveLength(1)
      const [request] = receiver.received
      expect(request).toMatchObject({ method: 'PURGE', url: '/', body: '' })
      expect(request?.headers['xkey-purge']).toBe('cpf~brand~ cpa~brand~logo.png')
    }
  })

  it('varnish: splits a long tag list so each xkey-purge header stays within 4 KiB', async () => {
    const tags = Array.from({ length: 100 }, (_, i) => `cpa~${'x'.repeat(100)}${i}`)
    await createCdnAdapter(settings('varnish', { purgeUrls: [`${api.url}/`] })).purge(tags, [])
    const sent = api.received.map((r) => String(r.headers['xkey-purge']))
    expect(sent.length).toBeGreaterThan(1)
    for (const value of sent) expect(value.length).toBeLessThanOrEqual(4096)
    expect(sent.join(' ').split(' ')).toEqual(tags)
  })

  it('fastly: POST /service/{id}/purge with Fastly-Key and {"surrogate_keys":[…]}, 256 keys per call', async () => {
    const adapter = createCdnAdapter(settings('fastly', { apiToken: 'fastly-token', serviceId: 'SU1Z0isxPaozGVKXdv0eY' }))
    const tags = Array.from({ length: 300 }, (_, i) => `cpa~f${i}`)
    await adapter.purge(tags, [])
    expect(api.received).toHaveLength(2)
    expectEachRequest('POST', '/service/SU1Z0isxPaozGVKXdv0eY/purge', { 'fastly-key': 'fastly-token', 'content-type': 'application/json', accept: 'application/json' })
    const sent = bodies<{ surrogate_keys: string[] }>()
    expect(sent.map((b) => b.surrogate_keys.length).sort()).toEqual([256, 44])
    expect(sent.flatMap((b) => b.surrogate_keys).sort()).toEqual([...tags].sort())
  })

  it('cloudflare: POST /client/v4/zones/{zone}/purge_cache with a Bearer token and {"tags":[…]}, 100 per call', async () => {
    const adapter = createCdnAdapter(settings('cloudflare', { apiToken: 'cf-token', serviceId: '023e105f4ecef8ad9ca31a8372d0c353' }))
    const tags = Array.from({ length: 150 }, (_, i) => `cpa~c${i}`)
    await adapter.purge(tags, [])
    expect(api.received).toHaveLength(2)
    expectEachRequest('POST', '/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache', { authorization: 'Bearer cf-token', 'content-type': 'application/json' })
    expect(bodies<object>().map((body) => Object.keys(body))).toEqual([['tags'], ['tags']])
    expect(bodies<{ tags: string[] }>().flatMap((body) => body.tags).sort()).toEqual([...tags].sort())
  })

  it('bunny: POST /pullzone/{id}/purgeCache with AccessKey and {"CacheTag": …}, one call per (compact) tag', async () => {
    const adapter = createCdnAdapter(settings('bunny', { apiToken: 'bunny-key', serviceId: '12345' }))
    await adapter.purge(TAGS, [])
    expect(api.received).toHaveLength(2)
    expectEachRequest('POST', '/pullzone/12345/purgeCache', { accesskey: 'bunny-key', 'content-type': 'application/json' })
    expect(bodies<unknown>().sort()).toEqual(TAGS.map((tag) => ({ CacheTag: compactTag(tag) })).sort())
  })

  it('akamai: POST /ccu/v3/delete/tag/production with {"objects":[…]} signed with EdgeGrid', async () => {
    const adapter = createCdnAdapter(settings('akamai', { apiToken: 'akab-client:c2VjcmV0:akab-access' }))
    await adapter.purge(TAGS, [])
    expect(api.received).toHaveLength(1)
    const [request] = api.received
    expect([request?.method, request?.url]).toEqual(['POST', '/ccu/v3/delete/tag/production'])
    expect(JSON.parse(request?.body ?? '')).toEqual({ objects: TAGS })
    const authorization = String(request?.headers.authorization)
    const fields = /^EG1-HMAC-SHA256 client_token=akab-client;access_token=akab-access;timestamp=(\d{8}T\d\d:\d\d:\d\d\+0000);nonce=([0-9a-f-]{36});signature=(\S+)$/.exec(authorization)
    expect(fields).not.toBeNull()
    // The signature is the one the received request (method, URL, body) yields.
    const [, timestamp = '', nonce = ''] = fields ?? []
    const expected = edgeGridAuthorization(
      { clientToken: 'akab-client', clientSecret: 'c2VjcmV0', accessToken: 'akab-access' },
      { method: 'POST', url: `${api.url}${request?.url}`, body: request?.body ?? '' },
      { timestamp, nonce },
    )
    expect(authorization).toBe(expected)
  })

  it('webhook: a JSON POST of {tags, paths} to every URL, with a Bearer token when set', async () => {
    const adapter = createCdnAdapter(settings('webhook', { purgeUrls: [`${api.url}/hooks/purge`, `${second.url}/x`], apiToken: 'hook-secret' }))
    await adapter.purge(TAGS, ['/brand/logo.png'])
    for (const [receiver, path] of [[api, '/hooks/purge'], [second, '/x']] as const) {
      const [request] = receiver.received
      expect([request?.method, request?.url]).toEqual(['POST', path])
      expect(request?.headers['content-type']).toBe('application/json')
      expect(request?.headers.authorization).toBe('Bearer hook-secret')
      expect(JSON.parse(request?.body ?? '')).toEqual({ tags: TAGS, paths: ['/brand/logo.png'] })
    }
  })
})

describe('purge(tags, paths) when the CDN refuses', () => {
  const fastly = () => createCdnAdapter(settings('fastly', { apiToken: 't', serviceId: 's' }))

  it.each([429, 500, 503, 408])('%i: a retryable PurgeDeliveryError', async (status) => {
    api.answerWith(status)
    await expect(fastly().purge(TAGS, [])).rejects.toMatchObject({ name: 'PurgeDeliveryError', isRetryable: true, status })
  })

  it.each([400, 401, 403, 404])('%i: a permanent PurgeDeliveryError that quotes the answer', async (status) => {
    api.answerWith(status)
    const error = await fastly().purge(TAGS, []).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PurgeDeliveryError)
    expect(error).toMatchObject({ isRetryable: false, status })
    expect((error as Error).message).toContain('refused by test')
  })

  it('no answer within CDN_PURGE_TIMEOUT_MS: a retryable error that says so', async () => {
    api.answerAfter(1000)
    const adapter = createCdnAdapter(settings('cloudflare', { apiToken: 't', serviceId: 'z', purgeTimeoutMs: 150 }))
    const startedAt = performance.now()
    const error = await adapter.purge(TAGS, []).catch((e: unknown) => e)
    expect(error).toMatchObject({ isRetryable: true, status: undefined, message: expect.stringContaining('no answer within 150 ms') })
    expect(performance.now() - startedAt).toBeLessThan(900)
  })

  it('no listener: a retryable error', async () => {
    const gone = await startPurgeReceiver()
    await gone.close()
    const adapter = createCdnAdapter(settings('varnish', { purgeUrls: [`${gone.url}/`] }))
    await expect(adapter.purge(TAGS, [])).rejects.toMatchObject({ isRetryable: true, status: undefined })
  })

  it('one instance down: the others still get the purge, and the error is retryable', async () => {
    api.answerWith(503)
    const adapter = createCdnAdapter(settings('varnish', { purgeUrls: [`${api.url}/`, `${second.url}/`] }))
    await expect(adapter.purge(TAGS, [])).rejects.toMatchObject({ isRetryable: true })
    expect(second.received).toHaveLength(1)
  })
})
