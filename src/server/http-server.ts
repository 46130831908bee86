import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http'
import type { Config } from '../config/config'
import { classifyTarget } from './request-target'

export interface ListenerLimits {
  /**
   * The admin listener takes uploads of large media, which can legitimately
   * take longer than REQUEST_TIMEOUT_MS to arrive. There the limit applies to
   * silence on the socket instead of to the whole request.
   */
  readonly isUploadListener?: boolean
}

/**
 * An HTTP server with Crossport's slow-client limits. Node's defaults are
 * generous, and it checks header/request timeouts only every 30 s; checking
 * every second makes HEADERS_TIMEOUT_MS mean what it says under slowloris.
 */
export function createLimitedServer(config: Config, handler: RequestListener, limits: ListenerLimits = {}): Server {
  const server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    if (toOriginForm(req, res)) handler(req, res)
  })
  const requestTimeoutMs = limits.isUploadListener ? 0 : config.requestTimeoutMs
  server.requestTimeout = requestTimeoutMs
  // Node requires headersTimeout <= requestTimeout when both are set.
  server.headersTimeout = requestTimeoutMs > 0 ? Math.min(config.headersTimeoutMs, requestTimeoutMs) : config.headersTimeoutMs
  if (limits.isUploadListener) server.timeout = config.requestTimeoutMs
  server.keepAliveTimeout = config.keepAliveTimeoutMs
  if (config.maxConnections > 0) server.maxConnections = config.maxConnections
  return server
}

/**
 * RFC 9112 §3.2.2: accept an absolute-form target as its path and query, and
 * take the host from it, ignoring the Host header. Done here, before either
 * listener routes, so every path rule applies as to the origin form. Returns
 * false when it refused the request itself (a malformed authority), as Node
 * does for a malformed request line: 400, empty, connection closed.
 */
function toOriginForm(req: IncomingMessage, res: ServerResponse): boolean {
  const target = classifyTarget(req.url ?? '/')
  if (target.form === 'origin') return true
  if (target.form === 'absolute') {
    req.url = target.url
    req.headers.host = target.host
    return true
  }
  res.writeHead(400, { 'Content-Length': 0, Connection: 'close', 'Cache-Control': 'no-store' })
  res.end()
  return false
}
