import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkpointInBackground } from '../../src/db/sqlite/checkpointer'
import { FolderRepo } from '../../src/db/folder-repo'
import { LivePolicyTable } from '../../src/db/sqlite/live-policy-table'
import { migrate } from '../../src/db/sqlite/migrate'
import { openDb, setLockWait, type Db } from '../../src/db/sqlite/open'
import { SqliteDatabase } from '../../src/db/sqlite/sqlite-database'
import { PackedFolderReader } from '../../src/db/packed-folder-reader'
import { FolderTable } from '../../src/policy/table'
import { DEFAULT_POLICY } from '../../src/policy/types'

let dir = ''
let db: Db
const dbFile = () => join(dir, 'crossport.db')

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'crossport-db-scale-'))
  db = openDb(dbFile())
  migrate(db)
})

afterEach(() => {
  if (db.open) db.close()
  rmSync(dir, { recursive: true, force: true })
})

const policy = (origins: string[], overrides: Partial<typeof DEFAULT_POLICY> = {}) => ({ ...DEFAULT_POLICY, ...overrides, origins })

describe('PackedFolderReader: folders as the policy table keeps them', () => {
  it('unpacks to exactly the folder FolderRepo reads, origins in their order', async () => {
    const repo = new FolderRepo(new SqliteDatabase(db, { busyBudgetMs: 0 }))
    const created = await repo.create('/a/', policy(['https://b.example', 'https://a.example', 'https://*.c.example'], { maxAge: 5, mode: 'strict' }))
    await repo.removeOrigin(created.id, 'https://b.example')
    await repo.addOrigin(created.id, 'https://b.example')
    await repo.create('/empty/', policy([]))

    const table = new FolderTable()
    const reader = new PackedFolderReader(db)
    for (const packed of reader.page('', 10)) table.set(packed)
    for (const folderPath of ['/', '/a/', '/empty/']) {
      expect(table.get(folderPath)?.folder).toEqual(await repo.findByPath(folderPath))
    }
    expect(table.get('/a/')?.folder.policy.origins).toEqual(['https://a.example', 'https://*.c.example', 'https://b.example'])
    expect(reader.findByPath('/missing/')).toBeUndefined()
  })

  it('gives folders with the same policy fields one shared shape', async () => {
    const repo = new FolderRepo(new SqliteDatabase(db, { busyBudgetMs: 0 }))
    await repo.create('/x/', policy(['https://x.example']))
    await repo.create('/y/', policy(['https://y.example']))
    await repo.create('/z/', policy(['https://x.example'], { maxAge: 1 }))
    const reader = new PackedFolderReader(db)
    const [x, y, z] = ['/x/', '/y/', '/z/'].map((p) => reader.findByPath(p))
    expect(x?.shape).toBe(y?.shape)
    expect(z?.shape).not.toBe(x?.shape)
    expect(z?.shape.maxAge).toBe(1)
  })
})

describe('what a change costs with a large log and many folders', () => {
  /** The query plan of every statement the live table prepares, bound with nulls. */
  function plansOfLiveTable(): string[] {
    const sqls: string[] = []
    const prepare = db.prepare.bind(db)
    const spy = jest.spyOn(db, 'prepare').mockImplementation(((sql: string) => {
      sqls.push(sql)
      return prepare(sql)
    }) as typeof db.prepare)
    new LivePolicyTable(db, 0)
    spy.mockRestore()
    return sqls
      .filter((sql) => !sql.startsWith('PRAGMA'))
      .flatMap((sql) => {
        const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => null)
        return db
          .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
          .all(...params)
          .map((row) => row.detail)
      })
  }

  it('never scans the change log or a whole table: catch-up and loading are index lookups and ranges', () => {
    const plans = plansOfLiveTable()
    expect(plans.length).toBeGreaterThan(0)
    expect(plans.filter((detail) => /^SCAN (policy_changes|folders|folder_origins)\b/.test(detail))).toEqual([])
    // A folder's origins come from the index alone, in order.
    expect(plans).toContain('SEARCH o USING COVERING INDEX folder_origins_order (folder_id=?)')
  })
})

describe('checkpointInBackground(db)', () => {
  const fileSize = () => statSync(dbFile()).size
  const writePages = (count: number) => {
    db.exec('CREATE TABLE IF NOT EXISTS filler (b BLOB)')
    const insert = db.prepare('INSERT INTO filler (b) VALUES (randomblob(3000))')
    db.transaction(() => {
      for (let i = 0; i < count; i++) insert.run()
    })()
  }

  it('keeps checkpoints out of the commits of a serving connection, and checkpoints on its own thread', async () => {
    setLockWait(db, 'fail-fast')
    const checkpointer = checkpointInBackground(db, { intervalMs: 60_000 })
    const before = fileSize()
    // Past SQLite's default of 1,000 WAL pages, which the committing call would checkpoint itself.
    writePages(1500)
    expect(fileSize()).toBe(before)
    await checkpointer.close()
    expect(fileSize()).toBeGreaterThan(before + 1500 * 3000)
  })

  it('checkpoints on its interval while the serving connection keeps writing', async () => {
    const checkpointer = checkpointInBackground(db, { intervalMs: 10 })
    const before = fileSize()
    writePages(1500)
    try {
      for (let waited = 0; fileSize() <= before + 1500 * 3000 && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10))
      expect(fileSize()).toBeGreaterThan(before + 1500 * 3000)
    } finally {
      await checkpointer.close()
    }
  })
})
