import type { AdminContext } from '../admin/context'
import type { PurgeOutboxWorker } from '../cdn/outbox-worker'
import type { DatabaseHealth } from '../db/database-handle'
import type { Telemetry } from '../ops/telemetry'
import type { CacheTagHeader } from '../pipeline/cache-tags'

/** What every part of a running Crossport process shares. Built once in `app.ts`; each part declares the slice it needs. */
export interface AppContext extends AdminContext {
  readonly telemetry: Telemetry
  /** PostgreSQL only: `degraded` while the shared database is unreachable (readiness reports it, delivery goes on). */
  readonly databaseHealth?: () => DatabaseHealth
  /** The CDN's cache-tag header on public answers; undefined when CDN=none. */
  readonly cacheTags?: CacheTagHeader | undefined
  /** Delivers the purge outbox; started only by the process that serves the admin side. Undefined when CDN=none. */
  readonly purgeWorker?: PurgeOutboxWorker | undefined
}
