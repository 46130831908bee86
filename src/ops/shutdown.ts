import type { IncomingMessage, Server, ServerResponse } from 'node:http'

/**
 * How often a closing server looks for keep-alive connections that have just
 * finished their last response. Node's `server.close()` closes the idle ones
 * once, but a connection busy with a download becomes idle later and would
 * then stay open until `keepAliveTimeout` (65 s), holding shutdown up.
 */
const IDLE_SWEEP_INTERVAL_MS = 100

/**
 * Stops accepting connections, closes idle keep-alive sockets at once, lets
 * in-flight responses finish (then closes their sockets too), and after
 * `timeoutMs` destroys whatever is left. Resolves once every connection is gone.
 */
export function closeGracefully(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve()
      return
    }
    // A request that arrives on an open keep-alive connection while we close
    // is still served, but told this connection ends with it (RFC 9112 §9.6).
    const onRequest = (_req: IncomingMessage, res: ServerResponse) => {
      if (!res.headersSent) res.setHeader('Connection', 'close')
    }
    server.prependListener('request', onRequest)
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_INTERVAL_MS)
    const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs)
    // Neither timer may keep a process alive on its own.
    sweep.unref()
    deadline.unref()
    server.close(() => {
      clearInterval(sweep)
      clearTimeout(deadline)
      server.off('request', onRequest)
      resolve()
    })
    server.closeIdleConnections()
  })
}
