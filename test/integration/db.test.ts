import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuditRepo } from '../../src/db/audit-repo'
import { FolderRepo } from '../../src/db/folder-repo'
import { LivePolicyTable } from '../../src/db/sqlite/live-policy-table'
import { migrate, MIGRATIONS_DIR, schemaVersion } from '../../src/db/sqlite/migrate'
import { openDb, setLockWait, type Db } from '../../src/db/sqlite/open'
import { SqliteDatabase } from '../../src/db/sqlite/sqlite-database'
import { BOOTSTRAP_TOKEN_ID, DEMO_FOLDER, ensureBootstrapToken, seedDemoPolicy } from '../../src/db/seed'
import { TokenRepo } from '../../src/db/token-repo'
import { DEFAULT_POLICY } from '../../src/policy/types'

let dir: string
let path: string
let db: Db
/** The same connection behind the engine-neutral seam, as the repositories take it. */
let sql: SqliteDatabase
const wrap = (raw: Db, busyBudgetMs = 5000) => new SqliteDatabase(raw, { busyBudgetMs })

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'crossport-db-'))
  path = join(dir, 'nested', 'crossport.db')
  db = openDb(path)
  sql = wrap(db)
})

afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('openDb(path)', () => {
  it('creates the parent folder and uses WAL, foreign keys and a busy timeout', () => {
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000)
  })

  it("fails fast on another connection's lock once set for serving", () => {
    setLockWait(db, 'fail-fast')
    expect(db.pragma('busy_timeout', { simple: true })).toBe(0)
    const other = openDb(path)
    other.exec('BEGIN IMMEDIATE')
    const startedAtMs = performance.now()
    try {
      expect(() => db.exec('BEGIN IMMEDIATE')).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }))
      expect(performance.now() - startedAtMs).toBeLessThan(500)
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
  })
})

describe('SqliteDatabase.transaction(work)', () => {
  let other: Db

  beforeEach(() => {
    migrate(db)
    setLockWait(db, 'fail-fast')
    other = openDb(path)
    other.exec('BEGIN IMMEDIATE')
  })

  afterEach(() => {
    if (other.inTransaction) other.exec('ROLLBACK')
    other.close()
  })

  const countAudit = () => (db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n

  it('waits on timers while another connection holds the write lock, then commits', async () => {
    // The lock goes away on a timer: a synchronous wait would block that timer itself.
    setTimeout(() => other.exec('ROLLBACK'), 100)
    let runs = 0
    const startedAtMs = performance.now()
    await wrap(db, 3000).transaction(async (tx) => {
      runs++
      await new AuditRepo(tx).record('test', 'noop', '/', null, null)
    })
    expect(performance.now() - startedAtMs).toBeGreaterThanOrEqual(90)
    expect(performance.now() - startedAtMs).toBeLessThan(1500)
    expect(runs).toBe(1)
    expect(countAudit()).toBe(1)
  })

  it('gives up with SQLITE_BUSY after the budget, having written nothing', async () => {
    const outcome = wrap(db, 100).transaction((tx) => new AuditRepo(tx).record('test', 'noop', '/', null, null))
    await expect(outcome).rejects.toMatchObject({ code: 'SQLITE_BUSY' })
    other.exec('ROLLBACK')
    expect(countAudit()).toBe(0)
  })
})

describe('migrate(db)', () => {
  it('applies every migration once and records it', async () => {
    const shipped = readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort().map((f) => Number(f.slice(0, 4)))
    const first = migrate(db)
    expect(first.map((m) => m.version)).toEqual(shipped)
    expect(shipped.slice(0, 2)).toEqual([1, 2])
    expect(migrate(db)).toEqual([])
    expect(schemaVersion(db)).toBe(shipped[shipped.length - 1])
  })

  it('creates the root folder with no cross-origin access', async () => {
    migrate(db)
    const root = await new FolderRepo(sql).findByPath('/')
    expect(root?.policy.origins).toEqual([])
    expect(root?.policy.mode).toBe('cors')
  })

  it('0002 (signed URLs) keeps every token and folder of a 0001 database, with signedUrls off and the sign scope allowed', async () => {
    const v1 = join(dir, 'v1')
    mkdirSync(v1)
    writeFileSync(join(v1, '0001_init.sql'), readFileSync(join(MIGRATIONS_DIR, '0001_init.sql')))
    migrate(db, v1)
    const tokens = new TokenRepo(sql)
    const { info, secret } = await tokens.create('old', 'write')
    // The repo speaks the current schema, so the old row goes in as 0001 knew it.
    db.prepare(`INSERT INTO folders (path, methods, allow_headers, expose_headers, max_age, credentials, mode, cache_control, created_at, updated_at)
      VALUES ('/old/', '["GET"]', '[]', '[]', 60, 0, 'cors', 'public', 'now', 'now')`).run()
    migrate(db)
    expect(await tokens.verify(secret)).toMatchObject({ id: info.id, scope: 'write' })
    expect((await new FolderRepo(sql).findByPath('/old/'))?.policy).toMatchObject({ methods: ['GET'], signedUrls: 'off' })
    expect((await new TokenRepo(sql).create('minter', 'sign')).info.scope).toBe('sign')
  })

  it('rolls a failing migration back entirely and records nothing', async () => {
    const migrations = join(dir, 'migrations')
    mkdirSync(migrations)
    writeFileSync(join(migrations, '0001_ok.sql'), 'CREATE TABLE a (x INTEGER);')
    writeFileSync(join(migrations, '0002_broken.sql'), 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);')
    expect(() => migrate(db, migrations)).toThrow(/nowhere/)
    expect(schemaVersion(db)).toBe(1)
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('a', 'b')").all()
    expect(tables).toEqual([{ name: 'a' }])
  })
})

describe('FolderRepo', () => {
  beforeEach(() => migrate(db))

  it('stores a policy with its origins in order and deletes origins with the folder', async () => {
    const repo = new FolderRepo(sql)
    const folder = await repo.create('/brand/', { ...DEFAULT_POLICY, origins: ['https://b.example', 'https://a.example'] })
    expect((await repo.get(folder.id))?.policy.origins).toEqual(['https://b.example', 'https://a.example'])
    expect(await repo.addOrigin(folder.id, 'https://a.example')).toBe(false)
    expect(await repo.addOrigin(folder.id, 'https://c.example')).toBe(true)
    expect(await repo.delete(folder.id)).toBe(true)
    expect(db.prepare('SELECT COUNT(*) AS n FROM folder_origins WHERE folder_id = ?').get(folder.id)).toEqual({ n: 0 })
  })

  it('never gives a new folder the id of a deleted one', async () => {
    const repo = new FolderRepo(sql)
    const first = await repo.create('/old/', { ...DEFAULT_POLICY, origins: [] })
    expect(await repo.delete(first.id)).toBe(true)
    const second = await repo.create('/new/', { ...DEFAULT_POLICY, origins: [] })
    expect(second.id).not.toBe(first.id)
    expect(await repo.get(first.id)).toBeUndefined()
  })

  it('refuses a second folder with the same path', async () => {
    const repo = new FolderRepo(sql)
    await repo.create('/x/', { ...DEFAULT_POLICY, origins: [] })
    // Matched by its message, not with toThrow: better-sqlite3's native part keeps the SqliteError class of the
    // first test file in this jest worker, whose Error is another realm's, so `instanceof Error` fails here.
    await expect(repo.create('/x/', { ...DEFAULT_POLICY, origins: [] })).rejects.toMatchObject({ message: expect.stringMatching(/UNIQUE/) })
  })
})

describe('LivePolicyTable', () => {
  beforeEach(() => migrate(db))

  it('sees a change made by another connection on the next check', async () => {
    let reloads = 0
    const table = new LivePolicyTable(db, 0, () => reloads++)
    expect(table.current().folders.map((f) => f.folder.path)).toEqual(['/'])

    const other = openDb(path)
    await new FolderRepo(wrap(other)).create('/brand/', { ...DEFAULT_POLICY, origins: ['https://shop.example'] })
    other.close()

    expect(table.current().folders.map((f) => f.folder.path)).toEqual(['/', '/brand/'])
    expect(reloads).toBe(1)
  })

  it('does not recompile when another connection changed something unrelated', async () => {
    let reloads = 0
    const table = new LivePolicyTable(db, 0, () => reloads++)
    const other = openDb(path)
    await new AuditRepo(wrap(other)).record('test', 'noop', '/', null, null)
    other.close()
    table.current()
    expect(reloads).toBe(0)
  })

  /** Makes the next statement read (any statement) fail with SQLITE_BUSY, as during WAL recovery. */
  const failNextRead = () => {
    const statementProto = Object.getPrototypeOf(db.prepare('SELECT 1')) as { get: (...args: unknown[]) => unknown }
    return jest.spyOn(statementProto, 'get').mockImplementationOnce(() => {
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
    })
  }

  it('answers from memory when a check finds the database busy, and reloads at the next check', async () => {
    const table = new LivePolicyTable(db, 0)
    const other = openDb(path)
    await new FolderRepo(wrap(other)).create('/brand/', { ...DEFAULT_POLICY, origins: [] })
    other.close()
    const busy = failNextRead()
    try {
      expect(table.current().folders.map((f) => f.folder.path)).toEqual(['/'])
    } finally {
      busy.mockRestore()
    }
    expect(table.current().folders.map((f) => f.folder.path)).toEqual(['/', '/brand/'])
  })

  it('an invalidate that finds the database busy does not throw; the next check reloads', async () => {
    const table = new LivePolicyTable(db, 0)
    // This connection's own change: data_version does not move for it, so only the pending reload catches it.
    await new FolderRepo(sql).create('/own/', { ...DEFAULT_POLICY, origins: [] })
    const busy = failNextRead()
    try {
      expect(() => table.invalidate()).not.toThrow()
    } finally {
      busy.mockRestore()
    }
    expect(table.current().folders.map((f) => f.folder.path)).toEqual(['/', '/own/'])
  })

  it('waits pollMs between checks', async () => {
    const table = new LivePolicyTable(db, 60_000)
    table.current()
    const other = openDb(path)
    await new FolderRepo(wrap(other)).create('/later/', { ...DEFAULT_POLICY, origins: [] })
    other.close()
    expect(table.current().folders.map((f) => f.folder.path)).toEqual(['/'])
    table.invalidate()
    expect(table.current().folders.map((f) => f.folder.path)).toEqual(['/', '/later/'])
  })
})

describe('admin tokens', () => {
  beforeEach(() => migrate(db))

  it('generates a bootstrap token once when none is configured, storing only its hash', async () => {
    const secret = await ensureBootstrapToken(sql, undefined)
    expect(secret).toMatch(/^cpt_/)
    expect(await ensureBootstrapToken(sql, undefined)).toBeUndefined()
    const stored = db.prepare('SELECT hash FROM tokens').all() as { hash: string }[]
    expect(stored).toHaveLength(1)
    expect(stored[0]?.hash).not.toContain(secret as string)
    expect((await new TokenRepo(sql).verify(secret as string))?.id).toBe(BOOTSTRAP_TOKEN_ID)
  })

  it('generates one when only read tokens are active: they cannot manage anything', async () => {
    const tokens = new TokenRepo(sql)
    await tokens.create('dashboard', 'read')
    const secret = await ensureBootstrapToken(sql, undefined)
    expect(secret).toMatch(/^cpt_/)
    expect((await tokens.verify(secret as string))?.scope).toBe('write')
  })

  it('follows ADMIN_TOKEN when it is configured and changed', async () => {
    const tokens = new TokenRepo(sql)
    await ensureBootstrapToken(sql, 'first-secret-value-123')
    await ensureBootstrapToken(sql, 'second-secret-value-456')
    expect(await tokens.verify('first-secret-value-123')).toBeUndefined()
    expect((await tokens.verify('second-secret-value-456'))?.scope).toBe('write')
  })

  it('rejects revoked and unknown secrets', async () => {
    const tokens = new TokenRepo(sql)
    const { info, secret } = await tokens.create('ci', 'read')
    expect((await tokens.verify(secret))?.name).toBe('ci')
    expect(await tokens.revoke(info.id)).toBe(true)
    expect(await tokens.verify(secret)).toBeUndefined()
    expect(await tokens.verify('cpt_not-a-token')).toBeUndefined()
  })
})

describe('seedDemoPolicy(db)', () => {
  beforeEach(() => migrate(db))

  it('shares /demo/ once on a new database and never again after it was deleted', async () => {
    expect(await seedDemoPolicy(sql)).toBe(true)
    const repo = new FolderRepo(sql)
    const demo = await repo.findByPath(DEMO_FOLDER)
    expect(demo?.policy.origins.length).toBeGreaterThan(0)
    await repo.delete(demo?.id as number)
    expect(await seedDemoPolicy(sql)).toBe(false)
    expect(await repo.findByPath(DEMO_FOLDER)).toBeUndefined()
  })

  it('leaves a database that already has folders alone', async () => {
    await new FolderRepo(sql).create('/mine/', { ...DEFAULT_POLICY, origins: [] })
    expect(await seedDemoPolicy(sql)).toBe(false)
  })
})

describe('AuditRepo.list({ target })', () => {
  beforeEach(() => migrate(db))

  it.each([
    ['/brand', '/brand', true],
    ['/brand/', '/brand', true],
    ['/brand/logo.png', '/brand', true],
    ['/brand/a/b.png', '/brand', true],
    ['/brandx/', '/brand', false],
    ['/brandx/logo.png', '/brand', false],
    ['/brand.png', '/brand', false],
    ['/bran', '/brand', false],
    ['/brand/', '/brand/', true],
    ['/brand/logo.png', '/brand/', true],
    ['/brand', '/brand/', false],
    ['/brandx/', '/brand/', false],
    ['/axb/x.png', '/a_b', false],
    ['/a%b/x.png', '/a%b', true],
    ['/anything', '/', true],
    ['tok_abc', 'tok_abc', true],
    ['tok_abcd', 'tok_abc', false],
  ])('an entry for %s is under the filter %s: %s', async (target, filter, expected) => {
    const audit = new AuditRepo(sql)
    await audit.record('test', 'asset.upload', target, null, null)
    expect((await audit.list({ limit: 10, target: filter })).map((e) => e.target)).toEqual(expected ? [target] : [])
  })

  it('fills the page with matches even when near misses are newer', async () => {
    const audit = new AuditRepo(sql)
    await audit.record('test', 'asset.upload', '/brand/a.png', null, null)
    for (let i = 0; i < 5; i++) await audit.record('test', 'asset.upload', `/brandx/${i}.png`, null, null)
    await audit.record('test', 'asset.upload', '/brand/b.png', null, null)
    expect((await audit.list({ limit: 2, target: '/brand' })).map((e) => e.target)).toEqual(['/brand/b.png', '/brand/a.png'])
  })
})
