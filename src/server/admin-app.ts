import Koa from 'koa'
import type { Server } from 'node:http'
import type { AppContext } from './app-context'
import { createAuthMiddleware, FailedAuthLimiter } from '../admin/auth'
import { createMetricsAuth } from '../admin/metrics-auth'
import { createProblemMiddleware } from '../admin/problem'
import { ADMIN_PREFIX, createAdminRouter, OPENAPI_PATH } from '../admin/router'
import { createMetricsMiddleware } from '../ops/metrics'
import { adminHostAllowList } from './admin-hosts'
import { createConnectionGuard, createHostCheck } from './admin-guard'
import { createConsoleMiddleware } from './console'
import { createLimitedServer } from './http-server'

export interface AdminAppOptions {
  /** Injected by tests that need their own clock or thresholds. */
  readonly limiter?: FailedAuthLimiter
}

const isApiPath = (path: string) => path === ADMIN_PREFIX || path.startsWith(ADMIN_PREFIX + '/')

/**
 * The admin Koa app, wiring only: access log, connection guard, problem
 * mapper, Host check, /metrics (behind METRICS_TOKEN when set), the console
 * (outside /admin/v1), then authentication and the API router.
 */
export function createAdminApp(context: AppContext, options: AdminAppOptions = {}): Koa {
  const app = new Koa()
  // Never trust X-Forwarded-For: the failed-auth limiter keys on the socket address.
  app.proxy = false
  // The problem mapper logs what needs logging; Koa's default handler would print to stderr.
  app.silent = true

  const consoleMiddleware = createConsoleMiddleware()
  // One limiter for admin and metrics tokens: a guess at either counts the same.
  const limiter = options.limiter ?? new FailedAuthLimiter()
  const auth = createAuthMiddleware(context, { publicPaths: new Set([OPENAPI_PATH]), limiter })
  const router = createAdminRouter(context)

  const access = context.logger.child({ log: 'admin-access' })
  app.use(async (ctx, next) => {
    const startedAt = performance.now()
    // Read now: the console rewrites ctx.path while it serves a file.
    const { method, path } = ctx
    // Logged once the response is over, when it is known what the client got:
    // after next() settles Koa has not even written it, and an upload cut off
    // by the inactivity timeout leaves ctx.status at Koa's default 404.
    let isLogged = false
    const logRequest = () => {
      if (isLogged) return
      isLogged = true
      const { res } = ctx
      // 'close' without 'finish': the connection ended before the answer was out.
      const isAborted = !res.writableFinished
      // The status line the client was sent; omitted (not 0) when it got none.
      const status = isAborted && !res.headersSent ? undefined : res.statusCode
      // The actor's name, never its token; the path without the query.
      const actor = (ctx.state as { actor?: { name: string } }).actor?.name
      const fields = { method, path, status, ms: Math.round(performance.now() - startedAt), actor, ...(isAborted ? { aborted: true } : {}) }
      // A Prometheus scrape every few seconds would drown the operators' own requests.
      if (path === '/metrics' && !isAborted && res.statusCode < 400) access.debug(fields, 'admin request')
      else access.info(fields, 'admin request')
    }
    ctx.res.once('finish', logRequest)
    ctx.res.once('close', logRequest)
    await next()
  })
  app.use(createConnectionGuard(context.config.adminUnauthenticatedTimeoutMs))
  app.use(createProblemMiddleware(context.logger))
  app.use(createHostCheck(adminHostAllowList(context.config)))
  // GET /metrics: outside /admin/v1, so Prometheus needs no admin token; METRICS_TOKEN can guard it.
  app.use(createMetricsAuth(context.config.metricsToken, limiter, auth))
  app.use(createMetricsMiddleware(context))
  app.use(async (ctx, next) => (isApiPath(ctx.path) ? next() : consoleMiddleware(ctx, next)))
  app.use(async (ctx, next) => {
    if (!isApiPath(ctx.path)) return next()
    // Answers carry token metadata and policies: no shared cache may keep them.
    ctx.set('Cache-Control', 'no-store')
    ctx.set('X-Content-Type-Options', 'nosniff')
    return auth(ctx, next)
  })
  app.use(router.routes())
  // 405 + Allow for a known path with another method; the problem mapper gives it a body.
  app.use(router.allowedMethods())
  return app
}

export function createAdminServer(context: AppContext, options: AdminAppOptions = {}): Server {
  const app = createAdminApp(context, options)
  return createLimitedServer(context.config, app.callback(), { isUploadListener: true })
}
