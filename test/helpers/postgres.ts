/**
 * PostgreSQL for the suites. test/global-setup.js starts one server for the
 * whole run (test/engines/postgres.js); each suite makes its own database on
 * it with `createTestDatabase()`. When the server could not start, the suite
 * fails with the reason; it never skips.
 */
import { randomBytes } from 'node:crypto'
import { Client } from 'pg'

export interface TestDatabase {
  /** A superuser URL for this database alone. */
  readonly url: string
  readonly name: string
  /** Drops the database, cutting off any connection still open to it. */
  drop(): Promise<void>
}

/** The shared server's superuser URL (database `postgres`), or the reason it is missing. */
export function testServerUrl(): string {
  const url = process.env.CROSSPORT_TEST_PG_URL
  if (url !== undefined && url !== '') return url
  throw new Error(
    process.env.CROSSPORT_TEST_PG_ERROR ??
      'CROSSPORT_TEST_PG_URL is not set: run the suite through jest, whose test/global-setup.js starts PostgreSQL (scripts/start-postgres.js, installed by scripts/ensure-postgres.sh)',
  )
}

/** The URL of another database on the server of `url`. */
export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}

async function onServer<T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** A fresh, empty database `crossport_<random>` on the shared server (or on `serverUrl`). */
export async function createTestDatabase(serverUrl: string = testServerUrl()): Promise<TestDatabase> {
  const name = `crossport_${randomBytes(6).toString('hex')}`
  await onServer(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`))
  return {
    url: withDatabase(serverUrl, name),
    name,
    drop: () => onServer(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  }
}

/** A server of a suite's own (scripts/start-postgres.js), for tests that stop and start it. */
export interface PrivatePostgres {
  readonly url: string
  readonly port: number
  /** Stops the server (fast shutdown: clients are cut off), keeping its data and port. */
  stopServer(): Promise<void>
  /** Starts it again on the same data and port and waits until it accepts connections. */
  startServer(): Promise<void>
  stop(): Promise<void>
}

const { startPostgres } = require('../../scripts/start-postgres.js') as { startPostgres(): Promise<PrivatePostgres> }

export { startPostgres }
