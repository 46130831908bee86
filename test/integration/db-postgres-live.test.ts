/**
 * PgLivePolicies against a real PostgreSQL: two "hosts" (each its own pool
 * and LISTEN connection) on one database, a change through one in force on
 * the other within 100 ms, and the database going away and coming back.
 */
import { openPostgres, type PgDatabase } from '../../src/db/postgres/database'
import { PgLivePolicies } from '../../src/db/postgres/live-policies'
import { migratePostgres } from '../../src/db/postgres/migrate'
import { notifyChange, type ChangeNotice } from '../../src/db/postgres/notices'
import type { SqlDatabase } from '../../src/db/sql'
import { createTestDatabase, startPostgres, withDatabase, type PrivatePostgres, type TestDatabase } from '../helpers/postgres'

const PROPAGATION_MS = 100
const closers: Array<() => Promise<void>> = []

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function openHost(url: string, pollMs = 100, onError?: (error: Error) => void): Promise<{ db: PgDatabase; policies: PgLivePolicies }> {
  const db = await openPostgres(url, { poolSize: 2 })
  closers.push(() => db.close())
  const policies = await PgLivePolicies.open(db, { pollMs, ...(onError ? { onError } : {}) })
  closers.push(() => policies.close())
  return { db, policies }
}

/** Resolves with the ms it took `check` to hold, polling every ms; rejects after `timeoutMs`. */
async function waitFor(check: () => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now()
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  return performance.now() - started
}

/** A folder copied from `/` with `origins`, in one transaction (as the admin API writes one). */
async function createFolder(db: SqlDatabase, path: string, origins: readonly string[] = []): Promise<void> {
  await db.transaction(async (tx) => {
    const folder = await tx.get<{ id: number }>(
      `INSERT INTO folders (path, methods, allow_headers, expose_headers, max_age, credentials, mode, cache_control, created_at, updated_at)
       SELECT $1, methods, allow_headers, expose_headers, max_age, credentials, mode, cache_control, created_at, updated_at FROM folders WHERE path = '/'
       RETURNING id`,
      [path],
    )
    for (const [position, origin] of origins.entries()) {
      await tx.run('INSERT INTO folder_origins (folder_id, origin, position) VALUES ($1, $2, $3)', [folder!.id, origin, position])
    }
  })
}

const originsOf = (policies: PgLivePolicies, path: string) => policies.current().get(path)?.folder.policy.origins

describe('on one shared database', () => {
  let database: TestDatabase

  beforeEach(async () => {
    database = await createTestDatabase()
    closers.push(() => database.drop())
    const db = await openPostgres(database.url, { poolSize: 1 })
    await migratePostgres(db)
    await createFolder(db, '/before/', ['https://early.example'])
    await db.close()
  })

  it('loads every folder at start', async () => {
    const { policies } = await openHost(database.url)
    expect(originsOf(policies, '/before/')).toEqual(['https://early.example'])
    expect(policies.current().get('/')?.folder.policy.origins).toEqual([])
    expect(policies.health()).toBe('ok')
  })

  it(`puts a change committed through one host in force on the other within ${PROPAGATION_MS} ms`, async () => {
    const a = await openHost(database.url)
    // A long poll: only the notification can bring the change in time.
    const b = await openHost(database.url, 60_000)
    const timings: number[] = []
    const propagation = async (change: () => Promise<unknown>, check: () => boolean) => {
      await change()
      timings.push(await waitFor(check, 2_000))
    }
    await propagation(
      () => createFolder(a.db, '/brand/', ['https://a.example', 'https://b.example']),
      () => originsOf(b.policies, '/brand/')?.join() === 'https://a.example,https://b.example',
    )
    await propagation(
      () => a.db.run("DELETE FROM folder_origins WHERE origin = 'https://a.example'"),
      () => originsOf(b.policies, '/brand/')?.join() === 'https://b.example',
    )
    await propagation(
      () => a.db.run("UPDATE folders SET max_age = 42 WHERE path = '/brand/'"),
      () => b.policies.current().get('/brand/')?.folder.policy.maxAge === 42,
    )
    await propagation(
      () => a.db.run("DELETE FROM folders WHERE path = '/before/'"),
      () => b.policies.current().get('/before/') === undefined,
    )
    expect(Math.max(...timings)).toBeLessThanOrEqual(PROPAGATION_MS)
  })

  it('reads everything again when one transaction changed more folders than a catch-up reads one by one', async () => {
    const a = await openHost(database.url, 60_000)
    const b = await openHost(database.url, 60_000)
    await a.db.transaction(async (tx) => {
      // 250 folders: more than the 200 a catch-up reads by path.
      for (let i = 0; i < 250; i++) await tx.run(`INSERT INTO folders (path, methods, allow_headers, expose_headers, max_age, credentials, mode, cache_control, created_at, updated_at)
        SELECT $1, methods, allow_headers, expose_headers, max_age, credentials, mode, cache_control, created_at, updated_at FROM folders WHERE path = '/'`, [`/bulk${i}/`])
      await tx.run("DELETE FROM folders WHERE path = '/before/'")
    })
    await waitFor(() => b.policies.current().size === 251, 5_000)
    expect(b.policies.current().get('/bulk249/')).toBeDefined()
    expect(b.policies.current().get('/before/')).toBeUndefined()
  })

  it('has the change of this process in force once invalidate() settles', async () => {
    const a = await openHost(database.url, 60_000)
    await createFolder(a.db, '/mine/', ['https://mine.example'])
    await a.policies.invalidate()
    expect(originsOf(a.policies, '/mine/')).toEqual(['https://mine.example'])
  })

  it('tells subscribers about token and asset changes', async () => {
    const a = await openHost(database.url)
    const b = await openHost(database.url)
    const heard: ChangeNotice[] = []
    b.policies.onChange((notice) => heard.push(notice))
    await a.db.run("INSERT INTO tokens (id, name, scope, hash, created_at) VALUES ('t1', 'ci', 'write', 'h1', 'now')")
    await a.db.run("UPDATE tokens SET revoked_at = 'now' WHERE id = 't1'")
    await a.db.transaction((tx) => notifyChange(tx, { kind: 'asset', path: '/brand/logo.png' }))
    await waitFor(() => heard.length >= 2, 2_000)
    expect(heard).toEqual([{ kind: 'token' }, { kind: 'asset', path: '/brand/logo.png' }])
  })

  it('still catches up, within POLICY_POLL_MS, on a change whose notification never came', async () => {
    const a = await openHost(database.url)
    const b = await openHost(database.url, 50)
    // The trigger as it is, minus its NOTIFY: the change is logged and the version bumped, but nobody is told.
    await a.db.run(`DO $$ BEGIN
      EXECUTE replace(pg_get_functiondef('crossport_policy_changed'::regproc), 'PERFORM pg_notify', '-- ');
    END $$`)
    await createFolder(a.db, '/quiet/', ['https://quiet.example'])
    const ms = await waitFor(() => originsOf(b.policies, '/quiet/') !== undefined, 2_000)
    expect(ms).toBeLessThan(1_000)
    expect(originsOf(b.policies, '/quiet/')).toEqual(['https://quiet.example'])
  })
})

describe('when PostgreSQL goes away', () => {
  let server: PrivatePostgres

  beforeAll(async () => {
    server = await startPostgres()
  }, 60_000)

  afterAll(async () => {
    await server?.stop()
  })

  it('keeps serving the table, reports degraded, and catches up in full once the server is back', async () => {
    const database = await createTestDatabase(server.url)
    closers.push(() => database.drop())
    const setup = await openPostgres(database.url, { poolSize: 1 })
    await migratePostgres(setup)
    await createFolder(setup, '/kept/', ['https://kept.example'])
    await setup.close()
    const a = await openHost(database.url)
    const errors: Error[] = []
    const b = await openHost(database.url, 50, (error) => errors.push(error))

    await server.stopServer()
    await waitFor(() => b.policies.health() === 'degraded', 5_000)
    expect(errors.length).toBeGreaterThan(0)
    expect(originsOf(b.policies, '/kept/')).toEqual(['https://kept.example'])
    await expect(b.policies.invalidate()).resolves.toBeUndefined()
    expect(b.policies.current().resolve('/kept/a.png').folder.path).toBe('/kept/')

    await server.startServer()
    // Made before B's LISTEN connection is back, so its notification is lost: the resync on reconnect brings it.
    await createFolder(a.db, '/while-away/', ['https://away.example'])
    await waitFor(() => originsOf(b.policies, '/while-away/') !== undefined, 10_000)
    await waitFor(() => b.policies.health() === 'ok', 5_000)
    // And a later change arrives by notification again.
    await createFolder(a.db, '/after/', ['https://after.example'])
    expect(await waitFor(() => originsOf(b.policies, '/after/') !== undefined, 2_000)).toBeLessThanOrEqual(PROPAGATION_MS)
    expect(withDatabase(server.url, database.name)).toBe(database.url)
  }, 60_000)
})
