import { createServer, connect, type Server, type Socket } from 'node:net'

export interface TcpRelay {
  readonly port: number
  /** performance.now() of each chunk from the client: a small request (a PURGE) arrives in one. */
  readonly arrivals: number[]
  /** Everything the clients sent, as latin1 text: the requests' heads can be read from it. */
  sent(): string
  start(): Promise<void>
  stop(): Promise<void>
}

const { freePort } = require('../../scripts/lib/free-port.js') as { freePort(): Promise<number> }

/**
 * A TCP relay to `targetPort` that can be switched off: the target is then
 * "down" for whoever sends through the relay (a CDN for the purge worker),
 * while the target itself, and its cache, lives on.
 */
export async function tcpRelay(targetPort: number): Promise<TcpRelay> {
  const port = await freePort()
  const arrivals: number[] = []
  const chunks: Buffer[] = []
  let server: Server | undefined
  const sockets = new Set<Socket>()
  return {
    port,
    arrivals,
    sent: () => Buffer.concat(chunks).toString('latin1'),
    start: () =>
      new Promise((resolve) => {
        server = createServer((client) => {
          client.on('data', (chunk: Buffer) => {
            arrivals.push(performance.now())
            chunks.push(chunk)
          })
          const upstream = connect(targetPort, '127.0.0.1')
          for (const s of [client, upstream]) {
            sockets.add(s)
            s.on('close', () => sockets.delete(s))
            s.on('error', () => s.destroy())
          }
          client.pipe(upstream).pipe(client)
        })
        server.listen(port, '127.0.0.1', resolve)
      }),
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        if (server === undefined) resolve()
        else server.close(() => resolve())
      }),
  }
}
