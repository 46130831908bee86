/**
 * A folder's lifetime for the CDN alone: set through the admin API, sent as
 * CDN-Cache-Control on asset answers (and as Surrogate-Control when the CDN is
 * Varnish or Fastly), never on answers no cache may keep or on 404s, and
 * capped like Cache-Control on signed URLs.
 */
import { createFolder, startTestCrossport, type TestCrossport } from '../helpers/crossport'

const SECRET = 'Y2RuLWNhY2hlLWNvbnRyb2wtc2VjcmV0LTAxMjM0NTY3ODk'
const DAY = 'public, max-age=86400'

let varnish: TestCrossport
let plain: TestCrossport
const ids = new Map<TestCrossport, number | string>()

beforeAll(async () => {
  const assets = { 'brand/app.css': 'body{}', 'paid/doc.txt': 'paid' }
  // Purges go nowhere (port 9): this suite looks at the answers only.
  varnish = await startTestCrossport({ assets, env: { CDN: 'varnish', CDN_PURGE_URLS: 'http://127.0.0.1:9/', URL_SIGNING_KEYS: `k1:${SECRET}` } })
  plain = await startTestCrossport({ assets })
  for (const cp of [varnish, plain]) {
    const folder = await createFolder(cp, '/brand/', { origins: ['https://shop.example'], cacheControl: 'public, max-age=60', cdnCacheControl: DAY })
    ids.set(cp, folder.id)
  }
  await createFolder(varnish, '/paid/', { origins: [], signedUrls: 'required', cdnCacheControl: DAY })
})

afterAll(async () => {
  await Promise.all([varnish.close(), plain.close()])
})

const get = (cp: TestCrossport, url: string, headers: Record<string, string> = {}) => fetch(cp.publicUrl + url, { headers })
const cdnHeaders = (res: Response) => ({ cdn: res.headers.get('cdn-cache-control'), surrogate: res.headers.get('surrogate-control') })

describe('cdnCacheControl on asset answers', () => {
  it('is sent as CDN-Cache-Control, Cache-Control staying the browsers\' lifetime', async () => {
    const res = await get(plain, '/brand/app.css', { origin: 'https://shop.example' })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('public, max-age=60')
    expect(cdnHeaders(res)).toEqual({ cdn: DAY, surrogate: null })
  })

  it('is also sent as Surrogate-Control with CDN=varnish', async () => {
    const res = await get(varnish, '/brand/app.css')
    expect(cdnHeaders(res)).toEqual({ cdn: DAY, surrogate: DAY })
  })

  it('is repeated on a 304, like Cache-Control', async () => {
    const first = await get(varnish, '/brand/app.css')
    const again = await get(varnish, '/brand/app.css', { 'if-none-match': first.headers.get('etag') as string })
    expect(again.status).toBe(304)
    expect(cdnHeaders(again)).toEqual({ cdn: DAY, surrogate: DAY })
  })

  it('is left off a 404 (no-cache) and a 416 (no-store): the CDN must not keep those longer', async () => {
    const missing = await get(varnish, '/brand/missing.css')
    expect(missing.status).toBe(404)
    expect(missing.headers.get('cache-control')).toBe('no-cache')
    expect(cdnHeaders(missing)).toEqual({ cdn: null, surrogate: null })
    const unsatisfiable = await get(varnish, '/brand/app.css', { range: 'bytes=999-' })
    expect(unsatisfiable.status).toBe(416)
    expect(unsatisfiable.headers.get('cache-control')).toBe('no-store')
    expect(cdnHeaders(unsatisfiable)).toEqual({ cdn: null, surrogate: null })
  })

  it('is capped, in both headers, at what a signed URL has left; an unsigned refusal carries neither', async () => {
    const minted = await varnish.admin('POST', '/sign', { path: '/paid/doc.txt', expiresInSeconds: 120, query: {} })
    const { url } = (await minted.json()) as { url: string }
    const res = await get(varnish, url)
    expect(res.status).toBe(200)
    for (const value of Object.values(cdnHeaders(res))) {
      const seconds = Number(/max-age=(\d+)/.exec(value ?? '')?.[1])
      expect(seconds).toBeGreaterThan(100)
      expect(seconds).toBeLessThanOrEqual(120)
    }
    const unsigned = await get(varnish, '/paid/doc.txt')
    expect(unsigned.status).toBe(403)
    expect(cdnHeaders(unsigned)).toEqual({ cdn: null, surrogate: null })
  })
})

describe('cdnCacheControl through the admin API', () => {
  it('defaults to null and then sends neither header', async () => {
    const folder = await createFolder(varnish, '/none/', { origins: [] })
    expect(folder.policy.cdnCacheControl).toBeNull()
    varnish.writeAsset('none/a.txt', 'a')
    expect(cdnHeaders(await get(varnish, '/none/a.txt'))).toEqual({ cdn: null, surrogate: null })
  })

  it('PATCH changes it and PATCH null removes it, live on the public side', async () => {
    const id = ids.get(varnish) as number
    const patched = await varnish.admin('PATCH', `/folders/${id}`, { cdnCacheControl: 'max-age=7200' })
    expect(patched.status).toBe(200)
    expect(((await patched.json()) as { policy: { cdnCacheControl: unknown } }).policy.cdnCacheControl).toBe('max-age=7200')
    expect(cdnHeaders(await get(varnish, '/brand/app.css'))).toEqual({ cdn: 'max-age=7200', surrogate: 'max-age=7200' })
    expect((await varnish.admin('PATCH', `/folders/${id}`, { cdnCacheControl: null })).status).toBe(200)
    expect(cdnHeaders(await get(varnish, '/brand/app.css'))).toEqual({ cdn: null, surrogate: null })
  })

  it('PUT sets it as part of the whole policy', async () => {
    const id = ids.get(plain) as number
    const res = await plain.admin('PUT', `/folders/${id}`, { policy: { origins: [], cdnCacheControl: 's-maxage=600' } })
    expect(res.status).toBe(200)
    expect(cdnHeaders(await get(plain, '/brand/app.css')).cdn).toBe('s-maxage=600')
    const read = await plain.admin('GET', `/folders/${id}`)
    expect(((await read.json()) as { policy: { cdnCacheControl: unknown } }).policy.cdnCacheControl).toBe('s-maxage=600')
  })

  it.each([[''], ['   '], ['max-age=1\r\nX-Evil: 1'], [42]])('refuses %j with 422 naming the field', async (value) => {
    const res = await plain.admin('PATCH', `/folders/${ids.get(plain) as number}`, { cdnCacheControl: value })
    expect(res.status).toBe(422)
    const fields = ((await res.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)
    expect([...new Set(fields)]).toEqual(['cdnCacheControl'])
  })
})
