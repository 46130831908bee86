import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { shippedDemoAssets } from '../helpers/demo-assets'

/**
 * The README's tour, run as a reader runs it: every ```sh block marked with a
 * `<!-- tour -->` line is taken from README.md, each command is run with bash
 * from the checkout, in order, against a real `node dist/main.js` started over
 * a fresh copy of the shipped `assets/demo/` and a new database (so the demo
 * policy is seeded as on a first `npm start`).
 *
 * The guide is written for the default ports. This test runs the server on
 * free loopback ports instead, so it rewrites `localhost:8080` and
 * `127.0.0.1:8080` to the public port and `127.0.0.1:8081` to the admin port
 * before running a command, and gives the CLI CROSSPORT_URL and
 * CROSSPORT_TOKEN the way the guide tells the reader to (the token is set here,
 * not read from the server's start-up output). Nothing leaves loopback: npx is
 * run offline and resolves `crossport` to this checkout's own bin.
 */

const ROOT = join(__dirname, '..', '..')
const README = readFileSync(join(ROOT, 'README.md'), 'utf8')

const { spawnCrossport, ADMIN_TOKEN } = require('../../scripts/lib/spawn-crossport.js') as {
  spawnCrossport(options: { assets?: Record<string, Buffer>; env?: Record<string, string> }): Promise<{
    publicUrl: string
    adminUrl: string
    stop(): Promise<number | null>
  }>
  ADMIN_TOKEN: string
}

/** The commands of the marked blocks, in order: continuation lines joined, comments and blank lines dropped. */
function tourCommands(markdown: string): string[] {
  const commands: string[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== '<!-- tour -->') continue
    if (lines[i + 1]?.trim() !== '```sh') throw new Error(`README line ${i + 1}: <!-- tour --> must be followed by a \`\`\`sh block`)
    let pending = ''
    for (i += 2; i < lines.length && lines[i]?.trim() !== '```'; i++) {
      const line = lines[i] ?? ''
      if (pending === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue
      if (line.endsWith('\\')) pending += line.slice(0, -1) + ' '
      else {
        commands.push((pending + line).trim())
        pending = ''
      }
    }
  }
  return commands
}

interface Ran {
  readonly command: string
  readonly code: number
  readonly output: string
}

function bash(command: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    execFile('bash', ['-o', 'pipefail', '-c', command], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
      resolve({ command, code, output: stdout + stderr })
    })
  })
}

/** What a step of the tour must show, found in order: each expectation matches a later command than the one before. */
interface Expectation {
  readonly command: RegExp
  readonly shows?: readonly RegExp[]
  readonly hides?: readonly RegExp[]
}

const acao = (origin: string) => new RegExp(`^Access-Control-Allow-Origin: ${origin.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\r?$`, 'mi')

let server: Awaited<ReturnType<typeof spawnCrossport>>
let ran: Ran[] = []
let pageOrigin: string
let refusedBefore: string | null

beforeAll(async () => {
  server = await spawnCrossport({ assets: shippedDemoAssets(), env: { SEED_DEMO: 'true' } })
  const publicPort = new URL(server.publicUrl).port
  const adminPort = new URL(server.adminUrl).port
  pageOrigin = `http://127.0.0.1:${publicPort}`
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(env)) if (name.startsWith('CROSSPORT_')) delete env[name]
  Object.assign(env, {
    CROSSPORT_URL: `http://127.0.0.1:${adminPort}`,
    CROSSPORT_TOKEN: ADMIN_TOKEN,
    // npx must find this checkout's own `crossport` bin, never ask the registry.
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
  })

  // The browser page's origin before the tour allows it: the bytes, but no CORS header.
  const before = await fetch(`${server.publicUrl}/demo/data.json`, { headers: { origin: pageOrigin } })
  await before.arrayBuffer()
  refusedBefore = before.headers.get('access-control-allow-origin')

  for (const command of tourCommands(README)) {
    const local = command
      .replaceAll('localhost:8080', `localhost:${publicPort}`)
      .replaceAll('127.0.0.1:8080', `127.0.0.1:${publicPort}`)
      .replaceAll('127.0.0.1:8081', `127.0.0.1:${adminPort}`)
    ran.push(await bash(local, env))
  }
}, 300_000)

afterAll(async () => {
  await server?.stop()
})

describe('the README tour', () => {
  it('has marked blocks, and none of them needs the token line from the start-up output', () => {
    const commands = tourCommands(README)
    expect(commands.length).toBeGreaterThanOrEqual(6)
    expect(commands.some((c) => /cpt_|export /.test(c))).toBe(false)
  })

  it('runs every command with exit status 0', () => {
    const failed = ran.filter((r) => r.code !== 0).map((r) => `${r.command}\n  exit ${r.code}\n  ${r.output}`)
    expect(failed).toEqual([])
  })

  it('shows each step: a refusal, allowing by folder path, the page origin, explain, an upload, the API', () => {
    const steps: Expectation[] = [
      { command: /^npx crossport folders list$/, shows: [/\/demo\/.*https:\/\/shop\.example/] },
      { command: /Origin: https:\/\/shop\.example' .*\/demo\/css\/site\.css$/, shows: [/^HTTP\/1\.1 200/m, acao('https://shop.example'), /^Vary: Origin/im] },
      { command: /Origin: https:\/\/blog\.example' .*\/demo\/css\/site\.css$/, shows: [/^HTTP\/1\.1 200/m], hides: [/Access-Control-Allow-Origin/i] },
      { command: /^npx crossport origins allow \/demo\/ https:\/\/blog\.example$/, shows: [/allowed https:\/\/blog\.example on \/demo\//] },
      { command: /Origin: https:\/\/blog\.example' .*\/demo\/css\/site\.css$/, shows: [acao('https://blog.example')] },
      { command: /^npx crossport origins allow \/demo\/ http:\/\/127\.0\.0\.1:\d+$/, shows: [/allowed http:\/\/127\.0\.0\.1:\d+ on \/demo\//] },
      { command: /^npx crossport explain .*--origin http:\/\/shop\.example$/, shows: [/^folder: +\/demo\//m, /^outcome: refused/m, /does not match https:\/\/shop\.example: its scheme is http/] },
      { command: /^npx crossport assets upload assets\/demo\/img --to \/demo\/copy\/$/, shows: [/uploaded +\/demo\/copy\/crossport\.png/] },
      { command: /Origin: https:\/\/blog\.example' .*\/demo\/copy\/crossport\.png$/, shows: [/^Content-Type: image\/png/im, acao('https://blog.example')] },
      { command: /\/admin\/v1\/folders\?path=\/demo\/'$/, shows: [/"path":"\/demo\/"/, /"https:\/\/blog\.example"/, /"http:\/\/127\.0\.0\.1:\d+"/] },
    ]
    // Every miss is listed with the command's output, so a failing run says what the reader would see.
    const misses: string[] = []
    let from = 0
    for (const step of steps) {
      const index = ran.findIndex((r, i) => i >= from && step.command.test(r.command))
      const found = ran[index]
      if (found === undefined) {
        misses.push(`no command matching ${step.command} (after command ${from})`)
        continue
      }
      for (const pattern of step.shows ?? []) if (!pattern.test(found.output)) misses.push(`${found.command}\n  should show ${pattern}:\n${found.output}`)
      for (const pattern of step.hides ?? []) if (pattern.test(found.output)) misses.push(`${found.command}\n  should not show ${pattern}:\n${found.output}`)
      from = index + 1
    }
    expect(misses).toEqual([])
  })

  it('serves the browser page, and its origin is allowed only after the tour allows it', async () => {
    expect(README).toContain('http://127.0.0.1:8080/demo/try.html')
    const page = await fetch(`${server.publicUrl}/demo/try.html`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await page.text()).toContain("fetch(base + 'data.json?'")

    expect(refusedBefore).toBeNull()
    // The page's loads: fresh URLs, from the other host name of the same server.
    const data = await fetch(`${server.publicUrl}/demo/data.json?v=1`, { headers: { origin: pageOrigin } })
    expect(data.headers.get('access-control-allow-origin')).toBe(pageOrigin)
    expect(await data.json()).toMatchObject({ name: 'crossport-demo' })
    const image = await fetch(`${server.publicUrl}/demo/img/crossport.png?w=256&v=1`, { headers: { origin: pageOrigin } })
    expect(image.status).toBe(200)
    expect(image.headers.get('access-control-allow-origin')).toBe(pageOrigin)
    await image.arrayBuffer()
  })

  it('points at a console that is there', async () => {
    expect(README).toContain('http://127.0.0.1:8081/admin/')
    const res = await fetch(`${server.adminUrl}/admin/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    await res.arrayBuffer()
  })
})
