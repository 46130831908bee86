import type { IncomingMessage } from 'node:http'
import type { Context, Middleware } from 'koa'
import { CrossportError } from '../http/errors'
import { isAllowedHost } from './admin-hosts'

/** The auth middleware (or the metrics token) put an actor on `ctx.state`: the request carried a valid token. */
const isAuthenticated = (ctx: Context) => (ctx.state as { actor?: unknown }).actor !== undefined

/** A body was announced and has not been read to its end. */
function isBodyPending(req: IncomingMessage): boolean {
  if (req.complete) return false
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

/**
 * Keeps clients without a token from holding admin connections (MAX_CONNECTIONS
 * is shared with the operator):
 *
 * - The answer to a request without a valid token, or whose body was not read
 *   to the end (any refusal of an upload), carries `Connection: close`. Node
 *   then ends the socket as soon as the answer is flushed, instead of reading
 *   the rest of the body for as long as the client trickles it (the admin
 *   listener has no whole-request timeout, since uploads may be long).
 * - A request without a valid token is cut off `timeoutMs` after its headers
 *   arrived (0: never), however it stalls (a client that does not read its answer).
 *
 * Mounted before the problem mapper, so it sees the final status and headers.
 */
export function createConnectionGuard(timeoutMs: number): Middleware {
  return async (ctx, next) => {
    const { req, res } = ctx
    if (timeoutMs > 0) {
      const timer = setTimeout(() => {
        if (!isAuthenticated(ctx)) req.socket.destroy()
      }, timeoutMs)
      timer.unref()
      res.once('close', () => clearTimeout(timer))
    }
    await next()
    if (!ctx.headerSent && (!isAuthenticated(ctx) || isBodyPending(req))) ctx.set('Connection', 'close')
  }
}

/**
 * 421 for a Host the admin side is not configured for (DNS rebinding, see
 * `admin-hosts.ts`); `allowList` undefined accepts every Host.
 */
export function createHostCheck(allowList: ReadonlySet<string> | undefined): Middleware {
  return async (ctx, next) => {
    const host = ctx.req.headers.host
    if (!isAllowedHost(host, allowList)) {
      const named = host === undefined ? 'without a Host header' : `for Host ${JSON.stringify(host.slice(0, 100))}`
      throw new CrossportError('MISDIRECTED_REQUEST', `The admin side does not answer ${named}; list the name in ADMIN_ALLOWED_HOSTS if it is this server's`)
    }
    return next()
  }
}
