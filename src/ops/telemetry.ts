import cluster from 'node:cluster'
import type { PipelineTelemetry, RequestRecord } from '../pipeline/request-record'
import type { Config } from '../config/config'
import type { Logger } from './log'
import { HEALTH_PATHS } from './health'
import {
  attachMetrics,
  createMetrics,
  serveClusterMetricsToWorkers,
  serveMetricsToPrimary,
  trackReportingWorkers,
  type Metrics,
  type MetricsOptions,
} from './metrics'

/**
 * Client-chosen strings are cut to these lengths in the log: pino escapes them,
 * so they cannot forge lines, but a 64 KiB Origin should not become 64 KiB of log.
 */
const MAX_LOGGED_PATH_CHARS = 1024
const MAX_LOGGED_ORIGIN_CHARS = 256

/** One access-log line, as written. Field names are part of the log contract operators query on. */
export interface AccessLogFields {
  readonly method: string
  readonly path: string
  readonly status: number
  readonly bytes: number
  readonly ms: number
  readonly origin: string | undefined
  readonly cors: RequestRecord['cors']
  readonly folder: string | undefined
  readonly preflight: boolean
  readonly aborted: boolean
}

const truncate = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}…` : s)

/**
 * The access-log line for one request. The query string is dropped: it is the
 * one place a signed URL or a careless client could carry a credential, and
 * the access log must never hold one.
 */
export function accessLogFields(r: RequestRecord): AccessLogFields {
  const queryAt = r.path.indexOf('?')
  const path = queryAt === -1 ? r.path : r.path.slice(0, queryAt)
  return {
    method: r.method,
    path: truncate(path, MAX_LOGGED_PATH_CHARS),
    status: r.status,
    bytes: r.bytes,
    ms: Math.round(r.durationMs * 10) / 10,
    origin: r.origin === undefined ? undefined : truncate(r.origin, MAX_LOGGED_ORIGIN_CHARS),
    cors: r.cors,
    folder: r.folder,
    preflight: r.isPreflight,
    aborted: r.aborted,
  }
}

/** Everything the running process reports: the pipeline's and image rendering's events, and policy reloads. */
export interface Telemetry extends PipelineTelemetry {
  policyReloaded(): void
}

/** Access log plus Prometheus metrics; what `createTelemetry` returns. */
export interface CrossportTelemetry extends Telemetry {
  readonly metrics: Metrics
}

/**
 * Access log (one pino line per public request) and Prometheus metrics.
 * Probes (`/healthz`, `/readyz`) are logged at debug only and left out of the
 * request metrics: an orchestrator polling every few seconds would otherwise
 * drown the log and pull the latency histogram towards zero.
 */
export function createTelemetry(config: Readonly<Config>, logger: Logger, options: MetricsOptions = {}): CrossportTelemetry {
  const access = logger.child({ log: 'access' })
  const metrics = createMetrics(options)
  if (config.workers > 1 && cluster.isWorker) serveMetricsToPrimary(metrics)
  if (config.workers > 1 && cluster.isPrimary) trackReportingWorkers()
  if (config.workers > 1 && cluster.isPrimary && config.adminOnMain) serveClusterMetricsToWorkers(metrics)

  const telemetry: CrossportTelemetry = {
    metrics,
    requestFinished(r: RequestRecord) {
      // Fields are built only for a line that will be written: this runs for every request.
      const queryAt = r.path.indexOf('?')
      if (HEALTH_PATHS.has(queryAt === -1 ? r.path : r.path.slice(0, queryAt))) {
        if (access.isLevelEnabled('debug')) access.debug(accessLogFields(r), 'probe')
        return
      }
      metrics.observeRequest(r)
      if (access.isLevelEnabled('info')) access.info(accessLogFields(r), 'request')
    },
    policyReloaded() {
      metrics.policyReloaded()
      logger.debug('policy table reloaded')
    },
    imageRendered(durationMs: number) {
      metrics.imageRendered(durationMs)
    },
    imageCacheHit() {
      metrics.imageCacheHit()
    },
  }
  attachMetrics(telemetry, metrics)
  return telemetry
}
