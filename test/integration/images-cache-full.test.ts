/**
 * Issue #14 (8): a full disk while storing a derivative is a 503 that names no
 * path, and leaves no half-written file. The disk is made full by injecting
 * the cache's file writer: it writes part of the data, then fails as a full
 * file system does.
 */
import { EventEmitter } from 'node:events'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AppEvents } from '../../src/util/app-events'
import type { Telemetry } from '../../src/ops/telemetry'
import { loadConfig } from '../../src/config/config'
import { createImageService } from '../../src/images'
import { createLogger } from '../../src/ops/log'
import { photoJpeg } from '../fixtures/images/generate'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function filesUnder(root: string): string[] {
  let names: string[] = []
  try {
    names = readdirSync(root, { recursive: true, encoding: 'utf8' })
  } catch {
    return []
  }
  return names.filter((name) => statSync(join(root, name)).isFile())
}

async function serviceOnFullDisk(code: 'ENOSPC' | 'EDQUOT') {
  const dir = mkdtempSync(join(tmpdir(), 'crossport-full-'))
  dirs.push(dir)
  const assetsDir = join(dir, 'assets')
  mkdirSync(assetsDir)
  const filePath = join(assetsDir, 'hero.jpg')
  writeFileSync(filePath, await photoJpeg(320, 240))
  const config = loadConfig({ ASSETS_DIR: assetsDir, CACHE_DIR: join(dir, 'cache'), DATABASE_PATH: join(dir, 'db.sqlite'), LOG_LEVEL: 'silent' })
  const telemetry: Telemetry = { requestFinished() {}, policyReloaded() {}, imageRendered() {}, imageCacheHit() {} }
  const fullDisk = async (path: string, data: Uint8Array) => {
    // Half the bytes land, as on a real disk that fills up mid-write.
    await writeFile(path, data.subarray(0, data.byteLength >> 1))
    throw Object.assign(new Error(`${code}: no space left on device, write '${path}'`), { code, errno: -28, syscall: 'write', path })
  }
  const images = createImageService({ config, logger: createLogger(config), telemetry, events: new EventEmitter() as AppEvents, writeFile: fullDisk })
  const s = statSync(filePath)
  const request = { urlPath: '/hero.jpg', filePath, sizeBytes: s.size, mtimeMs: s.mtimeMs, etag: '"e1"', query: new URLSearchParams('w=64&fmt=webp'), accept: undefined }
  return { dir, images, request }
}

describe('a derivative on a full disk', () => {
  it.each(['ENOSPC', 'EDQUOT'] as const)('%s answers 503 image-cache-full with Retry-After, naming no path', async (code) => {
    const { dir, images, request } = await serviceOnFullDisk(code)
    const failure = await images.derive(request).then(
      () => undefined,
      (error: unknown) => error as { code: string; status: number; message: string; headers?: Record<string, string> },
    )
    expect(failure).toMatchObject({ code: 'IMAGE_CACHE_FULL', status: 503 })
    expect(failure?.headers?.['Retry-After']).toMatch(/^\d+$/)
    expect(failure?.message).not.toContain(dir)
    expect(failure?.message).not.toContain(String(process.pid))
  })

  it('leaves no half-written or temp file behind, and nothing indexed', async () => {
    const { dir, images, request } = await serviceOnFullDisk('ENOSPC')
    await expect(images.derive(request)).rejects.toMatchObject({ code: 'IMAGE_CACHE_FULL' })
    expect(filesUnder(join(dir, 'cache'))).toEqual([])
    expect(images.cache.indexSize).toBe(0)
  })
})
