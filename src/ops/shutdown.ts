import type { Server } from 'node:http'

/**
 * Stops accepting connections, closes idle keep-alive sockets at once, lets
 * in-flight responses finish, and after `timeoutMs` destroys whatever is left.
 */
export function closeGracefully(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve()
      return
    }
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs)
    timer.unref()
    server.close(() => {
      clearTimeout(timer)
      resolve()
    })
    server.closeIdleConnections()
  })
}
