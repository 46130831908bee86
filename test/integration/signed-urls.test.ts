/**
 * Signed URLs against a listening server: who needs a signature,
 * every refusal, that a valid signature neither bypasses CORS nor lets a cache
 * keep the answer past its expiry, minting through POST /sign, the `sign`
 * token scope, and explain.
 */
import sharp from 'sharp'
import { signQuery } from '../../src/signing/url-signature'
import { createFolder, startTestCrossport, type TestCrossport } from '../helpers/crossport'
import { photoJpeg } from '../fixtures/images/generate'

const SECRET = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'
const OTHER_SECRET = 'MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE'
const SHOP = 'https://shop.example'
const TEXT = 'members only\n'

let cp: TestCrossport

beforeAll(async () => {
  const photo = await photoJpeg(1000, 750)
  cp = await startTestCrossport({
    env: { URL_SIGNING_KEYS: `k2:${OTHER_SECRET},k1:${SECRET}` },
    assets: {
      'paid/a.jpg': photo,
      'paid/doc.txt': TEXT,
      'paid/app.0123456789abcdef.js': 'console.log(1)\n',
      'open/doc.txt': TEXT,
      'deriv/a.jpg': photo,
      'deriv/doc.txt': TEXT,
    },
  })
  const shared = { origins: [SHOP], mode: 'strict', cacheControl: 'public, max-age=86400' }
  await createFolder(cp, '/paid/', { ...shared, signedUrls: 'required' })
  await createFolder(cp, '/open/', shared)
  await createFolder(cp, '/deriv/', { origins: [SHOP], signedUrls: 'derivatives' })
})

afterAll(async () => {
  await cp.close()
})

async function sign(path: string, query: Record<string, string> = {}, expiresInSeconds = 120, token = cp.token): Promise<Response> {
  return cp.admin('POST', '/sign', { path, expiresInSeconds, query }, token)
}

async function signedUrl(path: string, query: Record<string, string> = {}, expiresInSeconds = 120): Promise<string> {
  const res = await sign(path, query, expiresInSeconds)
  expect(res.status).toBe(200)
  const { url } = (await res.json()) as { url: string }
  return url
}

const get = (url: string, headers: Record<string, string> = {}, method = 'GET') => fetch(cp.publicUrl + url, { method, headers })

async function expectUnsignedRefusal(res: Response): Promise<void> {
  expect(res.status).toBe(403)
  expect(await res.text()).toBe('')
  expect(res.headers.get('cache-control')).toBe('no-store')
  expect(res.headers.get('access-control-allow-origin')).toBeNull()
}

const maxAgeOf = (res: Response) => Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1])

describe('a folder with signedUrls "required"', () => {
  it('answers an unsigned request 403 with an empty body, no-store and the folder’s Vary', async () => {
    const res = await get('/paid/doc.txt', { origin: SHOP })
    await expectUnsignedRefusal(res)
    expect(res.headers.get('vary')).toBe('Origin')
  })

  it('serves a signed request, with the same CORS headers as the same policy without signing', async () => {
    const url = await signedUrl('/paid/doc.txt')
    const signed = await get(url, { origin: SHOP })
    const plain = await get('/open/doc.txt', { origin: SHOP })
    expect(signed.status).toBe(200)
    expect(await signed.text()).toBe(TEXT)
    for (const name of ['access-control-allow-origin', 'access-control-expose-headers', 'timing-allow-origin', 'cross-origin-resource-policy', 'vary']) {
      expect([name, signed.headers.get(name)]).toEqual([name, plain.headers.get(name)])
    }
  })

  it('never lets a cache keep a signed answer past the expiry (max-age capped, immutable dropped)', async () => {
    const res = await get(await signedUrl('/paid/doc.txt', {}, 120))
    expect(res.status).toBe(200)
    expect(maxAgeOf(res)).toBeGreaterThan(100)
    expect(maxAgeOf(res)).toBeLessThanOrEqual(120)
    const fingerprinted = await get(await signedUrl('/paid/app.0123456789abcdef.js', {}, 60))
    expect(fingerprinted.status).toBe(200)
    expect(maxAgeOf(fingerprinted)).toBeLessThanOrEqual(60)
    expect(fingerprinted.headers.get('cache-control')).not.toContain('immutable')
  })

  it('keeps the cap on a 304 and on HEAD', async () => {
    const url = await signedUrl('/paid/doc.txt', {}, 90)
    const first = await get(url)
    const revalidated = await get(url, { 'if-none-match': first.headers.get('etag') ?? '' })
    expect(revalidated.status).toBe(304)
    expect(maxAgeOf(revalidated)).toBeLessThanOrEqual(90)
    const head = await get(url, {}, 'HEAD')
    expect(head.status).toBe(200)
    expect(maxAgeOf(head)).toBeLessThanOrEqual(90)
  })

  it('does not let a valid signature bypass strict mode: a refused site still gets 403', async () => {
    const res = await get(await signedUrl('/paid/doc.txt'), { origin: 'https://evil.example' })
    await expectUnsignedRefusal(res)
  })

  it('answers preflights by the CORS policy alone (a browser cannot sign them)', async () => {
    const res = await get('/paid/doc.txt', { origin: SHOP, 'access-control-request-method': 'GET' }, 'OPTIONS')
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP)
  })

  describe('refuses with 403 no-store', () => {
    const nowSeconds = () => Math.floor(Date.now() / 1000)
    const keys = () => {
      const ring = cp.config.urlSigningKeys
      if (ring === undefined) throw new Error('keys not configured')
      return ring
    }
    it.each<[string, () => Promise<string>]>([
      ['a tampered signature', async () => (await signedUrl('/paid/doc.txt')).replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`)],
      ['another path with a valid signature', async () => (await signedUrl('/paid/doc.txt')).replace('/paid/doc.txt', '/paid/a.jpg')],
      ['a later expiry', async () => (await signedUrl('/paid/doc.txt')).replace(/expires=\d+/, `expires=${nowSeconds() + 99999}`)],
      ['an added parameter', async () => (await signedUrl('/paid/doc.txt')) + '&x=1'],
      ['a malformed signature', async () => (await signedUrl('/paid/doc.txt')).replace(/sig=[^&]+/, 'sig=abc')],
      ['a signature without expiry', async () => (await signedUrl('/paid/doc.txt')).replace(/expires=\d+&/, '')],
      ['an unknown key id', async () => (await signedUrl('/paid/doc.txt')).replace('kid=k2', 'kid=k9')],
      ['an expired URL', async () => `/paid/doc.txt?${signQuery(keys(), '/paid/doc.txt', [], nowSeconds() - 1).query}`],
    ])('for %s', async (_name, makeUrl) => {
      const res = await get(await makeUrl(), { origin: SHOP })
      await expectUnsignedRefusal(res)
      expect(res.headers.get('vary')).toBe('Origin')
    })
  })

  it('verifies a URL signed with the second (older) key, so rotation keeps live URLs working', async () => {
    const ring = cp.config.urlSigningKeys
    const older = ring?.byKid.get('k1')
    if (ring === undefined || older === undefined) throw new Error('keys not configured')
    const query = signQuery({ signer: older, byKid: ring.byKid }, '/paid/doc.txt', [], Math.floor(Date.now() / 1000) + 60).query
    expect(query).toContain('kid=k1')
    expect((await get(`/paid/doc.txt?${query}`)).status).toBe(200)
  })
})

describe('a folder with signedUrls "derivatives"', () => {
  it('serves plain assets without a signature, image or not', async () => {
    expect((await get('/deriv/doc.txt')).status).toBe(200)
    expect((await get('/deriv/a.jpg')).status).toBe(200)
  })

  it('refuses an unsigned request with image parameters', async () => {
    const res = await get('/deriv/a.jpg?w=640', { origin: SHOP })
    await expectUnsignedRefusal(res)
    expect(res.headers.get('vary')).toBe('Origin')
  })

  it('renders a signed derivative, and refuses it requested at another width', async () => {
    const url = await signedUrl('/deriv/a.jpg', { w: '640' })
    const res = await get(url)
    expect(res.status).toBe(200)
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata()
    expect(meta.width).toBe(640)
    expect(maxAgeOf(res)).toBeLessThanOrEqual(120)
    await expectUnsignedRefusal(await get(url.replace('w=640', 'w=384')))
  })

  it('refuses an unsigned request even when that derivative is warm in memory', async () => {
    const url = await signedUrl('/deriv/a.jpg', { w: '256' })
    // Twice: the second answer comes from the in-memory derivative.
    expect((await get(url)).status).toBe(200)
    expect((await get(url)).status).toBe(200)
    await expectUnsignedRefusal(await get('/deriv/a.jpg?w=256'))
    await expectUnsignedRefusal(await get(url.replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`)))
  })
})

describe('POST /admin/v1/sign', () => {
  it('answers 200 with a URL that works and its expiry', async () => {
    const before = Date.now()
    const res = await sign('/paid/doc.txt', {}, 3600)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { url: string; expiresAt: string }
    expect(body.url).toMatch(/^\/paid\/doc\.txt\?expires=\d+&kid=k2&sig=[A-Za-z0-9_-]{43}$/)
    expect(Date.parse(body.expiresAt) - before).toBeGreaterThan(3590_000)
    expect((await get(body.url)).status).toBe(200)
  })

  it.each<[string, Record<string, unknown>, string]>([
    ['a path the public side refuses', { path: '/paid/../x.txt' }, 'path'],
    ['a folder path', { path: '/paid/' }, 'path'],
    ['a path with a query', { path: '/paid/a.jpg?w=640' }, 'path'],
    ['a width outside IMAGE_WIDTHS', { path: '/paid/a.jpg', query: { w: '641' } }, 'query.w'],
    ['a reserved parameter', { path: '/paid/a.jpg', query: { sig: 'x' } }, 'query.sig'],
    ['a non-positive lifetime', { path: '/paid/a.jpg', expiresInSeconds: 0 }, 'expiresInSeconds'],
  ])('answers 422 for %s', async (_name, body, field) => {
    const res = await cp.admin('POST', '/sign', body)
    expect(res.status).toBe(422)
    const problem = (await res.json()) as { errors: { field: string }[] }
    expect(problem.errors.map((e) => e.field)).toContain(field)
  })

  it('lets a sign-scoped token sign and nothing else; a read token cannot sign', async () => {
    const create = async (scope: string) => {
      const res = await cp.admin('POST', '/tokens', { name: `t-${scope}`, scope })
      expect(res.status).toBe(201)
      return ((await res.json()) as { token: string }).token
    }
    const signer = await create('sign')
    const reader = await create('read')
    expect((await sign('/paid/doc.txt', {}, 60, signer)).status).toBe(200)
    expect((await cp.admin('GET', '/folders', undefined, signer)).status).toBe(403)
    expect((await cp.admin('POST', '/tokens', { name: 'x', scope: 'write' }, signer)).status).toBe(403)
    expect((await sign('/paid/doc.txt', {}, 60, reader)).status).toBe(403)
    expect((await cp.admin('GET', '/folders', undefined, reader)).status).toBe(200)
  })
})

describe('the signedUrls policy field', () => {
  it('defaults to "off", can be changed with PATCH and refuses unknown values', async () => {
    const folder = await createFolder(cp, '/fresh/', { origins: [] })
    expect(folder.policy.signedUrls).toBe('off')
    const patched = await cp.admin('PATCH', `/folders/${folder.id}`, { signedUrls: 'required' })
    expect(((await patched.json()) as { policy: { signedUrls: string } }).policy.signedUrls).toBe('required')
    expect((await cp.admin('PATCH', `/folders/${folder.id}`, { signedUrls: 'sometimes' })).status).toBe(422)
  })

  it('is described in the OpenAPI document together with POST /sign and the sign scope', async () => {
    const doc = (await (await cp.admin('GET', '/openapi.json')).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> } }
    expect(doc.paths['/sign']).toBeDefined()
    expect(doc.components.schemas.Policy?.properties.signedUrls?.enum).toEqual(['off', 'derivatives', 'required'])
    expect(doc.components.schemas.CreateToken?.properties.scope?.enum).toContain('sign')
  })
})

describe('explain', () => {
  const explain = async (url: string) => {
    const res = await cp.admin('GET', `/explain?path=${encodeURIComponent(url)}`)
    expect(res.status).toBe(200)
    return (await res.json()) as { status: number; reasons: string[]; signature: { required: boolean; verdict?: string; expiresAt?: string | null } }
  }

  it('reports a valid signature and when it expires', async () => {
    const result = await explain(await signedUrl('/paid/doc.txt'))
    expect(result.status).toBe(200)
    expect(result.signature).toMatchObject({ required: true, verdict: 'valid', expiresAt: expect.any(String) })
  })

  it('reports why a signature fails', async () => {
    const url = await signedUrl('/deriv/a.jpg', { w: '640' })
    const tampered = await explain(url.replace('w=640', 'w=1080'))
    expect(tampered).toMatchObject({ status: 403, signature: { required: true, verdict: 'bad-signature' } })
    const unsigned = await explain('/deriv/a.jpg?w=640')
    expect(unsigned.signature.verdict).toBe('missing')
    expect(unsigned.reasons.join(' ')).toContain('derivatives')
  })

  it('reports an expired signature', async () => {
    const ring = cp.config.urlSigningKeys
    if (ring === undefined) throw new Error('keys not configured')
    const expired = `/paid/doc.txt?${signQuery(ring, '/paid/doc.txt', [], Math.floor(Date.now() / 1000) - 5).query}`
    expect((await explain(expired)).signature.verdict).toBe('expired')
  })

  it('says a plain asset of a "derivatives" folder needs no signature', async () => {
    expect((await explain('/deriv/doc.txt')).signature).toEqual({ required: false })
  })
})
