import { createServer, type RequestListener, type Server } from 'node:http'
import type { Config } from '../config'

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
  const server = createServer({ connectionsCheckingInterval: 1000 }, handler)
  const requestTimeoutMs = limits.isUploadListener ? 0 : config.requestTimeoutMs
  server.requestTimeout = requestTimeoutMs
  // Node requires headersTimeout <= requestTimeout when both are set.
  server.headersTimeout = requestTimeoutMs > 0 ? Math.min(config.headersTimeoutMs, requestTimeoutMs) : config.headersTimeoutMs
  if (limits.isUploadListener) server.timeout = config.requestTimeoutMs
  server.keepAliveTimeout = config.keepAliveTimeoutMs
  if (config.maxConnections > 0) server.maxConnections = config.maxConnections
  return server
}
