import { FileCache } from '../../../src/pipeline/file-cache'
import type { AssetStore, OpenStoredFile, StoredFile } from '../../../src/store/asset-store'

type AssetSource = Pick<AssetStore, 'lookup' | 'open'>

/** An in-memory store: path → bytes + version; the cache under test sees it only through AssetSource. */
class MemorySource implements AssetSource {
  readonly files = new Map<string, { bytes: Buffer; mtimeMs: number; ino: number }>()
  opens = 0
  private nextIno = 1

  put(path: string, text: string, mtimeMs = 1_700_000_000_000): void {
    this.files.set(path, { bytes: Buffer.from(text), mtimeMs, ino: this.nextIno++ })
  }

  private info(path: string): StoredFile | undefined {
    const file = this.files.get(path)
    return file && { path, key: path, sizeBytes: file.bytes.length, mtimeMs: file.mtimeMs, revision: String(file.ino), etag: `"${file.ino}"` }
  }

  async lookup(path: string) {
    return this.info(path)
  }

  async open(key: string): Promise<OpenStoredFile | undefined> {
    const info = this.info(key)
    const file = this.files.get(key)
    if (!info || !file) return undefined
    this.opens++
    return {
      info,
      sendTo: (sink, start, end) => {
        sink.end(file.bytes.subarray(start, end + 1))
        return { bytesSent: end - start + 1, done: Promise.resolve() }
      },
      readAll: async () => file.bytes,
      close: () => {},
    }
  }
}

const options = { ttlMs: 1000, maxFileBytes: 100, maxBytes: 250 }

describe('FileCache', () => {
  it('remembers a missing path until it is invalidated', async () => {
    const source = new MemorySource()
    const cache = new FileCache(source, options)
    expect((await cache.refresh('/a.css')).identity).toBeUndefined()
    expect(cache.fresh('/a.css', performance.now())).toBeDefined()
    source.put('/a.css', 'body{}')
    cache.invalidate('/a.css')
    expect(cache.fresh('/a.css', performance.now())).toBeUndefined()
    expect((await cache.refresh('/a.css')).identity?.sizeBytes).toBe(6)
  })

  it('forgets every path on invalidateAll, bodies included', async () => {
    const source = new MemorySource()
    source.put('/a.css', 'a{}')
    source.put('/b.css', 'b{}')
    const cache = new FileCache(source, options)
    await cache.refresh('/a.css')
    await cache.refresh('/b.css')
    source.put('/a.css', 'a{color:red}')
    cache.invalidateAll()
    expect(cache.fresh('/a.css', performance.now())).toBeUndefined()
    expect(cache.fresh('/b.css', performance.now())).toBeUndefined()
    expect((await cache.refresh('/a.css')).identity?.sizeBytes).toBe(12)
  })

  it('distrusts an entry once its time to live has passed', async () => {
    const cache = new FileCache(new MemorySource(), options)
    const entry = await cache.refresh('/a.css')
    expect(cache.fresh('/a.css', entry.expiresAtMs - 1)).toBe(entry)
    expect(cache.fresh('/a.css', entry.expiresAtMs)).toBeUndefined()
  })

  it('with staleWhileRefreshMs, answers an expired entry for that long while one background re-check replaces it', async () => {
    const source = new MemorySource()
    source.put('/a.css', 'old')
    const cache = new FileCache(source, { ...options, staleWhileRefreshMs: 500 })
    const entry = await cache.refresh('/a.css')
    source.put('/a.css', 'newer')
    const lookups = jest.spyOn(source, 'lookup')
    expect(cache.fresh('/a.css', entry.expiresAtMs + 100)).toBe(entry)
    expect(cache.fresh('/a.css', entry.expiresAtMs + 200)).toBe(entry)
    // One re-check (the file and its two siblings), shared by both requests.
    expect(lookups).toHaveBeenCalledTimes(3)
    const refreshed = await cache.refresh('/a.css')
    expect(refreshed.identity?.sizeBytes).toBe(5)
    expect(cache.fresh('/a.css', refreshed.expiresAtMs - 1)).toBe(refreshed)
    expect(cache.fresh('/a.css', refreshed.expiresAtMs + 500)).toBeUndefined()
  })

  it('finds precompressed siblings with their own ETags', async () => {
    const source = new MemorySource()
    source.put('/a.css', 'x'.repeat(50))
    source.put('/a.css.br', 'x'.repeat(10))
    const entry = await cache(source).refresh('/a.css')
    expect(entry.hasSiblings).toBe(true)
    expect(entry.gzip).toBeUndefined()
    expect(entry.br?.contentEncoding).toBe('br')
    expect(entry.br?.contentType).toBe('text/css; charset=utf-8')
    expect(entry.br?.etag).not.toBe(entry.identity?.etag)
    expect(entry.br?.etag.endsWith('-br"')).toBe(true)
  })

  it('ignores a sibling older than its file: it was compressed from an earlier version', async () => {
    const source = new MemorySource()
    source.put('/a.css', 'new'.repeat(20), 2_000_000)
    source.put('/a.css.br', 'old', 1_000_000)
    source.put('/a.css.gz', 'new', 2_000_000)
    const entry = await cache(source).refresh('/a.css')
    expect(entry.br).toBeUndefined()
    expect(entry.gzip?.contentEncoding).toBe('gzip')
    expect(entry.hasSiblings).toBe(true)
  })

  it('keeps a loaded body across a re-check that finds the file unchanged', async () => {
    const source = new MemorySource()
    source.put('/a.css', 'body{}')
    const c = cache(source)
    const entry = await c.refresh('/a.css')
    const loaded = await c.loadBody('/a.css', entry.identity!)
    expect(loaded?.body?.toString()).toBe('body{}')
    const again = await c.refresh('/a.css')
    expect(again.identity).toBe(entry.identity)
    expect(again.identity?.body?.toString()).toBe('body{}')
  })

  it('answers the new version when the file changed between stat and read', async () => {
    const source = new MemorySource()
    source.put('/a.css', 'old')
    const c = cache(source)
    const entry = await c.refresh('/a.css')
    source.put('/a.css', 'newer', 1_800_000_000_000)
    const loaded = await c.loadBody('/a.css', entry.identity!)
    expect(loaded?.body?.toString()).toBe('newer')
    expect(loaded?.etag).not.toBe(entry.identity?.etag)
    expect(loaded?.sizeBytes).toBe(5)
  })

  it('evicts the least recently used bodies to stay within the memory budget', async () => {
    const source = new MemorySource()
    for (const name of ['a', 'b', 'c']) source.put(`/${name}`, name.repeat(100))
    const c = cache(source)
    const versions = []
    for (const name of ['a', 'b', 'c']) {
      const entry = await c.refresh(`/${name}`)
      versions.push(await c.loadBody(`/${name}`, entry.identity!))
    }
    expect(c.memoryBytes).toBeLessThanOrEqual(250)
    expect((await c.refresh('/a')).identity?.body).toBeUndefined()
    expect((await c.refresh('/c')).identity?.body?.length).toBe(100)
  })

  it('keeps files above the per-file limit out of memory', async () => {
    const source = new MemorySource()
    source.put('/big', 'x'.repeat(101))
    const c = cache(source)
    const entry = await c.refresh('/big')
    expect(c.isSmall(entry.identity!)).toBe(false)
  })

  it('drops the base file when a sibling changes', async () => {
    const source = new MemorySource()
    source.put('/a.css', 'body{}')
    const c = cache(source)
    await c.refresh('/a.css')
    c.invalidate('/a.css.gz')
    expect(c.fresh('/a.css', performance.now())).toBeUndefined()
  })

  it('shares one check between concurrent refreshes of a path', async () => {
    const source = new MemorySource()
    const lookup = jest.spyOn(source, 'lookup')
    const c = cache(source)
    const [a, b] = await Promise.all([c.refresh('/x.css'), c.refresh('/x.css')])
    expect(a).toBe(b)
    expect(lookup).toHaveBeenCalledTimes(3)
  })

  it('remembers at most maxEntries paths', async () => {
    const c = new FileCache(new MemorySource(), { ...options, maxEntries: 2 })
    for (const p of ['/1', '/2', '/3']) await c.refresh(p)
    const now = performance.now()
    expect(c.fresh('/1', now)).toBeUndefined()
    expect(c.fresh('/3', now)).toBeDefined()
  })
})

function cache(source: AssetSource): FileCache {
  return new FileCache(source, options)
}
