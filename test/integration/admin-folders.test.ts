import { createFolder, type TestCrossport } from '../helpers/crossport'
import { describeEachDatabase } from '../helpers/each-database'

describeEachDatabase('admin folders API', (database) => {
  interface FolderJson {
    id: number
    path: string
    policy: Record<string, unknown> & { origins: string[] }
    createdAt: string
    updatedAt: string
  }

  let cp: TestCrossport

  beforeAll(async () => {
    cp = await database.start({ assets: { 'brand/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>', 'open/a.txt': 'a' } })
  })

  afterAll(async () => {
    await cp.close()
  })

  const json = async <T>(res: Response): Promise<T> => (await res.json()) as T

  describe('POST /folders', () => {
    it('creates a folder with defaults for every policy field but origins, answering 201 with Location', async () => {
      const res = await cp.admin('POST', '/folders', { path: '/created/', policy: { origins: ['https://Shop.example:443'] } })
      expect(res.status).toBe(201)
      const folder = await json<FolderJson>(res)
      expect(res.headers.get('location')).toBe(`/admin/v1/folders/${folder.id}`)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(folder).toEqual({
        id: expect.any(Number),
        path: '/created/',
        policy: {
          origins: ['https://shop.example'],
          methods: ['GET', 'HEAD'],
          allowHeaders: ['Range'],
          exposeHeaders: ['Content-Length', 'Content-Range', 'Accept-Ranges', 'ETag'],
          maxAge: 600,
          credentials: false,
          privateNetwork: false,
          mode: 'cors',
          cacheControl: 'public, max-age=3600',
          cdnCacheControl: null,
          signedUrls: 'off',
        },
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      })
    })

    it('answers 409 problem when the path exists', async () => {
      await createFolder(cp, '/twice/', { origins: [] })
      const res = await cp.admin('POST', '/folders', { path: '/twice/', policy: { origins: [] } })
      expect(res.status).toBe(409)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      expect(await res.json()).toMatchObject({ status: 409, type: expect.stringContaining('folder-exists') })
    })

    it.each([['brand'], ['/brand'], ['/a/../b/'], ['/.hidden/'], ['/a//b/']])('answers 422 naming path for the folder path %j', async (path) => {
      const res = await cp.admin('POST', '/folders', { path, policy: { origins: [] } })
      expect(res.status).toBe(422)
      const problem = await json<{ errors: { field: string }[] }>(res)
      expect(problem.errors.map((e) => e.field)).toEqual(['path'])
    })
  })

  describe('GET /folders', () => {
    it('lists every folder with its policy, / included', async () => {
      const res = await cp.admin('GET', '/folders')
      expect(res.status).toBe(200)
      const { items } = await json<{ items: FolderJson[] }>(res)
      expect(items.map((f) => f.path)).toContain('/')
      expect(items.every((f) => Array.isArray(f.policy.origins))).toBe(true)
    })

    it('finds one folder by exact path, and none for a path without a folder', async () => {
      const created = await createFolder(cp, '/find-me/', { origins: [] })
      const found = await json<{ items: FolderJson[] }>(await cp.admin('GET', '/folders?path=/find-me/'))
      expect(found.items.map((f) => f.id)).toEqual([created.id])
      const missing = await json<{ items: FolderJson[] }>(await cp.admin('GET', '/folders?path=/find-me/not/'))
      expect(missing.items).toEqual([])
    })

    it('answers 422 for a lookup path that cannot be a folder', async () => {
      const res = await cp.admin('GET', '/folders?path=/no-trailing-slash')
      expect(res.status).toBe(422)
    })
  })

  describe('GET /folders/{id}', () => {
    it('answers the folder', async () => {
      const created = await createFolder(cp, '/one/', { origins: ['https://a.example'] })
      const res = await cp.admin('GET', `/folders/${created.id}`)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual(created)
    })

    it.each([['999999'], ['abc'], ['1.5'], ['0'], ['-1']])('answers 404 problem for the id %s', async (id) => {
      const res = await cp.admin('GET', `/folders/${id}`)
      expect(res.status).toBe(404)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    })
  })

  describe('PUT /folders/{id}', () => {
    it('replaces the whole policy, resetting omitted fields to their defaults', async () => {
      const created = await createFolder(cp, '/replace/', { origins: ['https://a.example'], maxAge: 60, mode: 'strict' })
      const res = await cp.admin('PUT', `/folders/${created.id}`, { policy: { origins: ['https://b.example'] } })
      expect(res.status).toBe(200)
      const folder = await json<FolderJson>(res)
      expect(folder.policy).toMatchObject({ origins: ['https://b.example'], maxAge: 600, mode: 'cors' })
    })

    it('answers 404 for an unknown folder', async () => {
      expect((await cp.admin('PUT', '/folders/999999', { policy: { origins: [] } })).status).toBe(404)
    })
  })

  describe('PATCH /folders/{id}', () => {
    it('changes only the fields given', async () => {
      const created = await createFolder(cp, '/patch/', { origins: ['https://a.example'], maxAge: 60 })
      const res = await cp.admin('PATCH', `/folders/${created.id}`, { mode: 'strict' })
      expect(res.status).toBe(200)
      expect((await json<FolderJson>(res)).policy).toMatchObject({ origins: ['https://a.example'], maxAge: 60, mode: 'strict' })
    })

    it('replaces the origin list when origins is given', async () => {
      const created = await createFolder(cp, '/patch-origins/', { origins: ['https://a.example'] })
      const res = await cp.admin('PATCH', `/folders/${created.id}`, { origins: ['https://c.example', 'https://c.example'] })
      expect((await json<FolderJson>(res)).policy.origins).toEqual(['https://c.example'])
    })

    it('refuses turning on credentials for a folder shared with *', async () => {
      const created = await createFolder(cp, '/patch-star/', { origins: ['*'] })
      const res = await cp.admin('PATCH', `/folders/${created.id}`, { credentials: true })
      expect(res.status).toBe(422)
      const { detail } = await json<{ detail: string }>(res)
      expect(detail).toMatch(/^credentials: true cannot be combined with the "\*" origin: .*Fetch/)
      expect(detail.match(/credentials:/g)).toHaveLength(1)
    })
  })

  describe('DELETE /folders/{id}', () => {
    it('deletes a folder: 204, then 404', async () => {
      const created = await createFolder(cp, '/delete-me/', { origins: [] })
      const res = await cp.admin('DELETE', `/folders/${created.id}`)
      expect(res.status).toBe(204)
      expect(await res.text()).toBe('')
      expect((await cp.admin('GET', `/folders/${created.id}`)).status).toBe(404)
      expect((await cp.admin('DELETE', `/folders/${created.id}`)).status).toBe(404)
    })

    it('refuses to delete / with 409 ROOT_FOLDER_PROTECTED', async () => {
      const { items } = await json<{ items: FolderJson[] }>(await cp.admin('GET', '/folders?path=/'))
      const res = await cp.admin('DELETE', `/folders/${items[0]?.id}`)
      expect(res.status).toBe(409)
      expect(await res.json()).toMatchObject({ type: expect.stringContaining('root-folder-protected') })
    })
  })

  describe('origins of a folder', () => {
    it('adds an origin with 201, then answers 200 when it is already there (normalised)', async () => {
      const created = await createFolder(cp, '/origins/', { origins: [] })
      const first = await cp.admin('POST', `/folders/${created.id}/origins`, { origin: 'https://shop.example' })
      expect(first.status).toBe(201)
      expect((await json<FolderJson>(first)).policy.origins).toEqual(['https://shop.example'])
      const again = await cp.admin('POST', `/folders/${created.id}/origins`, { origin: 'HTTPS://SHOP.EXAMPLE:443' })
      expect(again.status).toBe(200)
      expect((await json<FolderJson>(again)).policy.origins).toEqual(['https://shop.example'])
    })

    it('removes a url-encoded origin with 204, then answers 404', async () => {
      const created = await createFolder(cp, '/origins-remove/', { origins: ['https://shop.example', 'https://*.cdn.example'] })
      const encoded = encodeURIComponent('https://*.cdn.example')
      expect((await cp.admin('DELETE', `/folders/${created.id}/origins/${encoded}`)).status).toBe(204)
      const folder = await json<FolderJson>(await cp.admin('GET', `/folders/${created.id}`))
      expect(folder.policy.origins).toEqual(['https://shop.example'])
      const again = await cp.admin('DELETE', `/folders/${created.id}/origins/${encoded}`)
      expect(again.status).toBe(404)
      expect(await again.json()).toMatchObject({ type: expect.stringContaining('origin-not-found') })
    })

    it('normalises the origin before removing it', async () => {
      const created = await createFolder(cp, '/origins-normal/', { origins: ['https://shop.example'] })
      const res = await cp.admin('DELETE', `/folders/${created.id}/origins/${encodeURIComponent('https://SHOP.example:443')}`)
      expect(res.status).toBe(204)
    })

    it('answers 422 with the reason for an invalid origin', async () => {
      const created = await createFolder(cp, '/origins-bad/', { origins: [] })
      const res = await cp.admin('POST', `/folders/${created.id}/origins`, { origin: 'shop.example' })
      expect(res.status).toBe(422)
      expect((await json<{ errors: { field: string }[] }>(res)).errors[0]?.field).toBe('origin')
    })

    it('answers 404 for an unknown folder', async () => {
      expect((await cp.admin('POST', '/folders/999999/origins', { origin: 'https://shop.example' })).status).toBe(404)
    })

    it('refuses * on a credentialed folder, naming the field once in the detail', async () => {
      const created = await createFolder(cp, '/origins-credentialed/', { origins: ['https://shop.example'], credentials: true })
      const res = await cp.admin('POST', `/folders/${created.id}/origins`, { origin: '*' })
      expect(res.status).toBe(422)
      const problem = await json<{ detail: string; errors: { field: string; message: string }[] }>(res)
      expect(problem.detail).toMatch(/^credentials: true cannot be combined with the "\*" origin/)
      expect(problem.detail.match(/credentials:/g)).toHaveLength(1)
      expect(problem.errors).toEqual([{ field: 'credentials', message: expect.stringMatching(/^true cannot be combined/) }])
    })
  })

  describe('audit log', () => {
    it('records who changed what with before and after', async () => {
      const created = await createFolder(cp, '/audited/', { origins: [] })
      await cp.admin('POST', `/folders/${created.id}/origins`, { origin: 'https://shop.example' })
      await cp.admin('PATCH', `/folders/${created.id}`, { maxAge: 30 })
      const res = await cp.admin('GET', '/audit?target=/audited/&limit=10')
      expect(res.status).toBe(200)
      const { items } = await json<{ items: { id: number; actor: string; action: string; target: string; before: FolderJson | null; after: FolderJson | null }[] }>(res)
      expect(items.map((e) => e.action)).toEqual(['folder.patch', 'origin.add', 'folder.create'])
      expect(items.every((e) => e.actor === 'bootstrap' && e.target === '/audited/')).toBe(true)
      const [patch, add, create] = items
      expect(create?.before).toBeNull()
      expect(create?.after?.path).toBe('/audited/')
      expect(add?.before?.policy.origins).toEqual([])
      expect(add?.after?.policy.origins).toEqual(['https://shop.example'])
      expect(patch?.before?.policy.maxAge).toBe(600)
      expect(patch?.after?.policy.maxAge).toBe(30)
    })

    it('pages backwards with before= and limits with limit=', async () => {
      const first = await json<{ items: { id: number }[] }>(await cp.admin('GET', '/audit?limit=2'))
      expect(first.items).toHaveLength(2)
      const [newer, older] = first.items
      expect(newer!.id).toBeGreaterThan(older!.id)
      const next = await json<{ items: { id: number }[] }>(await cp.admin('GET', `/audit?limit=1&before=${older!.id}`))
      expect(next.items[0]!.id).toBeLessThan(older!.id)
    })

    it('narrows target= to that path and below at a / boundary, never a longer name', async () => {
      await createFolder(cp, '/scoped/', { origins: [] })
      await createFolder(cp, '/scoped/sub/', { origins: [] })
      await createFolder(cp, '/scopedx/', { origins: [] })
      const targets = async (query: string) =>
        (await json<{ items: { target: string }[] }>(await cp.admin('GET', `/audit?${query}`))).items.map((e) => e.target)
      expect(await targets('target=/scoped')).toEqual(['/scoped/sub/', '/scoped/'])
      expect(await targets('target=/scoped/')).toEqual(['/scoped/sub/', '/scoped/'])
      expect(await targets('target=/scoped/sub')).toEqual(['/scoped/sub/'])
      // The newest entry (/scopedx/) does not count towards the limit.
      expect(await targets('target=/scoped&limit=1')).toEqual(['/scoped/sub/'])
    })

    it.each([['limit=0'], ['limit=501'], ['limit=abc'], ['before=x']])('answers 422 for %s', async (query) => {
      expect((await cp.admin('GET', `/audit?${query}`)).status).toBe(422)
    })
  })

  describe('a policy change through the admin API', () => {
    it('is in force on the very next public request', async () => {
      const origin = 'https://next.example'
      const before = await fetch(`${cp.publicUrl}/open/a.txt`, { headers: { origin } })
      expect(before.headers.get('access-control-allow-origin')).toBeNull()

      await createFolder(cp, '/open/', { origins: [origin] })
      const after = await fetch(`${cp.publicUrl}/open/a.txt`, { headers: { origin } })
      expect(after.status).toBe(200)
      expect(after.headers.get('access-control-allow-origin')).toBe(origin)
    })
  })
})
