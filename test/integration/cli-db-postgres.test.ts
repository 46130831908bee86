/**
 * The database commands on PostgreSQL: `migrate` on a DATABASE_URL, `backup`
 * pointing at pg_dump, and `db copy` moving an install from its SQLite file
 * into PostgreSQL (then served from there with the same folders and tokens).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCliWith as cli } from '../helpers/cli'
import { startTestCrossport, type TestCrossport } from '../helpers/crossport'
import { createTestDatabase, type TestDatabase } from '../helpers/postgres'

const SITE = 'https://shop.example'
const closers: Array<() => Promise<void>> = []
let work: string

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'crossport-cli-pg-'))
})
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
  rmSync(work, { recursive: true, force: true })
})

async function fresh(): Promise<TestDatabase> {
  const database = await createTestDatabase()
  closers.push(() => database.drop())
  return database
}

async function server(env: Record<string, string>): Promise<TestCrossport> {
  const cp = await startTestCrossport({ env })
  closers.push(() => cp.close())
  return cp
}

describe('migrate and backup on PostgreSQL', () => {
  it('migrate applies every migration once on DATABASE_URL, then finds it up to date', async () => {
    const database = await fresh()
    const first = await cli(['migrate'], { DATABASE_URL: database.url })
    expect(first).toMatchObject({ code: 0, stderr: '' })
    expect(first.stdout).toMatch(/^applied 0001_init\.sql, .*0006_cdn_cache_control\.sql \(schema version 6\)\n$/)
    const again = await cli(['migrate', '--database', database.url], {})
    expect(again.stdout).toBe('up to date (schema version 6)\n')
  })

  it('backup refuses a PostgreSQL database and names pg_dump', async () => {
    const database = await fresh()
    const res = await cli(['backup', join(work, 'copy.db')], { DATABASE_URL: database.url })
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(/pg_dump/)
  })
})

describe('db copy --from <sqlite file> --to <postgres url>', () => {
  it('moves folders (origins in order), tokens and the audit log; the new install serves them', async () => {
    const old = await server({})
    old.writeAsset('brand/app.css', 'a{}')
    expect((await old.admin('POST', '/folders', { path: '/brand/', policy: { origins: [SITE, 'https://b.example'], maxAge: 77 } })).status).toBe(201)
    const token = (await (await old.admin('POST', '/tokens', { name: 'ci', scope: 'read' })).json()) as { token: string }
    const database = await fresh()

    const res = await cli(['db', 'copy', '--from', old.databasePath, '--to', database.url], {})
    expect(res).toMatchObject({ code: 0, stderr: '' })
    expect(res.stdout).toMatch(/^copied 2 folders \(2 origins\), 2 tokens and 2 audit entries to postgres:\/\//)

    const moved = await server({ DATABASE_URL: database.url, ASSETS_DIR: old.assetsDir })
    const folders = (await (await moved.admin('GET', '/folders?path=/brand/', undefined, token.token)).json()) as { items: Array<{ policy: { origins: string[]; maxAge: number } }> }
    expect(folders.items[0]?.policy).toMatchObject({ origins: [SITE, 'https://b.example'], maxAge: 77 })
    const audit = (await (await moved.admin('GET', '/audit')).json()) as { items: Array<{ action: string }> }
    expect(audit.items.map((e) => e.action)).toEqual(['token.create', 'folder.create'])
    const asset = await fetch(`${moved.publicUrl}/brand/app.css`, { headers: { origin: SITE } })
    expect(asset.headers.get('access-control-allow-origin')).toBe(SITE)
    // New rows continue after the copied ids.
    expect((await moved.admin('POST', '/folders', { path: '/later/', policy: { origins: [] } })).status).toBe(201)
  })

  it('refuses a target that holds data unless --force, and with it replaces that data in one go', async () => {
    const old = await server({})
    expect((await old.admin('POST', '/folders', { path: '/from-sqlite/', policy: { origins: [SITE] } })).status).toBe(201)
    const database = await fresh()
    const other = await server({ DATABASE_URL: database.url })
    expect((await other.admin('POST', '/folders', { path: '/already-there/', policy: { origins: [] } })).status).toBe(201)

    const refused = await cli(['db', 'copy', '--from', old.databasePath, '--to', database.url], {})
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^crossport: postgres:\/\/.+: the target database is not empty \(1 folders besides \/, 1 tokens, 1 audit entries\); pass --force to replace it\n$/)
    expect(((await (await other.admin('GET', '/folders?path=/already-there/')).json()) as { items: unknown[] }).items).toHaveLength(1)

    const forced = await cli(['db', 'copy', '--from', old.databasePath, '--to', database.url, '--force'], {})
    expect(forced.code).toBe(0)
    const paths = ((await (await other.admin('GET', '/folders')).json()) as { items: Array<{ path: string }> }).items.map((f) => f.path)
    expect(paths).toEqual(['/', '/from-sqlite/'])
  })
})
