import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, statSync } from 'node:fs'
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
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.console.json')], { cwd: ROOT, stdio: 'inherit' })
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
    expect(await row('/brand/logos/').locator('.summary').textContent()).toContain('https://logos.example')
    // /lookalike/ has its own policy; a path between / and a deeper folder would inherit:
    const create = await cp.admin('POST', '/folders', { path: '/media/video/clips/', policy: { origins: [] } })
    expect(create.status).toBe(201)
    await page.reload()
    await page.locator('#folder-tree .tree-path').first().waitFor()
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
    const { detail } = (await direct.json()) as { detail: string }
    const originsBefore = await originsOf('/lookalike/')
    const auditBefore = await auditCount()

    const page = await openConsole()
    await signIn(page)
    await page.locator('button[data-path="/lookalike/"]').click()
    await page.getByLabel('Add origin').fill(invalid)
    await page.getByRole('button', { name: 'Add', exact: true }).click()
    await page.locator('#add-origin-error:not(:empty)').waitFor()
    expect(await page.locator('#add-origin-error').textContent()).toBe(detail)
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
    await page.getByRole('link', { name: 'Assets' }).click()
    await page.getByLabel('Public URL of the assets').fill(cp.publicUrl)
    await page.getByLabel('Public URL of the assets').press('Tab')
    await page.getByLabel('Folder', { exact: true }).fill('/brand/')
    await page.getByRole('button', { name: 'Show assets' }).click()
    await page.locator('#asset-list li[data-path="/brand/logo.svg"]').waitFor()

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

    await page.locator('#asset-list li[data-path="/brand/photo.png"]').waitFor()
    const listed = await page.locator('#asset-list li[data-path="/brand/photo.png"]').textContent()
    expect(listed).toContain('image/png')
    const snippet = await page.locator('#asset-list li[data-path="/brand/photo.png"] input.snippet').inputValue()
    expect(snippet).toBe(`<img src="${cp.publicUrl}/brand/photo.png" crossorigin="anonymous" alt="">`)

    const stored = await cp.admin('GET', '/assets/brand/photo.png')
    expect(stored.status).toBe(200)
    expect(((await stored.json()) as { size: number }).size).toBe(png.length)
    await closePage(page)
  })

  it('uploads a file dropped onto the drop zone', async () => {
    const page = await openConsole()
    await signIn(page)
    await page.getByRole('link', { name: 'Assets' }).click()
    await page.getByLabel('Folder', { exact: true }).fill('/brand/')
    await page.getByRole('button', { name: 'Show assets' }).click()
    await page.locator('#asset-list li[data-path="/brand/logo.svg"]').waitFor()
    await page.evaluate(`(() => {
      const transfer = new DataTransfer()
      transfer.items.add(new File([${JSON.stringify(SVG)}], 'dropped.svg', { type: 'image/svg+xml' }))
      document.getElementById('dropzone').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }))
    })()`)
    await page.locator('#asset-list li[data-path="/brand/dropped.svg"]').waitFor()
    expect((await cp.admin('GET', '/assets/brand/dropped.svg')).status).toBe(200)
    await closePage(page)
  })

  it('lists the audit log newest first and filters it by folder', async () => {
    const page = await openConsole()
    await signIn(page)
    await page.getByRole('link', { name: 'Audit log' }).click()
    await page.getByLabel('Folder or path').fill('/lookalike/')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.locator('#audit-list .audit-entry').first().waitFor()
    const targets = await page.locator('#audit-list .audit-entry code').allTextContents()
    expect(targets.length).toBeGreaterThan(0)
    for (const target of targets) expect(target.startsWith('/lookalike/')).toBe(true)
    const times = await Promise.all((await page.locator('#audit-list time').all()).map(async (time) => (await time.getAttribute('datetime')) ?? ''))
    expect([...times].sort().reverse()).toEqual(times)
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
