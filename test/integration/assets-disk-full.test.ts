import Router from '@koa/router'
import Koa from 'koa'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { registerAssetRoutes } from '../../src/admin/assets-routes'
import { createAuthMiddleware } from '../../src/admin/auth'
import { ADMIN_PREFIX } from '../../src/admin/folder-routes'
import { createProblemMiddleware } from '../../src/admin/problem'
import { FsAssetStore } from '../../src/store/fs/fs-store'
import { TEMP_DIR_NAME } from '../../src/store/fs/temp-sweep'
import type { WriteChunk } from '../../src/store/fs/write'
import { startTestCrossport, type TestCrossport } from '../helpers/crossport'

let cp: TestCrossport
let admin: Server
let adminUrl: string
let store: FsAssetStore
/** Bytes the disk still takes before it is full; Infinity = plenty of space. */
let spaceLeft = Infinity

/** Writes what fits, then fails the way a full disk does: partly written temp file, ENOSPC. */
const writeUntilFull: WriteChunk = async (handle, chunk) => {
  const fits = Math.min(spaceLeft, chunk.length)
  if (fits > 0) await handle.write(chunk, 0, fits)
  spaceLeft -= fits
  if (fits < chunk.length) {
    // A real ENOSPC names the server path; it must never reach the client.
    throw Object.assign(new Error(`ENOSPC: no space left on device, write '${join(cp.assetsDir, TEMP_DIR_NAME)}'`), { code: 'ENOSPC', errno: -28, syscall: 'write' })
  }
}

beforeAll(async () => {
  cp = await startTestCrossport({ assets: { 'full/kept.txt': 'the previous version' } })
  // The admin routes as admin-app.ts wires them, over a store whose disk can be made to fill up.
  const { context } = cp.running
  store = new FsAssetStore(cp.assetsDir, { writeChunk: writeUntilFull })
  const router = new Router({ prefix: ADMIN_PREFIX })
  registerAssetRoutes(router, context, { store })
  const app = new Koa()
  app.silent = true
  app.use(createProblemMiddleware(context.logger))
  app.use(createAuthMiddleware(context))
  app.use(router.routes())
  admin = createServer(app.callback())
  await new Promise<void>((resolve) => admin.listen(0, '127.0.0.1', resolve))
  adminUrl = `http://127.0.0.1:${(admin.address() as AddressInfo).port}`
})

afterEach(() => {
  spaceLeft = Infinity
})

afterAll(async () => {
  store.close()
  await new Promise((resolve) => admin.close(resolve))
  await cp.close()
})

const upload = (path: string, body: Buffer) =>
  fetch(`${adminUrl}${ADMIN_PREFIX}/assets${path}`, { method: 'PUT', headers: { authorization: `Bearer ${cp.token}`, 'content-type': 'text/plain' }, body })

const publicText = async (path: string) => {
  const res = await fetch(`${cp.publicUrl}${path}`)
  return { status: res.status, text: await res.text() }
}

const tempDebris = () => {
  const dir = join(cp.assetsDir, TEMP_DIR_NAME)
  return existsSync(dir) ? readdirSync(dir) : []
}

describe('an upload onto a full disk', () => {
  it('answers 507 problem+json without server paths, removes its temp file and keeps serving the previous version', async () => {
    expect(await publicText('/full/kept.txt')).toEqual({ status: 200, text: 'the previous version' })
    spaceLeft = 100 * 1024
    const res = await upload('/full/kept.txt', Buffer.alloc(512 * 1024, 'x'))
    const text = await res.text()
    expect(res.status).toBe(507)
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(JSON.parse(text)).toEqual({
      type: 'https://crossport.dev/problems/storage-full',
      title: 'Insufficient storage',
      status: 507,
      detail: 'Not enough storage space left to store /full/kept.txt; nothing was changed',
    })
    expect(text).not.toContain(cp.dir)
    expect(text).not.toContain(TEMP_DIR_NAME)
    expect(tempDebris()).toEqual([])
    expect(readFileSync(join(cp.assetsDir, 'full/kept.txt'), 'utf8')).toBe('the previous version')
    expect(await publicText('/full/kept.txt')).toEqual({ status: 200, text: 'the previous version' })
  })

  it('creates nothing for a new path when not a byte fits', async () => {
    spaceLeft = 0
    const res = await upload('/full/new.txt', Buffer.from('tiny'))
    expect(res.status).toBe(507)
    expect(tempDebris()).toEqual([])
    expect(existsSync(join(cp.assetsDir, 'full/new.txt'))).toBe(false)
    expect((await publicText('/full/new.txt')).status).toBe(404)
  })

  it('stores the next upload once there is space again', async () => {
    const res = await upload('/full/kept.txt', Buffer.from('the next version'))
    expect(res.status).toBe(200)
    expect(await publicText('/full/kept.txt')).toEqual({ status: 200, text: 'the next version' })
  })
})
