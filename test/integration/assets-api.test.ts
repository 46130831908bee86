import { existsSync, readdirSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import sharp from 'sharp'
import { AuditRepo } from '../../src/db/audit-repo'
import { describeEachStore, type StoreCrossport } from '../helpers/each-store'

interface AssetJson {
  path: string
  size: number
  contentType: string
  etag: string
  modifiedAt: string
  image?: { width: number; height: number; format: string }
}

interface ProblemJson {
  type: string
  title: string
  status: number
  detail: string
}

describeEachStore('the asset API', (store) => {
  let cp: StoreCrossport
  let png: Buffer
  let jpeg: Buffer

  beforeAll(async () => {
    png = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#3366cc' } }).png().toBuffer()
    jpeg = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#cc6633' } }).jpeg().toBuffer()
    cp = await store.start({
      assets: {
        'listing/a.txt': 'a',
        'listing/b/one.txt': '1',
        'listing/b.txt': 'b',
        'listing/b/two.txt': '22',
        'listing/c.txt': 'ccc',
        'listing/.hidden': 'never listed',
        'listing/.git/config': 'never listed',
        'other/x.txt': 'x',
      },
    })
  })

  afterAll(async () => {
    await cp.close()
  })

  const json = async <T>(res: Response): Promise<T> => (await res.json()) as T

  function upload(path: string, body: string | Buffer, headers: Record<string, string> = {}, token: string = cp.token): Promise<Response> {
    return fetch(`${cp.adminUrl}/admin/v1/assets${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', ...headers },
      body,
    })
  }

  /** PUT with a raw request target: fetch would normalise `..` and `%2e%2e` away before sending. */
  function rawPut(target: string, body: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const { hostname, port } = new URL(cp.adminUrl)
      const headers = { authorization: `Bearer ${cp.token}`, 'content-length': Buffer.byteLength(body) }
      const req = request({ hostname, port, path: target, method: 'PUT', headers }, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      })
      req.on('error', reject)
      req.end(body)
    })
  }

  const tempDebris = () => cp.uploadDebris()

  const auditFor = async (target: string) => (await new AuditRepo(cp.running.context.db).list({ limit: 50, target })).filter((e) => e.target === target)

  describe('PUT /assets/{path}', () => {
    it('creates a new asset with 201, Location and its metadata, and stores exactly the bytes sent', async () => {
      const res = await upload('/up/new.txt', 'hello world', { 'content-type': 'text/plain' })
      expect(res.status).toBe(201)
      expect(res.headers.get('location')).toBe('/admin/v1/assets/up/new.txt')
      const asset = await json<AssetJson>(res)
      expect(asset).toEqual({
        path: '/up/new.txt',
        size: 11,
        contentType: 'text/plain; charset=utf-8',
        ...(await cp.statFixture('up/new.txt')),
      })
      expect((await cp.readFixture('up/new.txt'))?.toString()).toBe('hello world')
      expect(await tempDebris()).toEqual([])
    })

    it('replaces an existing asset with 200 and a new ETag', async () => {
      const first = await json<AssetJson>(await upload('/up/replace.txt', 'one'))
      const res = await upload('/up/replace.txt', 'second version')
      expect(res.status).toBe(200)
      const second = await json<AssetJson>(res)
      expect(second.size).toBe(14)
      expect(second.etag).not.toBe(first.etag)
      expect((await cp.readFixture('up/replace.txt'))?.toString()).toBe('second version')
    })

    it('creates missing parent folders', async () => {
      const res = await upload('/deep/er/still/file.txt', 'x')
      expect(res.status).toBe(201)
      expect((await cp.readFixture('deep/er/still/file.txt'))?.toString()).toBe('x')
    })

    it('accepts percent-encoded names and stores them decoded', async () => {
      const res = await upload('/up/hello%20w%C3%B6rld.txt', 'hi')
      expect(res.status).toBe(201)
      expect((await json<AssetJson>(res)).path).toBe('/up/hello wörld.txt')
      expect((await cp.readFixture('up/hello wörld.txt'))?.toString()).toBe('hi')
    })

    it('answers 403 to a read-scoped token and stores nothing', async () => {
      const created = await cp.admin('POST', '/tokens', { name: 'reader', scope: 'read' })
      const { token } = await json<{ token: string }>(created)
      const res = await upload('/up/forbidden.txt', 'no', {}, token)
      expect(res.status).toBe(403)
      expect(await cp.readFixture('up/forbidden.txt')).toBeUndefined()
    })

    it('answers 401 without a token', async () => {
      const res = await fetch(`${cp.adminUrl}/admin/v1/assets/up/anon.txt`, { method: 'PUT', body: 'x' })
      expect(res.status).toBe(401)
      expect(await cp.readFixture('up/anon.txt')).toBeUndefined()
    })

    it('refuses a compressed request body with 415, since it would be served as the identity bytes', async () => {
      const res = await upload('/up/coded.txt', 'x', { 'content-encoding': 'gzip' })
      expect(res.status).toBe(415)
      expect(await cp.readFixture('up/coded.txt')).toBeUndefined()
    })

    it('answers 409 when the path is an existing folder', async () => {
      await upload('/clash/inside.txt', 'x')
      const res = await upload('/clash', 'a file where a folder is')
      expect(res.status).toBe(409)
      expect((await json<ProblemJson>(res)).type).toBe('https://crossport.dev/problems/asset-path-conflict')
      expect(await tempDebris()).toEqual([])
    })
  })

  describe('PUT /assets/{path} with preconditions', () => {
    it('If-None-Match: * creates when the asset is absent', async () => {
      const res = await upload('/cond/create-only.txt', 'v1', { 'if-none-match': '*' })
      expect(res.status).toBe(201)
    })

    it('If-None-Match: * answers 412 when the asset exists and keeps the old bytes', async () => {
      await upload('/cond/exists.txt', 'old')
      const res = await upload('/cond/exists.txt', 'new', { 'if-none-match': '*' })
      expect(res.status).toBe(412)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      expect((await cp.readFixture('cond/exists.txt'))?.toString()).toBe('old')
    })

    it('If-Match with the current ETag replaces', async () => {
      const { etag } = await json<AssetJson>(await upload('/cond/match.txt', 'v1'))
      const res = await upload('/cond/match.txt', 'v2!', { 'if-match': etag })
      expect(res.status).toBe(200)
      expect((await cp.readFixture('cond/match.txt'))?.toString()).toBe('v2!')
    })

    it('If-Match with a stale ETag answers 412 and keeps the current bytes', async () => {
      const { etag: stale } = await json<AssetJson>(await upload('/cond/stale.txt', 'v1'))
      await upload('/cond/stale.txt', 'v2 by someone else')
      const res = await upload('/cond/stale.txt', 'v3', { 'if-match': stale })
      expect(res.status).toBe(412)
      expect((await cp.readFixture('cond/stale.txt'))?.toString()).toBe('v2 by someone else')
      expect(await tempDebris()).toEqual([])
    })

    it('If-Match answers 412 when the asset does not exist', async () => {
      const res = await upload('/cond/absent.txt', 'v1', { 'if-match': '"1-1"' })
      expect(res.status).toBe(412)
      expect(await cp.readFixture('cond/absent.txt')).toBeUndefined()
    })

    it('a weak ETag never satisfies If-Match (strong comparison, RFC 9110 §13.1.1)', async () => {
      const { etag } = await json<AssetJson>(await upload('/cond/weak.txt', 'v1'))
      const res = await upload('/cond/weak.txt', 'v2', { 'if-match': `W/${etag}` })
      expect(res.status).toBe(412)
    })
  })

  describe('PUT /assets/{path} content checks', () => {
    it('refuses a .png whose bytes are not a PNG with 415 and leaves nothing behind', async () => {
      const res = await upload('/img/fake.png', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', { 'content-type': 'image/png' })
      expect(res.status).toBe(415)
      const problem = await json<ProblemJson>(res)
      expect(problem.type).toBe('https://crossport.dev/problems/content-mismatch')
      expect(problem.detail).toMatch(/expected a PNG image/)
      expect(await cp.readFixture('img/fake.png')).toBeUndefined()
      expect(await tempDebris()).toEqual([])
    })

    it('refuses a JPEG uploaded under a .png name', async () => {
      const res = await upload('/img/mislabelled.png', jpeg)
      expect(res.status).toBe(415)
    })

    it('refuses a .woff2 that is not a WOFF2 font', async () => {
      const res = await upload('/fonts/inter.woff2', 'wOFF' + '\0'.repeat(60))
      expect(res.status).toBe(415)
    })

    it('checks the declared Content-Type when the name has no known extension', async () => {
      const res = await upload('/img/no-extension', 'not a png', { 'content-type': 'image/png' })
      expect(res.status).toBe(415)
    })

    it('refusing bad content does not touch the asset already there', async () => {
      await upload('/img/keep.png', png)
      const res = await upload('/img/keep.png', 'garbage')
      expect(res.status).toBe(415)
      expect((await cp.readFixture('img/keep.png'))?.equals(png)).toBe(true)
    })

    it('accepts a real PNG and answers its dimensions', async () => {
      const res = await upload('/img/real.png', png, { 'content-type': 'image/png' })
      expect(res.status).toBe(201)
      const asset = await json<AssetJson>(res)
      expect(asset.contentType).toBe('image/png')
      expect(asset.image).toEqual({ width: 32, height: 24, format: 'png' })
    })
  })

  describe('PUT /assets/{path} path rules', () => {
    it.each([
      ['/admin/v1/assets/../escape.txt', 'a dot-dot segment'],
      ['/admin/v1/assets/%2e%2e/escape.txt', 'an encoded dot-dot segment'],
      ['/admin/v1/assets/a/%2e%2e/%2e%2e/escape.txt', 'encoded dot-dot segments below a folder'],
      ['/admin/v1/assets/a%2f..%2f..%2fescape.txt', 'encoded slashes'],
      ['/admin/v1/assets/a%5c..%5cescape.txt', 'encoded backslashes'],
      ['/admin/v1/assets/.env', 'a dotfile'],
      ['/admin/v1/assets/.crossport-tmp/x.part', 'the upload temp folder'],
      ['/admin/v1/assets/brand/.git/config', 'a dot-folder'],
      ['/admin/v1/assets/nul%00.txt', 'a NUL byte'],
      ['/admin/v1/assets/ctl%0a.txt', 'a control character'],
      ['/admin/v1/assets/brand//x.txt', 'an empty segment'],
      ['/admin/v1/assets/brand/', 'a folder path'],
      [`/admin/v1/assets/${'a'.repeat(300)}.txt`, 'a segment longer than 255 bytes'],
    ])('refuses %s (%s) with a 400 problem and writes nothing', async (target) => {
      const before = readdirSync(cp.dir, { recursive: true }).length
      const res = await rawPut(target, 'payload')
      expect(res.status).toBe(400)
      expect((JSON.parse(res.body) as ProblemJson).type).toBe('https://crossport.dev/problems/invalid-asset-path')
      expect(readdirSync(cp.dir, { recursive: true }).length).toBe(before)
      expect(existsSync(join(cp.dir, 'escape.txt'))).toBe(false)
    })
  })

  describe('GET /assets/{path}', () => {
    it('answers size, media type, ETag, modified time and image dimensions', async () => {
      await upload('/meta/photo.jpg', jpeg)
      const res = await cp.admin('GET', '/assets/meta/photo.jpg')
      expect(res.status).toBe(200)
      const asset = await json<AssetJson>(res)
      expect(asset).toEqual({
        path: '/meta/photo.jpg',
        size: jpeg.length,
        contentType: 'image/jpeg',
        ...(await cp.statFixture('meta/photo.jpg')),
        image: { width: 40, height: 30, format: 'jpeg' },
      })
    })

    it('answers the new dimensions after the image is replaced', async () => {
      await upload('/meta/swap.png', png)
      expect((await json<AssetJson>(await cp.admin('GET', '/assets/meta/swap.png'))).image).toEqual({ width: 32, height: 24, format: 'png' })
      const bigger = await sharp({ create: { width: 64, height: 48, channels: 4, background: '#00000000' } }).png().toBuffer()
      await upload('/meta/swap.png', bigger)
      expect((await json<AssetJson>(await cp.admin('GET', '/assets/meta/swap.png'))).image).toEqual({ width: 64, height: 48, format: 'png' })
    })

    it('has no image member for assets that are not images', async () => {
      const asset = await json<AssetJson>(await cp.admin('GET', '/assets/listing/a.txt'))
      expect(asset.image).toBeUndefined()
      expect(asset.size).toBe(1)
    })

    it('answers 404 for a missing asset and for a folder', async () => {
      expect((await cp.admin('GET', '/assets/nothing/here.txt')).status).toBe(404)
      const folder = await cp.admin('GET', '/assets/listing/b')
      expect(folder.status).toBe(404)
      expect((await json<ProblemJson>(folder)).type).toBe('https://crossport.dev/problems/asset-not-found')
    })

    it('works with a read-scoped token', async () => {
      const { token } = await json<{ token: string }>(await cp.admin('POST', '/tokens', { name: 'meta-reader', scope: 'read' }))
      expect((await cp.admin('GET', '/assets/listing/a.txt', undefined, token)).status).toBe(200)
    })
  })

  describe('GET /assets?prefix=', () => {
    interface Page {
      items: AssetJson[]
      nextCursor: string | null
    }

    it('lists the assets under a prefix sorted by path, skipping dotfiles and dot-folders', async () => {
      const page = await json<Page>(await cp.admin('GET', '/assets?prefix=/listing/'))
      expect(page.items.map((i) => i.path)).toEqual(['/listing/a.txt', '/listing/b.txt', '/listing/b/one.txt', '/listing/b/two.txt', '/listing/c.txt'])
      expect(page.nextCursor).toBeNull()
      expect(page.items[0]).toEqual({ path: '/listing/a.txt', size: 1, contentType: 'text/plain; charset=utf-8', etag: expect.stringMatching(store.kind === 'fs' ? /^"1-[0-9a-f]+"$/ : /^"[0-9a-f]{32}"$/), modifiedAt: expect.any(String) })
    })

    it('pages with an opaque cursor, each item exactly once', async () => {
      const seen: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const query: string = `/assets?prefix=/listing/&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`
        const page: Page = await json<Page>(await cp.admin('GET', query))
        seen.push(...page.items.map((i) => i.path))
        cursor = page.nextCursor
        pages++
        if (cursor !== null) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
      } while (cursor !== null && pages < 10)
      expect(pages).toBe(3)
      expect(seen).toEqual(['/listing/a.txt', '/listing/b.txt', '/listing/b/one.txt', '/listing/b/two.txt', '/listing/c.txt'])
    })

    it('keeps the next page stable when an earlier asset is deleted between pages', async () => {
      await upload('/stable/1.txt', '1')
      await upload('/stable/2.txt', '2')
      await upload('/stable/3.txt', '3')
      const first = await json<Page>(await cp.admin('GET', '/assets?prefix=/stable/&limit=2'))
      expect(first.items.map((i) => i.path)).toEqual(['/stable/1.txt', '/stable/2.txt'])
      await cp.admin('DELETE', '/assets/stable/1.txt')
      const second = await json<Page>(await cp.admin('GET', `/assets?prefix=/stable/&limit=2&cursor=${first.nextCursor}`))
      expect(second.items.map((i) => i.path)).toEqual(['/stable/3.txt'])
      expect(second.nextCursor).toBeNull()
    })

    it('lists everything from / without the temp folder', async () => {
      const page = await json<Page>(await cp.admin('GET', '/assets?limit=1000'))
      const paths = page.items.map((i) => i.path)
      expect(paths).toContain('/other/x.txt')
      expect(paths.some((p) => p.includes('/.'))).toBe(false)
      expect([...paths].sort()).toEqual(paths)
    })

    // Issue #20: the console browses one folder at a time, as `aws s3 ls` does.
    it('lists one folder level with delimiter=/: its files in items, its child folders in folders', async () => {
      const page = await json<Page & { folders: string[] }>(await cp.admin('GET', '/assets?prefix=/listing/&delimiter=/'))
      expect(page.items.map((i) => i.path)).toEqual(['/listing/a.txt', '/listing/b.txt', '/listing/c.txt'])
      expect(page.folders).toEqual(['/listing/b/'])
      expect(page.nextCursor).toBeNull()
      const root = await json<Page & { folders: string[] }>(await cp.admin('GET', '/assets?delimiter=/&limit=1000'))
      expect(root.folders).toContain('/listing/')
      expect(root.folders.some((f) => f.includes('/.'))).toBe(false)
      expect(root.items.every((i) => i.path.lastIndexOf('/') === 0)).toBe(true)
    })

    it('pages a delimited listing with folders counted like items, each entry exactly once', async () => {
      const seen: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const query: string = `/assets?prefix=/listing/&delimiter=/&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`
        const page: Page & { folders: string[] } = await json(await cp.admin('GET', query))
        expect(page.items.length + page.folders.length).toBeLessThanOrEqual(2)
        seen.push(...page.items.map((i) => i.path), ...page.folders)
        cursor = page.nextCursor
        pages++
      } while (cursor !== null && pages < 10)
      expect(pages).toBe(2)
      expect(seen.sort()).toEqual(['/listing/a.txt', '/listing/b.txt', '/listing/b/', '/listing/c.txt'])
    })

    it('answers an empty page for a prefix with no assets', async () => {
      const page = await json<Page>(await cp.admin('GET', '/assets?prefix=/nothing-here/'))
      expect(page).toEqual({ items: [], nextCursor: null })
    })

    it.each([
      ['prefix=/../', 'a dot-dot prefix'],
      ['prefix=brand/', 'a prefix without a leading slash'],
      ['limit=0', 'a zero limit'],
      ['limit=abc', 'a non-numeric limit'],
      ['cursor=%25%25', 'a cursor it never gave out'],
      ['delimiter=%2C', 'a delimiter other than /'],
    ])('answers 422 validation-failed naming the parameter for %s (%s)', async (query) => {
      const res = await cp.admin('GET', `/assets?${query}`)
      expect(res.status).toBe(422)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      const problem = (await res.json()) as { type: string; errors: { field: string; message: string }[] }
      expect(problem.type).toMatch(/validation-failed$/)
      expect(problem.errors.map((e) => e.field)).toEqual([query.split('=')[0]])
    })
  })

  describe('DELETE /assets/{path}', () => {
    it('answers 204, removes the file and its .br/.gz siblings, and leaves neighbours alone', async () => {
      await cp.putFixture('del/app.js', 'console.log(1)')
      await cp.putFixture('del/app.js.br', 'br bytes')
      await cp.putFixture('del/app.js.gz', 'gz bytes')
      await cp.putFixture('del/other.js', 'stays')
      const res = await cp.admin('DELETE', '/assets/del/app.js')
      expect(res.status).toBe(204)
      expect(await cp.listFixtures('del')).toEqual(['other.js'])
    })

    it('answers 404 for a missing asset', async () => {
      const res = await cp.admin('DELETE', '/assets/del/never.js')
      expect(res.status).toBe(404)
    })

    it('purges the image derivatives of the deleted source', async () => {
      await upload('/del/hero.png', png)
      const derivatives = () => (existsSync(cp.cacheDir) ? readdirSync(cp.cacheDir, { recursive: true }).map(String).filter((name) => name.endsWith('.webp')) : [])
      const before = derivatives()
      const derived = await fetch(`${cp.publicUrl}/del/hero.png?w=16&fmt=webp`)
      expect([derived.status, derived.headers.get('content-type')]).toEqual([200, 'image/webp'])
      const made = derivatives().filter((name) => !before.includes(name))
      expect(made).toHaveLength(1)

      expect((await cp.admin('DELETE', '/assets/del/hero.png')).status).toBe(204)
      expect(existsSync(join(cp.cacheDir, made[0] ?? ''))).toBe(false)
    })
  })

  describe('audit of asset changes', () => {
    it('records upload (before/after size and ETag) and delete with the token name', async () => {
      const created = await json<AssetJson>(await upload('/audited/file.txt', 'one'))
      const replaced = await json<AssetJson>(await upload('/audited/file.txt', 'three'))
      expect((await cp.admin('DELETE', '/assets/audited/file.txt')).status).toBe(204)

      const entries = (await auditFor('/audited/file.txt')).reverse()
      expect(entries.map((e) => [e.actor, e.action])).toEqual([
        ['bootstrap', 'asset.upload'],
        ['bootstrap', 'asset.upload'],
        ['bootstrap', 'asset.delete'],
      ])
      expect(entries[0]?.before).toBeNull()
      expect(entries[0]?.after).toEqual({ size: 3, etag: created.etag })
      expect(entries[1]?.before).toEqual({ size: 3, etag: created.etag })
      expect(entries[1]?.after).toEqual({ size: 5, etag: replaced.etag })
      expect(entries[2]?.before).toEqual({ size: 5, etag: replaced.etag, siblings: [] })
      expect(entries[2]?.after).toBeNull()
    })

    it('records nothing for a refused upload', async () => {
      await upload('/audited/refused.png', 'not a png')
      expect(await auditFor('/audited/refused.png')).toEqual([])
    })
  })

  describe('asset-changed event', () => {
    it('is emitted with the asset path after an upload and after a delete', async () => {
      const seen: string[] = []
      const listener = (path: string) => seen.push(path)
      cp.running.context.events.on('asset-changed', listener)
      try {
        await upload('/events/a.txt', 'a')
        await cp.admin('DELETE', '/assets/events/a.txt')
      } finally {
        cp.running.context.events.off('asset-changed', listener)
      }
      expect(seen).toEqual(['/events/a.txt', '/events/a.txt'])
    })
  })

  describe('the public listener after an upload', () => {
    it('serves the uploaded bytes, and the new ones after a replace', async () => {
      await upload('/served/hello.txt', 'first')
      const first = await fetch(`${cp.publicUrl}/served/hello.txt`)
      expect(first.status).toBe(200)
      expect(await first.text()).toBe('first')
      const { etag } = await json<AssetJson>(await upload('/served/hello.txt', 'second!'))
      const second = await fetch(`${cp.publicUrl}/served/hello.txt`)
      expect(await second.text()).toBe('second!')
      expect(second.headers.get('etag')).toBe(etag)
    })
  })
})
