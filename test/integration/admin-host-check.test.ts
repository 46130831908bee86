import { startTestCrossport, type TestCrossport } from '../helpers/crossport'
import { rawRequest } from '../helpers/raw-http'

const METRICS_TOKEN = 'metrics-scrape-token-0123456789'
const MISDIRECTED = 'https://crossport.dev/problems/misdirected-request'

describe('the admin listener answers only its own Host names', () => {
  let cp: TestCrossport
  let port: string
  const get = (path: string, host: string, headers: Record<string, string> = {}) =>
    rawRequest(cp.adminUrl, `GET ${path} HTTP/1.1`, { Host: host, Authorization: `Bearer ${cp.token}`, ...headers })

  beforeAll(async () => {
    cp = await startTestCrossport({ env: { ADMIN_ALLOWED_HOSTS: 'admin.example' } })
    port = new URL(cp.adminUrl).port
  })
  afterAll(() => cp.close())

  it.each(['/admin/v1/folders', '/metrics', '/admin/', '/admin/v1/openapi.json'])(
    'answers %s for a DNS-rebinding Host with 421 problem+json, token or not',
    async (path) => {
      const res = await get(path, `evil.example:${port}`)
      expect(res.status).toBe(421)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(JSON.parse(res.body)).toMatchObject({ type: MISDIRECTED, status: 421 })
      // Nothing of what the page wanted to read.
      expect(res.body).not.toContain('crossport_')
    },
  )

  it('refuses a request with an empty Host, or none at all (HTTP/1.0)', async () => {
    expect((await rawRequest(cp.adminUrl, 'GET /metrics HTTP/1.1', { Host: '' })).status).toBe(421)
    expect((await rawRequest(cp.adminUrl, 'GET /metrics HTTP/1.0', { Host: undefined })).status).toBe(421)
  })

  it.each(['localhost', '127.0.0.1', '[::1]', 'admin.example', 'ADMIN.example.'])('answers Host %s on any port', async (name) => {
    for (const host of [`${name}:${port}`, name]) {
      const res = await get('/admin/v1/folders', host)
      expect(res.status).toBe(200)
    }
  })
})

describe('METRICS_TOKEN', () => {
  let cp: TestCrossport
  let readToken: string
  const scrape = (authorization?: string) =>
    rawRequest(cp.adminUrl, 'GET /metrics HTTP/1.1', authorization === undefined ? {} : { Authorization: authorization })

  beforeAll(async () => {
    cp = await startTestCrossport({ env: { METRICS_TOKEN } })
    const created = await cp.admin('POST', '/tokens', { name: 'reader', scope: 'read' })
    readToken = ((await created.json()) as { token: string }).token
  })
  afterAll(() => cp.close())

  it('answers /metrics without the token with 401 and WWW-Authenticate', async () => {
    const res = await scrape()
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /)
    expect(res.body).not.toContain('crossport_')
  })

  it('answers /metrics with a wrong token with 401', async () => {
    expect((await scrape(`Bearer ${METRICS_TOKEN}x`)).status).toBe(401)
    expect((await scrape(`Bearer ${METRICS_TOKEN.slice(0, -1)}`)).status).toBe(401)
  })

  it('serves /metrics with the metrics token', async () => {
    const res = await scrape(`Bearer ${METRICS_TOKEN}`)
    expect(res.status).toBe(200)
    expect(res.body).toContain('crossport_http_requests_total')
  })

  it('serves /metrics with any admin token, read scope included', async () => {
    expect((await scrape(`Bearer ${readToken}`)).status).toBe(200)
    expect((await scrape(`Bearer ${cp.token}`)).status).toBe(200)
  })

  it('does not let the metrics token into the admin API', async () => {
    const res = await cp.admin('GET', '/folders', undefined, METRICS_TOKEN)
    expect(res.status).toBe(401)
  })
})

describe('without METRICS_TOKEN', () => {
  let cp: TestCrossport
  beforeAll(async () => {
    cp = await startTestCrossport()
  })
  afterAll(() => cp.close())

  it('serves /metrics without a token (loopback Host)', async () => {
    const res = await fetch(`${cp.adminUrl}/metrics`)
    expect(res.status).toBe(200)
  })
})

describe('ADMIN_ON_MAIN with ADMIN_ALLOWED_HOSTS', () => {
  let cp: TestCrossport
  beforeAll(async () => {
    cp = await startTestCrossport({ env: { ADMIN_ON_MAIN: 'true', ADMIN_ALLOWED_HOSTS: 'admin.example' }, assets: { 'app.css': 'a{}' } })
  })
  afterAll(() => cp.close())

  it('checks the Host of /admin/ requests only: assets answer every Host', async () => {
    const api = await rawRequest(cp.publicUrl, 'GET /admin/v1/openapi.json HTTP/1.1', { Host: 'cdn.example' })
    expect(api.status).toBe(421)
    const allowed = await rawRequest(cp.publicUrl, 'GET /admin/v1/openapi.json HTTP/1.1', { Host: 'admin.example' })
    expect(allowed.status).toBe(200)
    const asset = await rawRequest(cp.publicUrl, 'GET /app.css HTTP/1.1', { Host: 'cdn.example' })
    expect(asset.status).toBe(200)
    expect(asset.body).toBe('a{}')
  })
})
