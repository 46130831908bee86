import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, relative } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import sharp from 'sharp'
import { createFolder, startTestCrossport, type TestCrossport } from '../helpers/crossport'
import { CHROMIUM_ARGS } from './chromium'

const REPO_ROOT = join(__dirname, '..', '..')
const DEMO_ASSETS = join(REPO_ROOT, 'assets', 'demo')
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'browser')
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts')

/** The custom request header the `/shared/` policy allows (forces a CORS preflight). */
export const ALLOWED_CUSTOM_HEADER = 'X-Crossport-Demo'
/** A custom request header no policy allows. */
export const REFUSED_CUSTOM_HEADER = 'X-Not-Allowed'
/** The family name the font probe gives the Crossport-served woff2. */
export const DEMO_FONT_FAMILY = 'Crossport Demo Sans'

export type SiteName = 'allowed' | 'refused'
export type FolderName = 'shared' | 'private' | 'strict' | 'live'

export interface Site {
  readonly name: SiteName
  /** `http://127.0.0.1:<port>` for the allowed site, `http://localhost:<port>` for the refused one. */
  readonly origin: string
  readonly server: Server
}

export interface CanvasResult {
  readonly readable: boolean
  readonly dataUrlPrefix?: string
  readonly dataUrlLength?: number
  readonly error?: string
}
export interface ImageResult {
  readonly loaded: boolean
  readonly naturalWidth?: number
  readonly naturalHeight?: number
  readonly canvas?: CanvasResult
}
export interface ScriptResult {
  readonly loaded: boolean
  readonly ran: boolean
  readonly errors: readonly string[]
}
export interface StylesheetResult {
  readonly loaded: boolean
  readonly color: string
  readonly rulesReadable: boolean
  readonly selectors?: readonly string[]
  readonly error?: string
}
export interface FontResult {
  readonly status: 'unloaded' | 'loading' | 'loaded' | 'error' | 'missing'
  readonly check: boolean
  readonly loadError?: string
  readonly widthDiffers: boolean
}
export interface FetchResult {
  readonly ok: boolean
  readonly status?: number
  readonly body?: string
  readonly error?: string
}
export interface VideoResult {
  readonly played: boolean
  readonly timedOut?: boolean
  readonly mediaError?: number
  readonly videoWidth?: number
  readonly videoHeight?: number
  readonly canvas?: CanvasResult
}

interface CrossOriginOption {
  readonly crossOrigin?: 'anonymous' | 'use-credentials'
}
/** What `test/fixtures/browser/probes.js` puts on `window.crossportProbes`. */
export interface Probes {
  image(url: string, options?: CrossOriginOption): Promise<ImageResult>
  script(url: string, options?: CrossOriginOption): Promise<ScriptResult>
  stylesheet(url: string, options?: CrossOriginOption): Promise<StylesheetResult>
  font(url: string, family: string): Promise<FontResult>
  fetch(url: string, init?: { headers?: Record<string, string>; credentials?: 'omit' | 'same-origin' | 'include' }): Promise<FetchResult>
  video(url: string, options?: CrossOriginOption & { timeoutMs?: number }): Promise<VideoResult>
}
type ProbeName = keyof Probes

/** A fresh browser context (own cache, own cookies) with a page open on one site. */
export interface ProbeSession {
  readonly page: Page
  /** Runs one probe inside the page and returns what the page saw. */
  run<K extends ProbeName>(name: K, ...args: Parameters<Probes[K]>): Promise<Awaited<ReturnType<Probes[K]>>>
  close(): Promise<void>
}

export interface DemoPageResult {
  readonly screenshotPath: string
  /** Each check of the demo page and whether it worked, as the page decided. */
  readonly checks: readonly { readonly name: string; readonly ok: boolean }[]
}

export interface BrowserProof {
  readonly crossport: TestCrossport
  readonly browser: Browser
  readonly sites: Readonly<Record<SiteName, Site>>
  readonly folderIds: Readonly<Record<FolderName, number | string>>
  /** `http://127.0.0.1:<crossport port>/<folder>/<file>` */
  assetUrl(folder: FolderName, file: string): string
  /** Opens the site's probe page in a new browser context. */
  openSite(site: SiteName): Promise<ProbeSession>
  /** Loads the site's demo page, waits until every check ran, saves a screenshot. */
  screenshotDemo(site: SiteName): Promise<DemoPageResult>
  close(): Promise<void>
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name)
    return entry.isDirectory() ? listFiles(full) : [full]
  })
}

/**
 * Starts Crossport over a copy of `assets/demo` in four folders with their own
 * policies, two site servers on different loopback origins, and Chromium.
 *
 * - `/shared/`: CORS for the allowed site, `X-Crossport-Demo` allowed as a request header.
 * - `/private/`: CORS with credentials for the allowed site.
 * - `/strict/`: strict mode (hotlink protection) for the allowed site.
 * - `/live/`: the allowed site only; tests add the refused site at run time.
 */
export async function startBrowserProof(executablePath: string): Promise<BrowserProof> {
  const demoFiles = listFiles(DEMO_ASSETS).map((full) => ({ path: relative(DEMO_ASSETS, full), content: readFileSync(full) }))
  const folders: readonly FolderName[] = ['shared', 'private', 'strict', 'live']
  const assets: Record<string, Buffer> = {}
  for (const folder of folders) for (const file of demoFiles) assets[`${folder}/${file.path}`] = file.content

  const crossport = await startTestCrossport({ assets })
  const started: Server[] = []
  let browser: Browser | undefined
  try {
    const sites = {
      allowed: await startSite('allowed', crossport.publicUrl, started),
      refused: await startSite('refused', crossport.publicUrl, started),
    }
    const allowed = [sites.allowed.origin]
    const policies: Record<FolderName, Record<string, unknown>> = {
      shared: { origins: allowed, allowHeaders: ['Range', ALLOWED_CUSTOM_HEADER] },
      private: { origins: allowed, credentials: true },
      strict: { origins: allowed, mode: 'strict' },
      live: { origins: allowed },
    }
    const folderIds = {} as Record<FolderName, number | string>
    for (const folder of folders) folderIds[folder] = (await createFolder(crossport, `/${folder}/`, policies[folder])).id

    const launched = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] })
    browser = launched
    const assetUrl = (folder: FolderName, file: string) => `${crossport.publicUrl}/${folder}/${file}`

    const newContext = () => launched.newContext({ viewport: { width: 900, height: 720 } })
    const openSite = async (site: SiteName): Promise<ProbeSession> => {
      const context = await newContext()
      const page = await context.newPage()
      await page.goto(`${sites[site].origin}/probe`)
      return {
        page,
        run: (name, ...args) =>
          page.evaluate(
            ([probe, probeArgs]) => {
              // The probe table comes from probes.js, untyped on window.
              const table = (globalThis as unknown as { crossportProbes: Record<string, (...a: unknown[]) => Promise<unknown>> }).crossportProbes
              const fn = table[probe]
              if (fn === undefined) throw new Error(`no probe ${probe}`)
              return fn(...probeArgs)
            },
            [name, args] as [string, unknown[]],
          ) as Promise<never>,
        close: () => context.close(),
      }
    }

    const screenshotDemo = async (site: SiteName): Promise<DemoPageResult> => {
      const context: BrowserContext = await newContext()
      try {
        const page = await context.newPage()
        await page.goto(`${sites[site].origin}/`)
        const checks = await page.evaluate(
          () => (globalThis as unknown as { crossportDemoDone: Promise<DemoPageResult['checks']> }).crossportDemoDone,
        )
        mkdirSync(ARTIFACTS_DIR, { recursive: true })
        const screenshotPath = join(ARTIFACTS_DIR, `browser-${site}-site.png`)
        await page.screenshot({ path: screenshotPath, fullPage: true })
        return { screenshotPath, checks }
      } finally {
        await context.close()
      }
    }

    return {
      crossport,
      browser: launched,
      sites,
      folderIds,
      assetUrl,
      openSite,
      screenshotDemo,
      async close() {
        await launched.close()
        await Promise.all(started.map(closeServer))
        await crossport.close()
      },
    }
  } catch (error) {
    await browser?.close()
    await Promise.all(started.map(closeServer))
    await crossport.close()
    throw error
  }
}

const SITE_TEXT: Record<SiteName, { title: string; note: string }> = {
  allowed: { title: 'Allowed site', note: 'this origin is listed, so the browser lets the page use every asset' },
  refused: { title: 'Refused site', note: 'this origin is not listed, so the browser blocks each cross-origin use' },
}

/**
 * A small web site on its own loopback origin. The allowed site uses
 * 127.0.0.1 and the refused one `localhost`, so they differ in host (and are
 * different sites, not only different origins).
 */
async function startSite(name: SiteName, crossportUrl: string, started: Server[]): Promise<Site> {
  let origin = ''
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://site').pathname
    const send = (type: string, body: string) => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' })
      res.end(body)
    }
    if (path === '/') {
      const fill = readFileSync(join(FIXTURES, 'site.html'), 'utf8')
        .replaceAll('{{TITLE}}', `${SITE_TEXT[name].title} — ${origin}`)
        .replaceAll('{{KIND}}', name)
        .replaceAll('{{CROSSPORT}}', crossportUrl)
        .replaceAll('{{FOLDER}}', '/shared/')
        .replaceAll('{{POLICY_NOTE}}', SITE_TEXT[name].note)
      send('text/html; charset=utf-8', fill)
    } else if (path === '/probe') {
      send('text/html; charset=utf-8', readFileSync(join(FIXTURES, 'blank.html'), 'utf8'))
    } else if (path === '/probes.js') {
      send('text/javascript; charset=utf-8', readFileSync(join(FIXTURES, 'probes.js'), 'utf8'))
    } else {
      res.writeHead(404).end()
    }
  })
  started.push(server)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  origin = name === 'allowed' ? `http://127.0.0.1:${port}` : `http://localhost:${port}`
  return { name, origin, server }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
}

/** Puts the two demo screenshots side by side (the README picture). */
export async function combineScreenshots(left: string, right: string, out: string): Promise<void> {
  const [a, b] = await Promise.all([sharp(left).metadata(), sharp(right).metadata()])
  const gap = 16
  const width = (a.width ?? 0) + (b.width ?? 0) + gap * 3
  const height = Math.max(a.height ?? 0, b.height ?? 0) + gap * 2
  await sharp({ create: { width, height, channels: 3, background: '#e4e7eb' } })
    .composite([
      { input: left, left: gap, top: gap },
      { input: right, left: (a.width ?? 0) + gap * 2, top: gap },
    ])
    .png({ compressionLevel: 9 })
    .toFile(out)
}
