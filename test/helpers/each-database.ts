/**
 * One suite, both databases: `describeEachDatabase` runs its body once on
 * SQLite (a file of its own per server, as startTestCrossport makes it) and
 * once on PostgreSQL (a fresh database per server on the run's server,
 * test/helpers/postgres.ts, dropped after the block). It only adds
 * environment, so it composes with `describeEachStore`: pass
 * `await database.env()` into a store's start options.
 */
import { existsSync } from 'node:fs'
import { startTestCrossport, type StartOptions, type TestCrossport } from './crossport'
import { createTestDatabase, type TestDatabase } from './postgres'

export type DatabaseKind = 'sqlite' | 'postgres'

export interface DatabaseUnderTest {
  readonly kind: DatabaseKind
  /** The environment that puts one server on this database: nothing for SQLite, DATABASE_URL of a fresh database for PostgreSQL. */
  env(): Promise<Record<string, string>>
  /** startTestCrossport on this database; `options.env` still wins. */
  start(options?: StartOptions): Promise<TestCrossport>
}

function databaseUnderTest(kind: DatabaseKind): DatabaseUnderTest & { dropAll(): Promise<void> } {
  const created: TestDatabase[] = []
  const env = async (): Promise<Record<string, string>> => {
    if (kind === 'sqlite') return {}
    const database = await createTestDatabase()
    created.push(database)
    return { DATABASE_URL: database.url }
  }
  return {
    kind,
    env,
    start: async (options = {}) => {
      const cp = await startTestCrossport({ ...options, env: { ...(await env()), ...options.env } })
      // On PostgreSQL no SQLite file may appear: a suite that quietly ran on SQLite would prove nothing.
      if (kind === 'postgres' && existsSync(cp.databasePath)) {
        await cp.close()
        throw new Error(`DATABASE_URL was set but the server opened the SQLite file ${cp.databasePath}`)
      }
      return cp
    },
    dropAll: async () => {
      for (const database of created.splice(0)) await database.drop()
    },
  }
}

/** `describe(name + ' (SQLite)')` and `describe(name + ' (PostgreSQL)')`, the same body for both. */
export function describeEachDatabase(name: string, body: (database: DatabaseUnderTest) => void): void {
  for (const [kind, label] of [
    ['sqlite', 'SQLite'],
    ['postgres', 'PostgreSQL'],
  ] as const) {
    describe(`${name} (${label})`, () => {
      const database = databaseUnderTest(kind)
      body(database)
      // Registered after the body's hooks, so it runs after their afterAll has closed the servers (jest runs them in order).
      afterAll(() => database.dropAll())
    })
  }
}
