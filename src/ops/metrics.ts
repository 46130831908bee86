import cluster from 'node:cluster'
import type { Middleware } from 'koa'
import { AggregatorRegistry, collectDefaultMetrics, Counter, Histogram, Registry, type HistogramConfiguration, type PrometheusContentType } from 'prom-client'
import type { Config } from '../config/config'
import type { RequestRecord } from '../pipeline/request-record'
import type { Telemetry } from './telemetry'

/** What the metrics endpoint looks at. */
interface MetricsContext {
  readonly config: Pick<Config, 'workers'>
  readonly telemetry: Telemetry
}
import { RequestTally } from './request-tally'

/** The path the admin listener answers Prometheus scrapes on. */
export const METRICS_PATH = '/metrics'

/**
 * Latency buckets in seconds. The top end is long on purpose: a video download
 * is one "request" and may legitimately take a minute on a slow link.
 */
const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]
const RENDER_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** How long the primary waits for every worker's numbers before answering a scrape with an error. */
const CLUSTER_SCRAPE_TIMEOUT_MS = 3000

/**
 * IPC message types between the cluster primary and its workers. Not `crossport:`:
 * `main.ts` relays every `crossport:` message to the policy/asset events.
 */
const METRICS_REQUEST = 'crossport-metrics:request'
const METRICS_RESPONSE = 'crossport-metrics:response'
/** A worker says it answers scrapes from now on (sent once its handler is in place). */
const METRICS_READY = 'crossport-metrics:ready'
/** A worker serving `/admin/metrics` itself (ADMIN_ON_MAIN) asks the primary for the whole cluster's text. */
const CLUSTER_TEXT_REQUEST = 'crossport-metrics:cluster-text'
const CLUSTER_TEXT_RESPONSE = 'crossport-metrics:cluster-text-response'

/** One registry's metrics as `getMetricsAsJSON()` gives them: plain data that crosses IPC. */
type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number]

export interface Metrics {
  /** This process's own registry (never prom-client's global one, so several apps can share a process in tests). */
  readonly registry: Registry
  observeRequest(record: RequestRecord): void
  policyReloaded(): void
  imageRendered(durationMs: number): void
  imageCacheHit(): void
}

export interface MetricsOptions {
  /** Process metrics (open fds, RSS, event-loop lag, GC); off only in unit tests that count series. */
  readonly collectDefaults?: boolean
}

/**
 * The Prometheus metrics of one process. Labels are kept to bounded sets:
 * status class, CORS outcome and folder path (folders are created by admins).
 * The request Origin is never a label: any client can send any value, and one
 * series per value would let a stranger grow our memory and the scraper's.
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry()
  if (options.collectDefaults ?? true) collectDefaultMetrics({ register: registry })

  const tally = new RequestTally(LATENCY_BUCKETS_SECONDS)
  new Counter({
    name: 'crossport_http_requests_total',
    help: 'Requests answered on the public listener, by status class, CORS outcome and whether it was a preflight.',
    labelNames: ['status_class', 'cors', 'preflight'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const c of tally.requestCounts()) this.inc({ status_class: c.statusClass, cors: c.cors, preflight: String(c.isPreflight) }, c.count)
    },
  })
  new TalliedLatencyHistogram(tally, {
    name: 'crossport_http_request_duration_seconds',
    help: 'Time from request start to the last body byte written, by status class.',
    labelNames: ['status_class'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  })
  new Counter({
    name: 'crossport_http_response_bytes_total',
    help: 'Response body bytes written on the public listener.',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(tally.bytesSent)
    },
  })
  new Counter({
    name: 'crossport_http_requests_aborted_total',
    help: 'Responses the client went away from before they were complete.',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(tally.aborted)
    },
  })
  new Counter({
    name: 'crossport_cors_preflights_total',
    help: 'CORS preflight requests, by outcome.',
    labelNames: ['cors'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const p of tally.preflightCounts()) this.inc({ cors: p.cors }, p.count)
    },
  })
  new Counter({
    name: 'crossport_cors_refused_total',
    help: 'Requests whose Origin (or strict-mode site) the folder policy refused, by folder.',
    labelNames: ['folder'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const [folder, count] of tally.refusedByFolder()) this.inc({ folder }, count)
    },
  })
  const renders = new Histogram({
    name: 'crossport_image_render_duration_seconds',
    help: 'Image derivative renders (count) and how long each took.',
    buckets: RENDER_BUCKETS_SECONDS,
    registers: [registry],
  })
  const cacheHits = new Counter({
    name: 'crossport_image_cache_hits_total',
    help: 'Image derivatives served from the disk cache without rendering.',
    registers: [registry],
  })
  const reloads = new Counter({
    name: 'crossport_policy_reloads_total',
    help: 'Times the in-memory policy table was rebuilt from the database.',
    registers: [registry],
  })

  return {
    registry,
    observeRequest: (r) => tally.record(r),
    policyReloaded: () => reloads.inc(),
    imageRendered: (durationMs) => renders.observe(durationMs / 1000),
    imageCacheHit: () => cacheHits.inc(),
  }
}

/**
 * The request-latency histogram. Its samples come from the tally at scrape
 * time, in the shape prom-client's own Histogram reports them, so the text
 * output and cluster aggregation are unchanged. prom-client has no public
 * way to load bucket counts, so both of its read paths are overridden:
 * `get()` (JSON, cluster aggregation) and `getForPromString()` (the text
 * format, which the registry prefers when a metric has it).
 */
class TalliedLatencyHistogram extends Histogram<'status_class'> {
  private readonly tally: RequestTally
  private readonly configuration: HistogramConfiguration<'status_class'>

  constructor(tally: RequestTally, configuration: HistogramConfiguration<'status_class'>) {
    super(configuration)
    this.tally = tally
    this.configuration = configuration
  }

  override async get(): ReturnType<Histogram<'status_class'>['get']> {
    const { name, help } = this.configuration
    const bucket = `${name}_bucket`
    const values = this.tally.latency().flatMap((l) => {
      const labels = { status_class: l.statusClass }
      return [
        ...l.cumulative.map((value, i) => ({ labels: { ...labels, le: this.tally.latencyBoundsSeconds[i] }, value, metricName: bucket })),
        { labels: { ...labels, le: '+Inf' }, value: l.count, metricName: bucket },
        { labels, value: l.sumSeconds, metricName: `${name}_sum` },
        { labels, value: l.count, metricName: `${name}_count` },
      ]
    })
    // Cast: prom-client's typings give `type` as a numeric enum that does not exist at
    // runtime, where the registry expects the string 'histogram'.
    const metric = { name, help, type: 'histogram', aggregator: 'sum', values }
    return metric as unknown as Awaited<ReturnType<Histogram<'status_class'>['get']>>
  }

  async getForPromString(): ReturnType<Histogram<'status_class'>['get']> {
    return this.get()
  }
}

type ClusterTextRequestMessage = { type: typeof CLUSTER_TEXT_REQUEST; id: number }
type ClusterTextResponseMessage = { type: typeof CLUSTER_TEXT_RESPONSE; id: number; body?: string; error?: string }
type MetricsRequestMessage = { type: typeof METRICS_REQUEST; id: number }
type MetricsResponseMessage = { type: typeof METRICS_RESPONSE; id: number; metrics?: MetricJson[]; error?: string }

const isMessage = <T extends { type: string }>(m: unknown, type: T['type']): m is T =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type

/**
 * In a cluster worker: answer the primary's scrape requests with this
 * worker's numbers. `createTelemetry` calls it when it runs in a worker.
 */
export function serveMetricsToPrimary(metrics: Metrics): void {
  process.on('message', (message: unknown) => {
    if (!isMessage<MetricsRequestMessage>(message, METRICS_REQUEST)) return
    metrics.registry.getMetricsAsJSON().then(
      (json) => process.send?.({ type: METRICS_RESPONSE, id: message.id, metrics: json } satisfies MetricsResponseMessage),
      (error: unknown) => process.send?.({ type: METRICS_RESPONSE, id: message.id, error: String(error) } satisfies MetricsResponseMessage),
    )
  })
  process.send?.({ type: METRICS_READY })
}

/** Workers that answer scrapes: a worker still starting has no handler yet and would stall every scrape. */
const reportingWorkers = new WeakSet<object>()

/**
 * In the cluster primary, before any worker starts: notes which workers
 * answer scrapes, so a scrape during a worker's start-up (or a restart after
 * a crash) reports the others instead of failing after the timeout.
 */
export function trackReportingWorkers(): void {
  cluster.on('message', (worker, message: unknown) => {
    if (isMessage<{ type: typeof METRICS_READY }>(message, METRICS_READY)) reportingWorkers.add(worker)
  })
}

let nextRequestId = 0

/**
 * In the cluster primary: asks every live worker for its metrics over IPC and
 * merges them with the primary's own, using prom-client's aggregation (sums
 * for counters and histograms; the aggregator each default metric declares,
 * e.g. max for heap limits, average for event-loop lag).
 */
async function collectClusterMetrics(own: Registry): Promise<Registry> {
  const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined && w.isConnected() && reportingWorkers.has(w))
  const id = nextRequestId++
  const fromWorkers = await new Promise<MetricJson[][]>((resolve, reject) => {
    const collected: MetricJson[][] = []
    let pending = workers.length
    const finish = (error?: Error) => {
      clearTimeout(timer)
      cluster.off('message', onMessage)
      if (error) reject(error)
      else resolve(collected)
    }
    const onMessage = (_worker: unknown, message: unknown) => {
      if (!isMessage<MetricsResponseMessage>(message, METRICS_RESPONSE) || message.id !== id) return
      if (message.error !== undefined || message.metrics === undefined) return finish(new Error(`a worker failed to report metrics: ${message.error}`))
      collected.push(message.metrics)
      if (--pending === 0) finish()
    }
    const timer = setTimeout(() => finish(new Error(`${pending} worker(s) did not report metrics within ${CLUSTER_SCRAPE_TIMEOUT_MS} ms`)), CLUSTER_SCRAPE_TIMEOUT_MS)
    cluster.on('message', onMessage)
    if (pending === 0) return finish()
    for (const worker of workers) worker?.send({ type: METRICS_REQUEST, id } satisfies MetricsRequestMessage)
  })
  return AggregatorRegistry.aggregate<PrometheusContentType>([await own.getMetricsAsJSON(), ...fromWorkers])
}

/** Whether this process is the primary of a running cluster (it then reports for all workers). */
const isClusterPrimary = (context: MetricsContext) => context.config.workers > 1 && cluster.isPrimary
const isClusterWorker = (context: MetricsContext) => context.config.workers > 1 && cluster.isWorker

/**
 * In the cluster primary: answers workers that serve `/admin/metrics`
 * themselves (ADMIN_ON_MAIN) with the whole cluster's Prometheus text.
 */
export function serveClusterMetricsToWorkers(metrics: Metrics): void {
  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage<ClusterTextRequestMessage>(message, CLUSTER_TEXT_REQUEST)) return
    const reply = (answer: Omit<ClusterTextResponseMessage, 'type' | 'id'>) =>
      worker.send({ type: CLUSTER_TEXT_RESPONSE, id: message.id, ...answer } satisfies ClusterTextResponseMessage)
    collectClusterMetrics(metrics.registry)
      .then((registry) => registry.metrics())
      .then(
        (body) => reply({ body }),
        (error: unknown) => reply({ error: String(error) }),
      )
  })
}

/** In a cluster worker: the whole cluster's Prometheus text, from the primary. */
function clusterTextFromPrimary(): Promise<string> {
  const id = nextRequestId++
  return new Promise<string>((resolve, reject) => {
    const finish = (error: Error | undefined, body?: string) => {
      clearTimeout(timer)
      process.off('message', onMessage)
      if (error !== undefined || body === undefined) reject(error ?? new Error('the primary sent no metrics'))
      else resolve(body)
    }
    const onMessage = (message: unknown) => {
      if (!isMessage<ClusterTextResponseMessage>(message, CLUSTER_TEXT_RESPONSE) || message.id !== id) return
      finish(message.error === undefined ? undefined : new Error(message.error), message.body)
    }
    // The primary waits up to CLUSTER_SCRAPE_TIMEOUT_MS for the workers; give it that and a second.
    const timer = setTimeout(() => finish(new Error('the cluster primary did not answer the metrics request')), CLUSTER_SCRAPE_TIMEOUT_MS + 1000)
    process.on('message', onMessage)
    process.send?.({ type: CLUSTER_TEXT_REQUEST, id } satisfies ClusterTextRequestMessage)
  })
}

/**
 * The Prometheus text for this process, or for the whole cluster when called
 * in a cluster process. `undefined` when the telemetry keeps no metrics.
 */
async function renderMetrics(context: MetricsContext): Promise<{ contentType: string; body: string } | undefined> {
  const metrics = metricsOf(context)
  if (!metrics) return undefined
  const { contentType } = metrics.registry
  // A worker answers a scrape only when the admin side runs on the main listener (ADMIN_ON_MAIN).
  if (isClusterWorker(context)) return { contentType, body: await clusterTextFromPrimary() }
  const registry = isClusterPrimary(context) ? await collectClusterMetrics(metrics.registry) : metrics.registry
  return { contentType, body: await registry.metrics() }
}

/**
 * `GET /metrics` for the admin listener; calls `next` for any other path. Mount
 * it before authentication: Prometheus scrapes without a token, and the admin
 * listener is on loopback (or a private network) by default.
 */
export function createMetricsMiddleware(context: MetricsContext): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== METRICS_PATH) return next()
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.status = 405
      ctx.set('Allow', 'GET, HEAD')
      return
    }
    const rendered = await renderMetrics(context)
    if (!rendered) return next()
    // Every scrape must see current numbers, never a cached copy.
    ctx.set('Cache-Control', 'no-store')
    ctx.type = rendered.contentType
    ctx.body = rendered.body
  }
}

const metricsByTelemetry = new WeakMap<object, Metrics>()

/** Links a telemetry object to its metrics, so the admin listener can find them through the context. */
export function attachMetrics(telemetry: object, metrics: Metrics): void {
  metricsByTelemetry.set(telemetry, metrics)
}

function metricsOf(context: Pick<MetricsContext, 'telemetry'>): Metrics | undefined {
  return metricsByTelemetry.get(context.telemetry)
}
