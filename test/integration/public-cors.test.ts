/**
 * CORS answers of the public listener end to end: allowed,
 * refused, wildcard, credentials, preflights, strict mode, and the CORS
 * headers on 304/412/404 and on image derivatives, on both stores.
 */
import sharp from 'sharp'
import { DEFAULT_POLICY, type Policy } from '../../src/policy/types'
import { FolderRepo } from '../../src/db/folder-repo'
import { describeEachDatabase } from '../helpers/each-database'
import { describeEachStore, type StoreCrossport } from '../helpers/each-store'

const SITE_A = 'https://site-a.example'
const SITE_B = 'https://site-b.example'
const EVIL = 'https://evil.example'

const policy = (overrides: Partial<Policy>): Policy => ({ ...DEFAULT_POLICY, origins: [], ...overrides })

describeEachDatabase('CORS', (database) => describeEachStore('on the public listener', (store) => {
  let cp: StoreCrossport

  beforeAll(async () => {
    const jpeg = await sharp({ create: { width: 320, height: 200, channels: 3, background: { r: 200, g: 30, b: 60 } } }).jpeg().toBuffer()
    cp = await store.start({
      env: await database.env(),
      assets: {
        'public/app.css': 'body{}',
        'public/photo.jpg': jpeg,
        'private/app.css': 'p{}',
        'open/app.css': 'o{}',
        'creds/app.css': 'c{}',
        'strict/app.css': 's{}',
        'root.css': 'r{}',
      },
    })
    const folders = new FolderRepo(cp.running.context.db)
    await folders.create('/public/', policy({ origins: [SITE_A, SITE_B], cacheControl: 'public, max-age=60' }))
    await folders.create('/private/', policy({ origins: [SITE_A] }))
    await folders.create('/open/', policy({ origins: ['*'] }))
    await folders.create('/creds/', policy({ origins: [SITE_A], credentials: true }))
    await folders.create('/strict/', policy({ origins: [SITE_A], mode: 'strict' }))
    await cp.running.context.policies.invalidate()
  })

  afterAll(() => cp.close())

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${cp.publicUrl}${path}`, { headers })
  const varyOf = (res: Response) => (res.headers.get('vary') ?? '').toLowerCase()

  describe('simple requests', () => {
    it('answers an allowed origin with its exact ACAO, Vary: Origin and CORP', async () => {
      const res = await get('/public/app.css', { origin: SITE_B })
      expect(res.status).toBe(200)
      expect(res.headers.get('access-control-allow-origin')).toBe(SITE_B)
      expect(varyOf(res)).toContain('origin')
      expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('cache-control')).toBe('public, max-age=60')
    })

    it('serves a refused origin in cors mode without ACAO, still with Vary: Origin', async () => {
      const res = await get('/private/app.css', { origin: SITE_B })
      expect(res.status).toBe(200)
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
      expect(varyOf(res)).toContain('origin')
    })

    it('answers * on a wildcard folder', async () => {
      const res = await get('/open/app.css', { origin: EVIL })
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
    })

    it('answers credentials with the exact origin and Allow-Credentials', async () => {
      const res = await get('/creds/app.css', { origin: SITE_A })
      expect(res.headers.get('access-control-allow-origin')).toBe(SITE_A)
      expect(res.headers.get('access-control-allow-credentials')).toBe('true')
    })

    it('gives nothing cross-origin under / by default', async () => {
      const res = await get('/root.css', { origin: SITE_A })
      expect(res.status).toBe(200)
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
    })

    it('puts the CORS headers and Vary on a 404', async () => {
      const res = await get('/public/missing.css', { origin: SITE_A })
      expect(res.status).toBe(404)
      expect(res.headers.get('access-control-allow-origin')).toBe(SITE_A)
      expect(varyOf(res)).toContain('origin')
    })
  })

  describe('conditional answers keep CORS', () => {
    it('keeps ACAO and Vary on 304', async () => {
      const first = await get('/public/app.css', { origin: SITE_A })
      const res = await get('/public/app.css', { origin: SITE_A, 'if-none-match': first.headers.get('etag') as string })
      expect(res.status).toBe(304)
      expect(res.headers.get('access-control-allow-origin')).toBe(SITE_A)
      expect(varyOf(res)).toContain('origin')
      expect(res.headers.get('etag')).toBe(first.headers.get('etag'))
    })

    it('keeps ACAO and Vary on 412', async () => {
      const res = await get('/public/app.css', { origin: SITE_A, 'if-match': '"nope"' })
      expect(res.status).toBe(412)
      expect(res.headers.get('access-control-allow-origin')).toBe(SITE_A)
      expect(varyOf(res)).toContain('origin')
    })

    it('keeps ACAO on 206 and 416', async () => {
      const partial = await get('/public/app.css', { origin: SITE_A, range: 'bytes=0-1' })
      expect(partial.status).toBe(206)
      expect(partial.headers.get('access-control-allow-origin')).toBe(SITE_A)
      const unsatisfiable = await get('/public/app.css', { origin: SITE_A, range: 'bytes=100-' })
      expect(unsatisfiable.status).toBe(416)
      expect(unsatisfiable.headers.get('access-control-allow-origin')).toBe(SITE_A)
    })
  })

  describe('preflights', () => {
    const preflight = (path: string, origin: string) =>
      fetch(`${cp.publicUrl}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } })

    it('answers an allowed preflight with 204, the origin, methods and max-age', async () => {
      const res = await preflight('/public/app.css', SITE_A)
      expect(res.status).toBe(204)
      expect(res.headers.get('access-control-allow-origin')).toBe(SITE_A)
      expect(res.headers.get('access-control-allow-methods')).toMatch(/GET/)
      expect(res.headers.get('access-control-max-age')).toBe('600')
      expect(varyOf(res)).toContain('origin')
    })

    it('answers a refused preflight with 403 and no CORS headers', async () => {
      const res = await preflight('/private/app.css', SITE_B)
      expect(res.status).toBe(403)
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
    })

    it('answers a preflight without asking the file system (no file needed)', async () => {
      expect((await preflight('/public/not-there-yet.css', SITE_A)).status).toBe(204)
    })

    it('answers a plain OPTIONS with 204 and Allow', async () => {
      const res = await fetch(`${cp.publicUrl}/public/app.css`, { method: 'OPTIONS' })
      expect(res.status).toBe(204)
      expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS')
    })
  })

  describe('strict mode', () => {
    it('refuses a foreign origin with 403, no-store and Vary', async () => {
      const res = await get('/strict/app.css', { origin: EVIL })
      expect(res.status).toBe(403)
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(varyOf(res)).toContain('origin')
      expect(await res.text()).toBe('')
    })

    it('serves the allowed origin', async () => {
      expect((await get('/strict/app.css', { origin: SITE_A })).status).toBe(200)
    })

    it('serves direct navigation without Origin, Referer or Sec-Fetch-Site', async () => {
      expect((await get('/strict/app.css')).status).toBe(200)
    })
  })

  describe('a policy change', () => {
    it('is in force on the next request', async () => {
      const folders = new FolderRepo(cp.running.context.db)
      const folder = await folders.findByPath('/private/')
      expect(folder).toBeDefined()
      expect((await get('/private/app.css', { origin: SITE_B })).headers.get('access-control-allow-origin')).toBeNull()
      await folders.addOrigin(folder!.id, SITE_B)
      await cp.running.context.policies.invalidate()
      expect((await get('/private/app.css', { origin: SITE_B })).headers.get('access-control-allow-origin')).toBe(SITE_B)
      await folders.removeOrigin(folder!.id, SITE_B)
      await cp.running.context.policies.invalidate()
    })
  })

  describe('image derivatives', () => {
    it('refuses a refused origin with 403 no-store before rendering', async () => {
      const res = await get('/public/photo.jpg?w=64', { origin: EVIL })
      expect(res.status).toBe(403)
      expect(res.headers.get('cache-control')).toBe('no-store')
    })

    it('serves a derivative with CORS, validators and ranges like any asset', async () => {
      const res = await get('/public/photo.jpg?w=64&fmt=webp', { origin: SITE_A })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('image/webp')
      expect(res.headers.get('access-control-allow-origin')).toBe(SITE_A)
      expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/)
      const body = Buffer.from(await res.arrayBuffer())
      expect((await sharp(body).metadata()).width).toBe(64)
      const again = await get('/public/photo.jpg?w=64&fmt=webp', { origin: SITE_A, 'if-none-match': res.headers.get('etag') as string })
      expect(again.status).toBe(304)
      const partial = await get('/public/photo.jpg?w=64&fmt=webp', { origin: SITE_A, range: 'bytes=0-3' })
      expect(partial.status).toBe(206)
      expect(Buffer.from(await partial.arrayBuffer()).toString('latin1')).toBe('RIFF')
    })

    it('answers bad image parameters with problem+json carrying CORS headers', async () => {
      const res = await get('/public/photo.jpg?w=abc', { origin: SITE_A })
      expect(res.status).toBeGreaterThanOrEqual(400)
      expect(res.status).toBeLessThan(500)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect(res.headers.get('access-control-allow-origin')).toBe(SITE_A)
      const problem = (await res.json()) as { type: string; title: string; status: number; detail: string }
      expect(problem.status).toBe(res.status)
      expect(problem.type).toMatch(/^https:\/\/crossport\.dev\/problems\//)
    })

    it('serves the original for a non-image with image parameters', async () => {
      const res = await get('/public/app.css?w=64', { origin: SITE_A })
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('body{}')
    })
  })
}))
