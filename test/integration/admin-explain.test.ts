import { createFolder, type TestCrossport } from '../helpers/crossport'
import { describeEachDatabase } from '../helpers/each-database'

describeEachDatabase('admin explain', (database) => {
  interface Explanation {
    path: string
    folder: { id: number; path: string }
    origin: string | null
    method: string
    preflight: boolean
    outcome: 'allowed' | 'refused' | 'none'
    status: number
    headers: Record<string, string>
    reasons: string[]
    policy: { origins: string[] }
  }

  let cp: TestCrossport
  let brandId: number

  beforeAll(async () => {
    cp = await database.start()
    const brand = await createFolder(cp, '/brand/', { origins: ['https://shop.example', 'https://*.shop.example'] })
    brandId = Number(brand.id)
  })

  afterAll(async () => {
    await cp.close()
  })

  async function explain(query: Record<string, string>): Promise<Explanation> {
    const res = await cp.admin('GET', `/explain?${new URLSearchParams(query).toString()}`)
    expect(res.status).toBe(200)
    return (await res.json()) as Explanation
  }

  describe('GET /explain', () => {
    it('explains an allowed request: folder, headers with Vary, reasons and policy', async () => {
      const answer = await explain({ path: '/brand/a.png', origin: 'https://cdn.shop.example', method: 'GET' })
      expect(answer).toMatchObject({
        path: '/brand/a.png',
        folder: { id: brandId, path: '/brand/' },
        origin: 'https://cdn.shop.example',
        method: 'GET',
        preflight: false,
        outcome: 'allowed',
        status: 200,
      })
      expect(answer.headers['Access-Control-Allow-Origin']).toBe('https://cdn.shop.example')
      expect(answer.headers.Vary).toContain('Origin')
      expect(answer.reasons.length).toBeGreaterThan(0)
      expect(answer.policy.origins).toEqual(['https://shop.example', 'https://*.shop.example'])
    })

    it('explains why a look-alike origin is refused', async () => {
      const answer = await explain({ path: '/brand/a.png', origin: 'https://shop.example.evil.net' })
      expect(answer.outcome).toBe('refused')
      expect(answer.headers['Access-Control-Allow-Origin']).toBeUndefined()
      expect(answer.headers.Vary).toContain('Origin')
      expect(answer.reasons.join(' ')).toContain('shop.example.evil.net')
    })

    it('treats a method outside GET/HEAD/POST as a preflight, refused when the policy does not allow it', async () => {
      const answer = await explain({ path: '/brand/a.png', origin: 'https://shop.example', method: 'PUT' })
      expect(answer.preflight).toBe(true)
      expect(answer.status).toBe(403)
      expect(answer.headers['Access-Control-Allow-Origin']).toBeUndefined()
    })

    it('treats request headers as a preflight, answered 204 with the allowed methods', async () => {
      const answer = await explain({ path: '/brand/a.png', origin: 'https://shop.example', method: 'GET', headers: 'range' })
      expect(answer.preflight).toBe(true)
      expect(answer.outcome).toBe('allowed')
      expect(answer.status).toBe(204)
      expect(answer.headers['Access-Control-Allow-Methods']).toContain('GET')
    })

    it('accepts a full URL and explains a path outside every folder with /', async () => {
      const answer = await explain({ path: 'https://cdn.example.net/other/b.css?v=2', origin: 'https://shop.example' })
      expect(answer.path).toBe('/other/b.css')
      expect(answer.folder.path).toBe('/')
      expect(answer.outcome).toBe('refused')
    })

    it('explains a request without Origin', async () => {
      const answer = await explain({ path: '/brand/a.png' })
      expect(answer.origin).toBeNull()
      expect(answer.outcome).toBe('none')
    })

    it('answers 400 problem for a path the public listener would refuse', async () => {
      const res = await cp.admin('GET', `/explain?path=${encodeURIComponent('/brand/../secret')}&origin=https://shop.example`)
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    })

    it('answers 422 with the reason for an origin that is not an origin', async () => {
      const res = await cp.admin('GET', `/explain?path=/brand/a.png&origin=${encodeURIComponent('https://*.shop.example')}`)
      expect(res.status).toBe(422)
      expect(((await res.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('origin')
    })

    it('answers 422 without a path', async () => {
      expect((await cp.admin('GET', '/explain?origin=https://shop.example')).status).toBe(422)
    })

    it('reflects a policy change at once', async () => {
      await cp.admin('POST', `/folders/${brandId}/origins`, { origin: 'https://partner.example' })
      const answer = await explain({ path: '/brand/a.png', origin: 'https://partner.example' })
      expect(answer.outcome).toBe('allowed')
    })
  })
})
