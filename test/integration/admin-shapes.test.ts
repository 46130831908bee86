import sharp from 'sharp'
import type { z } from 'zod'
import * as shapes from '../../src/admin/schemas/responses'
import { TEST_ADMIN_TOKEN, type TestCrossport } from '../helpers/crossport'
import { describeEachDatabase } from '../helpers/each-database'

describeEachDatabase('admin answer shapes', (database) => {
  // The OpenAPI document, the CLI and the console all take the admin API's
  // answers from these zod shapes, so every answer must be exactly its shape:
  // parsing may neither fail (a missing or mistyped field) nor drop anything
  // (zod strips keys a shape does not name, at any depth).

  const SECRET = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'
  let cp: TestCrossport

  beforeAll(async () => {
    cp = await database.start({ env: { URL_SIGNING_KEYS: `k1:${SECRET}` } })
  })

  afterAll(async () => {
    await cp.close()
  })

  async function expectShape(res: Response, status: number, shape: z.ZodType): Promise<void> {
    const body: unknown = await res.json()
    expect({ status: res.status, body }).toEqual({ status, body: expect.anything() })
    expect(shape.parse(body)).toEqual(body)
  }

  describe('admin API answers match the shapes they are documented with', () => {
    it('folders: one, a page, a lookup, an added origin', async () => {
      const created = await cp.admin('POST', '/folders', { path: '/shapes/', policy: { origins: ['https://shop.example'], signedUrls: 'derivatives' } })
      const folder = (await created.clone().json()) as { id: number }
      await expectShape(created, 201, shapes.folderOut)
      await expectShape(await cp.admin('GET', `/folders/${folder.id}`), 200, shapes.folderOut)
      await expectShape(await cp.admin('GET', '/folders?limit=1'), 200, shapes.folderPageOut)
      await expectShape(await cp.admin('GET', '/folders?path=/shapes/'), 200, shapes.folderPageOut)
      await expectShape(await cp.admin('PATCH', `/folders/${folder.id}`, { maxAge: 60 }), 200, shapes.folderOut)
      await expectShape(await cp.admin('POST', `/folders/${folder.id}/origins`, { origin: 'https://b.example' }), 201, shapes.folderOut)
    })

    it('tokens, the session and the audit log', async () => {
      await expectShape(await cp.admin('POST', '/tokens', { name: 'shape', scope: 'read' }), 201, shapes.createdTokenOut)
      await expectShape(await cp.admin('GET', '/tokens'), 200, shapes.tokenListOut)
      await expectShape(await cp.admin('GET', '/whoami'), 200, shapes.sessionOut)
      await expectShape(await cp.admin('GET', '/audit?limit=5'), 200, shapes.auditListOut)
    })

    it('assets: an upload, its metadata (with image facts), a page with folders', async () => {
      cp.writeAsset('shapes/logo.png', await sharp({ create: { width: 4, height: 3, channels: 3, background: '#ffffff' } }).png().toBuffer())
      const upload = await fetch(`${cp.adminUrl}/admin/v1/assets/shapes/a.txt`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'text/plain' },
        body: 'hello',
      })
      await expectShape(upload, 201, shapes.assetOut)
      await expectShape(await cp.admin('GET', '/assets/shapes/a.txt'), 200, shapes.assetOut)
      const image = await cp.admin('GET', '/assets/shapes/logo.png')
      expect(((await image.clone().json()) as { image?: unknown }).image).toEqual({ width: 4, height: 3, format: 'png' })
      await expectShape(image, 200, shapes.assetOut)
      await expectShape(await cp.admin('GET', '/assets?prefix=/&delimiter=/'), 200, shapes.assetPageOut)
      await expectShape(await cp.admin('GET', '/assets?prefix=/shapes/&limit=1'), 200, shapes.assetPageOut)
    })

    it('explain (with a signature verdict) and sign', async () => {
      await expectShape(await cp.admin('GET', `/explain?path=${encodeURIComponent('/shapes/a.png?w=64')}&origin=https://shop.example`), 200, shapes.explanationOut)
      await expectShape(await cp.admin('GET', '/explain?path=/shapes/a.txt&method=PUT'), 200, shapes.explanationOut)
      await expectShape(await cp.admin('POST', '/sign', { path: '/shapes/a.png', query: { w: '64' } }), 200, shapes.signedUrlOut)
    })

    it('problems, with and without field errors', async () => {
      await expectShape(await cp.admin('GET', '/folders?limit=0'), 422, shapes.problemOut)
      await expectShape(await cp.admin('GET', '/folders/999999'), 404, shapes.problemOut)
    })
  })
})
