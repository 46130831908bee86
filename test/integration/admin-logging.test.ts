import { mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { createContext, prepareDatabase } from '../../src/server/app'
import { loadConfig } from '../../src/config/config'
import { createLogger } from '../../src/ops/log'
import { createAdminServer } from '../../src/server/admin-app'
import { TEST_ADMIN_TOKEN } from '../helpers/crossport'

/** An admin listener whose log lines are captured, to check what reaches the log. */
interface LoggedAdmin {
  readonly lines: string[]
  readonly server: Server
  readonly url: string
  closeDb(): Promise<void>
  close(): Promise<void>
}

async function startLoggedAdmin(env: Record<string, string> = {}): Promise<LoggedAdmin> {
  const lines: string[] = []
  const dir = mkdtempSync(join(tmpdir(), 'crossport-admin-log-'))
  const config = loadConfig({
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    DATABASE_PATH: join(dir, 'crossport.db'),
    ASSETS_DIR: join(dir, 'assets'),
    CACHE_DIR: join(dir, 'cache'),
    LOG_LEVEL: 'info',
    SEED_DEMO: 'false',
    ...env,
  })
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'))
      done()
    },
  })
  const logger = createLogger(config, sink)
  const { database } = await prepareDatabase(config, logger)
  const { db } = database
  const server = createAdminServer(await createContext(config, logger, database))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    lines,
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/v1`,
    closeDb: () => database.close(),
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      if (db.isOpen) await database.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Access-log lines (parsed) for one path. */
const accessLines = (lines: readonly string[], path: string) =>
  lines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.log === 'admin-access' && entry.path === path)

/** The client cannot observe when the server logs, so poll the captured lines, bounded. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('admin listener logging', () => {
  let admin: LoggedAdmin
  let lines: string[]
  let url: string

  beforeAll(async () => {
    admin = await startLoggedAdmin()
    ;({ lines, url } = admin)
  })

  afterAll(async () => {
    await admin.close()
  })

  it('logs failed and successful requests without any token', async () => {
    const wrong = 'cpt_this-secret-must-never-be-logged'
    expect((await fetch(`${url}/folders`, { headers: { authorization: `Bearer ${wrong}` } })).status).toBe(401)
    expect((await fetch(`${url}/folders`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).status).toBe(200)
    const log = lines.join('')
    expect(log).toContain('failed admin authentication')
    expect(log).toContain('"actor":"bootstrap"')
    expect(log).not.toContain(wrong)
    expect(log).not.toContain(TEST_ADMIN_TOKEN)
  })

  it('logs the status the client was sent, once the response is out', async () => {
    expect((await fetch(`${url}/nowhere`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).status).toBe(404)
    expect(accessLines(lines, '/admin/v1/nowhere')).toEqual([expect.objectContaining({ method: 'GET', status: 404, actor: 'bootstrap' })])
    expect(accessLines(lines, '/admin/v1/nowhere')[0]).not.toHaveProperty('aborted')
  })

  it('answers an unexpected failure with a generic 500 problem and keeps the stack in the log', async () => {
    await admin.closeDb()
    const res = await fetch(`${url}/folders`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
    expect(res.status).toBe(500)
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    const body = await res.text()
    expect(body).not.toMatch(/database|\.ts:|at /i)
    expect(lines.join('')).toMatch(/"level":50.*admin request failed/)
    expect(lines.join('')).toContain('"stack"')
  })
})

describe('admin access log of an upload cut off by the inactivity timeout', () => {
  let admin: LoggedAdmin

  beforeAll(async () => {
    // Short, so the stalled upload below is cut off quickly.
    admin = await startLoggedAdmin({ REQUEST_TIMEOUT_MS: '500' })
  })

  afterAll(async () => {
    await admin.close()
  })

  it('records it as aborted, without the 404 the client never got', async () => {
    const { port } = admin.server.address() as AddressInfo
    const path = '/admin/v1/assets/stalled/file.bin'
    const received: Buffer[] = []
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        // Headers and the first bytes of a 1000-byte body, then silence.
        socket.write(
          `PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_ADMIN_TOKEN}\r\n` +
            'Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n0123456789',
        )
      })
      socket.on('data', (chunk: Buffer) => received.push(chunk))
      socket.on('error', reject)
      socket.on('close', () => resolve())
    })
    expect(Buffer.concat(received).toString()).toBe('')
    // The client may see the connection end a moment before the server's side of it closes.
    await waitFor(() => accessLines(admin.lines, path).length > 0, 'the access-log line')
    const logged = accessLines(admin.lines, path)
    expect(logged).toEqual([expect.objectContaining({ method: 'PUT', aborted: true, actor: 'bootstrap' })])
    // No status line reached the client, so none is logged.
    expect(logged[0]).not.toHaveProperty('status')
  })
})
