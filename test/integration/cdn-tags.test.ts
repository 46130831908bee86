/**
 * Cache tags on the public answers a CDN may store: the tags of the answered
 * path, in the configured CDN's header; none on refusals a CDN never stores,
 * and no header at all without a CDN.
 */
import { responseTags } from '../../src/cdn/tags'
import { photoJpeg } from '../fixtures/images/generate'
import { createFolder, startTestCrossport, type TestCrossport } from '../helpers/crossport'

let cp: TestCrossport
let plain: TestCrossport

/** Fastly's header and separator: `Surrogate-Key`, space-separated. */
const surrogateKeys = (path: string) => responseTags(path).join(' ')

beforeAll(async () => {
  const assets = { 'brand/app.css': 'body{}', 'brand/app.css.br': 'br-bytes', 'brand/hero.jpg': await photoJpeg(320, 240), 'strict/a.txt': 'a' }
  const cdnEnv = { CDN: 'fastly', CDN_API_TOKEN: 'token', CDN_SERVICE_ID: 'svc', CDN_API_URL: 'http://127.0.0.1:9/' }
  cp = await startTestCrossport({ assets, env: cdnEnv })
  plain = await startTestCrossport({ assets })
  for (const t of [cp, plain]) {
    await createFolder(t, '/brand/', { origins: ['https://shop.example'], cacheControl: 'public, max-age=600' })
    await createFolder(t, '/strict/', { origins: ['https://shop.example'], mode: 'strict' })
  }
})

afterAll(async () => {
  await Promise.all([cp.close(), plain.close()])
})

const shop = { origin: 'https://shop.example' }

describe('with CDN=fastly every storable answer carries its path’s tags in Surrogate-Key', () => {
  it.each([
    ['an asset, allowed origin', '/brand/app.css', { ...shop } as Record<string, string>, 200],
    ['an asset, no Origin', '/brand/app.css', {}, 200],
    ['an asset, refused origin (the CDN keeps the answer without ACAO)', '/brand/app.css', { origin: 'https://evil.example' }, 200],
    ['its br encoding', '/brand/app.css', { 'accept-encoding': 'br' }, 200],
    ['a derivative (tagged by its source’s path)', '/brand/hero.jpg?w=64', {}, 200],
    ['a missing file', '/brand/missing.css', {}, 404],
    ['a folder path', '/brand/', {}, 404],
  ])('%s', async (_name, url, headers, status) => {
    const res = await fetch(`${cp.publicUrl}${url}`, { headers })
    expect(res.status).toBe(status)
    expect(res.headers.get('surrogate-key')).toBe(surrogateKeys(url.split('?')[0] as string))
    if (headers['accept-encoding'] === 'br') expect(res.headers.get('content-encoding')).toBe('br')
  })

  it('a 304 repeats them', async () => {
    const first = await fetch(`${cp.publicUrl}/brand/app.css`)
    const again = await fetch(`${cp.publicUrl}/brand/app.css`, { headers: { 'if-none-match': first.headers.get('etag') as string } })
    expect(again.status).toBe(304)
    expect(again.headers.get('surrogate-key')).toBe(surrogateKeys('/brand/app.css'))
  })

  it('a preflight and a plain OPTIONS', async () => {
    const preflight = await fetch(`${cp.publicUrl}/brand/app.css`, { method: 'OPTIONS', headers: { ...shop, 'access-control-request-method': 'GET' } })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('surrogate-key')).toBe(surrogateKeys('/brand/app.css'))
    const options = await fetch(`${cp.publicUrl}/brand/app.css`, { method: 'OPTIONS' })
    expect(options.headers.get('surrogate-key')).toBe(surrogateKeys('/brand/app.css'))
  })

  it('a no-store refusal carries none: no CDN keeps it, so nothing has to purge it', async () => {
    const refused = await fetch(`${cp.publicUrl}/strict/a.txt`, { headers: { origin: 'https://evil.example' } })
    expect(refused.status).toBe(403)
    expect(refused.headers.get('cache-control')).toBe('no-store')
    expect(refused.headers.get('surrogate-key')).toBeNull()
  })
})

describe('with CDN=none (the default) the answers are as before', () => {
  it('no tag header of any CDN, and otherwise the same headers', async () => {
    for (const url of ['/brand/app.css', '/brand/missing.css', '/brand/hero.jpg?w=64']) {
      const [tagged, untagged] = await Promise.all([cp, plain].map((t) => fetch(`${t.publicUrl}${url}`, { headers: shop })))
      const names = (res: Response | undefined) => [...(res as Response).headers.keys()].filter((n) => n !== 'date').sort()
      expect(names(untagged)).toEqual(names(tagged).filter((n) => n !== 'surrogate-key'))
      for (const header of ['xkey', 'surrogate-key', 'cache-tag', 'cdn-tag', 'edge-cache-tag']) expect(untagged?.headers.get(header)).toBeNull()
    }
  })
})
