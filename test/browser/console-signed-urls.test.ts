/** The console's policy editor knows signedUrls and cdnCacheControl: shown, chosen, saved through PATCH. */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { createFolder, startTestCrossport, type TestCrossport } from '../helpers/crossport'
import { CHROMIUM_ARGS, findChromium } from './chromium'

const chromiumPath = findChromium()
const describeInBrowser = chromiumPath === undefined ? describe.skip : describe
jest.setTimeout(90_000)

let cp: TestCrossport
let browser: Browser

beforeAll(async () => {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', join(__dirname, '..', '..', 'tsconfig.console.json')], { stdio: 'inherit' })
  cp = await startTestCrossport({ env: { URL_SIGNING_KEYS: 'k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8' }, assets: { 'paid/a.txt': 'paid', 'cdn/a.txt': 'a' } })
  await createFolder(cp, '/paid/', { origins: [] })
  await createFolder(cp, '/cdn/', { origins: [] })
  if (chromiumPath !== undefined) browser = await chromium.launch({ executablePath: chromiumPath, args: [...CHROMIUM_ARGS] })
})

afterAll(async () => {
  await browser?.close()
  await cp?.close()
})

const cdnHeader = async () => (await fetch(`${cp.publicUrl}/cdn/a.txt`)).headers.get('cdn-cache-control')

/** A console page signed in, with the folder's policy form open; `problems` collects page errors. */
async function openFolder(path: string) {
  const page = await (await browser.newContext()).newPage()
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(error.message))
  await page.goto(`${cp.adminUrl}/admin/`)
  await page.getByLabel('Admin token').fill(cp.token)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.locator(`button[data-path="${path}"]`).click()
  return { page, problems }
}

describeInBrowser('the policy editor', () => {
  it('sets signedUrls to required, after which an unsigned public request is refused', async () => {
    expect((await fetch(`${cp.publicUrl}/paid/a.txt`)).status).toBe(200)
    const { page, problems } = await openFolder('/paid/')
    await page.getByLabel('Signed URLs').selectOption('required')
    await page.getByRole('button', { name: 'Save policy' }).click()
    await page.getByText('Policy of /paid/ saved.').waitFor()

    const { items } = (await (await cp.admin('GET', '/folders?path=/paid/')).json()) as { items: { policy: { signedUrls: string } }[] }
    expect(items[0]?.policy.signedUrls).toBe('required')
    expect((await fetch(`${cp.publicUrl}/paid/a.txt`)).status).toBe(403)
    expect(problems).toEqual([])
    await page.context().close()
  })

  it('sets the CDN Cache-Control, and an emptied field stops the header', async () => {
    expect(await cdnHeader()).toBeNull()
    const { page, problems } = await openFolder('/cdn/')
    const field = page.getByLabel('CDN Cache-Control', { exact: true })
    await field.fill('public, max-age=86400')
    await page.getByRole('button', { name: 'Save policy' }).click()
    await page.getByText('Policy of /cdn/ saved.').waitFor()
    expect(await cdnHeader()).toBe('public, max-age=86400')

    // The form is drawn again after a save: find the field anew, and wait for this save's PATCH.
    await page.getByLabel('CDN Cache-Control', { exact: true }).fill('')
    const patched = page.waitForResponse((res) => res.request().method() === 'PATCH')
    await page.getByRole('button', { name: 'Save policy' }).click()
    expect(JSON.parse((await (await patched).body()).toString()) as unknown).toMatchObject({ policy: { cdnCacheControl: null } })
    expect(await cdnHeader()).toBeNull()
    expect(problems).toEqual([])
    await page.context().close()
  })
})
