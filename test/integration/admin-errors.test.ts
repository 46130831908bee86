import { createAdminRouter } from '../../src/admin/router'
import { ROUTE_QUERIES } from '../../src/admin/schemas/queries'
import { TEST_ADMIN_TOKEN, type TestCrossport } from '../helpers/crossport'
import { describeEachDatabase } from '../helpers/each-database'

describeEachDatabase('admin errors', (database) => {
  interface ProblemJson {
    type: string
    title: string
    status: number
    detail: string
    errors?: { field: string; message: string }[]
  }

  let cp: TestCrossport

  beforeAll(async () => {
    cp = await database.start({ env: { ADMIN_BODY_LIMIT_BYTES: '2048' } })
  })

  afterAll(async () => {
    await cp.close()
  })

  async function expectProblem(res: Response, status: number): Promise<ProblemJson> {
    expect(res.status).toBe(status)
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    const problem = (await res.json()) as ProblemJson
    expect(problem).toEqual(
      expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) }),
    )
    return problem
  }

  const raw = (method: string, path: string, body: string | Buffer, contentType: string | undefined) =>
    fetch(`${cp.adminUrl}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(contentType ? { 'content-type': contentType } : {}) },
      body,
    })

  describe('invalid bodies', () => {
    it('answers 422 naming an unknown field', async () => {
      const problem = await expectProblem(await cp.admin('POST', '/folders', { path: '/x/', policy: { origins: [], colour: 'red' } }), 422)
      expect(problem.errors).toEqual([{ field: 'policy.colour', message: 'unknown field' }])
      expect(problem.detail).toContain('policy.colour')
    })

    it.each([['shop.example'], ['https://shop.example/path'], ['javascript:alert(1)'], ['*.example'], ['https://*.'], ['https://*.co.uk']])(
      'answers 422 naming policy.origins.0 with the reason for the origin %s',
      async (origin) => {
        const problem = await expectProblem(await cp.admin('POST', '/folders', { path: '/bad-origin/', policy: { origins: [origin] } }), 422)
        expect(problem.errors?.[0]?.field).toBe('policy.origins.0')
        expect(problem.detail).toContain('policy.origins.0')
        expect(problem.detail).toContain(problem.errors?.[0]?.message ?? '(none)')
      },
    )

    it('names the second origin when only it is invalid', async () => {
      const problem = await expectProblem(
        await cp.admin('POST', '/folders', { path: '/bad-origin/', policy: { origins: ['https://ok.example', 'ftp://x.example'] } }),
        422,
      )
      expect(problem.errors?.map((e) => e.field)).toEqual(['policy.origins.1'])
    })

    it.each([
      [{ path: 7, policy: { origins: [] } }, 'path'],
      [{ path: '/x/', policy: { origins: [], maxAge: '600' } }, 'policy.maxAge'],
      [{ path: '/x/', policy: { origins: [], credentials: 'yes' } }, 'policy.credentials'],
      [{ path: '/x/', policy: { origins: [], methods: 'GET' } }, 'policy.methods'],
      [{ path: '/x/', policy: { origins: [], mode: 'loose' } }, 'policy.mode'],
      [{ path: '/x/', policy: { origins: [], maxAge: 100000 } }, 'policy.maxAge'],
      [{ path: '/x/' }, 'policy'],
    ])('answers 422 for a wrong type or value: %j', async (body, field) => {
      const problem = await expectProblem(await cp.admin('POST', '/folders', body), 422)
      expect(problem.errors?.map((e) => e.field)).toContain(field)
    })

    it('refuses credentials with the * origin, saying Fetch forbids it', async () => {
      const problem = await expectProblem(await cp.admin('POST', '/folders', { path: '/x/', policy: { origins: ['*'], credentials: true } }), 422)
      expect(problem.errors?.[0]?.field).toBe('policy.credentials')
      expect(problem.detail).toMatch(/Fetch/)
    })

    it('answers 400 for a body that is not JSON', async () => {
      const problem = await expectProblem(await raw('POST', '/folders', '{"path": "/x/",', 'application/json'), 400)
      expect(problem.type).toContain('invalid-json')
    })

    it.each([['[1,2]'], ['"text"'], ['null'], ['42']])('answers 400 for the JSON value %s, which is not an object', async (body) => {
      await expectProblem(await raw('POST', '/folders', body, 'application/json'), 400)
    })

    it('answers 400 for a write without a body', async () => {
      await expectProblem(await cp.admin('POST', '/folders'), 400)
    })

    it.each([['text/plain'], ['application/x-www-form-urlencoded'], [undefined]])('answers 415 for Content-Type %s', async (type) => {
      await expectProblem(await raw('POST', '/folders', JSON.stringify({ path: '/x/', policy: { origins: [] } }), type), 415)
    })

    it('answers 415 for JSON in another charset', async () => {
      await expectProblem(await raw('POST', '/folders', '{}', 'application/json; charset=utf-16'), 415)
    })

    it('accepts application/json with charset=utf-8', async () => {
      const res = await raw('POST', '/folders', JSON.stringify({ path: '/charset/', policy: { origins: [] } }), 'application/json; charset=utf-8')
      expect(res.status).toBe(201)
    })

    it('answers 413 for a body over the limit', async () => {
      const origins = Array.from({ length: 200 }, (_, i) => `https://site${i}.example`)
      const problem = await expectProblem(await cp.admin('POST', '/folders', { path: '/big/', policy: { origins } }), 413)
      expect(problem.detail).toContain('2048')
    })

    it('answers 413 for a chunked body over the limit, counting what arrives', async () => {
      const chunks = [Buffer.alloc(1500, 0x20), Buffer.alloc(1500, 0x20)]
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk)
          controller.close()
        },
      })
      const res = await fetch(`${cp.adminUrl}/admin/v1/folders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit & { duplex: 'half' })
      await expectProblem(res, 413)
    })
  })

  describe('routing errors', () => {
    it('answers 404 problem for an unknown route', async () => {
      await expectProblem(await cp.admin('GET', '/nothing-here'), 404)
    })

    it('answers 405 problem with Allow for a known path and another method', async () => {
      const res = await cp.admin('PATCH', '/tokens', {})
      await expectProblem(res, 405)
      expect(res.headers.get('allow')).toEqual(expect.stringContaining('GET'))
      expect(res.headers.get('allow')).toEqual(expect.stringContaining('POST'))
    })

    it('never lets a cache keep API answers', async () => {
      const res = await cp.admin('GET', '/folders')
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    })
  })

  describe('GET /openapi.json', () => {
    it('serves an OpenAPI 3.1 document without a token, describing every route', async () => {
      const res = await fetch(`${cp.adminUrl}/admin/v1/openapi.json`)
      expect(res.status).toBe(200)
      const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> }
      expect(doc.openapi).toBe('3.1.0')
      expect(Object.keys(doc.paths).sort()).toEqual(
        [
          '/assets',
          '/assets/{path}',
          '/audit',
          '/explain',
          '/folders',
          '/folders/{id}',
          '/folders/{id}/origins',
          '/folders/{id}/origins/{origin}',
          '/openapi.json',
          '/purge',
          '/purges',
          '/sign',
          '/tokens',
          '/tokens/{id}',
          '/whoami',
        ].sort(),
      )
      expect(Object.keys(doc.paths['/folders/{id}'] ?? {})).toEqual(expect.arrayContaining(['get', 'put', 'patch', 'delete']))
    })

    it('lists for each operation the errors it can return, and only those', async () => {
      const res = await fetch(`${cp.adminUrl}/admin/v1/openapi.json`)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      type Operation = { responses: Record<string, { description: string }> }
      const doc = JSON.parse(await res.text()) as { paths: Record<string, Record<string, Operation>> }
      const responses = (path: string, method: string) => doc.paths[path]?.[method]?.responses ?? {}

      const upload415 = responses('/assets/{path}', 'put')['415']?.description
      expect(upload415).toMatch(/does not match its media type/)
      expect(upload415).toMatch(/magic number/)
      expect(upload415).toMatch(/Content-Encoding/)
      expect(responses('/assets', 'get')['422']?.description).toMatch(/prefix.*limit.*cursor/)

      // Without a body, a DELETE can never be refused for one.
      const deletes = Object.entries(doc.paths).filter(([, operations]) => operations.delete !== undefined)
      expect(deletes.length).toBeGreaterThanOrEqual(4)
      for (const [path] of deletes) {
        const codes = responses(path, 'delete')
        expect({ path, codes: Object.keys(codes).filter((code) => code === '413' || code === '415') }).toEqual({ path, codes: [] })
        for (const { description } of Object.values(codes)) expect({ path, description }).toEqual({ path, description: expect.not.stringMatching(/body|JSON/i) })
      }
      expect(Object.keys(responses('/folders/{id}', 'delete')).sort()).toEqual(['204', '401', '403', '404', '409', '421', '429'])
      expect(Object.keys(responses('/tokens/{id}', 'delete')).sort()).toEqual(['204', '401', '403', '404', '409', '421', '429'])
    })

    it('documents every query parameter each route parses, from the schema it parses them with', async () => {
      type Parameter = { name: string; in: string; required: boolean; description?: unknown; schema?: { type?: unknown } }
      const doc = (await (await fetch(`${cp.adminUrl}/admin/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { parameters?: Parameter[] }>> }
      const documented = Object.fromEntries(
        Object.entries(doc.paths)
          .map(([path, operations]) => [path, (operations.get?.parameters ?? []).filter((p) => p.in === 'query')] as const)
          .filter(([, parameters]) => parameters.length > 0),
      )
      const names = (parameters: readonly Parameter[] | undefined) => (parameters ?? []).map((p) => p.name)
      expect(Object.fromEntries(Object.entries(documented).map(([path, parameters]) => [path, names(parameters)]))).toEqual({
        '/folders': ['path', 'prefix', 'cursor', 'limit'],
        '/assets': ['prefix', 'delimiter', 'cursor', 'limit'],
        '/audit': ['limit', 'target', 'before'],
        '/purges': ['cursor', 'limit'],
        '/explain': ['path', 'origin', 'method', 'headers', 'preflight', 'privateNetwork', 'referer', 'secFetchSite'],
      })
      for (const [path, schema] of Object.entries(ROUTE_QUERIES)) expect({ path, names: names(documented[path]) }).toEqual({ path, names: Object.keys(schema.shape) })
      for (const [path, parameters] of Object.entries(documented)) {
        for (const p of parameters) {
          expect({ path, name: p.name, description: typeof p.description, type: p.schema?.type }).toEqual({ path, name: p.name, description: 'string', type: 'string' })
        }
      }
      expect(documented['/explain']?.filter((p) => p.required).map((p) => p.name)).toEqual(['path'])
    })

    it('describes every method of every route the router serves', async () => {
      const doc = (await (await fetch(`${cp.adminUrl}/admin/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> }
      const router = createAdminRouter(cp.running.context)
      for (const layer of router.stack) {
        // path-to-regexp syntax (:id, *path, {*path}) to OpenAPI templates ({id}).
        const path = String(layer.path)
          .replace(/^\/admin\/v1/, '')
          .replace(/\{?\*(\w+)\}?/g, '{$1}')
          .replace(/:(\w+)/g, '{$1}')
        for (const method of layer.methods.filter((m) => m !== 'HEAD')) {
          expect({ path, method, described: doc.paths[path]?.[method.toLowerCase()] !== undefined }).toEqual({ path, method, described: true })
        }
      }
    })
  })

  describe('GET /metrics', () => {
    it('serves Prometheus metrics without a token, outside /admin/v1', async () => {
      const res = await fetch(`${cp.adminUrl}/metrics`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
      expect(await res.text()).toContain('# HELP')
    })

    it('answers 405 problem with Allow for another method', async () => {
      const res = await fetch(`${cp.adminUrl}/metrics`, { method: 'POST' })
      expect(res.status).toBe(405)
      expect(res.headers.get('allow')).toBe('GET, HEAD')
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    })
  })
})
