/**
 * Whether the shared database (PostgreSQL) answers, for operators: a gauge
 * of its state and a count of the failures seen in the background. While it
 * is down every host keeps serving from memory, so this, not /readyz, is
 * where an outage shows. Registered only on PostgreSQL.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { DatabaseHealth } from '../db/database-handle'
import type { Logger } from './log'

/** One log line per this long at most while the database stays down. */
const LOG_EVERY_MS = 10_000

export function createDatabaseTelemetry(registry: Registry, health: () => DatabaseHealth, logger: Logger): (error: Error) => void {
  const log = logger.child({ component: 'database' })
  const errors = new Counter({
    name: 'crossport_database_errors_total',
    help: 'Failed reads of the shared database in the background (policy updates, change notifications); delivery goes on from memory.',
    registers: [registry],
  })
  new Gauge({
    name: 'crossport_database_up',
    help: '1 while the shared database answers, 0 while this process serves from memory without it.',
    registers: [registry],
    // A cluster is up only if every process is.
    aggregator: 'min',
    collect() {
      this.set(health() === 'ok' ? 1 : 0)
    },
  })
  let loggedAtMs = -Infinity
  return (error) => {
    errors.inc()
    const nowMs = performance.now()
    if (nowMs - loggedAtMs < LOG_EVERY_MS) return
    loggedAtMs = nowMs
    log.warn({ err: error }, 'the database is unavailable; serving policies from memory until it is back')
  }
}
