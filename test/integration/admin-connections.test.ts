import Koa from 'koa'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createConnectionGuard } from '../../src/server/admin-guard'
import { startTestCrossport, type TestCrossport } from '../helpers/crossport'
import { openRaw, within } from '../helpers/raw-http'

/** An upload whose 100 kB body has not been sent yet: the client trickles it afterwards. */
const uploadHead = (host: string, authorization?: string) =>
  `PUT /admin/v1/assets/big.bin HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n` +
  (authorization === undefined ? '' : `Authorization: ${authorization}\r\n`) +
  '\r\n'

// Far below REQUEST_TIMEOUT_MS (which only limits silence on the admin
// listener): the server must close because it refused, not because it timed out.
const PROMPT_CLOSE_MS = 3000

describe('admin requests refused before their body is read', () => {
  let cp: TestCrossport
  let readToken: string

  beforeAll(async () => {
    cp = await startTestCrossport({ env: { MAX_CONNECTIONS: '5' } })
    const created = await cp.admin('POST', '/tokens', { name: 'reader', scope: 'read' })
    readToken = ((await created.json()) as { token: string }).token
  })
  afterAll(() => cp.close())

  it.each([
    ['without a token', undefined, 401],
    ['with an invalid token', 'Bearer not-a-valid-token-at-all', 401],
    ['with a read-scoped token', 'read-token', 403],
  ])('answers an upload %s at once with Connection: close and closes the socket while the body still trickles', async (_name, authorization, status) => {
    const host = new URL(cp.adminUrl).host
    const connection = openRaw(cp.adminUrl, uploadHead(host, authorization === 'read-token' ? `Bearer ${readToken}` : authorization))
    connection.trickle(100)
    const response = await within(connection.response, PROMPT_CLOSE_MS, 'a response')
    expect(response.status).toBe(status)
    expect(response.headers.connection).toBe('close')
    await within(connection.closed, PROMPT_CLOSE_MS, 'the server closing the connection')
  })

  it('keeps MAX_CONNECTIONS free for the operator while 10 unauthenticated uploads trickle', async () => {
    const host = new URL(cp.adminUrl).host
    const attackers = Array.from({ length: 10 }, () => openRaw(cp.adminUrl, uploadHead(host)))
    for (const attacker of attackers) attacker.trickle(100)
    // Over MAX_CONNECTIONS (5) Node drops a socket at once; the others are refused and closed.
    await within(Promise.all(attackers.map((a) => a.closed)), PROMPT_CLOSE_MS, 'every unauthenticated connection closing')
    const res = await cp.admin('GET', '/folders')
    expect(res.status).toBe(200)
  })

  it('keeps an authenticated connection alive for the next request', async () => {
    const res = await cp.admin('GET', '/folders')
    expect(res.status).toBe(200)
    expect(res.headers.get('connection')).not.toBe('close')
  })
})

describe('createConnectionGuard(timeoutMs): requests without a valid token are cut off', () => {
  let server: Server
  let url: string
  let release: () => void = () => {}
  const stalled = new Promise<void>((resolve) => (release = resolve))

  beforeAll(async () => {
    const app = new Koa()
    app.use(createConnectionGuard(200))
    app.use(async (ctx) => {
      // Stands for any way a request can stall after its headers (a client not reading its answer).
      if (ctx.get('Authorization') === 'Bearer good') ctx.state.actor = { id: '1', name: 'op', scope: 'write' }
      await stalled
      ctx.body = 'late'
    })
    server = createServer(app.callback())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    release()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('destroys the socket of an unauthenticated request that outlives the limit', async () => {
    const connection = openRaw(url, 'GET /stall HTTP/1.1\r\nHost: localhost\r\n\r\n')
    const received = await within(connection.closed, 2000, 'the guard cutting the request off')
    expect(received).toBe('')
  })

  it('leaves an authenticated request alone for longer than the limit', async () => {
    const connection = openRaw(url, 'GET /stall HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer good\r\n\r\n')
    let isClosed = false
    void connection.closed.then(() => (isClosed = true))
    // A negative can only be observed over time: several times the limit.
    await new Promise((resolve) => setTimeout(resolve, 800))
    expect(isClosed).toBe(false)
    connection.socket.destroy()
  })
})
