import Koa from 'koa'
import { EventEmitter } from 'node:events'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AppContext } from '../../src/server/app-context'
import type { AppEvents } from '../../src/util/app-events'
import { loadConfig } from '../../src/config/config'
import { FolderRepo } from '../../src/db/folder-repo'
import { LivePolicyTable } from '../../src/db/sqlite/live-policy-table'
import { migrate } from '../../src/db/sqlite/migrate'
import { openDb } from '../../src/db/sqlite/open'
import { SqliteDatabase } from '../../src/db/sqlite/sqlite-database'
import { createLogger } from '../../src/ops/log'
import { createMetricsMiddleware } from '../../src/ops/metrics'
import { createTelemetry } from '../../src/ops/telemetry'
import { DEFAULT_POLICY } from '../../src/policy/types'
import { FsAssetStore } from '../../src/store/fs/fs-store'
import { requestRecord } from '../helpers/records'

const record = requestRecord

/** Reads one sample from Prometheus text: `name{labels} value`. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const escaped = `${name}${labels}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const match = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text)
  return match ? Number(match[1]) : undefined
}

describe('GET /metrics (admin listener middleware)', () => {
  let dir: string
  let context: AppContext
  let server: Server
  let url: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crossport-ops-metrics-'))
    mkdirSync(join(dir, 'assets'))
    const config = loadConfig({ ASSETS_DIR: join(dir, 'assets'), DATABASE_PATH: join(dir, 'crossport.db'), LOG_LEVEL: 'silent' })
    const logger = createLogger(config)
    const raw = openDb(config.databasePath)
    migrate(raw)
    const db = new SqliteDatabase(raw, { busyBudgetMs: config.dbBusyRetryMs })
    const telemetry = createTelemetry(config, logger)
    const policies = new LivePolicyTable(raw, config.policyPollMs, () => telemetry.policyReloaded())
    const events = new EventEmitter() as AppEvents
    events.on('policy-changed', () => policies.invalidate())
    context = { config, logger, db, policies, events, telemetry, images: undefined, store: new FsAssetStore(config.assetsDir) }

    const app = new Koa()
    app.use(createMetricsMiddleware(context))
    app.use((ctx) => {
      ctx.status = 404
    })
    server = createServer(app.callback())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await context.db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const scrape = async () => {
    const res = await fetch(`${url}/metrics`)
    expect(res.status).toBe(200)
    return res.text()
  }

  it('answers Prometheus text, uncached', async () => {
    const res = await fetch(`${url}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('includes open file descriptors and event-loop lag from the process', async () => {
    const text = await scrape()
    expect(text).toMatch(/^process_open_fds \d+$/m)
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \S+$/m)
  })

  it('moves request counts, bytes and latency with traffic', async () => {
    const before = await scrape()
    const label = '{status_class="2xx",cors="allowed",preflight="false"}'
    const countBefore = sample(before, 'crossport_http_requests_total', label) ?? 0
    const bytesBefore = sample(before, 'crossport_http_response_bytes_total') ?? 0
    const latencyBefore = sample(before, 'crossport_http_request_duration_seconds_count', '{status_class="2xx"}') ?? 0

    context.telemetry.requestFinished(record({ bytes: 1000 }))
    context.telemetry.requestFinished(record({ bytes: 500 }))

    const after = await scrape()
    expect(sample(after, 'crossport_http_requests_total', label)).toBe(countBefore + 2)
    expect(sample(after, 'crossport_http_response_bytes_total')).toBe(bytesBefore + 1500)
    expect(sample(after, 'crossport_http_request_duration_seconds_count', '{status_class="2xx"}')).toBe(latencyBefore + 2)
  })

  it('counts preflights and refused origins by folder', async () => {
    context.telemetry.requestFinished(record({ method: 'OPTIONS', status: 403, cors: 'refused', isPreflight: true, bytes: 0 }))
    const text = await scrape()
    expect(sample(text, 'crossport_cors_preflights_total', '{cors="refused"}')).toBe(1)
    expect(sample(text, 'crossport_cors_refused_total', '{folder="/brand/"}')).toBe(1)
  })

  it('counts a policy reload when a policy changes', async () => {
    const before = sample(await scrape(), 'crossport_policy_reloads_total') ?? 0
    // A reload applies what changed: an announcement with no change behind it applies nothing.
    await new FolderRepo(context.db).create('/reloaded/', { ...DEFAULT_POLICY, origins: [] })
    context.events.emit('policy-changed')
    expect(sample(await scrape(), 'crossport_policy_reloads_total')).toBe(before + 1)
  })

  it('answers 405 to other methods and leaves other paths alone', async () => {
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405)
    expect((await fetch(`${url}/metricsx`)).status).toBe(404)
  })
})
