import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { CrossportError } from '../../src/http/errors'
import { FsAssetStore, TEMP_DIR_NAME } from '../../src/store/fs-store'

let dir: string
let root: string
let store: FsAssetStore

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'crossport-store-'))
  root = join(dir, 'assets')
  mkdirSync(root)
  store = new FsAssetStore(root)
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

const write = (path: string, content: string) => {
  const full = join(root, path)
  mkdirSync(dirname(full), { recursive: true })
  writeFileSync(full, content)
}
const debris = () => (existsSync(join(root, TEMP_DIR_NAME)) ? readdirSync(join(root, TEMP_DIR_NAME)) : [])

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

describe('FsAssetStore.put', () => {
  it('rejects and leaves neither the file nor a temp file when the body fails midway', async () => {
    await expect(store.put('/a/b.bin', failingBody(), { maxBytes: 10 * 1024 * 1024 })).rejects.toThrow(/aborted/)
    expect(existsSync(join(root, 'a/b.bin'))).toBe(false)
    expect(debris()).toEqual([])
  })

  it('rejects with BODY_TOO_LARGE as soon as the count passes maxBytes', async () => {
    let produced = 0
    const endless = new Readable({
      read() {
        produced += 1024
        this.push(Buffer.alloc(1024))
      },
    })
    const error = await store.put('/big.bin', endless, { maxBytes: 10 * 1024 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CrossportError)
    expect((error as CrossportError).code).toBe('BODY_TOO_LARGE')
    // It stopped reading near the limit instead of draining the source.
    expect(produced).toBeLessThan(200 * 1024)
    expect(debris()).toEqual([])
  })

  it('hands inspect() the first bytes and stores nothing when it throws', async () => {
    const heads: string[] = []
    const refuse = (head: Buffer) => {
      heads.push(head.toString())
      throw new CrossportError('CONTENT_MISMATCH', 'no')
    }
    await expect(store.put('/x.png', Readable.from([Buffer.from('abc'), Buffer.from('defghij')]), { maxBytes: 100, headBytes: 8, inspect: refuse })).rejects.toThrow('no')
    expect(heads).toEqual(['abcdefgh'])
    expect(existsSync(join(root, 'x.png'))).toBe(false)
    expect(debris()).toEqual([])
  })

  it('inspects a body shorter than headBytes once it ends', async () => {
    const heads: string[] = []
    await store.put('/short.txt', Readable.from([Buffer.from('hi')]), { maxBytes: 100, headBytes: 64, inspect: (head) => heads.push(head.toString()) })
    expect(heads).toEqual(['hi'])
    expect(readFileSync(join(root, 'short.txt'), 'utf8')).toBe('hi')
  })

  it('stores an empty body as an empty file', async () => {
    const { after } = await store.put('/empty.txt', Readable.from([]), { maxBytes: 100 })
    expect(after.sizeBytes).toBe(0)
  })

  it('refuses to write through a symlinked folder that leads outside the root', async () => {
    const outside = join(dir, 'outside')
    mkdirSync(outside)
    symlinkSync(outside, join(root, 'escape'))
    const error = await store.put('/escape/pwned.txt', Readable.from([Buffer.from('x')]), { maxBytes: 100 }).catch((e: unknown) => e)
    expect((error as CrossportError).code).toBe('INVALID_ASSET_PATH')
    expect(readdirSync(outside)).toEqual([])
    expect(debris()).toEqual([])
  })

  it('runs precondition() with the current asset right before the rename', async () => {
    write('p.txt', 'old')
    const seen: Array<number | undefined> = []
    await store.put('/p.txt', Readable.from([Buffer.from('new!')]), { maxBytes: 100, precondition: (current) => seen.push(current?.sizeBytes) })
    await store.put('/q.txt', Readable.from([Buffer.from('new!')]), { maxBytes: 100, precondition: (current) => seen.push(current?.sizeBytes) })
    expect(seen).toEqual([3, undefined])
  })
})

describe('FsAssetStore.stat', () => {
  it('does not follow a symlink out of the root', async () => {
    writeFileSync(join(dir, 'secret.txt'), 'secret')
    symlinkSync(join(dir, 'secret.txt'), join(root, 'link.txt'))
    expect(await store.stat('/link.txt')).toBeUndefined()
  })

  it('answers undefined below a path that is a file', async () => {
    write('file.txt', 'x')
    expect(await store.stat('/file.txt/child')).toBeUndefined()
  })
})

describe('FsAssetStore.list', () => {
  beforeEach(() => {
    // Names chosen so that naive per-folder ordering differs from path ordering:
    // "/a.txt" < "/a/b.txt" because "." sorts before "/".
    for (const path of ['a/b.txt', 'a.txt', 'a-z.txt', 'a/c/d.txt', 'b.txt', 'ab/x.txt', '.hidden', 'a/.dot/e.txt']) write(path, path)
  })

  it('returns every file in sorted path order, without dotfiles', async () => {
    const page = await store.list({ prefix: '/', limit: 100 })
    const paths = page.items.map((i) => i.path)
    expect(paths).toEqual(['/a-z.txt', '/a.txt', '/a/b.txt', '/a/c/d.txt', '/ab/x.txt', '/b.txt'])
    expect([...paths].sort()).toEqual(paths)
    expect(page.hasMore).toBe(false)
  })

  it('pages after a cursor path, in any folder', async () => {
    const all = (await store.list({ prefix: '/', limit: 100 })).items.map((i) => i.path)
    for (let i = 0; i < all.length; i++) {
      const page = await store.list({ prefix: '/', after: all[i], limit: 2 })
      expect(page.items.map((item) => item.path)).toEqual(all.slice(i + 1, i + 3))
      expect(page.hasMore).toBe(i + 3 < all.length)
    }
  })

  it('filters by prefix, including a partial name', async () => {
    expect((await store.list({ prefix: '/a/', limit: 100 })).items.map((i) => i.path)).toEqual(['/a/b.txt', '/a/c/d.txt'])
    expect((await store.list({ prefix: '/a', limit: 100 })).items.map((i) => i.path)).toEqual(['/a-z.txt', '/a.txt', '/a/b.txt', '/a/c/d.txt', '/ab/x.txt'])
  })
})

describe('FsAssetStore.delete', () => {
  it('removes precompressed siblings and reports them', async () => {
    write('app.js', 'js')
    write('app.js.gz', 'gz')
    const removed = await store.delete('/app.js')
    expect(removed?.siblings).toEqual(['/app.js.gz'])
    expect(readdirSync(root)).toEqual([])
  })

  it('answers undefined when there is nothing to delete', async () => {
    expect(await store.delete('/none.txt')).toBeUndefined()
  })
})

describe('FsAssetStore.put through a symlink', () => {
  it('creates no folder outside the root when a deeper path is refused', async () => {
    const outside = join(dir, 'outside2')
    mkdirSync(outside)
    symlinkSync(outside, join(root, 'escape2'))
    await expect(store.put('/escape2/sub/deeper/x.txt', Readable.from([Buffer.from('x')]), { maxBytes: 100 })).rejects.toThrow(/outside the asset store/)
    expect(readdirSync(outside)).toEqual([])
  })
})

describe('FsAssetStore.put ETags', () => {
  it('gives a same-size replacement a new ETag even within the same millisecond', async () => {
    const etags = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const { after } = await store.put('/same.txt', Readable.from([Buffer.from(`v${i % 10}`)]), { maxBytes: 100 })
      etags.add(after.etag)
    }
    expect(etags.size).toBe(20)
  })
})
