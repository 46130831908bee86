import { MAX_FAILED_AUTHS } from '../../src/admin/auth'
import type { TestCrossport } from '../helpers/crossport'
import { describeEachDatabase } from '../helpers/each-database'

describeEachDatabase('admin authentication', (database) => {
  interface CreatedToken {
    id: string
    name: string
    scope: string
    token: string
    createdAt: string
  }

  describe('admin authentication and tokens', () => {
    let cp: TestCrossport
    let readToken: CreatedToken

    beforeAll(async () => {
      cp = await database.start()
      const res = await cp.admin('POST', '/tokens', { name: 'dashboard', scope: 'read' })
      readToken = (await res.json()) as CreatedToken
    })

    afterAll(async () => {
      await cp.close()
    })

    it('answers 401 problem with WWW-Authenticate: Bearer without a token', async () => {
      const res = await cp.admin('GET', '/folders', undefined, null)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    })

    it('answers 401 for a wrong token, and for a scheme other than Bearer', async () => {
      expect((await cp.admin('GET', '/folders', undefined, 'not-the-token')).status).toBe(401)
      const basic = await fetch(`${cp.adminUrl}/admin/v1/folders`, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } })
      expect(basic.status).toBe(401)
    })

    it('requires a token for unknown API paths too', async () => {
      expect((await cp.admin('GET', '/nothing-here', undefined, null)).status).toBe(401)
    })

    it('creates a token whose secret is shown once and works at once', async () => {
      expect(readToken).toEqual({ id: expect.any(String), name: 'dashboard', scope: 'read', token: expect.any(String), createdAt: expect.any(String) })
      expect((await cp.admin('GET', '/folders', undefined, readToken.token)).status).toBe(200)
    })

    it('lists tokens without any secret', async () => {
      const res = await cp.admin('GET', '/tokens')
      expect(res.status).toBe(200)
      const text = await res.text()
      expect(text).not.toContain(readToken.token)
      expect(text).not.toContain(cp.token)
      const { items } = JSON.parse(text) as { items: { id: string; name: string; scope: string }[] }
      expect(items).toEqual(expect.arrayContaining([expect.objectContaining({ id: readToken.id, name: 'dashboard', scope: 'read' })]))
      expect(items.every((t) => !('token' in t) && !('hash' in t))).toBe(true)
    })

    it('refuses every write with a read-scoped token: 403 problem', async () => {
      for (const [method, path, body] of [
        ['POST', '/folders', { path: '/r/', policy: { origins: [] } }],
        ['PUT', '/folders/1', { policy: { origins: [] } }],
        ['PATCH', '/folders/1', { mode: 'strict' }],
        ['DELETE', '/folders/1', undefined],
        ['POST', '/tokens', { name: 'x', scope: 'write' }],
      ] as const) {
        const res = await cp.admin(method, path, body, readToken.token)
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 })
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      }
    })

    it('answers 422 for a token with an unknown scope or an extra field', async () => {
      expect((await cp.admin('POST', '/tokens', { name: 'x', scope: 'admin' })).status).toBe(422)
      expect((await cp.admin('POST', '/tokens', { name: 'x', scope: 'read', secret: 'mine' })).status).toBe(422)
    })

    it('revokes a token: 204, then the token is refused and a second revoke is 404', async () => {
      const created = (await (await cp.admin('POST', '/tokens', { name: 'short-lived', scope: 'write' })).json()) as CreatedToken
      expect((await cp.admin('GET', '/folders', undefined, created.token)).status).toBe(200)
      expect((await cp.admin('DELETE', `/tokens/${created.id}`)).status).toBe(204)
      expect((await cp.admin('GET', '/folders', undefined, created.token)).status).toBe(401)
      expect((await cp.admin('DELETE', `/tokens/${created.id}`)).status).toBe(404)
    })

    it('audits token creation and revocation without the secret', async () => {
      const created = (await (await cp.admin('POST', '/tokens', { name: 'audited', scope: 'read' })).json()) as CreatedToken
      await cp.admin('DELETE', `/tokens/${created.id}`)
      const res = await cp.admin('GET', `/audit?target=${created.id}`)
      const text = await res.text()
      expect(text).not.toContain(created.token)
      const { items } = JSON.parse(text) as { items: { action: string; before: unknown; after: { revokedAt: string | null } | null }[] }
      expect(items.map((e) => e.action)).toEqual(['token.revoke', 'token.create'])
      expect(items[0]?.after?.revokedAt).toEqual(expect.any(String))
      expect(items[1]?.before).toBeNull()
    })

    it('records the token name as the actor of a change', async () => {
      const writer = (await (await cp.admin('POST', '/tokens', { name: 'ci', scope: 'write' })).json()) as CreatedToken
      expect((await cp.admin('POST', '/folders', { path: '/by-ci/', policy: { origins: [] } }, writer.token)).status).toBe(201)
      const { items } = (await (await cp.admin('GET', '/audit?target=/by-ci/')).json()) as { items: { actor: string }[] }
      expect(items[0]?.actor).toBe('ci')
    })

    it('says which token a request authenticated with (GET /whoami), without its secret', async () => {
      const created = (await (await cp.admin('POST', '/tokens', { name: 'who', scope: 'read' })).json()) as CreatedToken
      const res = await cp.admin('GET', '/whoami', undefined, created.token)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ id: created.id, name: 'who', scope: 'read' })
      expect((await cp.admin('GET', '/whoami', undefined, 'cpt_wrong')).status).toBe(401)
    })

    // Issue #20: the audit log showed token ids where a reader needs names.
    it('names the token a token entry is about (targetName), and gives null for other targets', async () => {
      const created = (await (await cp.admin('POST', '/tokens', { name: 'named-in-audit', scope: 'read' })).json()) as CreatedToken
      await cp.admin('DELETE', `/tokens/${created.id}`)
      const tokenEntries = (await (await cp.admin('GET', `/audit?target=${created.id}`)).json()) as { items: { target: string; targetName: string | null }[] }
      expect(tokenEntries.items.map((e) => [e.target, e.targetName])).toEqual([
        [created.id, 'named-in-audit'],
        [created.id, 'named-in-audit'],
      ])
      const folderEntries = (await (await cp.admin('GET', '/audit?target=/by-ci/')).json()) as { items: { targetName: string | null }[] }
      expect(folderEntries.items.map((e) => e.targetName)).toEqual([null])
    })
  })

  describe('failed authentication rate limit', () => {
    let cp: TestCrossport

    beforeAll(async () => {
      cp = await database.start()
    })

    afterAll(async () => {
      await cp.close()
    })

    it('does not count successful authentications', async () => {
      for (let i = 0; i < MAX_FAILED_AUTHS + 2; i++) expect((await cp.admin('GET', '/folders')).status).toBe(200)
    })

    it(`answers 429 with Retry-After after ${MAX_FAILED_AUTHS} failures, for any token, for the rest of the window`, async () => {
      for (let i = 0; i < MAX_FAILED_AUTHS; i++) expect((await cp.admin('GET', '/folders', undefined, `wrong-${i}`)).status).toBe(401)
      const limited = await cp.admin('GET', '/folders', undefined, 'wrong-again')
      expect(limited.status).toBe(429)
      expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      const retryAfter = Number(limited.headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThanOrEqual(1)
      expect(retryAfter).toBeLessThanOrEqual(60)
      // A correct guess during the block is not confirmed either.
      expect((await cp.admin('GET', '/folders')).status).toBe(429)
    })

    it('still serves the OpenAPI document, which needs no token', async () => {
      expect((await fetch(`${cp.adminUrl}/admin/v1/openapi.json`)).status).toBe(200)
    })
  })

  describe('revoking the last active write token', () => {
    let cp: TestCrossport

    beforeAll(async () => {
      cp = await database.start()
    })

    afterAll(async () => {
      await cp.close()
    })

    it('answers 409 problem for the last one (the bootstrap token counts), which keeps working; read tokens do not count', async () => {
      const reader = (await (await cp.admin('POST', '/tokens', { name: 'reader', scope: 'read' })).json()) as CreatedToken
      const res = await cp.admin('DELETE', '/tokens/bootstrap')
      expect(res.status).toBe(409)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      const problem = (await res.json()) as { type: string; detail: string }
      expect(problem.type).toBe('https://crossport.dev/problems/last-write-token')
      expect(problem.detail).toMatch(/last active write-scoped token/)
      expect((await cp.admin('GET', '/folders')).status).toBe(200)
      const { items } = (await (await cp.admin('GET', '/tokens')).json()) as { items: Array<{ id: string; revokedAt: string | null }> }
      expect(items.find((t) => t.id === 'bootstrap')?.revokedAt).toBeNull()
      // A read token may go at any time.
      expect((await cp.admin('DELETE', `/tokens/${reader.id}`)).status).toBe(204)
    })

    it('answers 204 while another write token is active, then 409 for that one', async () => {
      const second = (await (await cp.admin('POST', '/tokens', { name: 'second', scope: 'write' })).json()) as CreatedToken
      expect((await cp.admin('DELETE', '/tokens/bootstrap', undefined, second.token)).status).toBe(204)
      expect((await cp.admin('GET', '/folders')).status).toBe(401)
      expect((await cp.admin('DELETE', `/tokens/${second.id}`, undefined, second.token)).status).toBe(409)
      expect((await cp.admin('GET', '/folders', undefined, second.token)).status).toBe(200)
    })
  })
})
