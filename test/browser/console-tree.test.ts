import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { FolderRepo } from '../../src/db/folder-repo'
import { migrate } from '../../src/db/sqlite/migrate'
import { openDb } from '../../src/db/sqlite/open'
import { SqliteDatabase } from '../../src/db/sqlite/sqlite-database'
import { DEFAULT_POLICY } from '../../src/policy/types'
import { startTestCrossport, type TestCrossport } from '../helpers/crossport'
import { CHROMIUM_ARGS, findChromium } from './chromium'

/**
 * Issue #22: the console's folder tree at 10,000 folders. The console-ui tests
 * print the hint when Chromium is missing; this file just skips.
 */
const ROOT = join(__dirname, '..', '..')
const chromiumPath = findChromium()
const describeInBrowser = chromiumPath === undefined ? describe.skip : describe

jest.setTimeout(120_000)

const REGIONS = 8
const SITES = 100
const SECTIONS = 10
const FLAT = 2_000
const DEEP = '/region-05/site-042/section-7/'
const DEEP_ORIGIN = 'https://deep.example'

let dir: string
let cp: TestCrossport

/** 10,000 folders straight into the SQLite file (one transaction), before the server opens it. */
async function fillDatabase(path: string): Promise<void> {
  const db = openDb(path)
  migrate(db)
  const policy = { ...DEFAULT_POLICY, origins: [] }
  const pad = (n: number, width: number) => String(n).padStart(width, '0')
  await new SqliteDatabase(db, { busyBudgetMs: 0 }).transaction(async (tx) => {
    const repo = new FolderRepo(tx)
    for (let r = 0; r < REGIONS; r++)
      for (let s = 0; s < SITES; s++)
        for (let c = 0; c < SECTIONS; c++) {
          const path = `/region-${pad(r, 2)}/site-${pad(s, 3)}/section-${c}/`
          await repo.create(path, path === DEEP ? { ...policy, origins: [DEEP_ORIGIN] } : policy)
        }
    for (let i = 0; i < FLAT; i++) await repo.create(`/flat/item-${pad(i, 4)}/`, policy)
  })
  db.close()
}

beforeAll(async () => {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', join(ROOT, 'tsconfig.console.json')], { cwd: ROOT, stdio: 'inherit' })
  dir = mkdtempSync(join(tmpdir(), 'crossport-tree-'))
  const databasePath = join(dir, 'crossport.db')
  await fillDatabase(databasePath)
  cp = await startTestCrossport({ env: { DATABASE_PATH: databasePath } })
})

afterAll(async () => {
  await cp?.close()
  rmSync(dir, { recursive: true, force: true })
})

describeInBrowser('the console folder tree with 10,000 folders', () => {
  let browser: Browser
  let page: Page
  const problems: string[] = []
  const rows = () => page.locator('#folder-tree .tree-row').count()

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: chromiumPath as string, args: [...CHROMIUM_ARGS] })
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } })
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`)
    })
  })

  afterAll(async () => {
    await browser?.close()
    expect(problems).toEqual([])
  })

  it('has all 10,000 folders in the database', async () => {
    const res = await cp.admin('GET', '/folders?prefix=/flat/&limit=1000')
    const body = (await res.json()) as { items: unknown[]; nextCursor?: string | null }
    expect(body.items).toHaveLength(1000)
    expect(body.nextCursor).toBeTruthy()
  })

  it('shows the tree within a few seconds, with only the first level rendered', async () => {
    await page.goto(`${cp.adminUrl}/admin/`)
    await page.getByLabel('Admin token').fill(cp.token)
    const started = Date.now()
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.locator('button[data-path="/flat/"]').waitFor()
    expect(Date.now() - started).toBeLessThan(5_000)
    // "/" and its nine children, not 10,000 rows (plus the paths in between).
    expect(await rows()).toBe(1 + REGIONS + 1)
    expect(await page.locator('button[data-toggle="/region-03/"]').getAttribute('aria-expanded')).toBe('false')
  })

  it('expands a node to show its children, collapses it again, and pages long lists 200 at a time', async () => {
    await page.locator('button[data-toggle="/region-03/"]').click()
    await page.locator('button[data-path="/region-03/site-099/"]').waitFor()
    expect(await rows()).toBe(1 + REGIONS + 1 + SITES)
    expect(await page.locator('button[data-toggle="/region-03/"]').getAttribute('aria-expanded')).toBe('true')
    expect(await page.evaluate('document.activeElement?.getAttribute("data-toggle")')).toBe('/region-03/')
    await page.locator('button[data-toggle="/region-03/"]').click()
    await page.locator('button[data-path="/region-03/site-099/"]').waitFor({ state: 'detached' })

    await page.locator('button[data-toggle="/flat/"]').click()
    await page.locator('button[data-path="/flat/item-0199/"]').waitFor()
    expect(await page.locator('button[data-path="/flat/item-0200/"]').count()).toBe(0)
    expect(await rows()).toBeLessThan(500)
    await page.getByRole('button', { name: 'Show 200 more of 1800 in /flat/' }).click()
    await page.locator('button[data-path="/flat/item-0399/"]').waitFor()
    expect(await page.evaluate('document.activeElement?.getAttribute("data-path")')).toBe('/flat/item-0200/')
    expect(await rows()).toBeLessThan(500)
    await page.locator('button[data-toggle="/flat/"]').click()
  })

  it('finds a deep folder by part of its path and opens its policy', async () => {
    await page.getByLabel('Find a folder').fill('site-042/section-7')
    const result = page.locator(`#folder-search-results button[data-result="${DEEP}"]`)
    await result.waitFor()
    // One match per region.
    expect(await page.locator('#folder-search-results button').count()).toBe(REGIONS)
    await result.click()
    await page.locator('#folder-detail h3', { hasText: DEEP }).waitFor()
    expect(await page.locator('#folder-detail h3 .badge').textContent()).toBe('own policy')
    expect(await page.locator('#folder-detail .origin-list code').allTextContents()).toEqual([DEEP_ORIGIN])
    // The tree opened the way down to it and marks it.
    expect(await page.locator(`button[data-path="${DEEP}"]`).getAttribute('aria-current')).toBe('true')
    expect(await rows()).toBeLessThan(500)
  })

  it('says when nothing matches and caps a broad search', async () => {
    await page.getByLabel('Find a folder').fill('no-such-folder')
    await page.getByText('No folder path contains that.').waitFor()
    expect(await page.locator('#folder-search-results li').count()).toBe(0)
    await page.getByLabel('Find a folder').fill('section-1')
    await page.getByText(/^800 matches; the first 50 are shown/).waitFor()
    expect(await page.locator('#folder-search-results li').count()).toBe(50)
  })
})
