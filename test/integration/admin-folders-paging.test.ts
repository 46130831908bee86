import { FolderRepo } from '../../src/db/folder-repo'
import { DEFAULT_POLICY } from '../../src/policy/types'
import type { TestCrossport } from '../helpers/crossport'
import { describeEachDatabase } from '../helpers/each-database'

describeEachDatabase('admin folder paging', (database) => {
  interface Page {
    items: { id: number; path: string; policy: { origins: string[] } }[]
    nextCursor: string | null
  }
  interface Problem {
    status: number
    errors: { field: string; message: string }[]
  }

  let cp: TestCrossport
  // `/` plus 130 numbered folders and a small tree whose prefix edges matter: `/p0/` and `/pq/` are not under `/p/`.
  const TREE = ['/p/', '/p/q/', '/p/q/r/', '/p0/', '/pq/']
  const NUMBERED = Array.from({ length: 130 }, (_, i) => `/n${String(i).padStart(3, '0')}/`)
  const ALL = ['/', ...NUMBERED, ...TREE].sort()

  beforeAll(async () => {
    cp = await database.start()
    // Written straight into the database: paging reads it, and a page must not need 136 API calls to set up.
    await cp.running.context.db.transaction(async (tx) => {
      const repo = new FolderRepo(tx)
      for (const path of [...NUMBERED, ...TREE]) await repo.create(path, { ...DEFAULT_POLICY, origins: ['https://shop.example'] })
    })
  })

  afterAll(async () => {
    await cp.close()
  })

  const list = async (query: string): Promise<Page> => {
    const res = await cp.admin('GET', `/folders${query}`)
    expect(res.status).toBe(200)
    return (await res.json()) as Page
  }

  async function listAll(query: string): Promise<{ paths: string[]; pages: number }> {
    const paths: string[] = []
    let pages = 0
    let cursor: string | null = null
    do {
      const page: Page = await list(`${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`)
      paths.push(...page.items.map((f) => f.path))
      pages++
      cursor = page.nextCursor
    } while (cursor !== null)
    return { paths, pages }
  }

  describe('GET /admin/v1/folders pages', () => {
    it('answers the first 100 folders by path by default, with a cursor to the next page', async () => {
      const page = await list('')
      expect(page.items.map((f) => f.path)).toEqual(ALL.slice(0, 100))
      expect(page.items[1]?.policy.origins).toEqual(['https://shop.example'])
      expect(page.nextCursor).toEqual(expect.any(String))
    })

    it('walks every folder exactly once, in order, following nextCursor; the last page says null', async () => {
      const { paths, pages } = await listAll('?limit=7')
      expect(paths).toEqual(ALL)
      expect(pages).toBe(Math.ceil(ALL.length / 7))
    })

    it('gives everything in one page at the maximum limit, 1000', async () => {
      const page = await list('?limit=1000')
      expect(page.items).toHaveLength(ALL.length)
      expect(page.nextCursor).toBeNull()
    })

    it('lists one subtree with prefix=, the folder itself included and its look-alike siblings not', async () => {
      expect((await listAll('?prefix=/p/&limit=2')).paths).toEqual(['/p/', '/p/q/', '/p/q/r/'])
      expect((await list('?prefix=/p/q/')).items.map((f) => f.path)).toEqual(['/p/q/', '/p/q/r/'])
      expect((await list('?prefix=/nothing/')).items).toEqual([])
    })

    it('still finds one folder by exact path=, with no next page', async () => {
      const page = await list('?path=/p/q/')
      expect(page.items.map((f) => f.path)).toEqual(['/p/q/'])
      expect(page.nextCursor).toBeNull()
    })

    it.each([
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=-1', 'limit'],
      ['cursor=not*base64', 'cursor'],
      [`cursor=${Buffer.from('p/').toString('base64url')}`, 'cursor'],
      ['prefix=/p', 'prefix'],
      ['prefix=p/', 'prefix'],
    ])('refuses %s with 422 problem+json naming %s', async (query, field) => {
      const res = await cp.admin('GET', `/folders?${query}`)
      expect(res.status).toBe(422)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      const problem = (await res.json()) as Problem
      expect(problem.errors.map((e) => e.field)).toEqual([field])
    })

    it('documents the paging contract in the OpenAPI document', async () => {
      const doc = (await (await cp.admin('GET', '/openapi.json')).json()) as {
        paths: Record<string, { get: { parameters: { name: string; in: string }[]; responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }> }> } }>
      }
      const get = doc.paths['/folders']?.get
      expect(get?.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['query:path', 'query:prefix', 'query:cursor', 'query:limit'])
      const schema = get?.responses['200']?.content?.['application/json']?.schema
      expect(schema?.required).toEqual(['items', 'nextCursor'])
      expect(schema?.properties?.nextCursor).toEqual({ type: ['string', 'null'] })
      expect(Object.keys(get?.responses ?? {})).toContain('422')
    })
  })
})
