import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { AuditRepo } from '../../src/db/audit-repo'
import { migrate } from '../../src/db/sqlite/migrate'
import { openDb } from '../../src/db/sqlite/open'
import { SqliteDatabase } from '../../src/db/sqlite/sqlite-database'

let dir: string
let db: SqliteDatabase

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'crossport-sqlite-seam-'))
  const raw = openDb(join(dir, 'crossport.db'))
  migrate(raw)
  db = new SqliteDatabase(raw, { busyBudgetMs: 1000 })
})

afterEach(async () => {
  await db.close()
  rmSync(dir, { recursive: true, force: true })
})

const targets = async (): Promise<string[]> => (await db.all<{ target: string }>('SELECT target FROM audit_log ORDER BY id')).map((r) => r.target)

describe('SqliteDatabase', () => {
  it('binds $n placeholders by number, a reused one included, and answers counts as numbers', async () => {
    await db.run('INSERT INTO audit_log (at, actor, action, target) VALUES ($2, $1, $1, $3)', ['same', 'now', '/x'])
    expect(await db.get('SELECT actor, action, at, target FROM audit_log')).toEqual({ actor: 'same', action: 'same', at: 'now', target: '/x' })
    expect(await db.get('SELECT COUNT(*) AS n FROM audit_log WHERE actor = $1', ['same'])).toEqual({ n: 1 })
  })

  it('keeps the statements of the rest of the process out of an open transaction', async () => {
    // The transaction waits for a timer: without the lock, the statement issued meanwhile
    // would run on the one connection inside it, and roll back with it.
    const failing = db.transaction(async (tx) => {
      await new AuditRepo(tx).record('test', 'inside', '/inside', null, null)
      await sleep(30)
      throw new Error('the change failed')
    })
    const outside = new AuditRepo(db).record('test', 'outside', '/outside', null, null)
    await expect(failing).rejects.toThrow('the change failed')
    await outside
    expect(await targets()).toEqual(['/outside'])
  })

  it('runs transactions of one process one after the other, each seeing what the one before committed', async () => {
    const appendAfterLast = (label: string) =>
      db.transaction(async (tx) => {
        const last = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM audit_log')
        await sleep(5)
        await new AuditRepo(tx).record('test', 'append', `${label}:${last?.n ?? 0}`, null, null)
      })
    await Promise.all([appendAfterLast('a'), appendAfterLast('b'), appendAfterLast('c')])
    expect(await targets()).toEqual(['a:0', 'b:1', 'c:2'])
  })
})
