import { startTestCrossport, type TestCrossport } from '../helpers/crossport'
import { rawRequest } from '../helpers/raw-http'

// RFC 9112 §3.2.2: a server MUST accept absolute-form request targets.
describe('absolute-form request targets', () => {
  let cp: TestCrossport

  beforeAll(async () => {
    cp = await startTestCrossport({ assets: { 'demo/a.css': 'body{color:red}', '.env': 'SECRET=1' } })
  })
  afterAll(() => cp.close())

  describe('on the public listener', () => {
    it('serves the path of the target, with the same answer as the origin form', async () => {
      const origin = await rawRequest(cp.publicUrl, 'GET /demo/a.css?v=1 HTTP/1.1')
      for (const target of ['http://cdn.example/demo/a.css?v=1', 'HTTPS://CDN.EXAMPLE:8443/demo/a.css?v=1']) {
        const res = await rawRequest(cp.publicUrl, `GET ${target} HTTP/1.1`, { Host: 'ignored.example' })
        expect(res.status).toBe(200)
        expect(res.body).toBe('body{color:red}')
        expect(res.headers.etag).toBe(origin.headers.etag)
        expect(res.headers['content-type']).toBe(origin.headers['content-type'])
      }
    })

    it('answers /healthz in absolute form too', async () => {
      expect((await rawRequest(cp.publicUrl, 'GET http://cdn.example/healthz HTTP/1.1')).status).toBe(200)
    })

    it.each([
      ['http://cdn.example/../etc/passwd', 400],
      ['http://cdn.example/demo/../../etc/passwd', 400],
      ['http://cdn.example/demo/%2e%2e/%2e%2e/etc/passwd', 400],
      ['http://cdn.example/demo%2F..%2F..%2Fetc%2Fpasswd', 400],
      ['http://cdn.example//etc/passwd', 400],
      ['http://cdn.example/%00', 400],
      ['http://cdn.example/.env', 404],
      ['http://cdn.example/%2eenv', 404],
      ['http://user@cdn.example/demo/a.css', 400],
      ['http:///demo/a.css', 400],
      ['ftp://cdn.example/demo/a.css', 400],
    ])('keeps every path rule: %s answers %i', async (target, status) => {
      const res = await rawRequest(cp.publicUrl, `GET ${target} HTTP/1.1`)
      expect(res.status).toBe(status)
      expect(res.body).not.toContain('SECRET')
    })
  })

  describe('on the admin listener', () => {
    const auth = () => ({ Authorization: `Bearer ${cp.token}` })

    it('serves the API for a target naming an allowed host, whatever the Host header says', async () => {
      const res = await rawRequest(cp.adminUrl, 'GET http://127.0.0.1/admin/v1/folders HTTP/1.1', { ...auth(), Host: 'evil.example' })
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body)).toHaveProperty('items')
    })

    it("checks the target's host, not the Host header (RFC 9112 §3.2.2)", async () => {
      const res = await rawRequest(cp.adminUrl, 'GET http://evil.example/admin/v1/folders HTTP/1.1', { ...auth(), Host: '127.0.0.1' })
      expect(res.status).toBe(421)
    })
  })
})
