import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type * as FsStoreModule from '../../src/store/fs/fs-store'

/** FsAssetStore as loaded on Linux (/proc/self/fd), and as loaded where /proc cannot name open files. */
const loaders: ReadonlyArray<readonly [string, () => typeof FsStoreModule]> = [
  ['with /proc/self/fd', () => jest.requireActual<typeof FsStoreModule>('../../src/store/fs/fs-store')],
  [
    'without /proc/self/fd (realpath + inode check)',
    () => {
      let loaded: typeof FsStoreModule | undefined
      jest.isolateModules(() => {
        jest.doMock('node:fs/promises', () => ({
          ...jest.requireActual<object>('node:fs/promises'),
          readlink: () => Promise.reject(Object.assign(new Error('ENOENT: no /proc here'), { code: 'ENOENT' })),
        }))
        loaded = jest.requireActual<typeof FsStoreModule>('../../src/store/fs/fs-store')
      })
      return loaded as typeof FsStoreModule
    },
  ],
]

describe.each(loaders)('FsAssetStore.open %s', (_name, load) => {
  let dir: string
  let root: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'crossport-source-'))
    root = join(dir, 'assets')
    mkdirSync(join(root, 'dir'), { recursive: true })
    mkdirSync(join(dir, 'outside'))
    writeFileSync(join(root, 'dir/a.txt'), 'inside')
    writeFileSync(join(dir, 'outside/a.txt'), 'secret')
  })
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('opens a file found inside the root', async () => {
    const source = new (load().FsAssetStore)(root)
    const info = await source.lookup('/dir/a.txt')
    const opened = await source.open(info?.key ?? '')
    expect((await opened?.readAll())?.toString()).toBe('inside')
  })

  it('misses when a parent folder became a symlink to outside after the lookup', async () => {
    const source = new (load().FsAssetStore)(root)
    const info = await source.lookup('/dir/a.txt')
    expect(info).toBeDefined()
    renameSync(join(root, 'dir'), join(root, 'moved'))
    symlinkSync(join(dir, 'outside'), join(root, 'dir'), 'dir')
    expect(await source.open(info?.key ?? '')).toBeUndefined()
  })
})
