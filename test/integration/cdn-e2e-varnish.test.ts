/**
 * The promise "a change applies from the next request" held through a real
 * Varnish (the project's VCL, xkey) in front of a real Crossport with
 * CDN=varnish: every admin change purges, and its answer waits for the purge.
 * Purges reach Varnish through a TCP relay that can be switched off (Varnish
 * "unreachable" while its cache lives on) and that timestamps their arrival.
 * Fails, never skips, when varnishd is missing.
 */
import { startTestCrossport, type TestCrossport } from '../helpers/crossport'
import { tcpRelay, type TcpRelay } from '../helpers/tcp-relay'
import { startVarnish, type RunningVarnish } from '../helpers/varnish'

jest.setTimeout(120_000)

const { freePort } = require('../../scripts/lib/free-port.js') as { freePort(): Promise<number> }

let cp: TestCrossport
let varnish: RunningVarnish
let purgePath: TcpRelay
let siteId: number

const A = 'https://a.example'
const B = 'https://b.example'

beforeAll(async () => {
  const varnishPort = await freePort()
  purgePath = await tcpRelay(varnishPort)
  await purgePath.start()
  cp = await startTestCrossport({
    env: { CDN: 'varnish', CDN_PURGE_URLS: `http://127.0.0.1:${purgePath.port}/`, CDN_PURGE_RETRY_MAX_MS: '1000', FILE_CACHE_TTL_MS: '0' },
    assets: { 'site/a.txt': 'a', 'site/logo.txt': 'logo v1', 'site/gone.txt': 'soon gone', 'site/child/x.txt': 'x', 'site/down.txt': 'd' },
  })
  varnish = await startVarnish(Number(new URL(cp.publicUrl).port), { port: varnishPort })
  const res = await cp.admin('POST', '/folders', { path: '/site/', policy: { origins: [A], cacheControl: 'public, max-age=3600' } })
  siteId = ((await res.json()) as { id: number }).id
})

afterAll(async () => {
  await cp?.close()
  await varnish?.stop()
  await purgePath?.stop()
})

interface Through {
  readonly status: number
  readonly body: string
  readonly allowOrigin: string | null
  readonly etag: string | null
  /** X-Varnish names two transactions on a hit: this one and the one that stored the object. */
  readonly isHit: boolean
}

async function through(path: string, origin?: string): Promise<Through> {
  const res = await fetch(`${varnish.url}${path}`, { headers: origin === undefined ? {} : { origin } })
  return {
    status: res.status,
    body: await res.text(),
    allowOrigin: res.headers.get('access-control-allow-origin'),
    etag: res.headers.get('etag'),
    isHit: (res.headers.get('x-varnish') ?? '').split(' ').length === 2,
  }
}

/** Requests twice: the second answer comes from Varnish's cache. */
async function cached(path: string, origin?: string): Promise<Through> {
  await through(path, origin)
  const again = await through(path, origin)
  expect(again.isHit).toBe(true)
  return again
}

const addOrigin = (origin: string, id = siteId) => cp.admin('POST', `/folders/${id}/origins`, { origin })
const removeOrigin = (origin: string, id = siteId) => cp.admin('DELETE', `/folders/${id}/origins/${encodeURIComponent(origin)}`)
const upload = (path: string, body: string) =>
  fetch(`${cp.adminUrl}/admin/v1/assets${path}`, { method: 'PUT', headers: { authorization: `Bearer ${cp.token}`, 'content-type': 'application/octet-stream' }, body })

describe('through Varnish, every change applies from the very next request', () => {
  it('caches an allowed origin’s answer (a hit, with its CORS header)', async () => {
    expect(await cached('/site/a.txt', A)).toMatchObject({ status: 200, body: 'a', allowOrigin: A })
  })

  it('an origin removed: its next request has no Access-Control-Allow-Origin', async () => {
    await cached('/site/a.txt', A)
    expect((await removeOrigin(A)).status).toBe(204)
    expect(await through('/site/a.txt', A)).toMatchObject({ status: 200, allowOrigin: null, isHit: false })
  })

  it('a site added: its next request is allowed although its refusal was cached', async () => {
    expect((await cached('/site/a.txt', B)).allowOrigin).toBeNull()
    expect((await addOrigin(B)).status).toBe(201)
    expect((await through('/site/a.txt', B)).allowOrigin).toBe(B)
  })

  it('an asset replaced: new bytes and ETag', async () => {
    const old = await cached('/site/logo.txt')
    expect((await upload('/site/logo.txt', 'logo v2, longer')).status).toBe(200)
    const fresh = await through('/site/logo.txt')
    expect(fresh).toMatchObject({ status: 200, body: 'logo v2, longer', isHit: false })
    expect(fresh.etag).not.toBe(old.etag)
  })

  it('an asset deleted: 404', async () => {
    expect((await cached('/site/gone.txt')).body).toBe('soon gone')
    const res = await fetch(`${cp.adminUrl}/admin/v1/assets/site/gone.txt`, { method: 'DELETE', headers: { authorization: `Bearer ${cp.token}` } })
    expect(res.status).toBe(204)
    expect((await through('/site/gone.txt')).status).toBe(404)
  })

  it('a child folder created: its policy applies through the cache at once', async () => {
    const C = 'https://c.example'
    expect((await cached('/site/child/x.txt', C)).allowOrigin).toBeNull()
    const res = await cp.admin('POST', '/folders', { path: '/site/child/', policy: { origins: [C], cacheControl: 'public, max-age=3600' } })
    expect(res.status).toBe(201)
    expect((await through('/site/child/x.txt', C)).allowOrigin).toBe(C)
  })

  it('Varnish unreachable during a change: the purge arrives once it is back', async () => {
    const D = 'https://d.example'
    expect((await cached('/site/down.txt', D)).allowOrigin).toBeNull()
    await purgePath.stop()
    expect((await addOrigin(D)).status).toBe(201)
    // The purge could not be delivered: Varnish still answers from its cache.
    expect(await through('/site/down.txt', D)).toMatchObject({ allowOrigin: null, isHit: true })
    await purgePath.start()
    const deadline = performance.now() + 20_000
    let answer = await through('/site/down.txt', D)
    while (answer.allowOrigin === null && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      answer = await through('/site/down.txt', D)
    }
    expect(answer.allowOrigin).toBe(D)
  })

  it('measures the delay from the admin answer to the purge’s arrival at Varnish (30 changes)', async () => {
    const E = 'https://e.example'
    const fromAnswerMs: number[] = []
    const adminMs: number[] = []
    for (let i = 0; i < 30; i += 1) {
      const seen = purgePath.arrivals.length
      const startMs = performance.now()
      const res = await (i % 2 === 0 ? addOrigin(E) : removeOrigin(E))
      const answeredMs = performance.now()
      expect(res.ok).toBe(true)
      // The answer waits for the purge, so it has arrived by now.
      const arrivedMs = purgePath.arrivals[seen] as number
      expect(arrivedMs).toBeDefined()
      fromAnswerMs.push(arrivedMs - answeredMs)
      adminMs.push(answeredMs - startMs)
    }
    const pct = (values: number[], p: number) => [...values].sort((x, y) => x - y)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] as number
    const show = (values: number[]) => `p50 ${pct(values, 50).toFixed(2)} ms, p99 ${pct(values, 99).toFixed(2)} ms`
    process.stdout.write(`purge arrival relative to the admin answer: ${show(fromAnswerMs)}; admin call incl. purge: ${show(adminMs)}\n`)
    expect(Math.max(...fromAnswerMs)).toBeLessThanOrEqual(0)
  })
})
