import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/config'
import { createLogger } from '../../src/ops/log'
import { prepareDatabase, startCrossport } from '../../src/server/app'
import { FsAssetStore } from '../../src/store/fs/fs-store'
import { localOwner, tempFileName } from '../../src/store/fs/temp-files'
import { TEMP_DIR_NAME } from '../../src/store/fs/temp-sweep'

const MINUTE = 60_000

let dir: string
let root: string
let stores: FsAssetStore[]

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'crossport-sweep-'))
  root = join(dir, 'assets')
  mkdirSync(join(root, TEMP_DIR_NAME), { recursive: true })
  stores = []
})

afterEach(() => {
  for (const store of stores) store.close()
  rmSync(dir, { recursive: true, force: true })
})

/** A pid that belonged to a process of this host which has exited (like one killed with -9 mid-upload). */
const deadPid = (): number => {
  const { pid } = spawnSync(process.execPath, ['-e', ''])
  if (pid === undefined) throw new Error('could not start a child process')
  return pid
}

/** A temp file as an upload of `pid` on this host would name it, last written `ageMs` ago. */
function leftover(pid: number, ageMs: number): string {
  const name = tempFileName(localOwner(pid))
  const file = join(root, TEMP_DIR_NAME, name)
  writeFileSync(file, 'half an upload')
  const then = (Date.now() - ageMs) / 1000
  utimesSync(file, then, then)
  return name
}

const tempNames = () => readdirSync(join(root, TEMP_DIR_NAME))

/** Starts a store and resolves with it once a sweep reports having removed `name` (or fails after 5 s). */
function storeSweeping(name: string, sweepIntervalMs?: number): Promise<FsAssetStore> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} was not swept`)), 5000)
    const store: FsAssetStore = new FsAssetStore(root, {
      sweep: {
        intervalMs: sweepIntervalMs,
        onError: reject,
        onSwept: (removed) => {
          if (!removed.includes(name)) return
          clearTimeout(timer)
          resolve(store)
        },
      },
    })
    stores.push(store)
  })
}

describe('sweeping upload temp files no live upload owns', () => {
  it('removes at start the temp file of a process of this host that died ten minutes ago', async () => {
    const orphan = leftover(deadPid(), 10 * MINUTE)
    await storeSweeping(orphan)
    expect(tempNames()).not.toContain(orphan)
  })

  it('removes one left after start-up at the next periodic sweep', async () => {
    // A first store's start-up sweep has nothing to do; the file appears after it.
    const quiet = new FsAssetStore(root, { sweep: { intervalMs: 60 * MINUTE } })
    stores.push(quiet)
    await quiet.sweepOrphanedTemp()
    const orphan = leftover(deadPid(), 10 * MINUTE)
    const periodic = storeSweeping(orphan, 20)
    await periodic
    expect(tempNames()).not.toContain(orphan)
  })

  it('keeps the temp file of another live process of this host, and one just written by a dead one', async () => {
    const store = new FsAssetStore(root)
    stores.push(store)
    const otherLive = leftover(process.ppid, 10 * MINUTE)
    const fresh = leftover(deadPid(), 10 * 1000)
    expect(await store.sweepOrphanedTemp()).toEqual([])
    expect(tempNames().sort()).toEqual([otherLive, fresh].sort())
  })

  it('never removes the temp file of an upload in progress in this process, however old it looks', async () => {
    const store = new FsAssetStore(root)
    stores.push(store)
    await store.sweepOrphanedTemp()
    const body = new PassThrough()
    const put = store.put('/live/big.bin', body, { maxBytes: 1024 * 1024 })
    body.write(Buffer.alloc(1000, 1))
    // Wait until the upload created its temp file.
    while (tempNames().length === 0) await new Promise((r) => setImmediate(r))
    const [name] = tempNames() as [string]
    const then = (Date.now() - 2 * 60 * MINUTE) / 1000
    utimesSync(join(root, TEMP_DIR_NAME, name), then, then)

    expect(await store.sweepOrphanedTemp()).toEqual([])
    expect(tempNames()).toEqual([name])

    body.end(Buffer.alloc(24, 2))
    const { after } = await put
    expect(after.sizeBytes).toBe(1024)
    expect(readFileSync(join(root, 'live/big.bin')).subarray(1000)).toEqual(Buffer.alloc(24, 2))
    expect(existsSync(join(root, TEMP_DIR_NAME, name))).toBe(false)
  })
})

describe('the running server', () => {
  it('sweeps at start in a process that takes uploads', async () => {
    const orphan = leftover(deadPid(), 10 * MINUTE)
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      ADMIN_HOST: '127.0.0.1',
      ASSETS_DIR: root,
      DATABASE_PATH: join(dir, 'crossport.db'),
      CACHE_DIR: join(dir, 'cache'),
      ADMIN_TOKEN: 'sweep-test-token-0123456789',
      LOG_LEVEL: 'silent',
      SEED_DEMO: 'false',
    })
    const logger = createLogger(config)
    const running = await startCrossport(config, logger, await prepareDatabase(config, logger))
    try {
      const deadline = Date.now() + 5000
      while (tempNames().includes(orphan) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
      expect(tempNames()).not.toContain(orphan)
    } finally {
      await running.close()
    }
  })
})
