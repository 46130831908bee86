import { createHash, timingSafeEqual } from 'node:crypto'
import type { Middleware } from 'koa'
import { METRICS_PATH } from '../ops/metrics'
import { BEARER, type Actor, type FailedAuthLimiter } from './auth'

/** Who a scrape with METRICS_TOKEN is, for the access log. */
const METRICS_ACTOR: Actor = Object.freeze({ id: 'metrics-token', name: 'METRICS_TOKEN', scope: 'read' })

// Hashing both sides first gives equal lengths, which timingSafeEqual needs,
// without leaking the token's length through an early return.
const digest = (secret: string) => createHash('sha256').update(secret).digest()

/**
 * METRICS_TOKEN: when set, `/metrics` answers a scraper sending
 * `Authorization: Bearer <METRICS_TOKEN>`, or an operator with any admin
 * token; everything else goes to `adminAuth`, which answers 401 (counted by
 * the failed-auth limiter, so guessing the metrics token is as slow as
 * guessing an admin token) or 429. Unset: `/metrics` needs no token.
 */
export function createMetricsAuth(metricsToken: string | undefined, limiter: FailedAuthLimiter, adminAuth: Middleware): Middleware {
  if (metricsToken === undefined) return (_ctx, next) => next()
  const expected = digest(metricsToken)
  return async (ctx, next) => {
    if (ctx.path !== METRICS_PATH) return next()
    // A blocked address gets its 429 from adminAuth before any comparison.
    const presented = limiter.retryAfterSeconds(ctx.ip) > 0 ? undefined : BEARER.exec(ctx.get('Authorization'))?.[1]
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) {
      ctx.state.actor = METRICS_ACTOR
      return next()
    }
    return adminAuth(ctx, next)
  }
}
