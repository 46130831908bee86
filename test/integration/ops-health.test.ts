import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EventEmitter } from 'node:events'
import type { AppContext } from '../../src/server/app-context'
import type { AppEvents } from '../../src/util/app-events'
import { loadConfig } from '../../src/config/config'
import { LivePolicyTable } from '../../src/db/sqlite/live-policy-table'
import { migrate } from '../../src/db/sqlite/migrate'
import { openDb } from '../../src/db/sqlite/open'
import { SqliteDatabase } from '../../src/db/sqlite/sqlite-database'
import { createLogger } from '../../src/ops/log'
import { handleHealthRequest } from '../../src/ops/health'
import { createTelemetry } from '../../src/ops/telemetry'
import { FsAssetStore } from '../../src/store/fs/fs-store'

/**
 * A real listener that answers only what `handleHealthRequest` answers (404
 * otherwise), over a real migrated SQLite file and asset folder, so each test
 * can break one dependency without touching the public server.
 */
async function startProbeServer() {
  const dir = mkdtempSync(join(tmpdir(), 'crossport-ops-health-'))
  const assetsDir = join(dir, 'assets')
  mkdirSync(assetsDir)
  const config = loadConfig({ ASSETS_DIR: assetsDir, DATABASE_PATH: join(dir, 'crossport.db'), CACHE_DIR: join(dir, 'cache'), LOG_LEVEL: 'silent', SEED_DEMO: 'false' })
  const logger = createLogger(config)
  const raw = openDb(config.databasePath)
  migrate(raw)
  const db = new SqliteDatabase(raw, { busyBudgetMs: config.dbBusyRetryMs })
  // The parts health needs, built as app.ts builds them (the listeners are not needed here).
  const telemetry = createTelemetry(config, logger, { collectDefaults: false })
  const context: AppContext = {
    config,
    logger,
    db,
    policies: new LivePolicyTable(raw, config.policyPollMs),
    events: new EventEmitter() as AppEvents,
    telemetry,
    images: undefined,
    store: new FsAssetStore(config.assetsDir),
  }
  const server: Server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname
    if (!handleHealthRequest(context, pathname, req.method ?? 'GET', res)) {
      res.statusCode = 404
      res.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    context,
    assetsDir,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      if (db.isOpen) await db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

type ProbeServer = Awaited<ReturnType<typeof startProbeServer>>

describe('GET /healthz', () => {
  let probe: ProbeServer
  beforeAll(async () => {
    probe = await startProbeServer()
  })
  afterAll(() => probe.close())

  it('answers 200 {"status":"ok"} with Cache-Control: no-store', async () => {
    const res = await fetch(`${probe.url}/healthz`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('answers HEAD with the headers and no body', async () => {
    const res = await fetch(`${probe.url}/healthz`, { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
  })

  it('answers 405 with Allow: GET, HEAD to other methods', async () => {
    const res = await fetch(`${probe.url}/healthz`, { method: 'POST' })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, HEAD')
  })

  it('leaves other paths to the caller', async () => {
    expect((await fetch(`${probe.url}/healthz/extra`)).status).toBe(404)
  })
})

describe('GET /readyz', () => {
  it('answers 200 when the database is migrated, the assets root readable and the policy table loaded', async () => {
    const probe = await startProbeServer()
    try {
      const res = await fetch(`${probe.url}/readyz`)
      expect(res.status).toBe(200)
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(await res.json()).toEqual({ status: 'ready', checks: { database: 'ok', assets: 'ok', policies: 'ok' } })
    } finally {
      await probe.close()
    }
  })

  it('answers 503 naming the database when the database is closed', async () => {
    const probe = await startProbeServer()
    try {
      await probe.context.db.close()
      const res = await fetch(`${probe.url}/readyz`)
      expect(res.status).toBe(503)
      expect(res.headers.get('cache-control')).toBe('no-store')
      const body = (await res.json()) as { status: string; checks: Record<string, string> }
      expect(body.status).toBe('not ready')
      expect(body.checks.database).toMatch(/^unavailable/)
      expect(body.checks.assets).toBe('ok')
    } finally {
      await probe.close()
    }
  })

  it('answers 503 naming the assets root when it is gone', async () => {
    const probe = await startProbeServer()
    try {
      rmSync(probe.assetsDir, { recursive: true })
      const res = await fetch(`${probe.url}/readyz`)
      expect(res.status).toBe(503)
      const body = (await res.json()) as { checks: Record<string, string> }
      expect(body.checks).toEqual({ database: 'ok', assets: `${probe.assetsDir} not readable: ENOENT`, policies: 'ok' })
    } finally {
      await probe.close()
    }
  })

  it('answers 503 when the schema was never migrated', async () => {
    const probe = await startProbeServer()
    try {
      await probe.context.db.run('DELETE FROM schema_migrations')
      const res = await fetch(`${probe.url}/readyz`)
      expect(res.status).toBe(503)
      expect(((await res.json()) as { checks: Record<string, string> }).checks.database).toBe('not migrated')
    } finally {
      await probe.close()
    }
  })
})
