/**
 * Several hosts, one truth: two Crossport processes (own ports, own
 * CACHE_DIR) on one PostgreSQL and one asset folder. What is changed through
 * A is in force on B within 100 ms, and B keeps serving while PostgreSQL is
 * down.
 */
import { createTestDatabase, startPostgres, type PrivatePostgres, type TestDatabase } from '../helpers/postgres'

interface Host {
  readonly publicUrl: string
  readonly adminUrl: string
  admin(method: string, path: string, body?: unknown): Promise<Response>
}
interface HostPair {
  readonly a: Host
  readonly b: Host
  stop(): Promise<void>
}
const { startHostPair, measurePropagation, timeUntil, allowedOrigin, percentile } = require('../../scripts/lib/propagation.js') as {
  startHostPair(options: { databaseUrl: string; assets?: Record<string, string>; env?: Record<string, string> }): Promise<HostPair>
  measurePropagation(options: { a: Host; b: Host; folder: string; file: string; count: number }): Promise<number[]>
  timeUntil(check: () => Promise<boolean>, giveUpMs?: number): Promise<number>
  allowedOrigin(host: Host, path: string, origin: string): Promise<string | null>
  percentile(samples: readonly number[], p: number): number
}

const { ADMIN_TOKEN } = require('../../scripts/lib/spawn-crossport.js') as { ADMIN_TOKEN: string }

const PROPAGATION_MS = 100
/**
 * One change must be in force on B within this. Far above the 100 ms target,
 * so a loaded CI machine does not fail it, and far below what anything but
 * the notification could achieve: B polls the version row once a minute and
 * trusts its cached file facts for a minute (HOST_ENV).
 */
const PROMPTLY_MS = 1_000
const START_MS = 60_000
const SITE = 'https://site.example'
// Only the notification can bring a change in time: no poll and no cache expiry within a minute.
const HOST_ENV = { FILE_CACHE_TTL_MS: '60000', POLICY_POLL_MS: '60000' }

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text()
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`)
  return (text === '' ? undefined : JSON.parse(text)) as T
}

const body = async (host: Host, path: string) => {
  const res = await fetch(`${host.publicUrl}${path}`)
  return `${res.status} ${await res.text()}`
}

describe('two hosts on one PostgreSQL', () => {
  let database: TestDatabase
  let pair: HostPair

  beforeAll(async () => {
    database = await createTestDatabase()
    pair = await startHostPair({
      databaseUrl: database.url,
      assets: { 'brand/logo.css': 'v1', 'p/app.css': 'p{}', 'gone/app.css': 'g{}' },
      env: HOST_ENV,
    })
  }, START_MS)

  afterAll(async () => {
    await pair?.stop()
    await database?.drop()
  })

  it('puts a new policy and an origin removal made through A in force on B', async () => {
    const { a, b } = pair
    const folder = await json<{ id: number }>(await a.admin('POST', '/folders', { path: '/gone/', policy: { origins: [SITE, 'https://other.example'] } }), 201)
    expect(await timeUntil(async () => (await allowedOrigin(b, '/gone/app.css', SITE)) === SITE)).toBeLessThanOrEqual(PROMPTLY_MS)
    await json(await a.admin('DELETE', `/folders/${folder.id}/origins/${encodeURIComponent(SITE)}`), 204)
    expect(await timeUntil(async () => (await allowedOrigin(b, '/gone/app.css', SITE)) === null)).toBeLessThanOrEqual(PROMPTLY_MS)
    expect(await allowedOrigin(b, '/gone/app.css', 'https://other.example')).toBe('https://other.example')
  })

  it('makes a token revoked through A stop working on B', async () => {
    const { a, b } = pair
    const created = await json<{ id: string; token: string }>(await a.admin('POST', '/tokens', { name: 'ci', scope: 'read' }), 201)
    const whoami = () => fetch(`${b.adminUrl}/admin/v1/whoami`, { headers: { authorization: `Bearer ${created.token}` } }).then((res) => res.status)
    expect(await whoami()).toBe(200)
    await json(await a.admin('DELETE', `/tokens/${created.id}`), 204)
    expect(await timeUntil(async () => (await whoami()) === 401)).toBeLessThanOrEqual(PROMPTLY_MS)
  })

  it('serves an asset replaced through A from B', async () => {
    const { a, b } = pair
    // Twice: the second answer comes from B's caches.
    expect(await body(b, '/brand/logo.css')).toBe('200 v1')
    expect(await body(b, '/brand/logo.css')).toBe('200 v1')
    const put = await fetch(`${a.adminUrl}/admin/v1/assets/brand/logo.css`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/css' },
      body: 'v2-replaced',
    })
    expect([200, 201]).toContain(put.status)
    expect(await timeUntil(async () => (await body(b, '/brand/logo.css')) === '200 v2-replaced')).toBeLessThanOrEqual(PROMPTLY_MS)
  })

  it(`measures propagation over 50 changes: within ${PROPAGATION_MS} ms for all but outliers of a loaded machine`, async () => {
    const samples = await measurePropagation({ ...pair, folder: '/p/', file: 'app.css', count: 50 })
    const [p50, p95, p99] = [percentile(samples, 50), percentile(samples, 95), percentile(samples, 99)]
    const slowest = [...samples].sort((x, y) => y - x).slice(0, 3)
    console.log(`propagation A → B over ${samples.length} changes: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (slowest ${slowest.map((ms) => ms.toFixed(0)).join(', ')} ms)`)
    // The target is p99 ≤ 100 ms (scripts/bench-propagation.js measures it on a quiet machine); with
    // 50 samples p99 is the slowest one, which a CI machine's load alone can push past it.
    expect(p50).toBeLessThanOrEqual(PROPAGATION_MS / 2)
    expect(p95).toBeLessThanOrEqual(PROPAGATION_MS)
    expect(p99).toBeLessThanOrEqual(PROMPTLY_MS)
  }, 60_000)
})

describe('two hosts while PostgreSQL is down', () => {
  let server: PrivatePostgres
  let pair: HostPair

  beforeAll(async () => {
    server = await startPostgres()
    pair = await startHostPair({ databaseUrl: server.url, assets: { 'down/app.css': 'd{}' }, env: { POLICY_POLL_MS: '100' } })
  }, START_MS)

  afterAll(async () => {
    await pair?.stop()
    await server?.stop()
  })

  it('keeps B serving, answers admin calls 503 with Retry-After, and carries a change through A to B once it is back', async () => {
    const { a, b } = pair
    const folder = await json<{ id: number }>(await a.admin('POST', '/folders', { path: '/down/', policy: { origins: [SITE] } }), 201)
    await timeUntil(async () => (await allowedOrigin(b, '/down/app.css', SITE)) === SITE)

    await server.stopServer()
    const res = await fetch(`${b.publicUrl}/down/app.css`, { headers: { origin: SITE } })
    expect([res.status, await res.text(), res.headers.get('access-control-allow-origin')]).toEqual([200, 'd{}', SITE])
    const refused = await a.admin('PATCH', `/folders/${folder.id}`, { origins: ['https://while-down.example'] })
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(refused.headers.get('content-type')).toContain('application/problem+json')
    expect((await fetch(`${b.publicUrl}/readyz`)).status).toBe(200)

    await server.startServer()
    // A's pool reconnects on its next request; the first ones may still find the old connections dead.
    await timeUntil(async () => (await a.admin('PATCH', `/folders/${folder.id}`, { origins: ['https://back.example'] })).status === 200, 10_000)
    await timeUntil(async () => (await allowedOrigin(b, '/down/app.css', 'https://back.example')) === 'https://back.example', 10_000)
  }, 60_000)
})
