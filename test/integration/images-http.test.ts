/**
 * Image derivatives through the public listener: URL API, negotiation, Vary,
 * validators and ranges on derivatives, the cache, the limits, and policy.
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { createFolder, startTestCrossport, type TestCrossport } from '../helpers/crossport'
import { photoJpeg, pngBomb } from '../fixtures/images/generate'

const BROWSER_ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8'

let cp: TestCrossport
let photo: Buffer

/** Derivative files in the cache: one per render, so a count that does not move means nothing was rendered. */
function cachedFiles(t: TestCrossport): string[] {
  const root = join(t.cacheDir, 'images')
  const files: string[] = []
  let folders: string[] = []
  try {
    folders = readdirSync(root)
  } catch {
    return files
  }
  for (const folder of folders) {
    for (const name of readdirSync(join(root, folder))) if (!name.endsWith('.tmp')) files.push(join(root, folder, name))
  }
  return files
}

const varyOf = (res: Response) =>
  (res.headers.get('vary') ?? '')
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== '')

async function image(res: Response) {
  const body = Buffer.from(await res.arrayBuffer())
  return { body, meta: await sharp(body).metadata() }
}

beforeAll(async () => {
  photo = await photoJpeg(1600, 1200)
  cp = await startTestCrossport({
    // Stats are trusted for 0 ms so a replaced source is seen on the next request.
    env: { FILE_CACHE_TTL_MS: '0', MEMORY_CACHE_FILE_BYTES: '0' },
    assets: { 'brand/hero.jpg': photo, 'locked/hero.jpg': photo, 'strict/hero.jpg': photo, 'bomb.png': pngBomb(30000, 30000) },
  })
  await createFolder(cp, '/brand/', { origins: ['https://shop.example'], cacheControl: 'public, max-age=600' })
  await createFolder(cp, '/locked/', { origins: ['https://shop.example'] })
  await createFolder(cp, '/strict/', { origins: ['https://shop.example'], mode: 'strict' })
})

afterAll(async () => {
  await cp.close()
})

describe('GET with image parameters', () => {
  it('w resizes, keeping the source format and the folder’s Cache-Control and CORS headers', async () => {
    const res = await fetch(`${cp.publicUrl}/brand/hero.jpg?w=640`, { headers: { origin: 'https://shop.example' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/jpeg')
    expect(res.headers.get('cache-control')).toBe('public, max-age=600')
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example')
    expect(res.headers.get('etag')).toMatch(/^"[^"]+"$/)
    const { meta } = await image(res)
    expect(meta).toMatchObject({ format: 'jpeg', width: 640, height: 480 })
  })

  it.each([
    ['h=384', { width: 512, height: 384 }],
    ['w=640&h=640', { width: 640, height: 640 }],
    ['w=640&h=640&fit=contain', { width: 640, height: 640 }],
    ['w=640&h=640&fit=inside', { width: 640, height: 480 }],
    ['w=384&dpr=2', { width: 768, height: 576 }],
    ['w=3840', { width: 1600, height: 1200 }],
  ])('?%s gives %j', async (query, size) => {
    const res = await fetch(`${cp.publicUrl}/brand/hero.jpg?${query}`)
    expect(res.status).toBe(200)
    expect((await image(res)).meta).toMatchObject(size)
  })

  it('q changes the encoding quality', async () => {
    const low = await fetch(`${cp.publicUrl}/brand/hero.jpg?w=640&q=50`)
    const high = await fetch(`${cp.publicUrl}/brand/hero.jpg?w=640&q=90`)
    expect((await low.arrayBuffer()).byteLength).toBeLessThan((await high.arrayBuffer()).byteLength)
  })

  it.each([
    ['webp', 'webp'],
    ['avif', 'heif'],
    ['png', 'png'],
    ['jpeg', 'jpeg'],
  ])('fmt=%s encodes in that format without Vary: Accept', async (fmt, decodedFormat) => {
    const res = await fetch(`${cp.publicUrl}/brand/hero.jpg?w=256&fmt=${fmt}`, { headers: { accept: BROWSER_ACCEPT } })
    expect(res.headers.get('content-type')).toBe(`image/${fmt}`)
    expect(varyOf(res)).not.toContain('accept')
    expect((await image(res)).meta).toMatchObject({ format: decodedFormat, width: 256 })
  })

  it('leaves the original alone for a cache buster alone (?v=3)', async () => {
    const res = await fetch(`${cp.publicUrl}/brand/hero.jpg?v=3`)
    expect(res.status).toBe(200)
    expect(Buffer.from(await res.arrayBuffer()).equals(photo)).toBe(true)
  })

  it.each([['w=641'], ['w=640&blur=2'], ['q=101&w=640'], ['fmt=gif&w=640'], ['w=640&dpr=4']])(
    'answers 400 problem+json for ?%s',
    async (query) => {
      const res = await fetch(`${cp.publicUrl}/brand/hero.jpg?${query}`)
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      expect(await res.json()).toMatchObject({ status: 400, type: expect.stringContaining('invalid-image-params') })
    },
  )
})

describe('fmt=auto', () => {
  it('answers AVIF to a browser that accepts it, with Vary: Accept next to Vary: Origin', async () => {
    const res = await fetch(`${cp.publicUrl}/brand/hero.jpg?w=640&fmt=auto`, { headers: { accept: BROWSER_ACCEPT, origin: 'https://shop.example' } })
    expect(res.headers.get('content-type')).toBe('image/avif')
    expect(varyOf(res)).toEqual(expect.arrayContaining(['accept', 'origin']))
    expect((await image(res)).meta).toMatchObject({ format: 'heif', compression: 'av1', width: 640 })
  })

  it('answers WebP when Accept lists WebP only', async () => {
    const res = await fetch(`${cp.publicUrl}/brand/hero.jpg?w=640&fmt=auto`, { headers: { accept: 'image/webp,*/*' } })
    expect(res.headers.get('content-type')).toBe('image/webp')
    expect(varyOf(res)).toContain('accept')
    expect((await image(res)).meta).toMatchObject({ format: 'webp', width: 640 })
  })

  it('answers the source format without Accept', async () => {
    const res = await fetch(`${cp.publicUrl}/brand/hero.jpg?w=640&fmt=auto`, { headers: { accept: '*/*' } })
    expect(res.headers.get('content-type')).toBe('image/jpeg')
    expect(varyOf(res)).toContain('accept')
    expect((await image(res)).meta).toMatchObject({ format: 'jpeg', width: 640 })
  })

  it('answers JPEG for an opaque PNG to a client without AVIF or WebP, and PNG when the source has transparency', async () => {
    const pixels = (channels: 3 | 4) => sharp({ create: { width: 800, height: 600, channels, background: { r: 200, g: 40, b: 90, alpha: 0.5 } } }).png().toBuffer()
    cp.writeAsset('brand/opaque.png', await pixels(3))
    cp.writeAsset('brand/clear.png', await pixels(4))
    const opaque = await fetch(`${cp.publicUrl}/brand/opaque.png?w=640&fmt=auto`, { headers: { accept: 'image/png,*/*' } })
    expect(opaque.headers.get('content-type')).toBe('image/jpeg')
    expect((await image(opaque)).meta).toMatchObject({ format: 'jpeg', width: 640 })
    const clear = await fetch(`${cp.publicUrl}/brand/clear.png?w=640&fmt=auto`, { headers: { accept: 'image/png,*/*' } })
    expect(clear.headers.get('content-type')).toBe('image/png')
    expect((await image(clear)).meta).toMatchObject({ format: 'png', width: 640, hasAlpha: true })
  })
})

describe('a derivative served like any asset', () => {
  const url = () => `${cp.publicUrl}/brand/hero.jpg?w=750&fmt=webp`

  it('answers 304 to If-None-Match with its ETag', async () => {
    const first = await fetch(url())
    await first.arrayBuffer()
    const etag = first.headers.get('etag') as string
    const again = await fetch(url(), { headers: { 'if-none-match': etag } })
    expect(again.status).toBe(304)
    expect(again.headers.get('etag')).toBe(etag)
  })

  it('answers a Range with 206 and only those bytes', async () => {
    const whole = Buffer.from(await (await fetch(url())).arrayBuffer())
    const res = await fetch(url(), { headers: { range: 'bytes=0-99' } })
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes 0-99/${whole.length}`)
    expect(Buffer.from(await res.arrayBuffer()).equals(whole.subarray(0, 100))).toBe(true)
  })

  it('answers HEAD with the derivative’s headers and no body', async () => {
    const res = await fetch(url(), { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/webp')
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(0)
  })
})

describe('the derivative cache', () => {
  it('answers a second request without rendering again', async () => {
    const first = await fetch(`${cp.publicUrl}/brand/hero.jpg?w=828&fmt=webp`)
    const body = Buffer.from(await first.arrayBuffer())
    const files = cachedFiles(cp)
    const stats = files.map((f) => statSync(f).ino)
    const second = await fetch(`${cp.publicUrl}/brand/hero.jpg?w=828&fmt=webp`)
    expect(Buffer.from(await second.arrayBuffer()).equals(body)).toBe(true)
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'))
    expect(cachedFiles(cp)).toEqual(files)
    expect(cachedFiles(cp).map((f) => statSync(f).ino)).toEqual(stats)
  })

  it('renders a replaced source again instead of serving the old derivative', async () => {
    cp.writeAsset('brand/changing.jpg', await photoJpeg(400, 300, 0))
    const before = await fetch(`${cp.publicUrl}/brand/changing.jpg?w=256`)
    expect((await image(before)).meta).toMatchObject({ width: 256, height: 192 })
    cp.writeAsset('brand/changing.jpg', await photoJpeg(800, 200, 30))
    const after = await fetch(`${cp.publicUrl}/brand/changing.jpg?w=256`)
    expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'))
    expect((await image(after)).meta).toMatchObject({ width: 256, height: 64 })
  })
})

describe('limits', () => {
  it('refuses a decompression bomb with 422 problem+json', async () => {
    const res = await fetch(`${cp.publicUrl}/bomb.png?w=640`)
    expect(res.status).toBe(422)
    expect(await res.json()).toMatchObject({ status: 422, type: expect.stringContaining('image-too-large') })
  })

  it('answers 503 with Retry-After when the render queue is full', async () => {
    const busy = await startTestCrossport({ env: { IMAGE_CONCURRENCY: '1', IMAGE_QUEUE_LIMIT: '1' }, assets: { 'hero.jpg': photo } })
    try {
      const widths = [256, 384, 640, 750, 828, 1080]
      const responses = await Promise.all(widths.map((w) => fetch(`${busy.publicUrl}/hero.jpg?w=${w}&fmt=avif`)))
      await Promise.all(responses.map((r) => r.arrayBuffer()))
      const refused = responses.filter((r) => r.status === 503)
      expect(refused.length).toBeGreaterThan(0)
      for (const r of refused) expect(r.headers.get('retry-after')).toBe('1')
      expect(responses.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(2)
    } finally {
      await busy.close()
    }
  })
})

describe('folder policy', () => {
  it('refuses a strict-mode hotlink with 403 before any rendering', async () => {
    const before = cachedFiles(cp).length
    const res = await fetch(`${cp.publicUrl}/strict/hero.jpg?w=640&fmt=webp`, { headers: { origin: 'https://evil.example' } })
    expect(res.status).toBe(403)
    expect(cachedFiles(cp).length).toBe(before)
  })

  it('renders nothing for an origin the folder does not allow', async () => {
    const before = cachedFiles(cp).length
    const res = await fetch(`${cp.publicUrl}/locked/hero.jpg?w=640&fmt=avif`, { headers: { origin: 'https://evil.example' } })
    await res.arrayBuffer()
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(cachedFiles(cp).length).toBe(before)
  })

  it('renders for an allowed origin in the same folder', async () => {
    const res = await fetch(`${cp.publicUrl}/locked/hero.jpg?w=640&fmt=avif`, { headers: { origin: 'https://shop.example' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example')
    expect(res.headers.get('content-type')).toBe('image/avif')
  })
})
