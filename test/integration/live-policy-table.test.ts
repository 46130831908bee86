import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FolderRepo } from '../../src/db/folder-repo'
import { LivePolicyTable } from '../../src/db/sqlite/live-policy-table'
import { migrate } from '../../src/db/sqlite/migrate'
import { openDb, type Db } from '../../src/db/sqlite/open'
import { SqliteDatabase } from '../../src/db/sqlite/sqlite-database'
import type { CompiledFolder } from '../../src/policy/table'
import { DEFAULT_POLICY } from '../../src/policy/types'

let dir: string
let path: string
let db: Db
let other: Db

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'crossport-live-'))
  path = join(dir, 'crossport.db')
  db = openDb(path)
  migrate(db)
  other = openDb(path)
})

afterEach(() => {
  other.close()
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

const policy = (origins: string[] = []) => ({ ...DEFAULT_POLICY, origins })

/** The repositories over one raw connection. */
const foldersOn = (target: Db): FolderRepo => new FolderRepo(new SqliteDatabase(target, { busyBudgetMs: 0 }))

async function createMany(target: Db, count: number): Promise<void> {
  await new SqliteDatabase(target, { busyBudgetMs: 0 }).transaction(async (tx) => {
    const repo = new FolderRepo(tx)
    for (let i = 0; i < count; i++) await repo.create(`/t${i}/`, policy([`https://t${i}.example`]))
  })
}

/** Every compiled folder by path, to tell which ones a change replaced. */
const snapshot = (table: LivePolicyTable): Map<string, CompiledFolder> => new Map(table.current().folders.map((f) => [f.folder.path, f]))

function expectOnlyReplaced(before: Map<string, CompiledFolder>, table: LivePolicyTable, changed: readonly string[]): void {
  const after = snapshot(table)
  for (const [folderPath, compiled] of before) {
    if (changed.includes(folderPath)) expect(after.get(folderPath)).not.toBe(compiled)
    else expect({ folderPath, same: after.get(folderPath) === compiled }).toEqual({ folderPath, same: true })
  }
}

describe('LivePolicyTable: incremental changes', () => {
  it("recompiles only the folder this process changed, not every folder", async () => {
    await createMany(db, 50)
    const repo = foldersOn(db)
    const table = new LivePolicyTable(db, 60_000)
    const before = snapshot(table)

    const target = await repo.findByPath('/t7/')
    await repo.addOrigin(target?.id ?? 0, 'https://new.example')
    await table.invalidate()

    expect(table.current().resolve('/t7/a.png').matchOrigin('https://new.example').matched).toBe(true)
    expectOnlyReplaced(before, table, ['/t7/'])
  })

  it("applies another process's create and delete of one folder, giving its subtree back to the parent", async () => {
    await createMany(db, 20)
    const otherRepo = foldersOn(other)
    await otherRepo.create('/a/', policy(['https://a.example']))
    const table = new LivePolicyTable(db, 0)
    const before = snapshot(table)

    const created = await otherRepo.create('/a/b/', policy(['https://b.example', 'https://c.example']))
    expect(table.current().resolve('/a/b/c/x.png').folder.path).toBe('/a/b/')
    expectOnlyReplaced(before, table, [])

    // The origins go by cascade once the folder row is gone: the folder's own entry covers them.
    await otherRepo.delete(created.id)
    expect(table.current().resolve('/a/b/c/x.png').folder.path).toBe('/a/')
    expect(table.current().get('/a/b/')).toBeUndefined()
    expectOnlyReplaced(before, table, [])
  })

  it('rebuilds in chunks between turns of the event loop when the log no longer reaches back, keeping changes visible meanwhile', async () => {
    await createMany(db, 1_200)
    const table = new LivePolicyTable(db, 0)
    const otherRepo = foldersOn(other)
    await otherRepo.create('/x/', policy(['https://x.example']))
    await otherRepo.create('/y/', policy(['https://y.example']))
    // As if pruned: the entries after what the table has seen are partly gone.
    const { latest } = other.prepare('SELECT MAX(seq) AS latest FROM policy_changes').get() as { latest: number }
    other.prepare('DELETE FROM policy_changes WHERE seq < ?').run(latest)

    // The check starts the rebuild and answers with the table in force: nothing ran to completion synchronously.
    expect(table.current().resolve('/x/1.png').folder.path).toBe('/')
    let turns = 0
    let done = false
    const count = () => {
      turns++
      if (!done) setImmediate(count)
    }
    setImmediate(count)

    // This process's own change reaches requests at once, rebuild or not.
    await foldersOn(db).create('/z/', policy(['https://z.example']))
    await table.invalidate()
    expect(table.current().resolve('/z/1.png').folder.path).toBe('/z/')

    await table.settled()
    done = true
    // 1,203 folders are three chunks of 500: other callbacks ran between the first and second, and the second and third.
    expect(turns).toBeGreaterThanOrEqual(2)
    const current = table.current()
    expect(current.resolve('/x/1.png').folder.path).toBe('/x/')
    expect(current.resolve('/y/1.png').folder.path).toBe('/y/')
    expect(current.resolve('/z/1.png').folder.path).toBe('/z/')
    expect(current.resolve('/t1199/1.png').folder.path).toBe('/t1199/')
    expect(current.size).toBe(1 + 1_200 + 3)
  })

  it('rebuilds in full when too many folders changed at once for a catch-up', async () => {
    const table = new LivePolicyTable(db, 0)
    await createMany(other, 300)
    table.current()
    await table.settled()
    expect(table.current().size).toBe(301)
    expect(table.current().resolve('/t299/a').folder.path).toBe('/t299/')
  })
})
