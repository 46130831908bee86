import Database from 'better-sqlite3'
import { createFolder, startTestCrossport, type TestCrossport } from '../helpers/crossport'

const ORIGIN = 'https://shop.example'
/** How long the competing writer holds the lock: well past the retry budget below. */
const HOLD_MS = 3500
/** DB_BUSY_RETRY_MS of the server under test. */
const RETRY_BUDGET_MS = 2000
/** When the second admin write starts: its budget (until 4700 ms) outlasts the lock. */
const LATE_WRITE_AT_MS = 2700
/**
 * A public request normally takes a few ms; a synchronous busy wait would
 * stall it for seconds (the old busy_timeout: 5 s). The margin is for a
 * loaded CI machine.
 */
const MAX_LATENCY_MS = 2000

interface Timed {
  readonly res: Response
  readonly body: string
  readonly startedAtMs: number
  readonly settledAtMs: number
}

async function timed(request: () => Promise<Response>): Promise<Timed> {
  const startedAtMs = performance.now()
  const res = await request()
  const body = await res.text()
  return { res, body, startedAtMs, settledAtMs: performance.now() }
}

const after = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Another connection (as another process would) takes the write lock with a
 * pending change; `release` rolls it back. The connection never waits itself:
 * the server holds no lock when it is taken.
 */
function holdWriteLock(databasePath: string): { release(): void } {
  const other = new Database(databasePath)
  other.exec('BEGIN IMMEDIATE')
  other.prepare('UPDATE policy_version SET version = version WHERE id = 1').run()
  return {
    release() {
      other.exec('ROLLBACK')
      other.close()
    },
  }
}

describe('while another connection holds the SQLite write lock', () => {
  let cp: TestCrossport
  let folderId: number | string
  let watcher: { id: string; token: string }
  const publicLatenciesMs: number[] = []
  const publicFailures: string[] = []
  let early: Timed
  let late: Timed
  let upload: Timed
  let adminReads: Timed[]
  let releasedAtMs = 0

  beforeAll(async () => {
    cp = await startTestCrossport({ env: { DB_BUSY_RETRY_MS: String(RETRY_BUDGET_MS) }, assets: { 'locked/a.txt': 'still here\n' } })
    folderId = (await createFolder(cp, '/locked/', { origins: [ORIGIN] })).id
    // A token used for the first time during the lock: the old code wrote its last_used_at then.
    watcher = (await (await cp.admin('POST', '/tokens', { name: 'watcher', scope: 'read' })).json()) as { id: string; token: string }

    const lock = holdWriteLock(cp.databasePath)
    const lockedAtMs = performance.now()
    const release = after(HOLD_MS).then(() => {
      lock.release()
      releasedAtMs = performance.now()
    })
    const earlyWrite = timed(() => cp.admin('POST', `/folders/${folderId}/origins`, { origin: 'https://early.example' }))
    // The file is replaced before the audit row is written: the answer must not claim nothing changed.
    const lockedUpload = timed(() =>
      fetch(`${cp.adminUrl}/admin/v1/assets/locked/up.txt`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${cp.token}`, 'content-type': 'text/plain' },
        body: 'uploaded during the lock\n',
      }),
    )
    const reads = Promise.all([
      timed(() => cp.admin('GET', '/folders', undefined, watcher.token)),
      timed(() => cp.admin('GET', `/folders/${folderId}`)),
    ])
    const lateWrite = after(LATE_WRITE_AT_MS).then(() =>
      timed(() => cp.admin('POST', `/folders/${folderId}/origins`, { origin: 'https://late.example' })),
    )
    const probes = Promise.all(
      [0, 1].map(async () => {
        while (performance.now() - lockedAtMs < HOLD_MS) {
          const probe = await timed(() => fetch(`${cp.publicUrl}/locked/a.txt`, { headers: { origin: ORIGIN } }))
          publicLatenciesMs.push(probe.settledAtMs - probe.startedAtMs)
          if (probe.res.status !== 200 || probe.res.headers.get('access-control-allow-origin') !== ORIGIN || probe.body !== 'still here\n') {
            publicFailures.push(`${probe.res.status} ${probe.res.headers.get('access-control-allow-origin')}`)
          }
        }
      }),
    )
    ;[early, adminReads, late, upload] = await Promise.all([earlyWrite, reads, lateWrite, lockedUpload, probes, release])
  }, 20_000)

  afterAll(async () => {
    await cp.close()
  })

  it('public GETs stay fast and correct while admin writes wait for the lock', () => {
    expect(publicLatenciesMs.length).toBeGreaterThan(10)
    expect(publicFailures).toEqual([])
    expect(Math.max(...publicLatenciesMs)).toBeLessThan(MAX_LATENCY_MS)
  })

  it('admin GETs succeed at once during the lock, also with a token used for the first time', () => {
    for (const read of adminReads) {
      expect(read.res.status).toBe(200)
      expect(read.settledAtMs - read.startedAtMs).toBeLessThan(MAX_LATENCY_MS)
      expect(read.settledAtMs).toBeLessThan(releasedAtMs)
    }
  })

  it('an admin write answers 503 problem+json with Retry-After once the lock outlasts DB_BUSY_RETRY_MS', async () => {
    expect(early.res.status).toBe(503)
    expect(early.res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(early.res.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/)
    expect(JSON.parse(early.body)).toMatchObject({ status: 503, type: expect.stringMatching(/overloaded/i) })
    // It kept trying for the whole budget, and gave up before the lock went away.
    expect(early.settledAtMs - early.startedAtMs).toBeGreaterThanOrEqual(RETRY_BUDGET_MS - 50)
    expect(early.settledAtMs).toBeLessThan(releasedAtMs)
    const folder = (await (await cp.admin('GET', `/folders/${folderId}`)).json()) as { policy: { origins: string[] } }
    expect(folder.policy.origins).not.toContain('https://early.example')
  })

  it('an admin write that finds the lock still held succeeds once it is released', async () => {
    expect(late.res.status).toBe(201)
    expect(late.settledAtMs).toBeGreaterThanOrEqual(releasedAtMs)
    const folder = (await (await cp.admin('GET', `/folders/${folderId}`)).json()) as { policy: { origins: string[] } }
    expect(folder.policy.origins).toContain('https://late.example')
    // The change reached the public side.
    const res = await fetch(`${cp.publicUrl}/locked/a.txt`, { headers: { origin: 'https://late.example' } })
    expect(res.headers.get('access-control-allow-origin')).toBe('https://late.example')
  })

  it("records the watcher token's use once the lock is gone (best-effort, off the request path)", async () => {
    const deadline = performance.now() + 5000
    let lastUsedAt: string | null = null
    while (lastUsedAt === null && performance.now() < deadline) {
      const { items } = (await (await cp.admin('GET', '/tokens')).json()) as { items: { id: string; lastUsedAt: string | null }[] }
      lastUsedAt = items.find((t) => t.id === watcher.id)?.lastUsedAt ?? null
      if (lastUsedAt === null) await after(100)
    }
    expect(lastUsedAt).not.toBeNull()
  })

  it('an upload whose audit row outlasts DB_BUSY_RETRY_MS still answers 201, and the row is written after the release', async () => {
    expect(upload.res.status).toBe(201)
    expect(upload.settledAtMs).toBeLessThan(releasedAtMs)
    expect(await (await fetch(`${cp.publicUrl}/locked/up.txt`)).text()).toBe('uploaded during the lock\n')
    const deadline = performance.now() + 5000
    let targets: string[] = []
    while (!targets.includes('/locked/up.txt') && performance.now() < deadline) {
      const { items } = (await (await cp.admin('GET', '/audit?limit=50')).json()) as { items: { target: string }[] }
      targets = items.map((entry) => entry.target)
      if (!targets.includes('/locked/up.txt')) await after(100)
    }
    expect(targets).toContain('/locked/up.txt')
  })
})
