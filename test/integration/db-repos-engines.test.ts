/**
 * The one set of repositories gives the same answers on both engines: each
 * case runs on a migrated SQLite file and on a migrated PostgreSQL database,
 * and what it returns is compared with the same expectations.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuditRepo } from '../../src/db/audit-repo'
import { FolderRepo } from '../../src/db/folder-repo'
import { openPostgres } from '../../src/db/postgres/database'
import { migratePostgres } from '../../src/db/postgres/migrate'
import { PurgeOutboxRepo } from '../../src/db/purge-outbox-repo'
import { BOOTSTRAP_TOKEN_ID, DEMO_FOLDER, ensureBootstrapToken, seedDemoPolicy } from '../../src/db/seed'
import type { SqlDatabase } from '../../src/db/sql'
import { openSqlite } from '../../src/db/sqlite/open-sqlite'
import { TokenRepo } from '../../src/db/token-repo'
import { DEFAULT_POLICY, type Policy } from '../../src/policy/types'
import { createTestDatabase } from '../helpers/postgres'

const policy = (origins: string[], overrides: Partial<Policy> = {}): Policy => ({ ...DEFAULT_POLICY, origins, ...overrides })
const NOW = '2026-01-02T03:04:05.678Z'

describe.each(['sqlite', 'postgres'] as const)('repositories on %s', (engine) => {
  let db: SqlDatabase
  let cleanUp: () => Promise<void>

  beforeEach(async () => {
    if (engine === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'crossport-repos-'))
      const handle = openSqlite(join(dir, 'crossport.db'), { busyBudgetMs: 5000 })
      await handle.migrate()
      db = handle.db
      cleanUp = async () => {
        await handle.close()
        rmSync(dir, { recursive: true, force: true })
      }
    } else {
      const database = await createTestDatabase()
      const pg = await openPostgres(database.url, { poolSize: 2 })
      await migratePostgres(pg)
      db = pg
      cleanUp = async () => {
        await pg.close()
        await database.drop()
      }
    }
  })

  afterEach(() => cleanUp())

  it('creates, reads, pages, changes and deletes folders with their origins in order', async () => {
    const folders = new FolderRepo(db)
    const brand = await db.transaction((tx) => new FolderRepo(tx).create('/brand/', policy(['https://b.example', 'https://a.example'], { credentials: true }), NOW))
    await folders.create('/brand/logos/', policy([]), NOW)
    await folders.create('/brand0/', policy(['*']), NOW)
    await folders.create('/z/', policy([]), NOW)
    expect(brand).toMatchObject({ id: expect.any(Number), path: '/brand/', createdAt: NOW, updatedAt: NOW })
    expect(brand.policy.origins).toEqual(['https://b.example', 'https://a.example'])
    expect(brand.policy.credentials).toBe(true)
    expect(await folders.get(brand.id)).toEqual(brand)
    expect((await folders.findByPath('/brand/'))?.id).toBe(brand.id)
    expect((await folders.list()).map((f) => f.path)).toEqual(['/', '/brand/', '/brand/logos/', '/brand0/', '/z/'])
    // Byte order on both engines: '/' sorts before '0'.
    expect((await folders.page({ limit: 10, prefix: '/brand/' })).map((f) => f.path)).toEqual(['/brand/', '/brand/logos/'])
    expect((await folders.page({ limit: 2, after: '/brand/' })).map((f) => f.path)).toEqual(['/brand/logos/', '/brand0/'])
    expect(await folders.addOrigin(brand.id, 'https://c.example', NOW)).toBe(true)
    expect(await folders.removeOrigin(brand.id, 'https://b.example', NOW)).toBe(true)
    expect(await folders.removeOrigin(brand.id, 'https://nope.example', NOW)).toBe(false)
    expect((await folders.get(brand.id))?.policy.origins).toEqual(['https://a.example', 'https://c.example'])
    const replaced = await folders.replacePolicy(brand.id, policy(['https://d.example'], { maxAge: 5, cdnCacheControl: 'max-age=9' }), NOW)
    expect(replaced?.policy).toMatchObject({ origins: ['https://d.example'], maxAge: 5, cdnCacheControl: 'max-age=9', credentials: false })
    expect(await folders.hasOthersThanRoot()).toBe(true)
    expect(await folders.delete(brand.id)).toBe(true)
    expect(await folders.delete(brand.id)).toBe(false)
    expect(await folders.get(brand.id)).toBeUndefined()
    // By message, not toThrow: on SQLite the error's class may come from another jest realm (see db.test.ts).
    await expect(folders.create('/z/', policy([]), NOW)).rejects.toMatchObject({ message: expect.stringMatching(/unique|duplicate/i) })
  })

  it('rolls a transaction back whole', async () => {
    await expect(
      db.transaction(async (tx) => {
        await new FolderRepo(tx).create('/half/', policy(['https://a.example']), NOW)
        await new AuditRepo(tx).record('ci', 'folder.create', '/half/', null, { path: '/half/' })
        throw new Error('stop')
      }),
    ).rejects.toThrow('stop')
    expect(await new FolderRepo(db).findByPath('/half/')).toBeUndefined()
    expect(await new AuditRepo(db).list({ limit: 10 })).toEqual([])
  })

  it('creates, verifies, counts and revokes tokens, and seeds the bootstrap token and demo policy once', async () => {
    const tokens = new TokenRepo(db)
    const { info, secret } = await tokens.create('ci', 'write')
    expect(await tokens.verify(secret)).toMatchObject({ id: info.id, name: 'ci', scope: 'write' })
    expect(await tokens.verify('wrong')).toBeUndefined()
    await tokens.markUsed(info.id, NOW)
    expect((await tokens.get(info.id))?.lastUsedAt).toBe(NOW)
    expect(await tokens.activeWriteCount()).toBe(1)
    expect(await tokens.revoke(info.id)).toBe(true)
    expect(await tokens.verify(secret)).toBeUndefined()
    expect(await tokens.activeWriteCount()).toBe(0)
    await ensureBootstrapToken(db, 'bootstrap-secret-0123456789')
    await ensureBootstrapToken(db, 'bootstrap-secret-0123456789')
    expect((await tokens.list()).map((t) => t.id).sort()).toEqual([BOOTSTRAP_TOKEN_ID, info.id].sort())
    expect(await seedDemoPolicy(db)).toBe(true)
    expect(await seedDemoPolicy(db)).toBe(false)
    expect(await new FolderRepo(db).findByPath(DEMO_FOLDER)).toBeDefined()
  })

  it('records and pages the audit log, filtered by target, with token names', async () => {
    const audit = new AuditRepo(db)
    const { info } = await new TokenRepo(db).create('named', 'read')
    await audit.record('ci', 'folder.create', '/a_b%/', null, { x: 1 })
    await audit.record('ci', 'token.create', info.id, null, { name: 'named' })
    await audit.record('ci', 'folder.delete', '/axb/', { x: 1 }, null)
    const all = await audit.list({ limit: 10 })
    expect(all.map((e) => [e.action, e.target])).toEqual([
      ['folder.delete', '/axb/'],
      ['token.create', info.id],
      ['folder.create', '/a_b%/'],
    ])
    expect(all.every((e) => typeof e.id === 'number')).toBe(true)
    expect(all[1]?.targetName).toBe('named')
    expect(all[2]?.after).toEqual({ x: 1 })
    expect((await audit.list({ limit: 10, target: '/a_b%/' })).map((e) => e.target)).toEqual(['/a_b%/'])
    expect((await audit.list({ limit: 10, beforeId: all[0]!.id })).length).toBe(2)
  })

  it('queues purges, claims each due one once under a lease, and counts them', async () => {
    const outbox = new PurgeOutboxRepo(db)
    const id = await outbox.enqueue(['t1'], ['/a.css'], 1_000)
    await outbox.enqueue(['t2'], ['/b.css'], 1_000)
    expect(typeof id).toBe('number')
    const [first, second] = await Promise.all([outbox.claimDue(2_000, 1, 30_000), outbox.claimDue(2_000, 1, 30_000)])
    const claimed = [...first!, ...second!].map((p) => p.id)
    expect(new Set(claimed).size).toBe(claimed.length)
    expect(await outbox.claimDue(2_000, 10, 30_000)).toHaveLength(2 - claimed.length)
    await outbox.markDone(id, 3_000)
    expect(await outbox.counts()).toMatchObject({ done: 1 })
    expect(await outbox.pruneDone(4_000)).toBe(1)
    expect((await outbox.get(id))).toBeUndefined()
  })
})
