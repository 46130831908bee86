import { Readable, Writable } from 'node:stream'
import { CrossportError } from '../../src/http/errors'
import { sameVersion, type AssetStore, type OpenStoredFile, type PutOptions } from '../../src/store/asset-store'

/** A store to test, fresh and empty, and how to throw it away afterwards. */
export interface StoreUnderTest {
  readonly store: AssetStore
  dispose(): Promise<void>
}

/** A sink that keeps what it gets; with `closeAfter`, it closes itself (a client going away) after that many writes. */
class Collector extends Writable {
  readonly chunks: Buffer[] = []
  constructor(private readonly closeAfter = Infinity) {
    super({ highWaterMark: 1 })
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk))
    callback()
    if (this.chunks.length >= this.closeAfter) this.destroy()
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString()
  }
}

const bodyOf = (...parts: string[]) => Readable.from(parts.map((part) => Buffer.from(part)))

/** A body that delivers some bytes, then fails like a connection reset. */
function failingBody(): Readable {
  let sent = false
  return new Readable({
    read() {
      if (!sent) {
        sent = true
        this.push(Buffer.alloc(128 * 1024, 1))
      } else {
        this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))
      }
    },
  })
}

const errorOf = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error)

function streamText(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => resolve(Buffer.concat(chunks).toString()))
    stream.on('error', reject)
  })
}

/** How a store's ETags follow its content. */
export interface ContractOptions {
  /**
   * `version` (default): every put gets a new ETag, even with the same bytes
   * (size + mtime validators). `content`: the ETag is a digest of the bytes
   * (S3's own), so it changes exactly when the bytes change.
   */
  readonly etags?: 'version' | 'content'
}

/**
 * What every `AssetStore` must do, written against the interface only, so
 * each store runs the very same suite: `describeAssetStoreContract('fs',
 * makeFsStore)`. Store-specific behaviour (symlinks, temp files) is tested
 * beside each store.
 */
export function describeAssetStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>, contract: ContractOptions = {}): void {
  describe(`AssetStore contract: ${name}`, () => {
    let subject: StoreUnderTest
    let store: AssetStore
    beforeEach(async () => {
      subject = await makeStore()
      store = subject.store
    })
    afterEach(() => subject.dispose())

    const put = (path: string, text: string, options: Partial<PutOptions> = {}) => store.put(path, bodyOf(text), { maxBytes: 1024 * 1024, ...options })
    const openText = async (opened: OpenStoredFile | undefined) => (await opened?.readAll())?.toString()

    it('is ready to serve once it holds a file (readiness probes ask it)', async () => {
      await put('/ready.txt', 'x')
      expect(await store.whyNotReady()).toBeUndefined()
    })

    describe('put, then stat, lookup and open', () => {
      it('describes the stored file the same way in put, stat, lookup and list', async () => {
        const { before, after } = await put('/a/b.txt', 'hello')
        expect(before).toBeUndefined()
        expect(after).toMatchObject({ path: '/a/b.txt', sizeBytes: 5 })
        expect(after.etag).toMatch(/^"[^"]+"$/)
        expect(await store.stat('/a/b.txt')).toEqual(after)
        expect(await store.lookup('/a/b.txt')).toEqual(after)
        expect((await store.list({ prefix: '/', limit: 10 })).items).toEqual([after])
      })

      it('opens what lookup found and reads exactly its bytes', async () => {
        await put('/hello.txt', 'hello world')
        const found = await store.lookup('/hello.txt')
        const opened = await store.open(found?.key ?? '')
        expect(opened !== undefined && found !== undefined && sameVersion(opened.info, found)).toBe(true)
        expect(await openText(opened)).toBe('hello world')
      })

      it('sends only the requested range, then ends the sink', async () => {
        await put('/range.txt', '0123456789')
        const opened = await store.open((await store.lookup('/range.txt'))?.key ?? '')
        const sink = new Collector()
        const transfer = opened?.sendTo(sink, 2, 5)
        await transfer?.done
        expect(sink.text).toBe('2345')
        expect(sink.writableFinished).toBe(true)
        expect(transfer?.bytesSent).toBe(4)
      })

      it('settles a transfer whose sink closes first, without sending the rest', async () => {
        const size = 4 * 1024 * 1024
        await store.put('/big.bin', Readable.from([Buffer.alloc(size, 7)]), { maxBytes: size })
        const opened = await store.open((await store.lookup('/big.bin'))?.key ?? '')
        const sink = new Collector(1)
        await opened?.sendTo(sink, 0, size - 1).done
        expect(Buffer.concat(sink.chunks).length).toBeLessThan(size)
      })

      it('opens the current bytes when the file was replaced since lookup, and describes them', async () => {
        await put('/v.txt', 'first')
        const old = await store.lookup('/v.txt')
        await put('/v.txt', 'second version')
        const opened = await store.open(old?.key ?? '')
        expect(opened?.info.sizeBytes).toBe(14)
        expect(opened !== undefined && old !== undefined && sameVersion(opened.info, old)).toBe(false)
        expect(await openText(opened)).toBe('second version')
      })

      it('answers undefined when opening a file deleted since lookup', async () => {
        await put('/gone.txt', 'x')
        const found = await store.lookup('/gone.txt')
        await store.delete('/gone.txt')
        expect(await store.open(found?.key ?? '')).toBeUndefined()
      })

      it('releases an opened file on close() without reading it', async () => {
        await put('/closed.txt', 'x')
        const opened = await store.open((await store.lookup('/closed.txt'))?.key ?? '')
        opened?.close()
        expect(await store.delete('/closed.txt')).toBeDefined()
      })

      it('answers undefined for a missing path, a folder, and a path below a file', async () => {
        await put('/dir/file.txt', 'x')
        for (const path of ['/none.txt', '/dir', '/dir/file.txt/child']) {
          expect(await store.lookup(path)).toBeUndefined()
          expect(await store.stat(path)).toBeUndefined()
        }
      })

      it('streams the bytes of an asset with read()', async () => {
        await put('/read.txt', 'streamed')
        expect(await streamText(store.read('/read.txt'))).toBe('streamed')
      })
    })

    describe('put refusals leave nothing behind', () => {
      it('rejects when the body fails midway', async () => {
        await expect(store.put('/a/b.bin', failingBody(), { maxBytes: 10 * 1024 * 1024 })).rejects.toThrow(/aborted/)
        expect(await store.stat('/a/b.bin')).toBeUndefined()
      })

      it('rejects with BODY_TOO_LARGE as soon as the count passes maxBytes', async () => {
        let produced = 0
        const endless = new Readable({
          read() {
            produced += 1024
            this.push(Buffer.alloc(1024))
          },
        })
        const error = await errorOf(store.put('/big.bin', endless, { maxBytes: 10 * 1024 }))
        expect(error).toBeInstanceOf(CrossportError)
        expect((error as CrossportError).code).toBe('BODY_TOO_LARGE')
        // It stopped reading near the limit instead of draining the source.
        expect(produced).toBeLessThan(200 * 1024)
        expect(await store.stat('/big.bin')).toBeUndefined()
      })

      it('hands inspect() the first bytes and stores nothing when it throws', async () => {
        const heads: string[] = []
        const refuse = (head: Buffer) => {
          heads.push(head.toString())
          throw new CrossportError('CONTENT_MISMATCH', 'no')
        }
        await expect(store.put('/x.png', bodyOf('abc', 'defghij'), { maxBytes: 100, headBytes: 8, inspect: refuse })).rejects.toThrow('no')
        expect(heads).toEqual(['abcdefgh'])
        expect(await store.stat('/x.png')).toBeUndefined()
      })

      it('keeps the previous version when precondition() refuses', async () => {
        const { after: old } = await put('/kept.txt', 'old')
        const refuse = () => {
          throw new CrossportError('PRECONDITION_FAILED', 'changed')
        }
        await expect(put('/kept.txt', 'new content', { precondition: refuse })).rejects.toThrow('changed')
        expect(await store.stat('/kept.txt')).toEqual(old)
        expect(await streamText(store.read('/kept.txt'))).toBe('old')
      })

      it('refuses a file where a folder is, or below a file, with ASSET_PATH_CONFLICT, keeping what is there', async () => {
        const { after: inside } = await put('/clash/inside.txt', 'x')
        const { after: file } = await put('/plain.txt', 'y')
        for (const path of ['/clash', '/plain.txt/below.txt']) {
          const error = await errorOf(put(path, 'conflicting'))
          expect((error as CrossportError).code).toBe('ASSET_PATH_CONFLICT')
        }
        expect([await store.stat('/clash/inside.txt'), await store.stat('/plain.txt')]).toEqual([inside, file])
        expect((await store.list({ prefix: '/', limit: 10 })).items).toEqual([inside, file])
      })

      it('refuses paths no asset can have', async () => {
        for (const path of ['/', '/a/../b.txt', '/.hidden', '/dir/.env']) {
          const error = await errorOf(put(path, 'x'))
          expect((error as CrossportError).code).toBe('INVALID_ASSET_PATH')
        }
      })
    })

    describe('put details', () => {
      it('inspects a body shorter than headBytes once it ends', async () => {
        const heads: string[] = []
        await put('/short.txt', 'hi', { headBytes: 64, inspect: (head) => heads.push(head.toString()) })
        expect(heads).toEqual(['hi'])
        expect(await streamText(store.read('/short.txt'))).toBe('hi')
      })

      it('stores an empty body as an empty file', async () => {
        const { after } = await store.put('/empty.txt', Readable.from([]), { maxBytes: 100 })
        expect(after.sizeBytes).toBe(0)
      })

      it('runs precondition() with the current asset right before replacing it', async () => {
        await put('/p.txt', 'old')
        const seen: Array<number | undefined> = []
        const { before } = await put('/p.txt', 'new!', { precondition: (current) => seen.push(current?.sizeBytes) })
        await put('/q.txt', 'new!', { precondition: (current) => seen.push(current?.sizeBytes) })
        expect(seen).toEqual([3, undefined])
        expect(before?.sizeBytes).toBe(3)
      })

      it('serialises preconditions of concurrent puts to one path: only one "create if absent" wins', async () => {
        const createOnly = (current: unknown) => {
          if (current !== undefined) throw new CrossportError('PRECONDITION_FAILED', 'exists')
        }
        const results = await Promise.allSettled(['one', 'two', 'three'].map((text) => put('/race.txt', text, { precondition: createOnly })))
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      })

      if (contract.etags !== 'content') {
        it('gives a same-size replacement a new ETag even within the same millisecond', async () => {
          const etags = new Set<string>()
          for (let i = 0; i < 20; i++) etags.add((await put('/same.txt', `v${i % 10}`)).after.etag)
          expect(etags.size).toBe(20)
        })
      } else {
        it('gives every different content of the same size its own ETag, and the same bytes the same one', async () => {
          const etags: string[] = []
          for (let i = 0; i < 20; i++) etags.push((await put('/same.txt', `v${i % 10}`)).after.etag)
          expect(new Set(etags).size).toBe(10)
          expect(etags.slice(10)).toEqual(etags.slice(0, 10))
        })
      }
    })

    describe('list', () => {
      beforeEach(async () => {
        // Names chosen so that naive per-folder ordering differs from path ordering:
        // "/a.txt" < "/a/b.txt" because "." sorts before "/".
        for (const path of ['/a/b.txt', '/a.txt', '/a-z.txt', '/a/c/d.txt', '/b.txt', '/ab/x.txt']) await put(path, path)
      })
      const paths = async (options: Parameters<AssetStore['list']>[0]) => (await store.list(options)).items.map((i) => i.path)

      it('returns every file in sorted path order', async () => {
        const page = await store.list({ prefix: '/', limit: 100 })
        expect(page.items.map((i) => i.path)).toEqual(['/a-z.txt', '/a.txt', '/a/b.txt', '/a/c/d.txt', '/ab/x.txt', '/b.txt'])
        expect(page.items.find((i) => i.path === '/a.txt')).toEqual(await store.stat('/a.txt'))
        expect(page.hasMore).toBe(false)
        expect(page.last).toBe('/b.txt')
      })

      it('pages after a cursor path, in any folder', async () => {
        const all = await paths({ prefix: '/', limit: 100 })
        for (let i = 0; i < all.length; i++) {
          const page = await store.list({ prefix: '/', after: all[i], limit: 2 })
          expect(page.items.map((item) => item.path)).toEqual(all.slice(i + 1, i + 3))
          expect(page.hasMore).toBe(i + 3 < all.length)
        }
      })

      it('filters by prefix, including a partial name', async () => {
        expect(await paths({ prefix: '/a/', limit: 100 })).toEqual(['/a/b.txt', '/a/c/d.txt'])
        expect(await paths({ prefix: '/a', limit: 100 })).toEqual(['/a-z.txt', '/a.txt', '/a/b.txt', '/a/c/d.txt', '/ab/x.txt'])
        expect(await paths({ prefix: '/zzz/', limit: 100 })).toEqual([])
      })

      it('with delimiter /, lists one level: child folders count as entries in path order', async () => {
        const first = await store.list({ prefix: '/', limit: 3, delimiter: '/' })
        expect(first.items.map((i) => i.path)).toEqual(['/a-z.txt', '/a.txt'])
        expect(first.folders).toEqual(['/a/'])
        expect(first).toMatchObject({ hasMore: true, last: '/a/' })
        const rest = await store.list({ prefix: '/', after: first.last, limit: 3, delimiter: '/' })
        expect(rest.items.map((i) => i.path)).toEqual(['/b.txt'])
        expect(rest.folders).toEqual(['/ab/'])
        expect(rest.hasMore).toBe(false)
      })
    })

    describe('delete', () => {
      it('removes the asset with its precompressed siblings and reports them', async () => {
        const { after } = await put('/app.js', 'js')
        await put('/app.js.gz', 'gz')
        const removed = await store.delete('/app.js')
        expect(removed).toEqual({ before: after, siblings: ['/app.js.gz'] })
        expect(await store.stat('/app.js')).toBeUndefined()
        expect(await store.stat('/app.js.gz')).toBeUndefined()
        expect((await store.list({ prefix: '/', limit: 10 })).items).toEqual([])
      })

      it('answers undefined when there is nothing to delete', async () => {
        expect(await store.delete('/none.txt')).toBeUndefined()
      })
    })
  })
}
