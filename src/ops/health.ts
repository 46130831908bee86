import type { ServerResponse } from 'node:http'
import type { DatabaseHealth } from '../db/database-handle'
import { schemaVersion } from '../db/schema-version'
import type { LivePolicies, SqlExecutor } from '../db/sql'
import type { AssetStore } from '../store/asset-store'
import type { Logger } from './log'

/** What readiness looks at. */
export interface ReadinessContext {
  readonly store: Pick<AssetStore, 'whyNotReady'>
  readonly db: SqlExecutor
  readonly policies: Pick<LivePolicies, 'current'>
  readonly logger: Logger
  /** The shared database's state as the background reads see it; absent: always `ok` (SQLite). */
  readonly databaseHealth?: () => DatabaseHealth
}

export const HEALTHZ_PATH = '/healthz'
export const READYZ_PATH = '/readyz'
export const HEALTH_PATHS: ReadonlySet<string> = new Set([HEALTHZ_PATH, READYZ_PATH])

export type ReadinessCheck = 'database' | 'assets' | 'policies'

export interface Readiness {
  readonly ready: boolean
  /** Every check by name: `ok`, or what went wrong. */
  readonly checks: Readonly<Record<ReadinessCheck, string>>
}

const OK = 'ok'

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Whether this process can serve traffic: the database answers and is
 * migrated, the asset store can serve (root readable, or bucket answering), and the policy table is loaded. Every
 * check runs (not just up to the first failure) so an operator sees all of
 * what is wrong in one probe.
 */
export async function checkReadiness(context: ReadinessContext): Promise<Readiness> {
  const database = await checkDatabase(context)

  let assets = OK
  try {
    assets = (await context.store.whyNotReady()) ?? OK
  } catch (error) {
    assets = `unavailable: ${describe(error)}`
  }

  let policies = OK
  try {
    // `/` always exists (it is the fallback of every path); an empty table means nothing was loaded.
    if (context.policies.current().size === 0) policies = 'not loaded'
  } catch (error) {
    policies = `unavailable: ${describe(error)}`
  }

  const checks = { database, assets, policies }
  // A shared database that went away does not make this process unready: it
  // serves assets and CORS from the policies it holds, and catches up later.
  const isDegradedOnly = (check: ReadinessCheck, value: string) => check === 'database' && value.startsWith(DEGRADED) && policies === OK
  return { ready: Object.entries(checks).every(([check, value]) => value === OK || isDegradedOnly(check as ReadinessCheck, value)), checks }
}

const DEGRADED = 'degraded'

async function checkDatabase(context: ReadinessContext): Promise<string> {
  // Known to be down: say so at once rather than wait for a connection attempt to time out.
  if (context.databaseHealth?.() === 'degraded') return `${DEGRADED}: unreachable, serving policies from memory`
  try {
    return (await schemaVersion(context.db)) <= 0 ? 'not migrated' : OK
  } catch (error) {
    return `${context.databaseHealth === undefined ? 'unavailable' : DEGRADED}: ${describe(error)}`
  }
}

/**
 * Answers `/healthz` and `/readyz`; returns false for any other path so the
 * caller goes on with the request. The answer to a probe may be written after
 * this returns (readiness checks the file system asynchronously).
 *
 * - `/healthz`: 200 whenever the process can run JavaScript (liveness: restart me if not).
 * - `/readyz`: 200 or 503 with every check (readiness: send me traffic or not).
 */
export function handleHealthRequest(context: ReadinessContext, pathname: string, method: string, res: ServerResponse): boolean {
  if (!HEALTH_PATHS.has(pathname)) return false
  // Probes are never cached: a CDN or proxy must not answer "ready" for us.
  res.setHeader('Cache-Control', 'no-store')
  res.setHeader('X-Content-Type-Options', 'nosniff')
  if (method !== 'GET' && method !== 'HEAD') {
    // RFC 9110 §15.5.6: 405 must list the methods the resource supports.
    res.setHeader('Allow', 'GET, HEAD')
    res.statusCode = 405
    res.end()
    return true
  }
  if (pathname === HEALTHZ_PATH) {
    send(res, method, 200, { status: 'ok' })
    return true
  }
  checkReadiness(context).then(
    (readiness) => send(res, method, readiness.ready ? 200 : 503, { status: readiness.ready ? 'ready' : 'not ready', checks: readiness.checks }),
    (error: unknown) => {
      context.logger.error({ err: error }, 'readiness check failed unexpectedly')
      send(res, method, 503, { status: 'not ready' })
    },
  )
  return true
}

function send(res: ServerResponse, method: string, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return
  const json = JSON.stringify(body)
  res.statusCode = status
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.setHeader('Content-Length', Buffer.byteLength(json))
  res.end(method === 'HEAD' ? undefined : json)
}
