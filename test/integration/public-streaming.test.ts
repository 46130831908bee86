/**
 * Streaming hygiene: descriptors are freed when clients abort, a file
 * replaced mid-download never mixes versions, and each request is reported
 * once, on both stores. The server runs in this process, so /proc/self/fd
 * counts its files.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { readdirSync, readlinkSync } from 'node:fs'
import type { RequestRecord } from '../../src/pipeline/request-record'
import { describeEachStore, type StoreCrossport } from '../helpers/each-store'

const SIZE = 8 * 1024 * 1024
const MIB = 1024 * 1024
/** Bytes that differ from their neighbours, so a chunk sent twice or out of place shows. */
const PATTERN = Buffer.from(Array.from({ length: 3 * MIB + 5 }, (_, i) => (i * 7 + (i >> 16)) % 251))

describeEachStore('streaming', (store) => {
  let cp: StoreCrossport
  const records: RequestRecord[] = []

  beforeAll(async () => {
    cp = await store.start({
      env: { FILE_CACHE_TTL_MS: '60000' },
      assets: { 'media/movie.mp4': Buffer.alloc(SIZE, 0x61), 'media/pattern.bin': PATTERN },
    })
    const telemetry = cp.running.context.telemetry
    const original = telemetry.requestFinished.bind(telemetry)
    // Observe what delivery reports without changing what telemetry does with it.
    telemetry.requestFinished = (record) => {
      records.push(record)
      original(record)
    }
  })

  afterAll(() => cp.close())

  /** Descriptors open on the asset files (the database may open its own meanwhile: they are not counted). */
  const openFiles = (): number =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(cp.assetsDir)
      } catch {
        return false
      }
    }).length

  /** Starts a GET and resolves once the first body bytes arrived, with the response paused. */
  function startDownload(path: string): Promise<{ res: IncomingMessage; first: Buffer; abort: () => void }> {
    const url = new URL(cp.publicUrl)
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path, agent: false }, (res) => {
        res.once('data', (chunk: Buffer) => {
          res.pause()
          resolve({ res, first: chunk, abort: () => req.destroy() })
        })
        res.on('error', () => {})
      })
      req.on('error', (error) => {
        if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error)
      })
      req.end()
    })
  }

  async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    // Descriptor closes complete on the thread pool with no event to await; poll briefly.
    while (!condition()) {
      if (Date.now() > deadline) return
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  describe('aborted downloads', () => {
    // An object store holds no descriptor; its aborted GETs are tested with the store (assets-store-s3).
    if (store.kind === 'fs') it('free their file descriptors at once (file store only)', async () => {
      const before = openFiles()
      const downloads = await Promise.all(Array.from({ length: 40 }, () => startDownload('/media/movie.mp4')))
      expect(openFiles()).toBeGreaterThanOrEqual(before + 40)
      for (const d of downloads) d.abort()
      await until(() => openFiles() <= before, 3000)
      expect(openFiles()).toBeLessThanOrEqual(before)
    })

    it('are reported once each, as aborted, with fewer bytes than the file', async () => {
      records.length = 0
      const d = await startDownload('/media/movie.mp4')
      d.abort()
      await until(() => records.length > 0, 3000)
      expect(records).toHaveLength(1)
      expect(records[0]).toMatchObject({ method: 'GET', path: '/media/movie.mp4', status: 200, aborted: true })
      expect(records[0]?.bytes).toBeLessThan(SIZE)
    })
  })

  describe('a file replaced during a download', () => {
    it('finishes the old version completely, and the next request gets the new one', async () => {
      await cp.putFixture('media/swap.bin', Buffer.alloc(SIZE, 0x61))
      const d = await startDownload('/media/swap.bin')
      expect(d.res.headers['content-length']).toBe(String(SIZE))

      // Atomic replace, as uploads do it: a new inode (a new object version) under the old name.
      await cp.putFixture('media/swap.bin', Buffer.alloc(SIZE - 100, 0x62))
      cp.running.context.events.emit('asset-changed', '/media/swap.bin')

      const chunks: Buffer[] = [d.first]
      await new Promise<void>((resolve) => {
        d.res.on('data', (c: Buffer) => chunks.push(c))
        d.res.on('end', () => resolve())
        d.res.resume()
      })
      const body = Buffer.concat(chunks)
      expect(body.length).toBe(SIZE)
      expect(body.every((b) => b === 0x61)).toBe(true)

      const after = await fetch(`${cp.publicUrl}/media/swap.bin`)
      const bytes = Buffer.from(await after.arrayBuffer())
      expect(bytes.length).toBe(SIZE - 100)
      expect(bytes.every((b) => b === 0x62)).toBe(true)
    })
  })

  describe('request reports', () => {
    it('reports a completed request once with its status and body size', async () => {
      records.length = 0
      const res = await fetch(`${cp.publicUrl}/media/movie.mp4`, { headers: { range: 'bytes=0-99' } })
      await res.arrayBuffer()
      await until(() => records.length > 0, 3000)
      expect(records).toHaveLength(1)
      expect(records[0]).toMatchObject({ status: 206, bytes: 100, aborted: false, folder: '/', isPreflight: false })
    })
  })

  describe('bodies read in large chunks', () => {
    it.each([
      ['the whole file', undefined, 0, PATTERN.length - 1],
      ['a range ending exactly at a 1 MiB read', 'bytes=0-1048575', 0, MIB - 1],
      ['a range one byte past it', 'bytes=1-1048576', 1, MIB],
      ['a range across two reads', 'bytes=1048000-2097200', 1048000, 2097200],
      ['the last bytes after whole reads', 'bytes=3145728-', 3 * MIB, PATTERN.length - 1],
    ])('sends %s byte-exact', async (_name, range, start, end) => {
      const res = await fetch(`${cp.publicUrl}/media/pattern.bin`, { headers: range === undefined ? {} : { range } })
      expect(res.status).toBe(range === undefined ? 200 : 206)
      const body = Buffer.from(await res.arrayBuffer())
      expect(res.headers.get('content-length')).toBe(String(end - start + 1))
      expect(body.equals(PATTERN.subarray(start, end + 1))).toBe(true)
    })
  })
})
