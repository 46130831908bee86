import { request } from 'node:http'
import { createFolder, startTestCrossport, type TestCrossport } from '../helpers/crossport'
import { rawRequest } from '../helpers/raw-http'

const SHOP = 'https://shop.example'

// Plain JS, shared with the scripts that start a real server.
const { freePort } = require('../../scripts/lib/free-port.js') as { freePort(): Promise<number> }

/** GET with a raw request target, so `/admin/../x` reaches the server unnormalised. */
function rawGet(base: string, target: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  const { hostname, port } = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: target, method: 'GET' }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('ADMIN_ON_MAIN=true: the admin side under /admin/ of the main listener', () => {
  let cp: TestCrossport
  let adminPort: number

  beforeAll(async () => {
    adminPort = await freePort()
    cp = await startTestCrossport({
      env: { ADMIN_ON_MAIN: 'true', ADMIN_PORT: String(adminPort) },
      assets: { 'brand/app.css': 'body{}', 'brand/page.html': '<script>alert(1)</script>', 'metrics': 'an asset named metrics', 'administrator.css': 'a{}', 'admin/x.txt': 'stored under assets/admin/' },
    })
    await createFolder(cp, '/brand/', { origins: [SHOP] })
  })
  afterAll(() => cp.close())

  it('answers the admin API on the main port, with the same authentication', async () => {
    expect(cp.adminUrl).toBe(cp.publicUrl)
    const refused = await fetch(`${cp.publicUrl}/admin/v1/folders`)
    expect(refused.status).toBe(401)
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    const listed = await cp.admin('GET', '/folders')
    expect(listed.status).toBe(200)
    expect(((await listed.json()) as { items: { path: string }[] }).items.map((f) => f.path)).toContain('/brand/')
  })

  it('opens no listener of its own on ADMIN_PORT', async () => {
    await expect(fetch(`http://127.0.0.1:${adminPort}/admin/v1/openapi.json`)).rejects.toThrow()
  })

  it('serves the console at /admin/ and metrics at /admin/metrics, while /metrics stays an asset path', async () => {
    const console = await fetch(`${cp.publicUrl}/admin/`)
    expect(console.status).toBe(200)
    expect(console.headers.get('content-type')).toMatch(/^text\/html/)

    const metrics = await fetch(`${cp.publicUrl}/admin/metrics`)
    expect(metrics.status).toBe(200)
    expect(await metrics.text()).toContain('crossport_http_requests_total')

    const asset = await fetch(`${cp.publicUrl}/metrics`)
    expect(await asset.text()).toBe('an asset named metrics')
  })

  it('leaves paths that only start with "admin" to delivery', async () => {
    const res = await fetch(`${cp.publicUrl}/administrator.css`)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('a{}')
  })

  it('still applies the folder policies to assets, and sandboxes them as documents next to the console', async () => {
    const css = await fetch(`${cp.publicUrl}/brand/app.css`, { headers: { origin: SHOP } })
    expect(css.status).toBe(200)
    expect(css.headers.get('access-control-allow-origin')).toBe(SHOP)
    expect(css.headers.get('content-security-policy')).toBe('sandbox')

    const html = await fetch(`${cp.publicUrl}/brand/page.html`)
    expect(html.headers.get('content-security-policy')).toBe('sandbox')
  })

  it.each(['/%61dmin/x.txt', '/%61%64%6d%69%6e/x.txt', '/%61dmin', '/%61dmin?x', '/admin/x.txt', '/Admin/x.txt', '/%41dmin/x.txt'])(
    'never serves assets/admin/ through %s: the decoded first segment decides',
    async (target) => {
      const res = await rawRequest(cp.publicUrl, `GET ${target} HTTP/1.1`)
      expect(res.status).toBe(404)
      expect(res.body).not.toContain('stored under assets/admin/')
    },
  )

  it('leaves an encoded separator to delivery, which refuses it', async () => {
    expect((await rawRequest(cp.publicUrl, 'GET /admin%2Fx.txt HTTP/1.1')).status).toBe(400)
    expect((await rawRequest(cp.publicUrl, 'GET /%61dmin%2Fx.txt HTTP/1.1')).status).toBe(400)
  })

  it('routes an absolute-form /admin/ target to the admin side', async () => {
    const listed = await rawRequest(cp.publicUrl, `GET http://127.0.0.1/admin/v1/folders HTTP/1.1`, { Authorization: `Bearer ${cp.token}` })
    expect(listed.status).toBe(200)
    expect(listed.body).toContain('/brand/')
    const encoded = await rawRequest(cp.publicUrl, 'GET http://cdn.example/%61dmin/x.txt HTTP/1.1')
    expect(encoded.status).toBe(404)
    expect(encoded.body).not.toContain('stored under assets/admin/')
  })

  it('never lets a dot-segment path reach the admin API from an asset path', async () => {
    const res = await rawGet(cp.publicUrl, '/brand/../admin/v1/folders')
    expect(res.status).not.toBe(200)
  })
})

describe('ADMIN_ON_MAIN unset (the default)', () => {
  let cp: TestCrossport
  beforeAll(async () => {
    cp = await startTestCrossport({ assets: { 'brand/app.css': 'body{}' } })
  })
  afterAll(() => cp.close())

  it('keeps the admin API off the main listener and sends no sandbox CSP on plain assets', async () => {
    expect(cp.adminUrl).not.toBe(cp.publicUrl)
    const res = await fetch(`${cp.publicUrl}/admin/v1/folders`, { headers: { authorization: `Bearer ${cp.token}` } })
    expect(res.status).toBe(404)
    const css = await fetch(`${cp.publicUrl}/brand/app.css`)
    expect(css.headers.get('content-security-policy')).toBeNull()
  })
})

describe('ADMIN_ON_MAIN=true with WORKERS=2 (real processes)', () => {
  // The operations scripts' launcher (CommonJS, shared with scripts/): `node dist/main.js` in a temp
  // folder, on free loopback ports.
  const { spawnCrossport, ADMIN_TOKEN } = require('../../scripts/lib/spawn-crossport.js') as {
    spawnCrossport(options: { assets?: Record<string, string>; env?: Record<string, string> }): Promise<{ publicUrl: string; stop(): Promise<number | null> }>
    ADMIN_TOKEN: string
  }
  let server: { publicUrl: string; stop(): Promise<number | null> }
  const auth = () => ({ authorization: `Bearer ${ADMIN_TOKEN}` })

  /** On a new connection each time, so the cluster spreads the requests over both workers. */
  const freshGet = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; acao: string | undefined; body: string }>((resolve, reject) => {
      const { hostname, port } = new URL(server.publicUrl)
      const req = request({ host: hostname, port, path, headers, agent: false }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, acao: res.headers['access-control-allow-origin'] as string | undefined, body }))
      })
      req.on('error', reject)
      req.end()
    })

  beforeAll(async () => {
    // A long file-cache TTL: a worker that missed a change would keep serving the old bytes for a minute.
    server = await spawnCrossport({
      assets: { 'brand/app.css': 'old{}' },
      env: { WORKERS: '2', ADMIN_ON_MAIN: 'true', FILE_CACHE_TTL_MS: '60000' },
    })
  }, 60_000)
  afterAll(() => server.stop())

  it('passes a change made through one worker to the other at once, and reports metrics for both', async () => {
    const created = await fetch(`${server.publicUrl}/admin/v1/folders`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/brand/', policy: { origins: [SHOP] } }),
    })
    expect(created.status).toBe(201)

    const warm = await Promise.all(Array.from({ length: 20 }, () => freshGet('/brand/app.css', { origin: SHOP })))
    expect(warm.every((r) => r.status === 200 && r.body === 'old{}' && r.acao === SHOP)).toBe(true)

    const uploaded = await fetch(`${server.publicUrl}/admin/v1/assets/brand/app.css`, { method: 'PUT', headers: auth(), body: 'new{}' })
    expect(uploaded.status).toBe(200)
    const after = await Promise.all(Array.from({ length: 20 }, () => freshGet('/brand/app.css', { origin: SHOP })))
    expect(after.map((r) => r.body)).toEqual(Array.from({ length: 20 }, () => 'new{}'))

    const metrics = await (await fetch(`${server.publicUrl}/admin/metrics`)).text()
    const served = [...metrics.matchAll(/^crossport_http_requests_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0)
    // Both workers' requests, not only those of the worker that answered the scrape.
    expect(served).toBeGreaterThanOrEqual(40)
  }, 30_000)
})
