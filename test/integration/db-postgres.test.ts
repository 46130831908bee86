/**
 * The PostgreSQL driver and migrations against a real server
 * (test/global-setup.js starts it; each test here gets a fresh database).
 */
import { Client } from 'pg'
import { migrate } from '../../src/db/sqlite/migrate'
import { openDb } from '../../src/db/sqlite/open'
import { openPostgres, type PgDatabase } from '../../src/db/postgres/database'
import { DatabaseStartupError, DatabaseUnavailableError, isDatabaseUnavailable } from '../../src/db/postgres/errors'
import { migratePostgres, postgresSchemaVersion } from '../../src/db/postgres/migrate'
import { BOOTSTRAP_TOKEN_ID, ensureBootstrapToken, seedDemoPolicy } from '../../src/db/seed'
import { CHANGES_CHANNEL, notifyChange, parseNotice } from '../../src/db/postgres/notices'
import { createTestDatabase, withDatabase, type TestDatabase } from '../helpers/postgres'

const { freePort } = require('../../scripts/lib/free-port.js') as { freePort(): Promise<number> }

let database: TestDatabase
const opened: PgDatabase[] = []

async function open(poolSize = 2): Promise<PgDatabase> {
  const db = await openPostgres(database.url, { poolSize })
  opened.push(db)
  return db
}

beforeEach(async () => {
  database = await createTestDatabase()
})

afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()))
  await database.drop()
})

/** A client that LISTENs on the changes channel and collects the payloads it hears. */
async function listen(): Promise<{ heard: string[]; client: Client }> {
  const client = new Client({ connectionString: database.url })
  await client.connect()
  const heard: string[] = []
  client.on('notification', (message) => heard.push(message.payload ?? ''))
  await client.query(`LISTEN ${CHANGES_CHANNEL}`)
  return { heard, client }
}

/** One more round trip on the listening connection: notifications committed before it have arrived. */
const flush = async (client: Client) => void (await client.query('SELECT 1'))

describe('the driver', () => {
  it('binds $n placeholders (one may repeat) and gives counts and BIGINTs as numbers', async () => {
    const db = await open()
    await db.run('CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a TEXT, b INTEGER)')
    const inserted = await db.get<{ id: unknown }>('INSERT INTO t (a, b) VALUES ($1, $2) RETURNING id', ['x', 7])
    expect(inserted).toEqual({ id: 1 })
    await db.run('INSERT INTO t (a, b) VALUES ($1, $2), ($1, $3)', ['y', 1, 2])
    const count = await db.get<{ n: unknown; total: unknown }>('SELECT COUNT(*) AS n, SUM(b) AS total FROM t WHERE a = $1 OR a = $2', ['x', 'y'])
    expect(count).toEqual({ n: 3, total: 10 })
    expect(await db.run('UPDATE t SET b = b + 1 WHERE a = $1', ['y'])).toEqual({ changes: 2 })
    expect(await db.all('SELECT a FROM t WHERE b > $1 ORDER BY id', [2])).toEqual([{ a: 'x' }, { a: 'y' }])
    expect(await db.get('SELECT a FROM t WHERE a = $1', ['none'])).toBeUndefined()
  })

  it('commits a transaction that settles and rolls back one that throws, connection returned either way', async () => {
    const db = await open(1)
    await db.run('CREATE TABLE t (a TEXT)')
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO t (a) VALUES ($1)', ['kept'])
    })
    await expect(
      db.transaction(async (tx) => {
        await tx.run('INSERT INTO t (a) VALUES ($1)', ['dropped'])
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    // Pool of one: a connection left in a transaction would make this wait or see 'dropped'.
    expect(await db.all('SELECT a FROM t')).toEqual([{ a: 'kept' }])
  })

  it('runs a transaction again when PostgreSQL reports a deadlock', async () => {
    const db = await open(2)
    await db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)')
    await db.run('INSERT INTO t VALUES (1, 0), (2, 0)')
    // Two transactions locking the rows in opposite order: PostgreSQL aborts one with 40P01.
    const both = (first: number, second: number) =>
      db.transaction(async (tx) => {
        await tx.run('UPDATE t SET n = n + 1 WHERE id = $1', [first])
        await tx.get('SELECT pg_sleep(0.2)')
        await tx.run('UPDATE t SET n = n + 1 WHERE id = $1', [second])
      })
    await Promise.all([both(1, 2), both(2, 1)])
    expect(await db.all('SELECT n FROM t ORDER BY id')).toEqual([{ n: 2 }, { n: 2 }])
  })

  it('stops start-up with one line for a bad URL, an unreachable server, a refused login and a missing database', async () => {
    const failure = (url: string) => openPostgres(url, { poolSize: 1 }).then(() => undefined, (error: unknown) => error)
    const bad = await failure('mysql://localhost/x')
    expect(bad).toBeInstanceOf(DatabaseStartupError)
    expect((bad as Error).message).toBe('DATABASE_URL must start with postgres:// or postgresql://')
    const nobody = await failure(`postgres://u:secret@127.0.0.1:${await freePort()}/x`)
    expect((nobody as Error).message).toMatch(/^DATABASE_URL: cannot reach PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:\d+\/x \(.*ECONNREFUSED/)
    const url = new URL(database.url)
    url.password = 'wrong-password'
    const refused = await failure(url.toString())
    expect((refused as Error).message).toMatch(/^DATABASE_URL: PostgreSQL refused the login at .*:\*\*\*@.*password authentication failed/)
    const missing = await failure(withDatabase(database.url, 'crossport_no_such_db'))
    expect((missing as Error).message).toMatch(/^DATABASE_URL: database "crossport_no_such_db" does not exist/)
    for (const error of [nobody, refused, missing]) expect((error as Error).message).not.toContain('crossport-test')
  })

  it('surfaces a server that went away as DatabaseUnavailableError, and a bad statement as itself', async () => {
    const db = await open(1)
    await expect(db.get('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: '42P01' })
    expect(isDatabaseUnavailable(await db.get('SELECT * FROM no_such_table').catch((e: unknown) => e))).toBe(false)
    // Terminating every connection of this database is what a server restart does to them.
    const admin = await openPostgres(withDatabase(database.url, 'postgres'), { poolSize: 1 })
    const terminate = () => admin.get('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database.name])
    const inFlight = db.get('SELECT pg_sleep(5)')
    await new Promise((resolve) => setTimeout(resolve, 200))
    await terminate()
    const error = await inFlight.catch((e: unknown) => e)
    await admin.close()
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect(isDatabaseUnavailable(error)).toBe(true)
    // The pool replaces the dead connection.
    expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 })
  })
})

describe('migrations', () => {
  it('creates the same tables and columns as the SQLite migrations', async () => {
    const db = await open()
    await migratePostgres(db)
    const sqlite = openDb(':memory:')
    migrate(sqlite)
    const sqliteTables = sqlite
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all()
      .map((row) => row.name)
    const columnsIn = (table: string) =>
      sqlite
        .prepare<[], { name: string }>(`PRAGMA table_info(${table})`)
        .all()
        .map((row) => row.name)
        .sort()
    for (const table of sqliteTables) {
      const pgColumns = await db.all<{ name: string }>('SELECT column_name AS name FROM information_schema.columns WHERE table_name = $1 ORDER BY column_name', [table])
      expect([table, pgColumns.map((row) => row.name).sort()]).toEqual([table, columnsIn(table)])
    }
    const sqliteIndexes = sqlite
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
      .all()
      .map((row) => row.name)
    const pgIndexes = await db.all<{ name: string }>("SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public'")
    expect(pgIndexes.map((row) => row.name)).toEqual(expect.arrayContaining(sqliteIndexes))
    expect(await db.all('SELECT path, credentials FROM folders')).toEqual([{ path: '/', credentials: 0 }])
    sqlite.close()
  })

  it('applies each file exactly once when several hosts migrate at the same moment', async () => {
    const hosts = await Promise.all([open(1), open(1), open(1), open(1)])
    const results = await Promise.all(hosts.map((db) => migratePostgres(db)))
    const applied = results.flat()
    expect(applied.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6])
    expect(applied.map((m) => m.name)).toContain('0003_policy_changes.sql')
    expect(await hosts[0]!.all('SELECT version FROM schema_migrations ORDER BY version')).toEqual([1, 2, 3, 4, 5, 6].map((version) => ({ version })))
    expect(await migratePostgres(hosts[1]!)).toEqual([])
    expect(await postgresSchemaVersion(hosts[2]!)).toBe(6)
  })

  it('seeds the bootstrap token and the demo policy once when several hosts start together', async () => {
    const hosts = await Promise.all([open(1), open(1), open(1), open(1)])
    await migratePostgres(hosts[0]!)
    await Promise.all(hosts.map(async (db) => {
      await ensureBootstrapToken(db, 'bootstrap-secret-0123456789')
      await seedDemoPolicy(db)
    }))
    expect(await hosts[0]!.all('SELECT id FROM tokens')).toEqual([{ id: BOOTSTRAP_TOKEN_ID }])
    expect(await hosts[0]!.get("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'demo.seed'")).toEqual({ n: 1 })
  })

  it('reports schema version 0 before any migration', async () => {
    expect(await postgresSchemaVersion(await open())).toBe(0)
  })

  it('logs changed folder paths, bumps the version row and notifies in the changing transaction only', async () => {
    const db = await open()
    await migratePostgres(db)
    const { heard, client } = await listen()
    try {
      const version = async () => (await db.get<{ version: number }>('SELECT version FROM policy_version'))!.version
      const before = await version()
      await db.transaction(async (tx) => {
        const folder = await tx.get<{ id: number }>(
          `INSERT INTO folders (path, methods, allow_headers, expose_headers, max_age, credentials, mode, cache_control, created_at, updated_at)
           SELECT '/brand/', methods, allow_headers, expose_headers, max_age, credentials, mode, cache_control, created_at, updated_at FROM folders WHERE path = '/' RETURNING id`,
        )
        await tx.run('INSERT INTO folder_origins (folder_id, origin, position) VALUES ($1, $2, 0), ($1, $3, 1)', [folder!.id, 'https://a.example', 'https://b.example'])
      })
      await expect(
        db.transaction(async (tx) => {
          await tx.run("UPDATE folders SET max_age = 1 WHERE path = '/'")
          throw new Error('rolled back')
        }),
      ).rejects.toThrow('rolled back')
      await db.run("UPDATE folders SET path = '/logos/' WHERE path = '/brand/'")
      await db.run("DELETE FROM folders WHERE path = '/logos/'")
      await flush(client)
      expect(await db.all('SELECT path FROM policy_changes ORDER BY seq')).toEqual(['/brand/', '/brand/', '/brand/', '/logos/', '/brand/', '/logos/'].map((path) => ({ path })))
      // Seven rows: the folder and its two origins, twice (the delete cascades), and the rename.
      expect((await version()) - before).toBe(7)
      // One notification per committed transaction (identical payloads in one transaction are merged); none for the rollback.
      expect(heard.map(parseNotice)).toEqual([{ kind: 'policy' }, { kind: 'policy' }, { kind: 'policy' }])
    } finally {
      await client.end()
    }
  })

  it('notifies a token revocation but not its last use, and an asset change sent with the transaction', async () => {
    const db = await open()
    await migratePostgres(db)
    const { heard, client } = await listen()
    try {
      await db.run("INSERT INTO tokens (id, name, scope, hash, created_at) VALUES ('t1', 'ci', 'write', 'h1', 'now')")
      await db.run("UPDATE tokens SET last_used_at = 'later' WHERE id = 't1'")
      await db.run("UPDATE tokens SET revoked_at = 'later' WHERE id = 't1'")
      await db.transaction((tx) => notifyChange(tx, { kind: 'asset', path: '/brand/logo.png' }))
      await db
        .transaction(async (tx) => {
          await notifyChange(tx, { kind: 'asset', path: '/never.png' })
          throw new Error('rolled back')
        })
        .catch(() => {})
      await flush(client)
      expect(heard.map(parseNotice)).toEqual([{ kind: 'token' }, { kind: 'asset', path: '/brand/logo.png' }])
    } finally {
      await client.end()
    }
  })
})
