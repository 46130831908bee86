import type { Statement } from 'better-sqlite3'
import { LRUCache } from 'lru-cache'
import type { SqlDatabase, SqlExecutor, SqlValue } from '../sql'
import type { Db } from './open'
import { bindOrder, toPositional } from './placeholders'
import { retryWhileBusy } from './retry-busy'

/** Distinct statements kept prepared; the repositories use a few dozen. */
const MAX_PREPARED = 500

interface Prepared {
  readonly statement: Statement<unknown[], unknown>
  readonly order: readonly number[]
}

export interface SqliteDatabaseOptions {
  /** How long a transaction is retried while another process holds the write lock (DB_BUSY_RETRY_MS). */
  readonly busyBudgetMs: number
}

/**
 * The one better-sqlite3 connection of a process, behind the engine-neutral
 * seam. Statements run synchronously; the promises only match PostgreSQL's
 * shape. A transaction is BEGIN IMMEDIATE … COMMIT, retried whole on timers
 * while another process holds the write lock (the connection of a serving
 * process never sleeps in SQLite's busy handler, see open.ts).
 *
 * The connection is shared by the whole process, so while a transaction is
 * open every other statement of this process waits for it: run in between
 * `work`'s awaits it would otherwise become part of that transaction. `work`
 * only touches the database, so in practice the whole transaction runs
 * within one turn of the event loop.
 *
 * `raw` is for what only SQLite has: the live policy table's data_version
 * poll, the checkpointer, backups.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const
  private readonly prepared = new LRUCache<string, Prepared>({ max: MAX_PREPARED })
  /** Settles when the open transaction ends; undefined while none is open. */
  private held: Promise<void> | undefined
  /** What a transaction's `work` runs its statements on: straight on the connection it holds. */
  private readonly inside: SqlExecutor

  constructor(
    readonly raw: Db,
    private readonly options: SqliteDatabaseOptions,
  ) {
    this.inside = {
      dialect: 'sqlite',
      all: <Row>(sql: string, params?: readonly SqlValue[]) => settle(() => this.allNow<Row>(sql, params)),
      get: <Row>(sql: string, params?: readonly SqlValue[]) => settle(() => this.getNow<Row>(sql, params)),
      run: (sql: string, params?: readonly SqlValue[]) => settle(() => this.runNow(sql, params)),
    }
  }

  get isOpen(): boolean {
    return this.raw.open
  }

  all<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.whenFree(() => this.allNow<Row>(sql, params))
  }

  get<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined> {
    return this.whenFree(() => this.getNow<Row>(sql, params))
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<{ readonly changes: number }> {
    return this.whenFree(() => this.runNow(sql, params))
  }

  /** The pauses between attempts hold nothing: this process's other statements run meanwhile. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return retryWhileBusy(async () => {
      while (this.held !== undefined) await this.held
      let release = (): void => {}
      this.held = new Promise((resolve) => (release = resolve))
      try {
        return await this.attempt(work)
      } finally {
        this.held = undefined
        release()
      }
    }, this.options.busyBudgetMs)
  }

  async close(): Promise<void> {
    if (this.raw.open) this.raw.close()
  }

  private async attempt<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.runNow('BEGIN IMMEDIATE')
    try {
      const result = await work(this.inside)
      this.runNow('COMMIT')
      return result
    } catch (error: unknown) {
      if (this.raw.inTransaction) this.runNow('ROLLBACK')
      throw error
    }
  }

  /** Runs at once when no transaction is open (the common case, no extra turn), else after it. */
  private whenFree<T>(statement: () => T): Promise<T> {
    if (this.held === undefined) return settle(statement)
    return (async () => {
      while (this.held !== undefined) await this.held
      return statement()
    })()
  }

  private allNow<Row>(sql: string, params: readonly SqlValue[] = []): Row[] {
    const { statement, order } = this.prepare(sql)
    return statement.all(...bindOrder(order, params)) as Row[]
  }

  private getNow<Row>(sql: string, params: readonly SqlValue[] = []): Row | undefined {
    const { statement, order } = this.prepare(sql)
    return statement.get(...bindOrder(order, params)) as Row | undefined
  }

  private runNow(sql: string, params: readonly SqlValue[] = []): { readonly changes: number } {
    const { statement, order } = this.prepare(sql)
    return { changes: statement.run(...bindOrder(order, params)).changes }
  }

  private prepare(text: string): Prepared {
    const cached = this.prepared.get(text)
    if (cached !== undefined) return cached
    const { sql, order } = toPositional(text)
    const prepared: Prepared = { statement: this.raw.prepare<unknown[], unknown>(sql), order }
    this.prepared.set(text, prepared)
    return prepared
  }
}

/** A synchronous statement as a promise: its result, or its error as a rejection (never a throw). */
function settle<T>(statement: () => T): Promise<T> {
  try {
    return Promise.resolve(statement())
  } catch (error: unknown) {
    return Promise.reject(error)
  }
}
