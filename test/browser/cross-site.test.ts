import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Response as PlaywrightResponse } from 'playwright-core'
import { CHROMIUM_PATH, findChromium } from './chromium'
import type * as Harness from './harness'
import type { BrowserProof, ProbeSession, SiteName } from './harness'

// The proof that matters for a CORS server: a real browser, on real pages of
// other origins, loading Crossport assets and reporting from inside the page
// what it was allowed to do. The allowed site is http://127.0.0.1:<p1>, the
// refused site http://localhost:<p2>; Crossport runs on http://127.0.0.1:<p0>.

const chromiumPath = findChromium()
if (chromiumPath === undefined) {
  console.warn(
    `SKIPPED: the browser tests need Chromium at ${CHROMIUM_PATH}. ` +
      'Install it with `bash scripts/ensure-chromium.sh` (root, Debian); .ci/run does this before `npm test`.',
  )
}
const describeInChromium = chromiumPath === undefined ? describe.skip : describe

jest.setTimeout(60_000)

const DEMO_SCRIPT_MESSAGE = 'crossport-demo: thrown on purpose'
const DEMO_CSS_GREEN = 'rgb(21, 128, 61)'

describeInChromium('Chromium pages on other origins using Crossport assets', () => {
  // Loaded only when Chromium is here, so a skipped run does not start (or even load) Crossport.
  let harness: typeof Harness
  let proof: BrowserProof

  beforeAll(async () => {
    harness = await import('./harness')
    proof = await harness.startBrowserProof(chromiumPath as string)
  })

  afterAll(async () => {
    await proof?.close()
  })

  /** Each test gets a fresh browser context: no cache or cookies carried over from another test. */
  async function onSite<T>(site: SiteName, check: (session: ProbeSession) => Promise<T>): Promise<T> {
    const session = await proof.openSite(site)
    try {
      return await check(session)
    } finally {
      await session.close()
    }
  }

  /**
   * Starts waiting for Crossport's response to `url` (call it before the probe
   * runs). Resolves undefined after a few seconds when none came: Chromium
   * reports no response event for a load it blocked on CORS grounds, and the
   * probe's own result is asserted first, which gives the clearer failure.
   */
  const responseFor = (session: ProbeSession, url: string, status?: number): Promise<PlaywrightResponse | undefined> =>
    session.page
      .waitForResponse((r: PlaywrightResponse) => r.url() === url && (status === undefined || r.status() === status), { timeout: 5_000 })
      .catch(() => undefined)

  describe('<img crossorigin="anonymous"> drawn to a canvas', () => {
    it('loads on the allowed site and the canvas can be read back with toDataURL()', async () => {
      const result = await onSite('allowed', (s) => s.run('image', proof.assetUrl('shared', 'img/crossport.png'), { crossOrigin: 'anonymous' }))
      expect(result).toMatchObject({ loaded: true, naturalWidth: 640, naturalHeight: 360 })
      expect(result.canvas).toMatchObject({ readable: true, dataUrlPrefix: 'data:image/png;base64,' })
    })

    it('fails to load on the refused site', async () => {
      const result = await onSite('refused', (s) => s.run('image', proof.assetUrl('shared', 'img/crossport.png'), { crossOrigin: 'anonymous' }))
      expect(result).toEqual({ loaded: false })
    })

    it('without crossorigin shows on the refused site, but the canvas is tainted and toDataURL() throws SecurityError', async () => {
      // cors mode only governs what the page may read: display is not refused (strict mode is for that).
      const result = await onSite('refused', (s) => s.run('image', proof.assetUrl('shared', 'img/crossport.png')))
      expect(result).toMatchObject({ loaded: true, canvas: { readable: false, error: 'SecurityError' } })
    })
  })

  describe('<script crossorigin> that throws', () => {
    it('gives the allowed site the full error message in window.onerror', async () => {
      const result = await onSite('allowed', (s) => s.run('script', proof.assetUrl('shared', 'js/boom.js'), { crossOrigin: 'anonymous' }))
      expect(result).toMatchObject({ loaded: true, ran: true })
      expect(result.errors.some((m) => m.includes(DEMO_SCRIPT_MESSAGE))).toBe(true)
    })

    it('cannot be loaded by the refused site', async () => {
      const result = await onSite('refused', (s) => s.run('script', proof.assetUrl('shared', 'js/boom.js'), { crossOrigin: 'anonymous' }))
      expect(result).toEqual({ loaded: false, ran: false, errors: [] })
    })

    it('without crossorigin runs on the refused site but its error is muted to "Script error."', async () => {
      const result = await onSite('refused', (s) => s.run('script', proof.assetUrl('shared', 'js/boom.js')))
      expect(result).toEqual({ loaded: true, ran: true, errors: ['Script error.'] })
    })
  })

  describe('<link rel="stylesheet" crossorigin>', () => {
    it('lets the allowed site read cssRules and applies the rules', async () => {
      const result = await onSite('allowed', (s) => s.run('stylesheet', proof.assetUrl('shared', 'css/site.css'), { crossOrigin: 'anonymous' }))
      expect(result).toMatchObject({ loaded: true, rulesReadable: true, color: DEMO_CSS_GREEN })
      expect(result.selectors).toContain('.crossport-styled')
    })

    it('is not loaded or applied on the refused site', async () => {
      const result = await onSite('refused', (s) => s.run('stylesheet', proof.assetUrl('shared', 'css/site.css'), { crossOrigin: 'anonymous' }))
      expect(result).toMatchObject({ loaded: false, rulesReadable: false })
      expect(result.color).not.toBe(DEMO_CSS_GREEN)
    })
  })

  describe('@font-face with a woff2 from Crossport', () => {
    it('is loaded and used for text on the allowed site', async () => {
      const result = await onSite('allowed', (s) => s.run('font', proof.assetUrl('shared', 'fonts/open-sans-regular.woff2'), harness.DEMO_FONT_FAMILY))
      expect(result).toMatchObject({ status: 'loaded', check: true, widthDiffers: true })
    })

    it('is blocked on the refused site (fonts are always fetched in CORS mode)', async () => {
      const result = await onSite('refused', (s) => s.run('font', proof.assetUrl('shared', 'fonts/open-sans-regular.woff2'), harness.DEMO_FONT_FAMILY))
      expect(result).toMatchObject({ status: 'error', widthDiffers: false })
    })
  })

  describe('fetch() with a custom request header (a CORS preflight first)', () => {
    it('succeeds on the allowed site when the policy allows that header', async () => {
      const result = await onSite('allowed', (s) =>
        s.run('fetch', proof.assetUrl('shared', 'data.json'), { headers: { [harness.ALLOWED_CUSTOM_HEADER]: '1' } }),
      )
      expect(result).toMatchObject({ ok: true, status: 200 })
      expect(result.body).toContain('crossport-demo')
    })

    it('fails on the allowed site when the policy does not allow that header', async () => {
      const result = await onSite('allowed', (s) =>
        s.run('fetch', proof.assetUrl('shared', 'data.json'), { headers: { [harness.REFUSED_CUSTOM_HEADER]: '1' } }),
      )
      expect(result).toEqual({ ok: false, error: 'TypeError' })
    })

    it('fails on the refused site even with an allowed header', async () => {
      const result = await onSite('refused', (s) =>
        s.run('fetch', proof.assetUrl('shared', 'data.json'), { headers: { [harness.ALLOWED_CUSTOM_HEADER]: '1' } }),
      )
      expect(result).toEqual({ ok: false, error: 'TypeError' })
    })
  })

  describe("fetch(…, { credentials: 'include' })", () => {
    it('succeeds on the allowed site for a folder whose policy allows credentials', async () => {
      const result = await onSite('allowed', (s) => s.run('fetch', proof.assetUrl('private', 'data.json'), { credentials: 'include' }))
      expect(result).toMatchObject({ ok: true, status: 200 })
    })

    it('fails on the allowed site for a folder whose policy does not allow credentials', async () => {
      const result = await onSite('allowed', (s) => s.run('fetch', proof.assetUrl('shared', 'data.json'), { credentials: 'include' }))
      expect(result).toEqual({ ok: false, error: 'TypeError' })
    })

    it('fails on the refused site', async () => {
      const result = await onSite('refused', (s) => s.run('fetch', proof.assetUrl('private', 'data.json'), { credentials: 'include' }))
      expect(result).toEqual({ ok: false, error: 'TypeError' })
    })
  })

  describe('<video crossorigin> served with byte ranges', () => {
    it('plays on the allowed site from 206 responses and a frame can be read from a canvas', async () => {
      const url = proof.assetUrl('shared', 'video/clip.webm')
      await onSite('allowed', async (s) => {
        const partial = responseFor(s, url, 206)
        const result = await s.run('video', url, { crossOrigin: 'anonymous' })
        expect(result).toMatchObject({ played: true, videoWidth: 320, videoHeight: 180, canvas: { readable: true } })
        // Chromium's media loader asks with Range; Crossport answered at least one of those with 206.
        expect((await partial)?.headers()['content-range']).toMatch(/^bytes \d+-\d+\/51458$/)
      })
    })

    it('does not play on the refused site', async () => {
      const result = await onSite('refused', (s) =>
        s.run('video', proof.assetUrl('shared', 'video/clip.webm'), { crossOrigin: 'anonymous' }),
      )
      expect(result.played).toBe(false)
      expect(result.timedOut).toBeUndefined()
    })
  })

  describe('image derivative ?w=256&fmt=auto', () => {
    it('arrives in Chromium as AVIF or WebP, 256 px wide and readable from a canvas on the allowed site', async () => {
      const url = `${proof.assetUrl('shared', 'img/crossport.png')}?w=256&fmt=auto`
      await onSite('allowed', async (s) => {
        const response = responseFor(s, url)
        const result = await s.run('image', url, { crossOrigin: 'anonymous' })
        expect(result).toMatchObject({ loaded: true, naturalWidth: 256, canvas: { readable: true } })
        const headers = (await response)?.headers() ?? {}
        expect(headers['content-type']).toMatch(/^image\/(avif|webp)$/)
        expect(headers['vary']?.toLowerCase()).toContain('accept')
      })
    })

    it('inherits the folder policy: refused site cannot load it', async () => {
      const url = `${proof.assetUrl('shared', 'img/crossport.png')}?w=256&fmt=auto`
      const result = await onSite('refused', (s) => s.run('image', url, { crossOrigin: 'anonymous' }))
      expect(result).toEqual({ loaded: false })
    })
  })

  describe('strict mode (hotlink protection)', () => {
    it('answers 403 to a plain <img> (no crossorigin) on the refused site', async () => {
      const url = proof.assetUrl('strict', 'img/crossport.png')
      await onSite('refused', async (s) => {
        const response = responseFor(s, url)
        const result = await s.run('image', url)
        expect(result).toEqual({ loaded: false })
        expect((await response)?.status()).toBe(403)
      })
    })

    it('serves the same plain <img> to the allowed site', async () => {
      const url = proof.assetUrl('strict', 'img/crossport.png')
      await onSite('allowed', async (s) => {
        const response = responseFor(s, url)
        const result = await s.run('image', url)
        expect(result).toMatchObject({ loaded: true, naturalWidth: 640 })
        expect((await response)?.status()).toBe(200)
      })
    })
  })

  describe('a policy change through the admin API', () => {
    it('lets the refused site in without a restart, and shuts it out again when the origin is removed', async () => {
      const folderId = proof.folderIds.live
      const refusedOrigin = proof.sites.refused.origin
      // Every try uses a new query string. The first refusal was a 200 with
      // `Cache-Control: public` (only the CORS check failed), so Chromium may
      // keep it in its HTTP cache; a reused URL could replay that stored answer
      // without asking Crossport. A fresh URL is a new cache key, so each result
      // below is Crossport's answer at that moment.
      const data = (v: number) => `${proof.assetUrl('live', 'data.json')}?v=${v}`
      const img = (v: number) => `${proof.assetUrl('live', 'img/crossport.png')}?v=${v}`

      await onSite('refused', async (s) => {
        expect(await s.run('fetch', data(1))).toEqual({ ok: false, error: 'TypeError' })
        expect(await s.run('image', img(1), { crossOrigin: 'anonymous' })).toEqual({ loaded: false })

        const added = await proof.crossport.admin('POST', `/folders/${folderId}/origins`, { origin: refusedOrigin })
        expect(added.status).toBe(201)

        expect(await s.run('fetch', data(2))).toMatchObject({ ok: true, status: 200 })
        expect(await s.run('image', img(2), { crossOrigin: 'anonymous' })).toMatchObject({ loaded: true, canvas: { readable: true } })

        const removed = await proof.crossport.admin('DELETE', `/folders/${folderId}/origins/${encodeURIComponent(refusedOrigin)}`)
        expect(removed.status).toBe(204)

        expect(await s.run('fetch', data(3))).toEqual({ ok: false, error: 'TypeError' })
      })
    })
  })

  describe('the demo page of each site', () => {
    it('shows every check working on the allowed site and blocked on the refused one (screenshots in test-artifacts/)', async () => {
      const allowed = await proof.screenshotDemo('allowed')
      const refused = await proof.screenshotDemo('refused')
      const combined = join(harness.ARTIFACTS_DIR, 'browser-sites.png')
      await harness.combineScreenshots(allowed.screenshotPath, refused.screenshotPath, combined)
      expect(allowed.checks.length).toBe(7)
      expect(allowed.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([])
      expect(refused.checks.filter((c) => c.ok).map((c) => c.name)).toEqual([])
      expect(existsSync(combined)).toBe(true)
    })
  })
})
