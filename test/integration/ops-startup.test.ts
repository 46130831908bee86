import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

// Start-up as operators run it (`node dist/main.js`, built by test/global-setup.js),
// without ADMIN_TOKEN, so the server generates the bootstrap token itself.
const MAIN = join(resolve(__dirname, '..', '..'), 'dist', 'main.js')
const ANNOUNCEMENT = /Admin token \(shown once, store it now\): (cpt_[A-Za-z0-9_-]{43})\n/g

interface Started {
  readonly child: ChildProcess
  /** Everything written so far. */
  stdout(): string
  stderr(): string
  readonly exited: Promise<number | null>
  /** Resolves once stdout (or stderr) matches `pattern`; rejects if the process exits first. */
  until(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<RegExpExecArray>
}

function start(dir: string, env: Readonly<Record<string, string>>): Started {
  const child = spawn(process.execPath, [MAIN], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      ADMIN_HOST: '127.0.0.1',
      ASSETS_DIR: join(dir, 'assets'),
      DATABASE_PATH: join(dir, 'crossport.db'),
      CACHE_DIR: join(dir, 'cache'),
      SEED_DEMO: 'false',
      LOG_LEVEL: 'info',
      WORKERS: '1',
      SHUTDOWN_TIMEOUT_MS: '2000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  const watchers = new Set<() => void>()
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8')
    for (const w of watchers) w()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8')
    for (const w of watchers) w()
  })
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  const until = (pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout') =>
    new Promise<RegExpExecArray>((done, fail) => {
      const check = () => {
        const match = pattern.exec(stream === 'stdout' ? out : err)
        if (match === null) return
        watchers.delete(check)
        done(match)
      }
      watchers.add(check)
      check()
      void exited.then((code) => fail(new Error(`exited (${code}) before printing ${pattern}; stderr: ${err}`)))
    })
  return { child, stdout: () => out, stderr: () => err, exited, until }
}

async function stop(started: Started): Promise<void> {
  started.child.kill('SIGTERM')
  await started.exited
}

/** Occupies a loopback port the way another program would. */
function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => done({ server, port: (server.address() as { port: number }).port }))
  })
}

/** A loopback port nobody listens on: cluster workers cannot report the port PORT=0 gave them. */
async function freePort(): Promise<number> {
  const { server, port } = await occupy()
  await new Promise((done) => server.close(done))
  return port
}

const listeningLine = (stdout: string, msg: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((line) => line.msg === msg)

describe('start-up on a busy port, then a good start (one process)', () => {
  let dir: string
  let busy: { server: Server; port: number }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crossport-startup-'))
    mkdirSync(join(dir, 'assets'))
    busy = await occupy()
  })

  afterAll(async () => {
    await new Promise((done) => busy.server.close(done))
    rmSync(dir, { recursive: true, force: true })
  })

  it.each([
    ['PORT', { PORT: '', ADMIN_PORT: '0' }],
    ['ADMIN_PORT', { PORT: '0', ADMIN_PORT: '' }],
  ])('exits 1 naming %s, and prints no token', async (variable, ports) => {
    const env = Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, v === '' ? String(busy.port) : v]))
    const failed = start(dir, env)
    expect(await failed.exited).toBe(1)
    expect(failed.stderr()).toContain(`${variable}=${busy.port} is already in use on 127.0.0.1`)
    expect(failed.stderr()).toContain(`set ${variable} to a free port`)
    expect(failed.stdout()).not.toMatch(/cpt_|Admin token/)
  })

  it('the next good start on the same database prints the generated token once, with the console URL and an export line', async () => {
    const good = start(dir, { PORT: '0', ADMIN_PORT: '0' })
    try {
      await good.until(/"msg":"crossport listening"/)
      const out = good.stdout()
      const announced = [...out.matchAll(ANNOUNCEMENT)]
      expect(announced).toHaveLength(1)
      const secret = announced[0]?.[1] as string
      expect(out).toContain(`\n    export CROSSPORT_TOKEN=${secret}\n`)

      const line = listeningLine(out, 'crossport listening')
      const adminUrl = String(line?.admin)
      expect(line?.console).toBe(`${adminUrl}/admin/`)
      expect(out).toContain(`  Console: ${adminUrl}/admin/\n`)
      // A port other than the CLI's default: the URL comes with it.
      expect(out).toContain(`\n    export CROSSPORT_URL=${adminUrl}\n`)
      // The token printed is the one stored: it works.
      const res = await fetch(`${adminUrl}/admin/v1/folders`, { headers: { authorization: `Bearer ${secret}` } })
      expect(res.status).toBe(200)
    } finally {
      await stop(good)
    }
  })

  it('a later start prints no token: one is already active', async () => {
    const again = start(dir, { PORT: '0', ADMIN_PORT: '0' })
    try {
      await again.until(/"msg":"crossport listening"/)
      expect(again.stdout()).not.toMatch(/Admin token|CROSSPORT_TOKEN/)
    } finally {
      await stop(again)
    }
  })
})

describe('start-up in cluster mode (WORKERS=2)', () => {
  let dir: string

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'crossport-startup-cluster-'))
    mkdirSync(join(dir, 'assets'))
  })

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints the generated token once the workers listen, and it works', async () => {
    const [port, adminPort] = [await freePort(), await freePort()]
    const cluster = start(dir, { WORKERS: '2', PORT: String(port), ADMIN_PORT: String(adminPort) })
    try {
      const [, secret] = await cluster.until(/Admin token \(shown once, store it now\): (\S+)\n/)
      // The public port answers by the time the token is out.
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
      const res = await fetch(`http://127.0.0.1:${adminPort}/admin/v1/folders`, { headers: { authorization: `Bearer ${secret}` } })
      expect(res.status).toBe(200)
      await cluster.until(/"msg":"crossport cluster started"/)
      expect([...cluster.stdout().matchAll(ANNOUNCEMENT)]).toHaveLength(1)
      expect(listeningLine(cluster.stdout(), 'crossport cluster started')?.console).toBe(`http://127.0.0.1:${adminPort}/admin/`)
    } finally {
      await stop(cluster)
    }
  })

  it('prints no token while the workers cannot bind PORT, and names it', async () => {
    const busy = await occupy()
    const cluster = start(dir, { WORKERS: '2', PORT: String(busy.port), ADMIN_PORT: String(await freePort()) })
    try {
      // A worker has tried and failed: with the old order the token was out long before.
      await cluster.until(new RegExp(`PORT=${busy.port} is already in use on 127\\.0\\.0\\.1`), 'stderr')
      expect(cluster.stdout()).not.toMatch(/cpt_|Admin token/)
    } finally {
      await stop(cluster)
      await new Promise((done) => busy.server.close(done))
    }
  })
})
