/**
 * DATABASE_URL wired through the server: start-up refusals, two Crossport
 * servers on one PostgreSQL database (an asset replaced or a token revoked
 * through one is in force on the other), and PostgreSQL going away while
 * serving (delivery goes on, admin answers 503, readiness stays up).
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestCrossport, type TestCrossport } from '../helpers/crossport'
import { createTestDatabase, startPostgres, withDatabase, type PrivatePostgres, type TestDatabase } from '../helpers/postgres'

const { freePort } = require('../../scripts/lib/free-port.js') as { freePort(): Promise<number> }
const MAIN = join(__dirname, '..', '..', 'dist', 'main.js')
const SITE = 'https://shop.example'

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function start(url: string, env: Record<string, string> = {}): Promise<TestCrossport> {
  const cp = await startTestCrossport({ env: { DATABASE_URL: url, FILE_CACHE_TTL_MS: '600000', ...env } })
  closers.push(() => cp.close())
  return cp
}

async function freshDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase()
  closers.push(() => database.drop())
  return database
}

/** Resolves with the ms it took `check` to hold; rejects after `timeoutMs`. */
async function within(timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now()
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  return performance.now() - started
}

function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (_error, _stdout, stderr) =>
      resolve({ code: child.exitCode, stderr }),
    )
  })
}

describe('start-up on DATABASE_URL', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'crossport-pg-start-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const env = (url: string) => ({ DATABASE_URL: url, DATABASE_PATH: join(dir, 'crossport.db'), ASSETS_DIR: dir, PORT: '0', ADMIN_PORT: '0', LOG_LEVEL: 'silent' })

  it('stops with one clear line when the server cannot be reached, creating no SQLite file', async () => {
    const port = await freePort()
    const res = await runMain(env(`postgres://crossport:secret-password@127.0.0.1:${port}/crossport`))
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/^crossport: failed to start: DATABASE_URL: cannot reach PostgreSQL at postgres:\/\/crossport:\*\*\*@127\.0\.0\.1:\d+\/crossport \(.+\)\n$/)
    expect(res.stderr).not.toContain('secret-password')
    expect(existsSync(join(dir, 'crossport.db'))).toBe(false)
  })

  it('stops with one line naming the database that does not exist', async () => {
    const res = await runMain(env(withDatabase(process.env.CROSSPORT_TEST_PG_URL ?? '', 'crossport_missing_db')))
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/^crossport: failed to start: DATABASE_URL: .*crossport_missing_db.*\n$/)
  })

  it('serves from PostgreSQL, migrated and seeded, and leaves DATABASE_PATH alone', async () => {
    const database = await freshDatabase()
    const cp = await start(database.url, { SEED_DEMO: 'true' })
    expect(cp.running.context.db.dialect).toBe('postgres')
    expect(existsSync(cp.databasePath)).toBe(false)
    const res = await cp.admin('GET', '/folders?path=/demo/')
    expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(1)
  })
})

describe('two servers on one PostgreSQL database', () => {
  it('an asset replaced through A is served new by B within 100 ms, though B had it cached', async () => {
    const database = await freshDatabase()
    const a = await start(database.url)
    const b = await start(database.url, { ASSETS_DIR: a.assetsDir })
    const put = (body: string) => a.admin('PUT', '/assets/shared/note.txt', body)
    expect((await put('first')).status).toBe(201)
    const readB = async () => (await fetch(`${b.publicUrl}/shared/note.txt`)).text()
    expect(await readB()).toBe('first')
    expect(await readB()).toBe('first')
    expect((await put('second version')).status).toBe(200)
    const ms = await within(100, async () => (await readB()) === 'second version')
    expect(ms).toBeLessThanOrEqual(100)
  })

  it('a token revoked through A is refused by B on its next request, and a folder change is in force there', async () => {
    const database = await freshDatabase()
    const a = await start(database.url)
    const b = await start(database.url, { ASSETS_DIR: a.assetsDir })
    a.writeAsset('brand/logo.css', 'x{}')
    const created = (await (await a.admin('POST', '/tokens', { name: 'ci', scope: 'read' })).json()) as { id: string; token: string }
    expect((await b.admin('GET', '/folders', undefined, created.token)).status).toBe(200)
    expect((await a.admin('DELETE', `/tokens/${created.id}`)).status).toBe(204)
    expect((await b.admin('GET', '/folders', undefined, created.token)).status).toBe(401)

    expect((await a.admin('POST', '/folders', { path: '/brand/', policy: { origins: [SITE] } })).status).toBe(201)
    const allowed = async () => (await fetch(`${b.publicUrl}/brand/logo.css`, { headers: { origin: SITE } })).headers.get('access-control-allow-origin') === SITE
    await within(100, allowed)
  })
})

describe('PostgreSQL going away while serving', () => {
  let server: PrivatePostgres
  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(async () => {
    await server.stop()
  })

  it('keeps delivering with CORS, answers admin calls 503 with Retry-After, stays ready (degraded), and catches up', async () => {
    const database = await createTestDatabase(server.url)
    const cp = await start(database.url, { POLICY_POLL_MS: '50' })
    cp.writeAsset('brand/app.css', 'a{}')
    expect((await cp.admin('POST', '/folders', { path: '/brand/', policy: { origins: [SITE] } })).status).toBe(201)

    await server.stopServer()
    try {
      const asset = await fetch(`${cp.publicUrl}/brand/app.css`, { headers: { origin: SITE } })
      expect(asset.status).toBe(200)
      expect(asset.headers.get('access-control-allow-origin')).toBe(SITE)

      const admin = await cp.admin('GET', '/folders')
      expect(admin.status).toBe(503)
      expect(admin.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      expect(admin.headers.get('retry-after')).toBe('5')
      expect(((await admin.json()) as { type: string }).type).toMatch(/database-unavailable/)

      await within(5_000, async () => cp.running.context.databaseHealth?.() === 'degraded')
      const ready = await fetch(`${cp.publicUrl}/readyz`)
      expect(ready.status).toBe(200)
      const body = (await ready.json()) as { status: string; checks: Record<string, string> }
      expect(body.status).toBe('ready')
      expect(body.checks.database).toMatch(/^degraded/)
      const metrics = await (await fetch(`${cp.adminUrl}/metrics`, { headers: { authorization: `Bearer ${cp.token}` } })).text()
      expect(metrics).toMatch(/^crossport_database_up 0$/m)
      expect(metrics).toMatch(/^crossport_database_errors_total [1-9]/m)
    } finally {
      await server.startServer()
    }
    await within(10_000, async () => (await cp.admin('GET', '/folders')).status === 200)
    expect((await cp.admin('POST', '/folders', { path: '/later/', policy: { origins: [SITE] } })).status).toBe(201)
  })
})
