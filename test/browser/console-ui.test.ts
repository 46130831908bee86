import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import sharp from 'sharp'
import { createFolder, startTestCrossport, type TestCrossport } from '../helpers/crossport'
import { CHROMIUM_ARGS, CHROMIUM_PATH, findChromium } from './chromium'

const ROOT = join(__dirname, '..', '..')
const ARTIFACTS_DIR = join(ROOT, 'test-artifacts')

/**
 * Screenshots go to test-artifacts/ (git-ignored). The README's copies in
 * docs/img/ are refreshed only on request: `UPDATE_DOC_IMAGES=1 npm run test:browser`.
 */
function screenshotPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true })
  return join(ARTIFACTS_DIR, name)
}
function publishScreenshot(name: string): void {
  expect(statSync(join(ARTIFACTS_DIR, name)).size).toBeGreaterThan(1000)
  if (process.env.UPDATE_DOC_IMAGES === '1') copyFileSync(join(ARTIFACTS_DIR, name), join(ROOT, 'docs', 'img', name))
}
const chromiumPath = findChromium()
if (chromiumPath === undefined) {
  console.warn(
    `SKIPPED: the console browser tests need Chromium at ${CHROMIUM_PATH}. ` +
      'Install it with `bash scripts/ensure-chromium.sh` (root, Debian); .ci/run does this before `npm test`.',
  )
}
const describeInBrowser = chromiumPath === undefined ? describe.skip : describe

jest.setTimeout(90_000)

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="#0b5cad"/></svg>'
const LOOKALIKE = 'https://shop.example.evil.net'

let cp: TestCrossport
let consoleUrl: string

beforeAll(async () => {
  // The page's modules are compiled separately (browser ES modules, lib DOM).
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', join(ROOT, 'tsconfig.console.json')], { cwd: ROOT, stdio: 'inherit' })
  cp = await startTestCrossport({ assets: { 'brand/logo.svg': SVG, 'lookalike/a.svg': SVG } })
  await createFolder(cp, '/brand/', { origins: [] })
  await createFolder(cp, '/lookalike/', { origins: ['https://*.shop.example'] })
  consoleUrl = `${cp.adminUrl}/admin/`
})

afterAll(async () => {
  await cp?.close()
})

describe('serving the console on the admin listener', () => {
  it('redirects /admin to /admin/', async () => {
    const res = await fetch(`${cp.adminUrl}/admin`, { redirect: 'manual' })
    expect(res.status).toBe(301)
    expect(res.headers.get('location')).toBe('/admin/')
  })

  it('serves the page with a strict CSP, no framing, nosniff and no-cache', async () => {
    const res = await fetch(consoleUrl)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const csp = res.headers.get('content-security-policy') ?? ''
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"]) {
      expect(csp).toContain(directive)
    }
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*\.|https:\s|http:\s/)
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('cache-control')).toBe('no-cache')
  })

  it('has no inline script or style in its HTML', async () => {
    const html = await (await fetch(consoleUrl)).text()
    const scripts = html.match(/<script\b[^>]*>/g) ?? []
    expect(scripts.length).toBeGreaterThan(0)
    for (const tag of scripts) expect(tag).toMatch(/\bsrc="/)
    expect(html).not.toMatch(/<style\b|\sstyle="|\son[a-z]+="/i)
  })

  it('serves its stylesheet and compiled modules with their media types', async () => {
    const css = await fetch(`${consoleUrl}styles.css`)
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toMatch(/^text\/css/)
    expect(css.headers.get('content-security-policy')).toContain("default-src 'self'")
    const js = await fetch(`${consoleUrl}js/main.js`)
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toMatch(/javascript/)
  })

  it('serves nothing but its own files: sources and traversal attempts are not found', async () => {
    for (const path of ['src/main.ts', 'tsconfig.console.json', 'js/..%2f..%2fpackage.json', 'js/%2e%2e/%2e%2e/package.json', '..%2fpackage.json', 'index.html.map']) {
      const res = await fetch(`${consoleUrl}${path}`)
      expect(res.status).toBe(404)
    }
  })

  it('leaves /admin/v1 to the API: no token, no console', async () => {
    const res = await fetch(`${cp.adminUrl}/admin/v1/folders`)
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  })
})

describeInBrowser('the operator console in Chromium', () => {
  let browser: Browser
  /** Script errors and CSP violations seen by the current page; each test expects none. */
  let pageProblems: string[]

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: chromiumPath as string, args: [...CHROMIUM_ARGS] })
  })

  afterAll(async () => {
    await browser?.close()
  })

  async function openConsole(viewport = { width: 1100, height: 900 }): Promise<Page> {
    const context = await browser.newContext({ viewport })
    const page = await context.newPage()
    pageProblems = []
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`))
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) pageProblems.push(`console: ${message.text()}`)
    })
    await page.goto(consoleUrl)
    return page
  }

  async function signIn(page: Page, token = cp.token): Promise<void> {
    await page.getByLabel('Admin token').fill(token)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.locator('#folder-tree .tree-path').first().waitFor()
  }

  /** The Assets view on `folder` (typed as an operator would), with previews from the test's public listener. */
  async function openAssetFolder(page: Page, folder: string): Promise<void> {
    await page.getByRole('link', { name: 'Assets' }).click()
    await page.getByLabel('Public URL of the assets').fill(cp.publicUrl)
    await page.getByLabel('Public URL of the assets').press('Tab')
    await page.getByLabel('Folder', { exact: true }).fill(folder)
    await page.getByRole('button', { name: 'Open folder', exact: true }).click()
  }

  async function closePage(page: Page): Promise<void> {
    await page.context().close()
    expect(pageProblems).toEqual([])
  }

  async function originsOf(path: string): Promise<string[]> {
    const res = await cp.admin('GET', `/folders?path=${encodeURIComponent(path)}`)
    const body = (await res.json()) as { items: { policy: { origins: string[] } }[] }
    return body.items[0]?.policy.origins ?? []
  }

  it('refuses a wrong token with the API message and keeps nothing in sessionStorage', async () => {
    const page = await openConsole()
    await page.getByLabel('Admin token').fill('not-a-valid-token-at-all')
    await page.getByRole('button', { name: 'Sign in' }).click()
    const error = page.locator('#sign-in-error')
    await page.locator('#sign-in-error:not(:empty)').waitFor()
    expect(await error.textContent()).toMatch(/^Sign-in refused: /)
    expect(await page.evaluate('sessionStorage.length')).toBe(0)
    expect(await page.locator('#app').isHidden()).toBe(true)
    await closePage(page)
  })

  it('signs in with a token kept in sessionStorage only, and signing out clears it', async () => {
    const page = await openConsole()
    await signIn(page)
    expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual(['crossport.adminToken'])
    expect(await page.evaluate('localStorage.length')).toBe(0)
    expect(await page.evaluate('document.cookie')).toBe('')
    await page.getByRole('button', { name: 'Sign out' }).click()
    expect(await page.evaluate(`sessionStorage.getItem('crossport.adminToken')`)).toBeNull()
    expect(await page.getByLabel('Admin token').isVisible()).toBe(true)
    await closePage(page)
  })

  it('shows the folder tree with own and inherited policies marked', async () => {
    const res = await cp.admin('POST', '/folders', { path: '/brand/logos/', policy: { origins: ['https://logos.example'] } })
    expect(res.status).toBe(201)
    const page = await openConsole()
    await signIn(page)
    const row = (path: string) => page.locator('.tree-row', { has: page.locator(`button[data-path="${path}"]`) })
    expect(await row('/brand/').locator('.badge').textContent()).toBe('own policy')
    // Below the first level the tree is collapsed until a node is expanded.
    expect(await page.locator('button[data-path="/brand/logos/"]').count()).toBe(0)
    await page.locator('button[data-toggle="/brand/"]').click()
    expect(await row('/brand/logos/').locator('.summary').textContent()).toContain('https://logos.example')
    // /lookalike/ has its own policy; a path between / and a deeper folder would inherit:
    const create = await cp.admin('POST', '/folders', { path: '/media/video/clips/', policy: { origins: [] } })
    expect(create.status).toBe(201)
    await page.reload()
    await page.locator('#folder-tree .tree-path').first().waitFor()
    await page.locator('button[data-toggle="/media/"]').click()
    expect(await row('/media/video/').locator('.badge').textContent()).toMatch(/^(inherited from \/|built-in default)/)
    await closePage(page)
  })

  it('adds an origin through the UI, after which the public asset answers that origin with Access-Control-Allow-Origin', async () => {
    const origin = 'https://shop.example'
    const before = await fetch(`${cp.publicUrl}/brand/logo.svg`, { headers: { origin } })
    expect(before.headers.get('access-control-allow-origin')).toBeNull()

    const page = await openConsole()
    await signIn(page)
    await page.locator('button[data-path="/brand/"]').click()
    await page.getByLabel('Add origin').fill(origin)
    await page.getByRole('button', { name: 'Add', exact: true }).click()
    await page.locator('.origin-list code', { hasText: origin }).waitFor()

    expect(await originsOf('/brand/')).toEqual([origin])
    const after = await fetch(`${cp.publicUrl}/brand/logo.svg`, { headers: { origin } })
    expect(after.status).toBe(200)
    expect(after.headers.get('access-control-allow-origin')).toBe(origin)
    await closePage(page)
  })

  it('shows the API message next to the field for an invalid origin, and changes nothing', async () => {
    const invalid = 'shop.example/path'
    const direct = await cp.admin('POST', `/folders/${await folderId('/lookalike/')}/origins`, { origin: invalid })
    expect(direct.status).toBe(422)
    const { detail, errors } = (await direct.json()) as { detail: string; errors: { message: string }[] }
    const originsBefore = await originsOf('/lookalike/')
    const auditBefore = await auditCount()

    const page = await openConsole()
    await signIn(page)
    await page.locator('button[data-path="/lookalike/"]').click()
    await page.getByLabel('Add origin').fill(invalid)
    await page.getByRole('button', { name: 'Add', exact: true }).click()
    await page.locator('#add-origin-error:not(:empty)').waitFor()
    // One line per field, in the API's words for that field, without the technical field path.
    expect(await page.locator('#add-origin-error').textContent()).toBe(errors[0]?.message)
    expect(detail).toContain(errors[0]?.message)
    expect(await page.getByLabel('Add origin').getAttribute('aria-invalid')).toBe('true')

    expect(await originsOf('/lookalike/')).toEqual(originsBefore)
    expect(await auditCount()).toBe(auditBefore)
    await closePage(page)
  })

  it('explains the refusal of a look-alike origin, with the reasons, the headers and a curl command', async () => {
    const direct = await cp.admin('GET', `/explain?path=${encodeURIComponent('/lookalike/a.svg')}&origin=${encodeURIComponent(LOOKALIKE)}`)
    expect(direct.status).toBe(200)
    const expected = (await direct.json()) as { reasons: string[]; outcome: string }
    expect(expected.outcome).toBe('refused')

    const page = await openConsole()
    await signIn(page)
    await page.getByRole('link', { name: 'Explain' }).click()
    await page.getByLabel('Asset URL or path').fill('/lookalike/a.svg')
    await page.getByLabel('Origin', { exact: true }).fill(LOOKALIKE)
    await page.getByRole('button', { name: 'Explain', exact: true }).click()
    await page.locator('#explain-verdict').waitFor()

    expect(await page.locator('#explain-verdict').textContent()).toBe('Request refused')
    expect(await page.locator('#explain-folder').textContent()).toBe('/lookalike/')
    expect(await page.locator('#explain-reasons li').allTextContents()).toEqual(expected.reasons)
    expect(expected.reasons.join(' ')).toContain(LOOKALIKE)
    const curl = (await page.locator('#explain-curl').textContent()) ?? ''
    expect(curl).toBe(`curl -i 'http://localhost:8080/lookalike/a.svg' -H 'Origin: ${LOOKALIKE}'`)

    await page.locator('#view-explain').screenshot({ path: screenshotPath('console-explain.png') })
    publishScreenshot('console-explain.png')
    await closePage(page)
  })

  it('builds the curl command from a full URL and explains a preflight', async () => {
    const page = await openConsole()
    await signIn(page)
    await page.getByRole('link', { name: 'Explain' }).click()
    await page.getByLabel('Asset URL or path').fill(`${cp.publicUrl}/lookalike/a.svg`)
    await page.getByLabel('Origin', { exact: true }).fill('https://cdn.shop.example')
    await page.getByLabel('Method', { exact: true }).fill('PUT')
    await page.getByRole('button', { name: 'Explain', exact: true }).click()
    await page.locator('#explain-verdict').waitFor()
    expect(await page.locator('#explain-verdict').textContent()).toMatch(/^Preflight /)
    expect(await page.locator('#explain-curl').textContent()).toBe(
      `curl -i -X OPTIONS '${cp.publicUrl}/lookalike/a.svg' -H 'Origin: https://cdn.shop.example' -H 'Access-Control-Request-Method: PUT'`,
    )
    await closePage(page)
  })

  it('creates a token whose secret is shown once and works, then revokes it', async () => {
    const page = await openConsole()
    await signIn(page)
    await page.getByRole('link', { name: 'Tokens' }).click()
    await page.getByLabel('Token name').fill('console-ci')
    await page.getByLabel('Scope').selectOption('read')
    await page.getByRole('button', { name: 'Create token' }).click()
    const secretField = page.locator('#new-token-secret')
    await secretField.waitFor()
    const secret = await secretField.inputValue()
    expect(secret).toMatch(/^cpt_/)
    expect((await cp.admin('GET', '/folders', undefined, secret)).status).toBe(200)

    const row = page.locator('tr', { has: page.locator('th', { hasText: 'console-ci' }) })
    expect(await row.locator('.token-status').textContent()).toBe('active')
    // The list never shows the secret again.
    expect(await page.locator('#token-list').textContent()).not.toContain(secret)

    await page.getByRole('button', { name: 'Revoke token console-ci' }).click()
    await page.getByRole('button', { name: 'Yes, revoke' }).click()
    await row.locator('.token-status', { hasText: /^revoked/ }).waitFor()
    expect((await cp.admin('GET', '/folders', undefined, secret)).status).toBe(401)
    await closePage(page)
  })

  it('uploads an image with a progress bar that fills, and lists it', async () => {
    // Noise does not compress: a few MB, so the upload takes more than one progress event on most machines.
    const side = 900
    const noise = Buffer.alloc(side * side * 3)
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24
    const png = await sharp(noise, { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer()

    const page = await openConsole()
    await signIn(page)
    await openAssetFolder(page, 'brand')
    await page.locator('#asset-table tr[data-path="/brand/logo.svg"]').waitFor()

    // Record every value the bar shows (the progress element reflects `value` as an attribute).
    // (Page code is passed as strings: the test program is type-checked without the DOM library.)
    await page.evaluate(`
      window.progressSeen = []
      new MutationObserver((records) => {
        for (const r of records) if (r.target instanceof HTMLProgressElement) window.progressSeen.push(r.target.value + '/' + r.target.max)
      }).observe(document.getElementById('upload-list'), { subtree: true, attributes: true, attributeFilter: ['value'] })
    `)
    await page.setInputFiles('#upload-files', { name: 'photo.png', mimeType: 'image/png', buffer: png })
    const item = page.locator('#upload-list li[data-path="/brand/photo.png"]')
    await item.waitFor()
    await item.locator('.upload-state', { hasText: /^uploaded/ }).waitFor()
    const bar = item.locator('progress')
    expect(await bar.isVisible()).toBe(true)
    expect(await bar.getAttribute('value')).toBe(String(png.length))
    expect(await bar.getAttribute('max')).toBe(String(png.length))
    const seen = (await page.evaluate('window.progressSeen')) as string[]
    expect(seen).toContain(`${png.length}/${png.length}`)

    await page.locator('#asset-table tr[data-path="/brand/photo.png"]').waitFor()
    const listed = await page.locator('#asset-table tr[data-path="/brand/photo.png"]').textContent()
    expect(listed).toContain('image/png')
    expect(await page.locator('#upload-summary').textContent()).toBe('1 uploaded.')

    const stored = await cp.admin('GET', '/assets/brand/photo.png')
    expect(stored.status).toBe(200)
    expect(((await stored.json()) as { size: number }).size).toBe(png.length)
    await closePage(page)
  })

  it('uploads a file dropped onto the drop zone', async () => {
    const page = await openConsole()
    await signIn(page)
    await openAssetFolder(page, 'brand')
    await page.locator('#asset-table tr[data-path="/brand/logo.svg"]').waitFor()
    await page.evaluate(`(() => {
      const transfer = new DataTransfer()
      transfer.items.add(new File([${JSON.stringify(SVG)}], 'dropped.svg', { type: 'image/svg+xml' }))
      document.getElementById('dropzone').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }))
    })()`)
    await page.locator('#asset-table tr[data-path="/brand/dropped.svg"]').waitFor()
    expect((await cp.admin('GET', '/assets/brand/dropped.svg')).status).toBe(200)
    await closePage(page)
  })

  it('lists the audit log newest first and filters it by folder', async () => {
    const page = await openConsole()
    await signIn(page)
    await page.getByRole('link', { name: 'Audit log' }).click()
    await page.getByLabel('Folder or path').fill('/lookalike/')
    await page.getByRole('button', { name: 'Filter' }).click()
    // The unfiltered list may still be on screen from opening the tab: wait for the filtered answer to replace it.
    await page
      .waitForFunction(
        `(() => { const shown = [...document.querySelectorAll('#audit-list .audit-entry .audit-target')].map((e) => e.textContent ?? '');
          return shown.length > 0 && shown.every((target) => target.startsWith('/lookalike/')) })()`,
        undefined,
        { timeout: 10_000 },
      )
      .catch(() => undefined)
    const targets = await page.locator('#audit-list .audit-entry .audit-target').allTextContents()
    expect(targets.length).toBeGreaterThan(0)
    for (const target of targets) expect(target.startsWith('/lookalike/')).toBe(true)
    const times = await Promise.all((await page.locator('#audit-list time').all()).map(async (time) => (await time.getAttribute('datetime')) ?? ''))
    expect([...times].sort().reverse()).toEqual(times)
    await closePage(page)
  })

  /** Polls a page condition (waitForFunction evaluates strings, which the console's CSP forbids). */
  async function until(condition: () => Promise<unknown>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while ((await condition()) !== true) {
      if (Date.now() > deadline) throw new Error('condition not met in time')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  async function putAsset(path: string, body: string | Buffer, type: string): Promise<void> {
    const res = await fetch(`${cp.adminUrl}/admin/v1/assets${path}`, { method: 'PUT', headers: { authorization: `Bearer ${cp.token}`, 'content-type': type }, body })
    expect([200, 201]).toContain(res.status)
  }

  it('shows no navigation before sign-in, a favicon, and no stale status line on the next view', async () => {
    const icon = await fetch(`${consoleUrl}favicon.svg`)
    expect(icon.status).toBe(200)
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/)
    const page = await openConsole()
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('favicon.svg')
    expect(await page.locator('#main-nav').isHidden()).toBe(true)
    expect(await page.getByRole('link', { name: 'Tokens' }).count()).toBe(0)
    await signIn(page)
    expect(await page.locator('#main-nav').isVisible()).toBe(true)
    expect(await page.locator('#status').textContent()).toBe('Signed in.')
    await page.getByRole('link', { name: 'Tokens' }).click()
    await page.locator('#token-list table').waitFor()
    expect(await page.locator('#status').textContent()).toBe('')
    await closePage(page)
  })

  it('creates a folder from a path typed as the CLI takes it, and shows one plain error line per field', async () => {
    const page = await openConsole()
    await signIn(page)
    await page.getByLabel('Folder path').fill('typed/plain')
    await page.getByLabel('Allowed origins (optional)').fill('https://ok.example shop.example/x')
    await page.getByRole('button', { name: 'Create folder' }).click()
    await page.locator('#new-folder-origins-error:not(:empty)').waitFor()
    const message = (await page.locator('#new-folder-origins-error').textContent()) ?? ''
    expect(message).toContain('shop.example/x')
    expect(message).not.toMatch(/policy\.origins/)
    expect(await page.locator('#create-folder-form .form-error').textContent()).toBe('')
    await page.getByLabel('Allowed origins (optional)').fill('https://ok.example')
    await page.getByRole('button', { name: 'Create folder' }).click()
    await page.locator('button[data-path="/typed/plain/"]').waitFor()
    expect(await originsOf('/typed/plain/')).toEqual(['https://ok.example'])
    await closePage(page)
  })

  it('browses assets as a table: folders, breadcrumbs with the policy, filter, paging, thumbnails and row actions', async () => {
    await createFolder(cp, '/gallery/', { origins: ['https://shop.example'] })
    const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#e36209' } }).png().toBuffer()
    await putAsset('/gallery/photo.png', png, 'image/png')
    await putAsset('/gallery/icons/star.svg', SVG, 'image/svg+xml')
    for (let i = 1; i <= 52; i++) await putAsset(`/gallery/note-${String(i).padStart(2, '0')}.txt`, `note ${i}`, 'text/plain')

    const page = await openConsole({ width: 1200, height: 900 })
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: cp.adminUrl })
    await signIn(page)
    await page.getByRole('link', { name: 'Assets' }).click()
    await page.getByLabel('Public URL of the assets').fill(cp.publicUrl)
    await page.getByLabel('Public URL of the assets').press('Tab')
    // From the root, into /gallery/ by its folder row.
    await page.getByRole('button', { name: 'Open folder /gallery/' }).click()
    await page.locator('#asset-table tr[data-folder="/gallery/icons/"]').waitFor()
    expect(await page.locator('#asset-breadcrumbs li').allTextContents()).toEqual(['/ (root)', 'gallery/'])
    expect(await page.locator('#asset-folder-policy').textContent()).toBe('Policy: own policy https://shop.example')

    // Page 1: the folder, then files in name order; 50 entries per page.
    const firstPage = page.locator('#asset-table tbody tr')
    expect(await firstPage.count()).toBe(50)
    expect(await page.locator('#asset-table tbody tr').first().getAttribute('data-folder')).toBe('/gallery/icons/')
    expect(await page.locator('#assets-page').textContent()).toBe('Page 1')
    await page.getByRole('button', { name: 'Next page' }).click()
    await page.locator('#assets-page', { hasText: 'Page 2' }).waitFor()
    const secondPaths = await page.locator('#asset-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')))
    expect(secondPaths).toEqual(['/gallery/note-50.txt', '/gallery/note-51.txt', '/gallery/note-52.txt', '/gallery/photo.png'])
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true)
    await until(() => page.evaluate(`document.querySelector('#asset-table img.preview')?.naturalWidth === 128`))
    await page.locator('#view-assets').screenshot({ path: screenshotPath('console-assets.png') })
    publishScreenshot('console-assets.png')
    await page.getByRole('button', { name: 'Previous page' }).click()
    await page.locator('#assets-page', { hasText: 'Page 1' }).waitFor()

    // The filter narrows to names starting with the text.
    await page.getByLabel('Filter by name').fill('pho')
    await page.locator('#asset-table tbody tr[data-path="/gallery/photo.png"]').waitFor()
    await page.locator('#asset-table tbody tr').nth(1).waitFor({ state: 'detached' })
    const row = page.locator('#asset-table tr[data-path="/gallery/photo.png"]')
    expect(await row.locator('.asset-type').textContent()).toBe('image/png')
    expect(await row.locator('.etag').textContent()).toMatch(/^"/)
    // The thumbnail is a derivative from the public listener, and it loaded.
    const thumb = row.locator('img.preview')
    expect(await thumb.getAttribute('src')).toBe(`${cp.publicUrl}/gallery/photo.png?w=128`)
    await until(() => page.evaluate(`document.querySelector('#asset-table img.preview')?.naturalWidth === 128`))

    await row.getByRole('button', { name: 'Copy the public URL of /gallery/photo.png' }).click()
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(`${cp.publicUrl}/gallery/photo.png`)
    await row.getByRole('button', { name: 'Copy an HTML snippet for /gallery/photo.png' }).click()
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(`<img src="${cp.publicUrl}/gallery/photo.png" crossorigin="anonymous" alt="">`)

    await page.getByLabel('Filter by name').fill('')
    await page.locator('#asset-table tbody tr').nth(49).waitFor()

    // Into a subfolder and back with the breadcrumbs.
    await page.getByRole('button', { name: 'Open folder /gallery/icons/' }).click()
    await page.locator('#asset-table tr[data-path="/gallery/icons/star.svg"]').waitFor()
    expect(await page.locator('#asset-folder-policy').textContent()).toBe('Policy: inherited from /gallery/ https://shop.example')
    await page.getByRole('button', { name: 'Open /gallery/' }).click()
    await page.locator('#asset-table tr[data-folder="/gallery/icons/"]').waitFor()

    // Delete, with its confirmation.
    await page.getByRole('button', { name: 'Delete /gallery/note-01.txt' }).click()
    await page.getByRole('button', { name: 'Yes, delete' }).click()
    await page.locator('#asset-table tr[data-path="/gallery/note-01.txt"]').waitFor({ state: 'detached' })
    expect((await cp.admin('GET', '/assets/gallery/note-01.txt')).status).toBe(404)

    // Explain this asset for an origin: the explain view, prefilled.
    await page.locator('#asset-table tr[data-path="/gallery/note-02.txt"]').getByRole('button', { name: /^Explain/ }).click()
    await page.locator('#view-explain').waitFor()
    expect(await page.getByLabel('Asset URL or path').inputValue()).toBe('/gallery/note-02.txt')
    await page.getByLabel('Origin', { exact: true }).fill('https://shop.example')
    await page.getByRole('button', { name: 'Explain', exact: true }).click()
    expect(await page.locator('#explain-verdict').textContent()).toBe('Request allowed')
    await closePage(page)
  })

  it('says the truth about uploads: how many failed, the failed bar red with its reason; and uploads a chosen folder', async () => {
    const page = await openConsole()
    await signIn(page)
    await openAssetFolder(page, '/uploads/')
    await page.locator('#assets-empty').waitFor()
    await page.setInputFiles('#upload-files', [
      { name: 'one.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(SVG) },
      { name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('this is not a PNG at all') },
      { name: 'two.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(SVG) },
    ])
    await page.locator('#upload-summary', { hasText: /failed/ }).waitFor()
    expect(await page.locator('#upload-summary').textContent()).toBe('2 uploaded, 1 failed.')
    const failed = page.locator('#upload-list li[data-path="/uploads/fake.png"]')
    expect(await failed.getAttribute('class')).toContain('failed')
    expect(await failed.locator('.upload-state').textContent()).toMatch(/^failed: \/uploads\/fake.png: expected a PNG image/)
    const barColour = `getComputedStyle(document.querySelector('#upload-list li[data-path="/uploads/fake.png"] progress')).accentColor`
    expect(await page.evaluate(barColour)).toBe('rgb(164, 14, 38)')
    expect(await page.locator('#upload-list li[data-path="/uploads/one.svg"] .upload-state').textContent()).toMatch(/^uploaded/)
    await page.locator('#asset-table tr[data-path="/uploads/two.svg"]').waitFor()
    expect((await cp.admin('GET', '/assets/uploads/fake.png')).status).toBe(404)
    await page.locator('#view-assets').screenshot({ path: screenshotPath('console-uploads.png') })
    publishScreenshot('console-uploads.png')

    // A folder keeps its structure below the target folder.
    const dir = mkdtempSync(join(tmpdir(), 'crossport-folder-'))
    mkdirSync(join(dir, 'kit', 'icons'), { recursive: true })
    writeFileSync(join(dir, 'kit', 'a.svg'), SVG)
    writeFileSync(join(dir, 'kit', 'icons', 'b.svg'), SVG)
    await page.setInputFiles('#upload-folder', join(dir, 'kit'))
    await page.locator('#upload-summary', { hasText: '2 uploaded.' }).waitFor()
    expect((await cp.admin('GET', '/assets/uploads/kit/a.svg')).status).toBe(200)
    expect((await cp.admin('GET', '/assets/uploads/kit/icons/b.svg')).status).toBe(200)
    await page.locator('#asset-table tr[data-folder="/uploads/kit/"]').waitFor()
    await closePage(page)
  })

  it('explains a look-alike against a folder with many rules by the closest rules, not "none of the N rules"', async () => {
    await createFolder(cp, '/many/', { origins: ['https://a.example', 'https://b.example', 'http://localhost:3000', 'https://shop.example', 'https://c.example'] })
    const page = await openConsole()
    await signIn(page)
    await page.getByRole('link', { name: 'Explain' }).click()
    await page.getByLabel('Asset URL or path').fill('/many/x.svg')
    await page.getByLabel('Origin', { exact: true }).fill(LOOKALIKE)
    await page.getByRole('button', { name: 'Explain', exact: true }).click()
    await page.locator('#explain-verdict').waitFor()
    const reasons = (await page.locator('#explain-reasons').textContent()) ?? ''
    expect(reasons).toContain('does not match https://shop.example: its host shop.example.evil.net is not shop.example')
    expect(reasons).not.toContain('matches none')
    await closePage(page)
  })

  it('shows the audit log as one sentence per entry, with token names instead of ids', async () => {
    const created = (await (await cp.admin('POST', '/tokens', { name: 'audit-named', scope: 'read' })).json()) as { id: string }
    expect((await cp.admin('DELETE', `/tokens/${created.id}`)).status).toBe(204)
    const id = await folderId('/lookalike/')
    expect((await cp.admin('POST', `/folders/${id}/origins`, { origin: 'https://blog.example' })).status).toBe(201)
    const page = await openConsole({ width: 1100, height: 760 })
    await signIn(page)
    await page.getByRole('link', { name: 'Audit log' }).click()
    await page.locator('#audit-list .audit-entry').first().waitFor()
    const summaries = await page.locator('#audit-list .audit-summary').allTextContents()
    expect(summaries[0]).toBe('bootstrap added https://blog.example to /lookalike/')
    expect(summaries[1]).toBe('bootstrap revoked the token audit-named')
    expect(summaries[2]).toBe('bootstrap created the read token audit-named')
    expect(summaries.join('\n')).not.toContain(created.id)
    await page.screenshot({ path: screenshotPath('console-audit.png') })
    publishScreenshot('console-audit.png')
    await closePage(page)
  })

  it('asks in a dialog before revoking the token the tab is signed in with, then signs out', async () => {
    const own = (await (await cp.admin('POST', '/tokens', { name: 'this-tab', scope: 'write' })).json()) as { id: string; token: string }
    const page = await openConsole()
    await signIn(page, own.token)
    await page.getByRole('link', { name: 'Tokens' }).click()
    const row = page.locator(`tr[data-token-id="${own.id}"]`)
    await row.waitFor()
    expect(await row.locator('.badge').textContent()).toBe('this tab')
    await page.getByRole('button', { name: 'Revoke token this-tab' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.waitFor()
    expect(await dialog.textContent()).toContain('the token this tab is signed in with')
    await dialog.getByRole('button', { name: 'Keep it' }).click()
    expect(await page.getByRole('dialog').count()).toBe(0)
    expect((await cp.admin('GET', '/folders', undefined, own.token)).status).toBe(200)

    await page.getByRole('button', { name: 'Revoke token this-tab' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke and sign out' }).click()
    await page.locator('#sign-in-error', { hasText: /^Signed out/ }).waitFor()
    expect(await page.locator('#app').isHidden()).toBe(true)
    expect((await cp.admin('GET', '/folders', undefined, own.token)).status).toBe(401)
    await closePage(page)
  })

  it('revokes another token with the in-place confirmation, without a dialog', async () => {
    const other = (await (await cp.admin('POST', '/tokens', { name: 'not-this-tab', scope: 'read' })).json()) as { id: string }
    const page = await openConsole()
    await signIn(page)
    await page.getByRole('link', { name: 'Tokens' }).click()
    await page.getByRole('button', { name: 'Revoke token not-this-tab' }).click()
    expect(await page.getByRole('dialog').count()).toBe(0)
    await page.getByRole('button', { name: 'Yes, revoke' }).click()
    await page.locator(`tr[data-token-id="${other.id}"] .token-status`, { hasText: /^revoked/ }).waitFor()
    await closePage(page)
  })

  it('shows the API\'s reason when a revocation is refused', async () => {
    const gone = (await (await cp.admin('POST', '/tokens', { name: 'revoked-elsewhere', scope: 'read' })).json()) as { id: string }
    const page = await openConsole()
    await signIn(page)
    await page.getByRole('link', { name: 'Tokens' }).click()
    await page.getByRole('button', { name: 'Revoke token revoked-elsewhere' }).click()
    // Revoked by someone else meanwhile: the API refuses (404), and the console says why.
    expect((await cp.admin('DELETE', `/tokens/${gone.id}`)).status).toBe(204)
    await page.getByRole('button', { name: 'Yes, revoke' }).click()
    await page.locator('#tokens-error:not(:empty)').waitFor()
    const again = await cp.admin('DELETE', `/tokens/${gone.id}`)
    expect(again.status).toBeGreaterThanOrEqual(400)
    expect(await page.locator('#tokens-error').textContent()).toBe(((await again.json()) as { detail: string }).detail)
    await closePage(page)
  })

  it('labels every form control and fits a 375 px wide screen', async () => {
    const page = await openConsole({ width: 375, height: 812 })
    await signIn(page)
    await page.locator('button[data-path="/brand/"]').click()
    for (const view of ['folders', 'explain', 'assets', 'tokens', 'audit']) {
      await page.evaluate(`location.hash = '#${view}'`)
      await page.locator(`#view-${view}`).waitFor()
      const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')
      expect({ view, overflow }).toEqual({ view, overflow: 0 })
    }
    const unlabelled = await page.evaluate(`
      [...document.querySelectorAll('input, select, textarea')]
        .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label') && !el.classList.contains('visually-hidden'))
        .map((el) => el.outerHTML)
    `)
    expect(unlabelled).toEqual([])
    const unnamedButtons = await page.evaluate(`[...document.querySelectorAll('button')].filter((b) => (b.getAttribute('aria-label') ?? b.textContent).trim() === '').map((b) => b.outerHTML)`)
    expect(unnamedButtons).toEqual([])
    await closePage(page)
  })

  it('reaches the folder editor with the keyboard alone', async () => {
    const page = await openConsole()
    await page.getByLabel('Admin token').focus()
    await page.keyboard.type(cp.token)
    await page.keyboard.press('Enter')
    await page.locator('#folder-tree .tree-path').first().waitFor()
    let reached = false
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab')
      reached = (await page.evaluate(`document.activeElement?.getAttribute('data-path') === '/lookalike/'`)) === true
    }
    expect(reached).toBe(true)
    await page.keyboard.press('Enter')
    await page.locator('#folder-detail h3', { hasText: /^\/lookalike\// }).waitFor()
    await closePage(page)
  })

  it('takes the folders-page screenshot for the README', async () => {
    const page = await openConsole({ width: 1100, height: 760 })
    await signIn(page)
    await page.locator('button[data-path="/brand/"]').click()
    await page.locator('#folder-detail h3', { hasText: '/brand/' }).waitFor()
    await page.screenshot({ path: screenshotPath('console-folders.png'), fullPage: true })
    publishScreenshot('console-folders.png')
    await closePage(page)
  })

  async function folderId(path: string): Promise<number> {
    const res = await cp.admin('GET', `/folders?path=${encodeURIComponent(path)}`)
    const body = (await res.json()) as { items: { id: number }[] }
    const id = body.items[0]?.id
    if (id === undefined) throw new Error(`no folder ${path}`)
    return id
  }

  async function auditCount(): Promise<number> {
    const res = await cp.admin('GET', '/audit?limit=500')
    return ((await res.json()) as { items: unknown[] }).items.length
  }
})
