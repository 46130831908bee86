import type { Browser, Page } from 'playwright-core'
import { CHROMIUM_ARGS, CHROMIUM_PATH, findChromium } from './chromium'
import type { TestCrossport } from '../helpers/crossport'

// The README tour's step 3 in a real browser: assets/demo/try.html, opened on
// http://127.0.0.1:<port>, loads the demo files from http://localhost:<port>
// (another origin) and reports what the browser let it read. Refused on the
// seeded policy; allowed after the tour's `origins allow /demo/ <page origin>`
// and a plain reload, which the page's fresh URLs make work despite caching.

const chromiumPath = findChromium()
if (chromiumPath === undefined) {
  console.warn(`SKIPPED: the README page test needs Chromium at ${CHROMIUM_PATH} (bash scripts/ensure-chromium.sh).`)
}
const describeInChromium = chromiumPath === undefined ? describe.skip : describe

jest.setTimeout(60_000)

describeInChromium('the README tour page (assets/demo/try.html) in Chromium', () => {
  let cp: TestCrossport
  let browser: Browser
  let page: Page
  let pageUrl: string

  beforeAll(async () => {
    const { startTestCrossport } = await import('../helpers/crossport')
    const { shippedDemoAssets } = await import('../helpers/demo-assets')
    const { chromium } = await import('playwright-core')
    cp = await startTestCrossport({ assets: shippedDemoAssets(), env: { SEED_DEMO: 'true' } })
    pageUrl = `${cp.publicUrl.replace('localhost', '127.0.0.1')}/demo/try.html`
    browser = await chromium.launch({ executablePath: chromiumPath as string, args: [...CHROMIUM_ARGS] })
    page = await (await browser.newContext()).newPage()
  })

  afterAll(async () => {
    await browser?.close()
    await cp?.close()
  })

  /** Waits for the page's verdict: how many of its three loads the browser allowed, and what it says. */
  async function verdict(): Promise<{ allowed: string; results: string; hint: string }> {
    // These run in the page; the test's TypeScript has no DOM types, so the page's document is typed here.
    type PageDocument = { body: { dataset: Record<string, string | undefined> }; getElementById(id: string): { textContent: string | null } | null }
    await page.waitForFunction(() => (globalThis as unknown as { document: PageDocument }).document.body.dataset.allowed !== undefined, undefined, { timeout: 15_000 })
    return page.evaluate(() => {
      const doc = (globalThis as unknown as { document: PageDocument }).document
      return {
        allowed: doc.body.dataset.allowed ?? '',
        results: doc.getElementById('results')?.textContent ?? '',
        hint: doc.getElementById('hint')?.textContent ?? '',
      }
    })
  }

  it('is refused on the seeded policy and says which command allows its origin', async () => {
    await page.goto(pageUrl)
    const origin = new URL(pageUrl).origin
    const result = await verdict()
    expect(result.allowed).toBe('0')
    expect(result.results).not.toContain('allowed')
    expect(result.hint).toContain(`npx crossport origins allow /demo/ ${origin}`)
  })

  it('is allowed after its origin is added to /demo/ and the page is reloaded', async () => {
    const origin = new URL(pageUrl).origin
    const found = (await (await cp.admin('GET', '/folders?path=/demo/')).json()) as { items: { id: number }[] }
    const res = await cp.admin('POST', `/folders/${found.items[0]?.id}/origins`, { origin })
    expect(res.status).toBe(201)
    await page.reload()
    const result = await verdict()
    expect(result.results).toMatch(/allowed fetch\(\) of data\.json: read: "read cross-origin with fetch\(\)"/)
    expect(result.results).toMatch(/allowed <img crossorigin> of a derivative \(\?w=256\): drawn to a canvas and read back \(256 px wide\)/)
    expect(result.results).toMatch(/allowed <link rel=stylesheet crossorigin>: \d+ CSS rules readable/)
    expect(result.allowed).toBe('3')
  })
})
