/**
 * Issue #14 (2, 8): a render is bounded in time and cost, work nobody waits
 * for is dropped, and failures never show a server path to a public client.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import type { ImageServiceInternals } from '../../src/images'
import { startTestCrossport, type TestCrossport } from '../helpers/crossport'
import { busySvg, filteredSvg } from '../fixtures/images/generate'

/** Every file under the derivative cache, temp files included. */
function cacheFiles(t: TestCrossport): string[] {
  const root = join(t.cacheDir, 'images')
  let folders: string[] = []
  try {
    folders = readdirSync(root)
  } catch {
    return []
  }
  return folders.flatMap((folder) => readdirSync(join(root, folder)))
}

const imagesOf = (t: TestCrossport) => t.running.context.images as ImageServiceInternals

/** Polls `condition` every 10 ms; fails after `withinMs`. */
async function until(condition: () => boolean, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`)
    await new Promise((done) => setTimeout(done, 10))
  }
}

/** Resolves once no sharp render runs any more (a stopped render ends at libvips' next check). */
const rendersFinished = (t: TestCrossport) => until(() => imagesOf(t).rendersRunning === 0 && imagesOf(t).limiter.activeCount === 0, 45_000)

let cp: TestCrossport
let truncatedPng: Buffer

beforeAll(async () => {
  const png = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#ff0000' } }).png({ compressionLevel: 0 }).toBuffer()
  truncatedPng = png.subarray(0, png.length / 2)
  cp = await startTestCrossport({
    env: { IMAGE_RENDER_TIMEOUT_MS: '300', IMAGE_CONCURRENCY: '1' },
    assets: {
      'slow.svg': busySvg(),
      'stacked-blur.svg': filteredSvg(20),
      'morphology.svg': filteredSvg(1, '<feMorphology operator="dilate" radius="1"/>'),
      'shadow.svg': filteredSvg(1),
      'broken.png': truncatedPng,
    },
  })
})

afterAll(async () => {
  await rendersFinished(cp)
  await cp.close()
})

describe('IMAGE_RENDER_TIMEOUT_MS', () => {
  it('answers 503 with Retry-After and no-store when a render takes too long, and caches nothing', async () => {
    const startedMs = Date.now()
    const res = await fetch(`${cp.publicUrl}/slow.svg?w=640&fmt=png`)
    const elapsedMs = Date.now() - startedMs
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toMatchObject({ status: 503, type: expect.stringContaining('image-render-timeout') })
    // 300 ms, not the ~8 s the render would take.
    expect(elapsedMs).toBeLessThan(3000)

    // libvips stops the render at its next check instead of finishing it, and nothing reaches the cache.
    const stopStartedMs = Date.now()
    await rendersFinished(cp)
    expect(Date.now() - stopStartedMs).toBeLessThan(5000)
    expect(cacheFiles(cp)).toEqual([])
  })

  it('never starts a queued render whose client has left', async () => {
    // Its own server: the first render must hold the only slot for a while.
    const busy = await startTestCrossport({ env: { IMAGE_RENDER_TIMEOUT_MS: '30000', IMAGE_CONCURRENCY: '1' }, assets: { 'slow.svg': busySvg(), 'shadow.svg': filteredSvg(1) } })
    try {
      const images = imagesOf(busy)
      const leavingFirst = new AbortController()
      const first = fetch(`${busy.publicUrl}/slow.svg?w=384&fmt=png`, { signal: leavingFirst.signal }).catch((error: unknown) => error)
      await until(() => images.limiter.activeCount === 1, 30_000)
      const leavingSecond = new AbortController()
      // Quick to render: had it started, its file would be in the cache.
      const second = fetch(`${busy.publicUrl}/shadow.svg?w=32&fmt=png`, { signal: leavingSecond.signal }).catch((error: unknown) => error)
      await until(() => images.limiter.queuedCount === 1)
      leavingSecond.abort()
      await second
      await until(() => images.limiter.queuedCount === 0)
      leavingFirst.abort()
      await first
      await rendersFinished(busy)
      // The first was abandoned (nothing cached); the second left the queue without rendering.
      expect(cacheFiles(busy)).toEqual([])
    } finally {
      await busy.close()
    }
  }, 90_000)
})

describe('SVG filter cost', () => {
  it('refuses stacked blurs with a 422 problem before rendering', async () => {
    const startedMs = Date.now()
    const res = await fetch(`${cp.publicUrl}/stacked-blur.svg?w=640&fmt=png`)
    expect(res.status).toBe(422)
    expect(await res.json()).toMatchObject({ type: expect.stringContaining('image-svg-too-costly') })
    expect(Date.now() - startedMs).toBeLessThan(1000)
  })

  it('refuses a morphology filter at a large width', async () => {
    const res = await fetch(`${cp.publicUrl}/morphology.svg?w=1920&fmt=png`)
    expect(res.status).toBe(422)
    expect((await res.json()) as unknown).toMatchObject({ type: expect.stringContaining('image-svg-too-costly') })
  })

  it('renders a single blur at an icon size', async () => {
    const res = await fetch(`${cp.publicUrl}/shadow.svg?w=64&fmt=png`)
    expect(res.status).toBe(200)
    expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).width).toBe(64)
  })
})

describe('render failures', () => {
  it('answers a damaged image with 415 and a problem that names no server path or process', async () => {
    const res = await fetch(`${cp.publicUrl}/broken.png?w=64&fmt=webp`)
    expect(res.status).toBe(415)
    const body = await res.text()
    expect(JSON.parse(body)).toMatchObject({ type: expect.stringContaining('image-unsupported') })
    expect(body).not.toContain(cp.dir)
    expect(body).not.toContain(cp.cacheDir)
    expect(body).not.toContain(String(process.pid))
    expect(cacheFiles(cp).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })
})
