import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { startTestCrossport, type TestCrossport } from '../helpers/crossport'

/**
 * Issue #14.6: delivery trusts what it learned about a path for
 * FILE_CACHE_TTL_MS. When a parent folder is swapped for a symlink that leads
 * out of the store within that time, no byte from outside may be served,
 * neither as the file, a range of it, nor an image rendered from it.
 */

// Above MEMORY_CACHE_FILE_BYTES (256 KiB by default): streamed from a handle opened per request.
const BIG = 300 * 1024
const INSIDE = 'i'
const SECRET = 's'

let cp: TestCrossport
let outside: string

beforeAll(async () => {
  cp = await startTestCrossport({ env: { FILE_CACHE_TTL_MS: '60000' } })
  outside = join(cp.dir, 'outside')
  mkdirSync(outside)
  writeFileSync(join(outside, 'big.bin'), Buffer.alloc(BIG, SECRET))
  writeFileSync(join(outside, 'small.txt'), SECRET.repeat(100))
  writeFileSync(join(outside, 'img.png'), await sharp({ create: { width: 128, height: 128, channels: 3, background: '#0000ff' } }).png().toBuffer())
})

afterAll(async () => {
  await cp.close()
})

/** Replaces the folder `name` of the store by a symlink to the outside folder (the old folder moves away, still inside). */
function swapForSymlink(name: string): void {
  renameSync(join(cp.assetsDir, name), join(cp.assetsDir, `${name}-moved-away`))
  symlinkSync(outside, join(cp.assetsDir, name), 'dir')
}

const get = async (path: string, headers: Record<string, string> = {}, method = 'GET') => {
  const res = await fetch(`${cp.publicUrl}${path}`, { method, headers })
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
}

const hasSecret = (body: Buffer) => body.includes(SECRET)

describe('a parent folder swapped for a symlink to outside the store, within FILE_CACHE_TTL_MS', () => {
  it('answers 404 for a streamed file, never its outside bytes', async () => {
    cp.writeAsset('swap-big/big.bin', Buffer.alloc(BIG, INSIDE))
    const before = await get('/swap-big/big.bin')
    expect(before.status).toBe(200)
    expect(before.body.length).toBe(BIG)
    swapForSymlink('swap-big')
    const after = await get('/swap-big/big.bin')
    expect(after.status).toBe(404)
    expect(hasSecret(after.body)).toBe(false)
  })

  it('answers 404 for a Range of a streamed file', async () => {
    cp.writeAsset('swap-range/big.bin', Buffer.alloc(BIG, INSIDE))
    expect((await get('/swap-range/big.bin', { range: 'bytes=0-99' })).status).toBe(206)
    swapForSymlink('swap-range')
    const after = await get('/swap-range/big.bin', { range: 'bytes=0-99' })
    expect(after.status).toBe(404)
    expect(hasSecret(after.body)).toBe(false)
  })

  it('answers 404 for a small file whose bytes were not in memory yet', async () => {
    cp.writeAsset('swap-small/small.txt', INSIDE.repeat(100))
    // HEAD learns the file's stat but reads no byte of it.
    expect((await get('/swap-small/small.txt', {}, 'HEAD')).status).toBe(200)
    swapForSymlink('swap-small')
    const after = await get('/swap-small/small.txt')
    expect(after.status).toBe(404)
    expect(hasSecret(after.body)).toBe(false)
  })

  it('keeps answering a small file held in memory with the bytes read while it was inside, never the outside ones', async () => {
    cp.writeAsset('swap-memory/small.txt', INSIDE.repeat(100))
    expect((await get('/swap-memory/small.txt')).body.toString()).toBe(INSIDE.repeat(100))
    swapForSymlink('swap-memory')
    const after = await get('/swap-memory/small.txt')
    expect(hasSecret(after.body)).toBe(false)
    expect([200, 404]).toContain(after.status)
  })

  it('answers 404 for an image derivative instead of rendering the outside image', async () => {
    cp.writeAsset('swap-img/img.png', await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ff0000' } }).png().toBuffer())
    expect((await get('/swap-img/img.png')).status).toBe(200)
    swapForSymlink('swap-img')
    const after = await get('/swap-img/img.png?w=32')
    expect(after.status).toBe(404)
  })

  it('answers 404 once the entry is re-checked, too', async () => {
    // Control: a fresh lookup of a path through the symlink refuses it (nothing outside the store root is served).
    expect((await get('/swap-big/small.txt')).status).toBe(404)
  })
})
