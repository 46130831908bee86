import { mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { createContext, prepareDatabase } from '../../src/app'
import { loadConfig } from '../../src/config'
import { createLogger } from '../../src/log'
import { createAdminServer } from '../../src/server/admin-app'
import { TEST_ADMIN_TOKEN } from '../helpers/crossport'

/** An admin listener whose log lines are captured, to check what reaches the log. */
describe('admin listener logging', () => {
  const lines: string[] = []
  let dir: string
  let server: Server
  let url: string
  let closeDb: () => void

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crossport-admin-log-'))
    const config = loadConfig({
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      DATABASE_PATH: join(dir, 'crossport.db'),
      ASSETS_DIR: join(dir, 'assets'),
      CACHE_DIR: join(dir, 'cache'),
      LOG_LEVEL: 'info',
      SEED_DEMO: 'false',
    })
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'))
        done()
      },
    })
    const logger = createLogger(config, sink)
    const { db } = prepareDatabase(config, logger)
    closeDb = () => db.close()
    server = createAdminServer(createContext(config, logger, db))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/v1`
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    rmSync(dir, { recursive: true, force: true })
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

  it('answers an unexpected failure with a generic 500 problem and keeps the stack in the log', async () => {
    closeDb()
    const res = await fetch(`${url}/folders`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
    expect(res.status).toBe(500)
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    const body = await res.text()
    expect(body).not.toMatch(/database|\.ts:|at /i)
    expect(lines.join('')).toMatch(/"level":50.*admin request failed/)
    expect(lines.join('')).toContain('"stack"')
  })
})
