/**
 * The CDN purges' metrics and log lines: the outbox worker reports through
 * the `PurgeTelemetry` built here. Registered only when a CDN is configured,
 * so without one the metrics output is as before.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { PurgeTelemetry } from '../cdn/outbox-worker'
import type { PurgeOutboxRepo } from '../db/purge-outbox-repo'
import type { Logger } from './log'

/** From a purge sent at once (milliseconds) to one that waited out a CDN outage (an hour). */
const DELAY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600]

export function createPurgeTelemetry(registry: Registry, outbox: Pick<PurgeOutboxRepo, 'counts'>, logger: Logger): PurgeTelemetry {
  const log = logger.child({ component: 'cdn' })
  const sent = new Counter({ name: 'crossport_cdn_purges_sent_total', help: 'Purges the CDN accepted.', registers: [registry] })
  const retried = new Counter({ name: 'crossport_cdn_purges_retried_total', help: 'Purge deliveries that failed and will be tried again.', registers: [registry] })
  const failed = new Counter({
    name: 'crossport_cdn_purges_failed_total',
    help: 'Purges the CDN refused for good (bad token, unknown zone); listed by GET /admin/v1/purges.',
    registers: [registry],
  })
  const delay = new Histogram({
    name: 'crossport_cdn_purge_delay_seconds',
    help: 'From the change being committed to the CDN accepting its purge.',
    buckets: DELAY_BUCKETS_SECONDS,
    registers: [registry],
  })
  new Gauge({
    name: 'crossport_cdn_purge_outbox',
    help: 'Purges in the outbox not yet delivered: pending (being retried) and failed.',
    labelNames: ['state'] as const,
    registers: [registry],
    // Every process of a host reads the same database: the cluster's value is any one's, not their sum.
    aggregator: 'max',
    async collect() {
      const counts = await outbox.counts()
      this.set({ state: 'pending' }, counts.pending)
      this.set({ state: 'failed' }, counts.failed)
    },
  })
  return {
    purgeSent: (delayMs) => {
      sent.inc()
      delay.observe(delayMs / 1000)
    },
    purgeRetried: (attempts, error) => {
      retried.inc()
      log.warn({ attempts, err: error }, 'CDN purge failed; it will be retried')
    },
    purgeFailed: (error) => {
      failed.inc()
      log.error({ err: error }, 'the CDN refused a purge; it stays listed as failed')
    },
    outboxUnavailable: (error) => log.warn({ err: error }, 'the purge outbox could not be read; the next round tries again'),
  }
}
