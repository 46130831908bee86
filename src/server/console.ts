// PLACEHOLDER (replaced by the console helper).
import type { Middleware } from 'koa'

/** Serves the operator console under /admin/ on the admin listener. */
export function createConsoleMiddleware(): Middleware {
  return async (_ctx, next) => next()
}
