import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { CrossportError } from '../../src/http/errors'
import { FsAssetStore } from '../../src/store/fs/fs-store'
import { TEMP_DIR_NAME } from '../../src/store/fs/temp-sweep'
import { describeAssetStoreContract } from '../helpers/asset-store-contract'

describeAssetStoreContract('FsAssetStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crossport-store-contract-'))
  const store = new FsAssetStore(join(dir, 'assets'))
  return {
    store,
    async dispose() {
      store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
})

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

describe('FsAssetStore.put on the file system', () => {
  it('leaves no temp file behind after a refusal or a failed body', async () => {
    const failing = new Readable({
      read() {
        this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))
      },
    })
    await expect(store.put('/a/b.bin', failing, { maxBytes: 100 })).rejects.toThrow(/aborted/)
    await expect(store.put('/big.bin', Readable.from([Buffer.alloc(200)]), { maxBytes: 100 })).rejects.toThrow(/MAX_UPLOAD_BYTES/)
    const refuse = () => {
      throw new CrossportError('CONTENT_MISMATCH', 'no')
    }
    await expect(store.put('/x.png', Readable.from([Buffer.from('abc')]), { maxBytes: 100, inspect: refuse })).rejects.toThrow('no')
    expect(debris()).toEqual([])
    expect(readdirSync(root).filter((name) => name !== TEMP_DIR_NAME)).toEqual([])
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

  it('creates no folder outside the root when a deeper path is refused', async () => {
    const outside = join(dir, 'outside2')
    mkdirSync(outside)
    symlinkSync(outside, join(root, 'escape2'))
    await expect(store.put('/escape2/sub/deeper/x.txt', Readable.from([Buffer.from('x')]), { maxBytes: 100 })).rejects.toThrow(/outside the asset store/)
    expect(readdirSync(outside)).toEqual([])
  })
})

describe('FsAssetStore reads on the file system', () => {
  it('does not follow a symlink out of the root, on either side', async () => {
    writeFileSync(join(dir, 'secret.txt'), 'secret')
    symlinkSync(join(dir, 'secret.txt'), join(root, 'link.txt'))
    expect(await store.stat('/link.txt')).toBeUndefined()
    expect(await store.lookup('/link.txt')).toBeUndefined()
  })

  it('follows a symlink inside the root: the key is the real file, the path the one asked for', async () => {
    write('v2/app.js', 'v2')
    symlinkSync(join(root, 'v2/app.js'), join(root, 'latest.js'))
    const found = await store.lookup('/latest.js')
    expect(found).toMatchObject({ path: '/latest.js', sizeBytes: 2 })
    const opened = await store.open(found?.key ?? '')
    expect(opened?.info.path).toBe('/v2/app.js')
    opened?.close()
  })

  it('opens only keys below the root', async () => {
    writeFileSync(join(dir, 'secret.txt'), 'secret')
    expect(await store.open(join(dir, 'secret.txt'))).toBeUndefined()
  })

  it('never lists dotfiles or the temp folder', async () => {
    for (const path of ['a.txt', '.hidden', 'a/.dot/e.txt', `${TEMP_DIR_NAME}/x.part`]) write(path, path)
    expect((await store.list({ prefix: '/', limit: 100 })).items.map((i) => i.path)).toEqual(['/a.txt'])
  })
})
