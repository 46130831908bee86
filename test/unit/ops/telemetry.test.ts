import { Writable } from 'node:stream'
import { loadConfig } from '../../../src/config/config'
import { createLogger } from '../../../src/ops/log'
import { accessLogFields, createTelemetry } from '../../../src/ops/telemetry'
import { requestRecord } from '../../helpers/records'

const record = requestRecord

/** A logger whose JSON lines land in an array, at the given level. */
function captureLogs(level: 'info' | 'debug') {
  const lines: Record<string, unknown>[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
      callback()
    },
  })
  const config = loadConfig({ LOG_LEVEL: level })
  const logger = createLogger(config, destination)
  // collectDefaults off: these tests count only our own series.
  const telemetry = createTelemetry(config, logger, { collectDefaults: false })
  return { lines, telemetry }
}

describe('accessLogFields(record)', () => {
  it('keeps method, path, status, bytes, duration, origin, CORS outcome, folder and preflight flag', () => {
    expect(accessLogFields(record())).toEqual({
      method: 'GET',
      path: '/brand/logo.svg',
      status: 200,
      bytes: 1234,
      ms: 3.1,
      origin: 'https://shop.example',
      cors: 'allowed',
      folder: '/brand/',
      preflight: false,
      aborted: false,
    })
  })

  it('drops the query string, where a credential could travel', () => {
    expect(accessLogFields(record({ path: '/a.png?w=640&token=secret' })).path).toBe('/a.png')
  })

  it('cuts an oversized Origin so one request cannot write kilobytes of log', () => {
    const fields = accessLogFields(record({ origin: `https://${'a'.repeat(5000)}.example` }))
    expect(fields.origin?.length).toBeLessThanOrEqual(257)
  })
})

describe('telemetry.requestFinished(record)', () => {
  it('writes one JSON access line per request with the access-log fields', () => {
    const { lines, telemetry } = captureLogs('info')
    telemetry.requestFinished(record({ cors: 'refused', status: 403, origin: 'https://evil.example' }))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      level: 30,
      log: 'access',
      msg: 'request',
      method: 'GET',
      path: '/brand/logo.svg',
      status: 403,
      bytes: 1234,
      origin: 'https://evil.example',
      cors: 'refused',
      folder: '/brand/',
      preflight: false,
    })
    expect(typeof lines[0]?.ms).toBe('number')
  })

  it('never writes a token that came in the query string', () => {
    const { lines, telemetry } = captureLogs('info')
    telemetry.requestFinished(record({ path: '/a.png?access_token=s3cr3t-value' }))
    expect(JSON.stringify(lines)).not.toContain('s3cr3t-value')
  })

  it('leaves /healthz and /readyz out of the info-level access log', () => {
    const { lines, telemetry } = captureLogs('info')
    telemetry.requestFinished(record({ path: '/healthz', cors: 'none', origin: undefined, folder: undefined }))
    telemetry.requestFinished(record({ path: '/readyz', cors: 'none', origin: undefined, folder: undefined }))
    expect(lines).toEqual([])
  })

  it('logs probes at debug level when LOG_LEVEL=debug', () => {
    const { lines, telemetry } = captureLogs('debug')
    telemetry.requestFinished(record({ path: '/readyz', cors: 'none', origin: undefined, folder: undefined }))
    expect(lines).toEqual([expect.objectContaining({ level: 20, path: '/readyz', msg: 'probe' })])
  })
})

describe('telemetry metrics', () => {
  const value = async (telemetry: ReturnType<typeof createTelemetry>, name: string, labels: Record<string, string> = {}) => {
    // Histograms report `_count` and `_sum` as samples of the base metric, named by `metricName`.
    const samples = (await telemetry.metrics.registry.getMetricsAsJSON()).flatMap((m) =>
      m.values.map((v) => ({ ...v, name: (v as { metricName?: string }).metricName ?? m.name })),
    )
    const sample = samples.find((v) => v.name === name && Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))
    return sample?.value ?? 0
  }

  it('counts requests by status class, CORS outcome and preflight flag', async () => {
    const { telemetry } = captureLogs('info')
    telemetry.requestFinished(record())
    telemetry.requestFinished(record({ status: 304, bytes: 0 }))
    telemetry.requestFinished(record({ method: 'OPTIONS', status: 204, isPreflight: true, bytes: 0 }))
    expect(await value(telemetry, 'crossport_http_requests_total', { status_class: '2xx', cors: 'allowed', preflight: 'false' })).toBe(1)
    expect(await value(telemetry, 'crossport_http_requests_total', { status_class: '3xx', cors: 'allowed', preflight: 'false' })).toBe(1)
    expect(await value(telemetry, 'crossport_cors_preflights_total', { cors: 'allowed' })).toBe(1)
    expect(await value(telemetry, 'crossport_http_response_bytes_total')).toBe(1234)
  })

  it('counts refused origins by folder, never by origin', async () => {
    const { telemetry } = captureLogs('info')
    telemetry.requestFinished(record({ cors: 'refused', status: 403, origin: 'https://a.evil' }))
    telemetry.requestFinished(record({ cors: 'refused', status: 403, origin: 'https://b.evil' }))
    expect(await value(telemetry, 'crossport_cors_refused_total', { folder: '/brand/' })).toBe(2)
    expect(await telemetry.metrics.registry.metrics()).not.toContain('evil')
  })

  it('keeps probes out of the request metrics', async () => {
    const { telemetry } = captureLogs('info')
    telemetry.requestFinished(record({ path: '/healthz', cors: 'none' }))
    expect(await value(telemetry, 'crossport_http_requests_total', { cors: 'none' })).toBe(0)
  })

  it('counts policy reloads, image renders and image cache hits', async () => {
    const { telemetry } = captureLogs('info')
    telemetry.policyReloaded()
    telemetry.imageRendered(120)
    telemetry.imageRendered(80)
    telemetry.imageCacheHit()
    expect(await value(telemetry, 'crossport_policy_reloads_total')).toBe(1)
    expect(await value(telemetry, 'crossport_image_render_duration_seconds_count')).toBe(2)
    expect(await value(telemetry, 'crossport_image_render_duration_seconds_sum')).toBeCloseTo(0.2)
    expect(await value(telemetry, 'crossport_image_cache_hits_total')).toBe(1)
  })
})
