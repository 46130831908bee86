import type { RequestListener, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import Koa from 'koa'
import type { AppContext } from './app-context'
import { ALLOWED_METHODS, PublicDelivery } from '../pipeline/public-delivery'
import { createLimitedServer } from './http-server'

/** Where `/metrics` answers when the admin side is mounted on the main listener (assets own `/metrics` there). */
export const MOUNTED_METRICS_PATH = '/admin/metrics'

export interface PublicServerOptions {
  /**
   * ADMIN_ON_MAIN: the admin app's request handler, given every request under
   * `/admin` (API, console, `/admin/metrics`) before delivery sees it.
   */
  readonly admin?: RequestListener
}

/**
 * The public listener. A raw `node:http` listener answers what the in-memory
 * state answers alone (the fast lane); everything that needs the disk or the
 * image service goes through the Koa app. Both lanes run the same code in
 * `delivery/`, so they cannot disagree.
 */
export function createPublicServer(context: AppContext, options: PublicServerOptions = {}): Server {
  const { config, logger } = context
  const delivery = new PublicDelivery({ context, source: context.store })
  const { admin } = options

  const app = new Koa()
  // Delivery writes the response itself (streams, 304s): Koa must not touch it.
  app.use(async (ctx) => {
    ctx.respond = false
    await delivery.serveSlow(ctx.req, ctx.res)
  })
  // Socket errors of aborted downloads reach here; they are the client's business.
  app.on('error', (error: unknown) => logger.debug({ err: error }, 'public request error'))
  const slowLane = app.callback()

  const server = createLimitedServer(config, (req, res) => {
    if (admin !== undefined && isAdminPath(req.url ?? '/')) {
      // The admin app keeps its own `/metrics` path; on this listener it is `/admin/metrics`.
      if (req.url === MOUNTED_METRICS_PATH || req.url?.startsWith(MOUNTED_METRICS_PATH + '?')) req.url = req.url.slice('/admin'.length)
      admin(req, res)
      return
    }
    let isDone: boolean
    try {
      isDone = delivery.serveFast(req, res)
    } catch (error) {
      logger.error({ err: error, url: req.url }, 'public request failed')
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Length': 0, 'Cache-Control': 'no-store' })
        res.end()
      } else res.destroy()
      return
    }
    if (!isDone) void slowLane(req, res)
  })

  // CONNECT never reaches the request handler: without this Node just drops the
  // connection. An origin that serves files tunnels nothing; say so like any other method.
  server.on('connect', (_req: unknown, socket: Duplex) => {
    socket.end(`HTTP/1.1 405 Method Not Allowed\r\nAllow: ${ALLOWED_METHODS}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)
  })
  server.on('close', () => delivery.dispose())
  return server
}

/**
 * `/admin`, `/admin/…` or `/admin?…`, judged on the decoded first segment:
 * delivery decodes paths, so `/%61dmin/x.txt` would otherwise reach
 * `assets/admin/x.txt`. Case is folded too, since on a case-insensitive file
 * system (macOS, Windows) `/Admin/x.txt` is the same file. The admin app
 * matches the raw path, so any other spelling than `/admin` gets its 404 there.
 */
function isAdminPath(url: string): boolean {
  if (url.charCodeAt(0) !== 0x2f) return false
  let end = 1
  while (end < url.length && url.charCodeAt(end) !== 0x2f && url.charCodeAt(end) !== 0x3f) end++
  const segment = url.slice(1, end)
  if (!segment.includes('%')) return segment.length === 5 && segment.toLowerCase() === 'admin'
  try {
    return decodeURIComponent(segment).toLowerCase() === 'admin'
  } catch {
    // Malformed encoding: delivery refuses it with 400.
    return false
  }
}
