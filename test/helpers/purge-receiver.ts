import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
  /** performance.now() when the request's body had arrived. */
  readonly atMs: number
}

export interface PurgeReceiver {
  readonly url: string
  readonly port: number
  readonly received: ReceivedRequest[]
  /** The status the next requests get (default 200); a function decides per request. */
  answerWith(status: number | ((request: ReceivedRequest) => number)): void
  /** Holds each answer back this long (default 0), as an overloaded API would. */
  answerAfter(ms: number): void
  /** Resolves once `count` requests in all have arrived. */
  waitFor(count: number): Promise<void>
  close(): Promise<void>
}

/**
 * A loopback HTTP server standing in for a CDN's purge API or a webhook
 * receiver: it records every request exactly as it arrived.
 */
export async function startPurgeReceiver(port = 0): Promise<PurgeReceiver> {
  const received: ReceivedRequest[] = []
  const waiters: { count: number; resolve: () => void }[] = []
  let answer: number | ((request: ReceivedRequest) => number) = 200
  let delayMs = 0
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), atMs: performance.now() }
      received.push(request)
      res.statusCode = typeof answer === 'function' ? answer(request) : answer
      res.setHeader('Content-Type', 'application/json')
      const body = res.statusCode < 300 ? '{"success":true}' : '{"success":false,"errors":[{"message":"refused by test"}]}'
      setTimeout(() => res.end(body), delayMs).unref()
      for (const waiter of waiters.filter((w) => received.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const actualPort = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    received,
    answerWith: (status) => {
      answer = status
    },
    answerAfter: (ms) => {
      delayMs = ms
    },
    waitFor: (count) => (received.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
