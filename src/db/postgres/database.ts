import { setTimeout as sleep } from 'node:timers/promises'
import { Client, Pool, TypeOverrides, type PoolClient, type QueryResult } from 'pg'
import { databaseUrlProblem } from '../../config/database-settings'
import type { SqlDatabase, SqlExecutor, SqlValue } from '../sql'
import { DatabaseStartupError, DatabaseUnavailableError, asUnavailable, isRetryableConflict, startupError } from './errors'

/** BIGINT (COUNT(*), identities, ms times) and NUMERIC come back as numbers, as SQLite gives them. */
const INT8_OID = 20
const NUMERIC_OID = 1700
/** A transaction that conflicted (40001, 40P01) is run again this many times in all. */
const MAX_ATTEMPTS = 5
/** An unreachable server fails a request after this long instead of holding it. */
const CONNECT_TIMEOUT_MS = 5_000

function numberTypes(): TypeOverrides {
  const overrides = new TypeOverrides()
  overrides.setTypeParser(INT8_OID, Number)
  overrides.setTypeParser(NUMERIC_OID, Number)
  return overrides
}

type Queryable = Pick<Pool | PoolClient, 'query'>

/** Statements on the pool (each on whichever connection is free) or on one client inside a transaction. */
export class PgExecutor implements SqlExecutor {
  readonly dialect = 'postgres' as const

  constructor(private readonly target: Queryable) {}

  async all<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return (await this.query(sql, params)).rows as Row[]
  }

  async get<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row | undefined> {
    return (await this.query(sql, params)).rows[0] as Row | undefined
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ readonly changes: number }> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 }
  }

  /** Rows as arrays of column values: no object per row (the policy table reads every folder). */
  async arrays<Row extends unknown[]>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    try {
      return (await this.target.query<Row>({ text: sql, values: [...params], rowMode: 'array' })).rows
    } catch (error: unknown) {
      throw asUnavailable(error)
    }
  }

  private async query(sql: string, params: readonly SqlValue[]): Promise<QueryResult> {
    try {
      return await this.target.query(sql, [...params])
    } catch (error: unknown) {
      throw asUnavailable(error)
    }
  }
}

export interface PgOptions {
  /** Connections kept by this process (DATABASE_POOL_SIZE). */
  readonly poolSize: number
  /** A pooled connection failed while idle (the server went away): for a log line or a metric. */
  readonly onError?: (error: Error) => void
}

/**
 * PostgreSQL behind the engine-neutral seam: a connection pool, transactions
 * on one pooled connection, and errors that say the server is gone surfaced
 * as DatabaseUnavailableError.
 */
export class PgDatabase extends PgExecutor implements SqlDatabase {
  private readonly pool: Pool
  private isClosed = false

  constructor(
    readonly url: string,
    options: PgOptions,
  ) {
    const pool = new Pool({
      connectionString: url,
      max: options.poolSize,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      application_name: 'crossport',
      types: numberTypes(),
    })
    super(pool)
    this.pool = pool
    // Without a listener an idle connection's error (a server restart) would end the process.
    pool.on('error', (error) => options.onError?.(error))
  }

  /**
   * BEGIN … COMMIT on one pooled connection, ROLLBACK when `work` throws; run
   * again from the start when PostgreSQL reports a serialization failure or
   * a deadlock. A connection that failed is dropped from the pool.
   */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.onOneConnection('BEGIN', work, MAX_ATTEMPTS)
  }

  /** `work` in a read-only REPEATABLE READ transaction: every statement sees the same snapshot. */
  snapshot<T>(work: (tx: PgExecutor) => Promise<T>): Promise<T> {
    return this.onOneConnection('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', work, 1)
  }

  private async onOneConnection<T>(begin: string, work: (tx: PgExecutor) => Promise<T>, attempts: number): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.connect()
      let broken: Error | undefined
      try {
        await client.query(begin)
        const result = await work(new PgExecutor(client))
        await client.query('COMMIT')
        return result
      } catch (error: unknown) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError
        })
        if (!isRetryableConflict(error) || attempt >= attempts) throw asUnavailable(error)
      } finally {
        client.release(broken)
      }
      await sleep(attempt * 5 + Math.random() * 10)
    }
  }

  /** A connection of its own, outside the pool, with the same settings (LISTEN, advisory locks). */
  newClient(): Client {
    return new Client({ connectionString: this.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, application_name: 'crossport', types: numberTypes() })
  }

  /** False once close() was called: a timer firing after shutdown leaves the database alone. */
  get isOpen(): boolean {
    return !this.isClosed
  }

  async close(): Promise<void> {
    if (this.isClosed) return
    this.isClosed = true
    await this.pool.end()
  }

  private async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect()
    } catch (error: unknown) {
      throw asUnavailable(error)
    }
  }
}

/**
 * Opens the pool and checks the server answers, so a bad URL, an unreachable
 * server or a refused login stop start-up with one clear line
 * (DatabaseStartupError) instead of failing the first request.
 */
export async function openPostgres(url: string, options: PgOptions): Promise<PgDatabase> {
  const problem = databaseUrlProblem(url)
  if (problem !== undefined) throw new DatabaseStartupError(`DATABASE_URL ${problem}`)
  const db = new PgDatabase(url, options)
  try {
    await db.get('SELECT 1')
  } catch (error: unknown) {
    await db.close().catch(() => {})
    throw startupError(url, error instanceof DatabaseUnavailableError ? error.cause : error)
  }
  return db
}
