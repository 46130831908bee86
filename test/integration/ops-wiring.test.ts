import { startTestCrossport, type TestCrossport } from '../helpers/crossport'

/** Reads one sample from Prometheus text: `name{labels} value`. */
function sample(text: string, name: string, labels = ''): number {
  const escaped = `${name}${labels}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const match = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text)
  return match ? Number(match[1]) : 0
}

/**
 * The operations endpoints as the real listeners expose them: probes on the
 * public listener, `/metrics` on the admin listener, counting public traffic.
 */
describe('operations endpoints on the running listeners', () => {
  let cp: TestCrossport
  beforeAll(async () => {
    cp = await startTestCrossport({ assets: { 'brand/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>' } })
  })
  afterAll(() => cp.close())

  it('answers /healthz and /readyz on the public listener with 200 and no-store', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const res = await fetch(`${cp.publicUrl}${path}`)
      expect({ path, status: res.status, cacheControl: res.headers.get('cache-control') }).toEqual({ path, status: 200, cacheControl: 'no-store' })
    }
  })

  it('serves /metrics on the admin listener without a token', async () => {
    const res = await fetch(`${cp.adminUrl}/metrics`)
    expect(res.status).toBe(200)
    expect(await res.text()).toMatch(/^process_open_fds \d+$/m)
  })

  it('counts public requests and their bytes in /metrics', async () => {
    const scrape = async () => (await fetch(`${cp.adminUrl}/metrics`)).text()
    const label = '{status_class="2xx",cors="none",preflight="false"}'
    const before = await scrape()
    const res = await fetch(`${cp.publicUrl}/brand/logo.svg`)
    expect(res.status).toBe(200)
    const size = (await res.arrayBuffer()).byteLength
    // requestFinished runs when the response has finished, which the client may see first.
    let after = await scrape()
    for (let i = 0; i < 20 && sample(after, 'crossport_http_requests_total', label) === sample(before, 'crossport_http_requests_total', label); i++) {
      await new Promise((done) => setImmediate(done))
      after = await scrape()
    }
    expect(sample(after, 'crossport_http_requests_total', label)).toBe(sample(before, 'crossport_http_requests_total', label) + 1)
    expect(sample(after, 'crossport_http_response_bytes_total')).toBeGreaterThanOrEqual(sample(before, 'crossport_http_response_bytes_total') + size)
  })

  it('does not count probes as requests', async () => {
    const scrape = async () => (await fetch(`${cp.adminUrl}/metrics`)).text()
    const before = sample(await scrape(), 'crossport_http_request_duration_seconds_count', '{status_class="2xx"}')
    await fetch(`${cp.publicUrl}/healthz`)
    await fetch(`${cp.publicUrl}/readyz`)
    expect(sample(await scrape(), 'crossport_http_request_duration_seconds_count', '{status_class="2xx"}')).toBe(before)
  })
})
