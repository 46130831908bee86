import type { RequestListener, Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { AppContext } from './app-context'
import { handleHealthRequest, HEALTH_PATHS } from '../ops/health'
import { ALLOWED_METHODS } from '../pipeline/allowed-methods'
import { PublicPipeline } from '../pipeline/public-pipeline'
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
 * The public listener: plain `node:http` for speed (Koa serves the admin side
 * only). Routes `/admin` to the admin app when it is mounted here, and hands
 * everything else to the public pipeline, which answers the health probes
 * first (see `answerProbe`).
 */
export function createPublicServer(context: AppContext, options: PublicServerOptions = {}): Server {
  const { config } = context
  const answerProbe = (rawPath: string, method: string, res: ServerResponse): boolean =>
    HEALTH_PATHS.has(rawPath) && handleHealthRequest(context, rawPath, method, res)
  // Probes go through the pipeline's hook, not around it, so they are logged like any request (at debug level).
  const pipeline = new PublicPipeline(context, context.store, answerProbe)
  const { admin } = options

  const server = createLimitedServer(config, (req, res) => {
    if (admin !== undefined && isAdminPath(req.url ?? '/')) {
      // The admin app keeps its own `/metrics` path; on this listener it is `/admin/metrics`.
      if (req.url === MOUNTED_METRICS_PATH || req.url?.startsWith(MOUNTED_METRICS_PATH + '?')) req.url = req.url.slice('/admin'.length)
      admin(req, res)
      return
    }
    void pipeline.serve(req, res)
  })

  // CONNECT never reaches the request handler: without this Node just drops the
  // connection. An origin that serves files tunnels nothing; say so like any other method.
  server.on('connect', (_req: unknown, socket: Duplex) => {
    socket.end(`HTTP/1.1 405 Method Not Allowed\r\nAllow: ${ALLOWED_METHODS}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)
  })
  server.on('close', () => pipeline.dispose())
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
