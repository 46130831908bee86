/**
 * The image service against real files, a real cache folder and real sharp:
 * everything below the HTTP layer (images-http.test.ts covers the listener).
 */
import { EventEmitter } from 'node:events'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import sharp from 'sharp'
import type { AppEvents } from '../../src/util/app-events'
import type { DeriveRequest, DerivedImage } from '../../src/images/types'
import type { Telemetry } from '../../src/ops/telemetry'
import { loadConfig } from '../../src/config/config'
import { createImageService, type ImageServiceInternals } from '../../src/images'
import { createLogger } from '../../src/ops/log'
import { animatedGif, photoJpeg, pngBomb, sidewaysJpeg, svgIcon, transparentPng } from '../fixtures/images/generate'

const AVIF_WEBP_ACCEPT = 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8'

interface Harness {
  readonly dir: string
  readonly assetsDir: string
  readonly cacheDir: string
  readonly events: AppEvents
  readonly images: ImageServiceInternals
  readonly counts: { rendered: number; hits: number }
  write(urlPath: string, content: string | Buffer): void
  derive(urlPath: string, query: string, accept?: string): Promise<DerivedImage | null>
}

const harnesses: Harness[] = []

function startHarness(env: Record<string, string> = {}, reuseDir?: string): Harness {
  const dir = reuseDir ?? mkdtempSync(join(tmpdir(), 'crossport-images-'))
  const assetsDir = join(dir, 'assets')
  const cacheDir = join(dir, 'cache')
  mkdirSync(assetsDir, { recursive: true })
  const config = loadConfig({ ASSETS_DIR: assetsDir, CACHE_DIR: cacheDir, DATABASE_PATH: join(dir, 'db.sqlite'), LOG_LEVEL: 'silent', ...env })
  const counts = { rendered: 0, hits: 0 }
  const telemetry: Telemetry = {
    requestFinished() {},
    policyReloaded() {},
    imageRendered: () => void counts.rendered++,
    imageCacheHit: () => void counts.hits++,
  }
  const events = new EventEmitter() as AppEvents
  const images = createImageService({ config, logger: createLogger(config), telemetry, events })
  const harness: Harness = {
    dir,
    assetsDir,
    cacheDir,
    events,
    images,
    counts,
    write(urlPath, content) {
      const full = join(assetsDir, urlPath)
      mkdirSync(dirname(full), { recursive: true })
      writeFileSync(full, content)
    },
    derive(urlPath, query, accept) {
      return images.derive(requestFor(assetsDir, urlPath, query, accept))
    },
  }
  harnesses.push(harness)
  return harness
}

/** What delivery hands the service: the file's stat and a strong ETag built from it. */
function requestFor(assetsDir: string, urlPath: string, query: string, accept?: string): DeriveRequest {
  const filePath = join(assetsDir, urlPath)
  const s = statSync(filePath)
  return {
    urlPath,
    filePath,
    sizeBytes: s.size,
    mtimeMs: s.mtimeMs,
    etag: `"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`,
    query: new URLSearchParams(query),
    accept,
  }
}

async function decoded(result: DerivedImage | null) {
  expect(result).not.toBeNull()
  return sharp((result as DerivedImage).filePath).metadata()
}

/** Files (not temp files) under the cache's image folder. */
function cachedFiles(h: Harness): string[] {
  const root = join(h.cacheDir, 'images')
  let files: string[] = []
  try {
    for (const folder of readdirSync(root)) files = files.concat(readdirSync(join(root, folder)).map((f) => join(root, folder, f)))
  } catch {
    return []
  }
  return files.filter((f) => !f.endsWith('.tmp'))
}

let photo: Buffer
let h: Harness

beforeAll(async () => {
  photo = await photoJpeg(1600, 1200)
  h = startHarness()
  h.write('/brand/hero.jpg', photo)
  h.write('/brand/alpha.png', await transparentPng(400, 300))
  h.write('/brand/sideways.jpg', await sidewaysJpeg(400, 200))
  h.write('/brand/spinner.gif', await animatedGif(64, 48))
  h.write('/brand/logo.svg', svgIcon())
  h.write('/brand/readme.txt', 'not an image')
  h.write('/brand/fake.jpg', 'not a jpeg either')
})

afterAll(async () => {
  for (const x of harnesses) await x.images.cache.settled()
  for (const x of new Set(harnesses.map((x) => x.dir))) rmSync(x, { recursive: true, force: true })
})

describe('resizing parameters', () => {
  it('w resizes to that width keeping the aspect ratio and the source format', async () => {
    const meta = await decoded(await h.derive('/brand/hero.jpg', 'w=640'))
    expect(meta).toMatchObject({ format: 'jpeg', width: 640, height: 480 })
  })

  it('h resizes to that height keeping the aspect ratio', async () => {
    const meta = await decoded(await h.derive('/brand/hero.jpg', 'h=384'))
    expect(meta).toMatchObject({ width: 512, height: 384 })
  })

  it('w and h crop to the exact box by default (fit=cover)', async () => {
    const meta = await decoded(await h.derive('/brand/hero.jpg', 'w=640&h=640'))
    expect(meta).toMatchObject({ width: 640, height: 640 })
  })

  it('fit=contain letterboxes into the exact box, padding JPEG with white', async () => {
    const result = await h.derive('/brand/hero.jpg', 'w=640&h=640&fit=contain')
    expect(await decoded(result)).toMatchObject({ width: 640, height: 640 })
    const { data } = await sharp((result as DerivedImage).filePath).raw().toBuffer({ resolveWithObject: true })
    // The top-left pixel is padding (a 640×480 picture centred in 640×640).
    expect([data[0], data[1], data[2]].every((v) => (v as number) > 240)).toBe(true)
  })

  it('fit=contain pads with transparency where the format has alpha', async () => {
    const meta = await decoded(await h.derive('/brand/hero.jpg', 'w=640&h=640&fit=contain&fmt=png'))
    expect(meta).toMatchObject({ width: 640, height: 640, hasAlpha: true })
  })

  it('fit=inside fits within the box without cropping', async () => {
    const meta = await decoded(await h.derive('/brand/hero.jpg', 'w=640&h=640&fit=inside'))
    expect(meta).toMatchObject({ width: 640, height: 480 })
  })

  it('dpr multiplies the requested width', async () => {
    const meta = await decoded(await h.derive('/brand/hero.jpg', 'w=384&dpr=2'))
    expect(meta.width).toBe(768)
  })

  it('never upscales past the source', async () => {
    const meta = await decoded(await h.derive('/brand/hero.jpg', 'w=3840'))
    expect(meta).toMatchObject({ width: 1600, height: 1200 })
  })

  it('q changes the encoding quality', async () => {
    const low = await h.derive('/brand/hero.jpg', 'w=640&q=50')
    const high = await h.derive('/brand/hero.jpg', 'w=640&q=90')
    expect(statSync((low as DerivedImage).filePath).size).toBeLessThan(statSync((high as DerivedImage).filePath).size)
  })

  it('answers 400 INVALID_IMAGE_PARAMS for values outside the configured sets and unknown parameters', async () => {
    await expect(h.derive('/brand/hero.jpg', 'w=641')).rejects.toMatchObject({ code: 'INVALID_IMAGE_PARAMS', status: 400 })
    await expect(h.derive('/brand/hero.jpg', 'w=640&blur=3')).rejects.toMatchObject({ status: 400, fields: [{ field: 'blur' }] })
  })
})

describe('formats', () => {
  it.each([
    ['webp', 'webp'],
    ['avif', 'heif'],
    ['png', 'png'],
    ['jpeg', 'jpeg'],
  ])('fmt=%s encodes as %s whatever Accept says, with no Vary beyond Origin', async (fmt, decodedFormat) => {
    const result = await h.derive('/brand/hero.jpg', `w=256&fmt=${fmt}`, 'image/jpeg')
    const meta = await decoded(result)
    expect(meta.format).toBe(decodedFormat)
    expect(meta.width).toBe(256)
    expect(result?.contentType).toBe(`image/${fmt}`)
    expect(result?.vary).toEqual([])
  })

  it('fmt=auto picks AVIF when Accept lists it, and says Vary: Accept', async () => {
    const result = await h.derive('/brand/hero.jpg', 'w=640&fmt=auto', AVIF_WEBP_ACCEPT)
    expect(await decoded(result)).toMatchObject({ format: 'heif', compression: 'av1', width: 640 })
    expect(result).toMatchObject({ contentType: 'image/avif', vary: ['Accept'] })
  })

  it('fmt=auto picks WebP when Accept lists WebP but not AVIF', async () => {
    const result = await h.derive('/brand/hero.jpg', 'w=640&fmt=auto', 'image/webp,*/*')
    expect(await decoded(result)).toMatchObject({ format: 'webp', width: 640 })
    expect(result).toMatchObject({ contentType: 'image/webp', vary: ['Accept'] })
  })

  it('fmt=auto keeps the source format without Accept', async () => {
    const result = await h.derive('/brand/hero.jpg', 'w=640&fmt=auto', undefined)
    expect(await decoded(result)).toMatchObject({ format: 'jpeg', width: 640 })
    expect(result).toMatchObject({ contentType: 'image/jpeg', vary: ['Accept'] })
  })

  it('flattens transparency onto white when a PNG becomes a JPEG', async () => {
    const result = await h.derive('/brand/alpha.png', 'w=128&fmt=jpeg')
    const meta = await decoded(result)
    expect(meta).toMatchObject({ format: 'jpeg', width: 128, hasAlpha: false })
    const { data } = await sharp((result as DerivedImage).filePath).raw().toBuffer({ resolveWithObject: true })
    // 50% blue over white, not over black.
    expect(data[0]).toBeGreaterThan(100)
  })

  it('keeps transparency in PNG', async () => {
    expect(await decoded(await h.derive('/brand/alpha.png', 'w=128'))).toMatchObject({ format: 'png', hasAlpha: true })
  })
})

describe('source handling', () => {
  it('applies EXIF orientation and strips the metadata', async () => {
    const meta = await decoded(await h.derive('/brand/sideways.jpg', 'w=128'))
    expect(meta).toMatchObject({ width: 128, height: 256 })
    expect(meta.orientation).toBeUndefined()
    expect(meta.exif).toBeUndefined()
  })

  it('keeps the animation of an animated GIF', async () => {
    const gif = await decoded(await h.derive('/brand/spinner.gif', 'w=32'))
    expect(gif).toMatchObject({ format: 'gif', width: 32, pages: 3 })
    const webp = await decoded(await h.derive('/brand/spinner.gif', 'w=32&fmt=auto', AVIF_WEBP_ACCEPT))
    expect(webp).toMatchObject({ format: 'webp', width: 32, pages: 3 })
  })

  it('refuses with 415 to turn an animation into a still format', async () => {
    await expect(h.derive('/brand/spinner.gif', 'w=32&fmt=jpeg')).rejects.toMatchObject({
      code: 'IMAGE_UNSUPPORTED',
      status: 415,
      message: expect.stringContaining('animated'),
    })
  })

  it('serves SVG as it is unless a raster format is named', async () => {
    expect(await h.derive('/brand/logo.svg', 'w=640')).toBeNull()
    expect(await h.derive('/brand/logo.svg', 'w=640&fmt=auto', AVIF_WEBP_ACCEPT)).toBeNull()
  })

  it('rasterises SVG crisply at the asked width when fmt names a raster format', async () => {
    const result = await h.derive('/brand/logo.svg', 'w=640&fmt=png')
    expect(await decoded(result)).toMatchObject({ format: 'png', width: 640, height: 640 })
  })

  it('answers null for files that are not images, whatever their name', async () => {
    expect(await h.derive('/brand/readme.txt', 'w=640')).toBeNull()
    expect(await h.derive('/brand/fake.jpg', 'w=640')).toBeNull()
  })
})

describe('the pixel limit', () => {
  it('refuses a decompression bomb with 422 after reading only its header', async () => {
    h.write('/bomb.png', pngBomb(30000, 30000))
    const before = h.counts.rendered
    await expect(h.derive('/bomb.png', 'w=640')).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE', status: 422 })
    expect(h.counts.rendered).toBe(before)
  })

  it('applies IMAGE_MAX_PIXELS to ordinary images, counting every frame', async () => {
    const small = startHarness({ IMAGE_MAX_PIXELS: '5000' })
    small.write('/a.jpg', await photoJpeg(100, 100))
    small.write('/spinner.gif', await animatedGif(40, 40, 4))
    await expect(small.derive('/a.jpg', 'w=64')).rejects.toMatchObject({ status: 422 })
    // 40×40 = 1600 pixels a frame, 6400 for four.
    await expect(small.derive('/spinner.gif', 'w=32')).rejects.toMatchObject({ status: 422, message: expect.stringContaining('4 frames') })
  })
})

describe('the disk cache', () => {
  it('answers a second request from the cache without rendering', async () => {
    const first = await h.derive('/brand/hero.jpg', 'w=750&fmt=webp')
    const rendered = h.counts.rendered
    const hits = h.counts.hits
    const firstStat = statSync((first as DerivedImage).filePath)
    const second = await h.derive('/brand/hero.jpg', 'w=750&fmt=webp')
    expect(second).toEqual(first)
    expect(h.counts.rendered).toBe(rendered)
    expect(h.counts.hits).toBe(hits + 1)
    expect(statSync((second as DerivedImage).filePath).ino).toBe(firstStat.ino)
  })

  it('shares one file between queries that ask for the same picture', async () => {
    const a = await h.derive('/brand/hero.jpg', 'w=128&dpr=2&fmt=webp')
    const rendered = h.counts.rendered
    const b = await h.derive('/brand/hero.jpg', 'w=256&fmt=auto&q=75', 'image/webp')
    expect(b?.filePath).toBe(a?.filePath)
    expect(h.counts.rendered).toBe(rendered)
  })

  it('renders once for concurrent first requests of the same derivative', async () => {
    const rendered = h.counts.rendered
    const results = await Promise.all(Array.from({ length: 6 }, () => h.derive('/brand/hero.jpg', 'w=828&fmt=webp')))
    expect(new Set(results.map((r) => r?.filePath)).size).toBe(1)
    expect(h.counts.rendered).toBe(rendered + 1)
  })

  it('never serves a derivative of the old bytes after the source changes, and removes the stale file', async () => {
    h.write('/brand/changing.jpg', await photoJpeg(400, 300, 0))
    const before = await h.derive('/brand/changing.jpg', 'w=256')
    h.write('/brand/changing.jpg', await photoJpeg(800, 600, 40))
    // A different size changes the ETag even within the same millisecond.
    const after = await h.derive('/brand/changing.jpg', 'w=256')
    expect(after?.filePath).not.toBe(before?.filePath)
    expect(await decoded(after)).toMatchObject({ width: 256, height: 192 })
    await h.images.cache.settled()
    expect(cachedFiles(h)).not.toContain(before?.filePath)
  })

  it('drops a source’s derivatives on asset-changed, so the next request renders again', async () => {
    h.write('/brand/replaced.jpg', await photoJpeg(400, 300))
    const first = await h.derive('/brand/replaced.jpg', 'w=128')
    const folder = dirname((first as DerivedImage).filePath)
    h.events.emit('asset-changed', '/brand/replaced.jpg')
    await h.images.purge('/brand/replaced.jpg')
    expect(() => statSync(folder)).toThrow()
    const rendered = h.counts.rendered
    await h.derive('/brand/replaced.jpg', 'w=128')
    expect(h.counts.rendered).toBe(rendered + 1)
  })

  it('finds derivatives a previous process rendered, without rendering again', async () => {
    const first = startHarness()
    first.write('/p.jpg', await photoJpeg(400, 300))
    const made = await first.derive('/p.jpg', 'w=256&fmt=webp')
    const restarted = startHarness({}, first.dir)
    const found = await restarted.derive('/p.jpg', 'w=256&fmt=webp')
    expect(found?.filePath).toBe(made?.filePath)
    expect(restarted.counts).toEqual({ rendered: 0, hits: 1 })
  })

  it('evicts the least recently used files to stay within CACHE_MAX_BYTES', async () => {
    const tight = startHarness({ CACHE_MAX_BYTES: '20000' })
    tight.write('/p.jpg', await photoJpeg(800, 600))
    const widths = [256, 384, 640, 750]
    const made: DerivedImage[] = []
    for (const w of widths) {
      made.push((await tight.derive('/p.jpg', `w=${w}&fmt=png`)) as DerivedImage)
      // mtime is the recency signal for files no hit has touched; make the order unambiguous.
      const last = made[made.length - 1] as DerivedImage
      const t = Date.now() / 1000 - 100 + made.length
      utimesSync(last.filePath, t, t)
      await tight.images.cache.settled()
    }
    const files = cachedFiles(tight)
    const total = files.reduce((sum, f) => sum + statSync(f).size, 0)
    expect(total).toBeLessThanOrEqual(20000)
    expect(files).not.toContain(made[0]?.filePath)
    // An evicted derivative is rendered again on its next request.
    const rendered = tight.counts.rendered
    await tight.derive('/p.jpg', 'w=256&fmt=png')
    expect(tight.counts.rendered).toBe(rendered + 1)
  })
})

describe('the render queue', () => {
  it('answers 503 with Retry-After when IMAGE_CONCURRENCY renders run and IMAGE_QUEUE_LIMIT wait', async () => {
    const busy = startHarness({ IMAGE_CONCURRENCY: '1', IMAGE_QUEUE_LIMIT: '1' })
    busy.write('/hero.jpg', photo)
    const widths = [256, 384, 640, 750, 828, 1080]
    const outcomes = await Promise.allSettled(widths.map((w) => busy.derive('/hero.jpg', `w=${w}&fmt=avif`)))
    const refused = outcomes.filter((o) => o.status === 'rejected')
    expect(refused.length).toBeGreaterThan(0)
    for (const o of refused) {
      expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'OVERLOADED', status: 503, headers: { 'Retry-After': '1' } })
    }
    expect(outcomes.filter((o) => o.status === 'fulfilled').length).toBeGreaterThanOrEqual(2)
    expect(busy.images.limiter.activeCount).toBe(0)
  })
})
