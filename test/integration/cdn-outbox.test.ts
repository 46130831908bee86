import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCdnAdapter } from '../../src/cdn/adapters'
import { PurgeOutboxWorker, type PurgeTelemetry } from '../../src/cdn/outbox-worker'
import type { CdnSettings } from '../../src/config/cdn-settings'
import { migrate } from '../../src/db/sqlite/migrate'
import { openDb, setLockWait } from '../../src/db/sqlite/open'
import { SqliteDatabase } from '../../src/db/sqlite/sqlite-database'
import { PurgeOutboxRepo } from '../../src/db/purge-outbox-repo'
import { startPurgeReceiver, type PurgeReceiver } from '../helpers/purge-receiver'

let dir: string
let path: string
const opened: SqliteDatabase[] = []
const workers: PurgeOutboxWorker[] = []
const receivers: PurgeReceiver[] = []

/** A serving process's connection: migrated, and failing fast on a lock as the server's does. */
function connect(): SqliteDatabase {
  const raw = openDb(path)
  migrate(raw)
  setLockWait(raw, 'fail-fast')
  const db = new SqliteDatabase(raw, { busyBudgetMs: 5000 })
  opened.push(db)
  return db
}

const webhook = (url: string): CdnSettings => ({
  kind: 'webhook',
  purgeUrls: [url],
  apiToken: undefined,
  serviceId: undefined,
  apiUrl: undefined,
  tagHeader: undefined,
  // Generous: a delivery that times out is sent again (at least once), which the once-only test must not see.
  purgeTimeoutMs: 15_000,
  purgeRetryMaxMs: 100,
})

interface Recorded extends PurgeTelemetry {
  readonly sent: number[]
  readonly retried: number[]
  readonly failed: string[]
}
function recordingTelemetry(): Recorded {
  const t = { sent: [] as number[], retried: [] as number[], failed: [] as string[] }
  return { ...t, purgeSent: (ms) => t.sent.push(ms), purgeRetried: (n) => t.retried.push(n), purgeFailed: (e) => t.failed.push(e.message) }
}

function startWorker(db: SqliteDatabase, url: string, telemetry?: PurgeTelemetry): PurgeOutboxWorker {
  const worker = new PurgeOutboxWorker({ db, adapter: createCdnAdapter(webhook(url)), telemetry, pollMs: 10, firstRetryMs: 10, maxRetryMs: 40, leaseMs: 5000 })
  workers.push(worker)
  worker.start()
  return worker
}

async function receiver(port?: number): Promise<PurgeReceiver> {
  const r = await startPurgeReceiver(port)
  receivers.push(r)
  return r
}

/** Resolves once `check` holds, polling the database (the worker's progress is only visible there). */
async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'crossport-outbox-'))
  path = join(dir, 'crossport.db')
})

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()))
  await Promise.all(receivers.splice(0).map((r) => r.close()))
  for (const db of opened.splice(0)) await db.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('purge outbox', () => {
  it('sends nothing for a change whose transaction rolled back', async () => {
    const db = connect()
    const repo = new PurgeOutboxRepo(db)
    const target = await receiver()
    await expect(
      db.transaction(async (tx) => {
        await new PurgeOutboxRepo(tx).enqueue(['cpf~brand~'], ['/brand/'])
        throw new Error('the change failed')
      }),
    ).rejects.toThrow('the change failed')
    await db.transaction((tx) => new PurgeOutboxRepo(tx).enqueue(['cpf~kept~'], ['/kept/']))
    const worker = startWorker(db, target.url)
    await until(async () => (await repo.counts()).done === 1)
    await worker.stop()
    expect(target.received.map((r) => JSON.parse(r.body) as unknown)).toEqual([{ tags: ['cpf~kept~'], paths: ['/kept/'] }])
    expect(await repo.counts()).toEqual({ pending: 0, failed: 0, done: 1 })
  })

  it('retries while the target is down and delivers once it is back, reporting the delay', async () => {
    const probe = await startPurgeReceiver()
    const port = probe.port
    await probe.close()
    const db = connect()
    const repo = new PurgeOutboxRepo(db)
    const telemetry = recordingTelemetry()
    await repo.enqueue(['cpa~a.png'], ['/a.png'])
    startWorker(db, `http://127.0.0.1:${port}/hook`, telemetry)
    await until(async () => telemetry.retried.length >= 3)
    expect(await repo.listPending()).toEqual([expect.objectContaining({ attempts: expect.any(Number), lastError: expect.stringContaining(`POST http://127.0.0.1:${port}/hook`) })])
    const target = await receiver(port)
    await target.waitFor(1)
    await until(async () => (await repo.counts()).done === 1)
    expect(JSON.parse(target.received[0]?.body ?? '')).toEqual({ tags: ['cpa~a.png'], paths: ['/a.png'] })
    expect(telemetry.sent).toHaveLength(1)
    expect(telemetry.sent[0]).toBeGreaterThan(0)
    expect(telemetry.failed).toEqual([])
  })

  it('backs off: pauses double from the first up to the cap', async () => {
    const { retryDelayMs } = await import('../../src/cdn/outbox-worker')
    expect([1, 2, 3, 4, 5, 20].map((n) => retryDelayMs(n, 1000, 10_000))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000])
  })

  it('keeps a purge the CDN refuses for good as failed, and sends it no more', async () => {
    const db = connect()
    const repo = new PurgeOutboxRepo(db)
    const target = await receiver()
    target.answerWith(401)
    const telemetry = recordingTelemetry()
    await repo.enqueue(['cpf~x~'], ['/x/'])
    const worker = startWorker(db, target.url, telemetry)
    await until(async () => (await repo.counts()).failed === 1)
    await worker.runOnce()
    expect(target.received).toHaveLength(1)
    expect(await repo.listFailed()).toEqual([expect.objectContaining({ tags: ['cpf~x~'], lastError: expect.stringContaining('401') })])
    expect(telemetry.failed).toHaveLength(1)
  })

  it('delivers after a restart: purges written before are still owed, and a dead process\'s claim returns after its lease', async () => {
    const target = await receiver()
    const first = connect()
    const firstRepo = new PurgeOutboxRepo(first)
    await firstRepo.enqueue(['cpf~never-started~'], ['/a/'])
    await firstRepo.enqueue(['cpf~claimed~'], ['/b/'])
    // The first process claims the second purge and dies before sending it.
    expect((await firstRepo.claimDue(Date.now(), 1, 60_000)).map((p) => p.paths)).toEqual([['/a/']])
    await firstRepo.claimDue(Date.now(), 1, 300)
    await first.close()
    opened.splice(opened.indexOf(first), 1)

    const second = connect()
    const repo = new PurgeOutboxRepo(second)
    startWorker(second, target.url)
    await until(async () => (await repo.counts()).done === 1)
    // The purge leased for 60 s stays with its (dead) owner; the one leased for 300 ms comes back.
    expect(target.received.map((r) => (JSON.parse(r.body) as { paths: string[] }).paths)).toEqual([['/b/']])
    expect((await repo.listPending()).map((p) => p.paths)).toEqual([['/a/']])
  })

  it('with two workers on one database, delivers each purge exactly once', async () => {
    const target = await receiver()
    const a = connect()
    const b = connect()
    const repo = new PurgeOutboxRepo(a)
    const count = 200
    for (let i = 0; i < count; i += 1) await repo.enqueue([`cpa~p${i}`], [`/p${i}`])
    const telemetry = recordingTelemetry()
    startWorker(a, target.url, telemetry)
    startWorker(b, target.url, telemetry)
    await target.waitFor(count)
    await until(async () => (await repo.counts()).done === count)
    const delivered = target.received.map((r) => (JSON.parse(r.body) as { paths: string[] }).paths[0])
    expect(delivered).toHaveLength(count)
    expect(new Set(delivered).size).toBe(count)
    expect(telemetry.retried).toEqual([])
    expect(telemetry.sent).toHaveLength(count)
  })

  it('settled(): resolves once a round started after the call has tried the purges committed before it, at most maxWaitMs later', async () => {
    const db = connect()
    const repo = new PurgeOutboxRepo(db)
    const target = await receiver()
    const idle = new PurgeOutboxWorker({ db, adapter: createCdnAdapter(webhook(target.url)), pollMs: 60_000 })
    await idle.settled(60_000) // not started: at once
    const worker = startWorker(db, target.url)
    // The worker polls every 10 ms; a purge committed now must be delivered by the time settled() resolves.
    for (let i = 0; i < 5; i += 1) {
      await db.transaction((tx) => new PurgeOutboxRepo(tx).enqueue([`cpf~s${i}~`], [`/s${i}/`]))
      await worker.settled(10_000)
      expect(await repo.counts()).toEqual({ pending: 0, failed: 0, done: i + 1 })
    }
    target.answerAfter(1500) // a CDN that hangs: the caller waits no longer than it said
    await db.transaction((tx) => new PurgeOutboxRepo(tx).enqueue(['cpf~slow~'], ['/slow/']))
    const startMs = performance.now()
    await worker.settled(100)
    expect(performance.now() - startMs).toBeLessThan(1000)
    expect((await repo.counts()).done).toBe(5)
  })
})
