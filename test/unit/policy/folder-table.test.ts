import { compileFolder, compilePolicyTable, FolderTable } from '../../../src/policy/table'
import { DEFAULT_POLICY, type Folder } from '../../../src/policy/types'

let nextId = 1
const folder = (path: string, origins: string[] = []): Folder => ({
  id: nextId++,
  path,
  policy: { ...DEFAULT_POLICY, origins },
  createdAt: '2024-01-01T00:00:00.000Z',
  updatedAt: '2024-01-01T00:00:00.000Z',
})

describe('FolderTable: one folder changes at a time', () => {
  it('a created folder takes its subtree from its parent, and a deleted one gives it back', () => {
    const table = compilePolicyTable([folder('/', ['https://root.example']), folder('/a/', ['https://a.example'])])
    expect(table.resolve('/a/b/c/x.png').folder.path).toBe('/a/')

    table.set(compileFolder(folder('/a/b/', ['https://b.example'])))
    expect(table.resolve('/a/b/c/x.png').folder.path).toBe('/a/b/')
    expect(table.resolve('/a/x.png').folder.path).toBe('/a/')
    expect(table.size).toBe(3)

    table.delete('/a/b/')
    expect(table.resolve('/a/b/c/x.png').folder.path).toBe('/a/')
    table.delete('/a/')
    expect(table.resolve('/a/b/c/x.png').folder.policy.origins).toEqual(['https://root.example'])
  })

  it('replaces a changed folder with a new compiled folder and keeps every other one as it was', () => {
    const table = compilePolicyTable([folder('/'), folder('/a/'), folder('/b/', ['https://b.example'])])
    const [before, untouched] = [table.get('/b/'), table.get('/a/')]
    table.set(compileFolder(folder('/b/', ['https://other.example'])))
    expect(table.get('/b/')).not.toBe(before)
    expect(table.get('/b/')?.matchOrigin('https://other.example').matched).toBe(true)
    expect(table.get('/a/')).toBe(untouched)
  })

  it('falls back to a / that shares nothing when / is deleted', () => {
    const table = compilePolicyTable([folder('/', ['*'])])
    table.delete('/')
    expect(table.resolve('/x').folder.policy.origins).toEqual([])
    expect(table.size).toBe(1)
  })

  it('keeps its sorted list in step with changes', () => {
    const table = new FolderTable()
    expect(table.folders.map((f) => f.folder.path)).toEqual(['/'])
    table.set(compileFolder(folder('/z/')))
    table.set(compileFolder(folder('/m/')))
    expect(table.folders.map((f) => f.folder.path)).toEqual(['/', '/m/', '/z/'])
    table.delete('/z/')
    expect(table.folders.map((f) => f.folder.path)).toEqual(['/', '/m/'])
  })

  it('resolves exactly as a full compile after any sequence of creates, changes and deletes', () => {
    // A small deterministic PRNG, so a failure replays.
    let seed = 22
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    const segments = ['a', 'b', 'ab', 'c']
    const randomPath = () => {
      let path = '/'
      for (let depth = random(4); depth > 0; depth--) path += `${segments[random(segments.length)]}/`
      return path
    }
    const probes = Array.from({ length: 60 }, () => `${randomPath()}${random(2) === 0 ? 'x.png' : 'ab'}`)

    for (let round = 0; round < 10; round++) {
      const live = new FolderTable()
      const truth = new Map<string, Folder>()
      for (let step = 0; step < 40; step++) {
        const path = randomPath()
        if (random(3) === 0) {
          truth.delete(path)
          live.delete(path)
        } else {
          const changed = folder(path, [`https://o${random(5)}.example`])
          truth.set(path, changed)
          live.set(compileFolder(changed))
        }
        const full = compilePolicyTable([...truth.values()])
        for (const probe of probes) {
          const [got, want] = [live.resolve(probe).folder, full.resolve(probe).folder]
          expect({ probe, path: got.path, id: got.id }).toEqual({ probe, path: want.path, id: want.id })
        }
        expect(live.folders.map((f) => f.folder.path)).toEqual(full.folders.map((f) => f.folder.path))
      }
    }
  })
})

describe('FolderTable compiles lazily', () => {
  it('compiles a stored folder on the first request that resolves to it, and answers the same object after', () => {
    const table = new FolderTable()
    const stored = folder('/lazy/', ['https://lazy.example'])
    table.set(stored)
    const first = table.resolve('/lazy/a.png')
    expect(first.folder).toBe(stored)
    expect(first.matchOrigin('https://lazy.example').matched).toBe(true)
    expect(table.resolve('/lazy/b/c.png')).toBe(first)
    // A new version of the folder is a new compiled folder: the decision memo starts afresh.
    table.set(folder('/lazy/', []))
    expect(table.resolve('/lazy/a.png')).not.toBe(first)
  })
})
