import type { PolicyTable } from '../policy/table'

/** The engines Crossport keeps its policies, tokens and audit in. */
export type Dialect = 'sqlite' | 'postgres'

/**
 * A value a statement binds. Booleans are stored as the integers 0 and 1 and
 * times as ISO-8601 text on both engines, so a row reads the same from either.
 */
export type SqlValue = string | number | null

/**
 * Statements on one connection, or inside one transaction.
 *
 * SQL is written once, in what SQLite and PostgreSQL share: `$1, $2…`
 * placeholders (PostgreSQL's; the SQLite driver rewrites them),
 * `INSERT … ON CONFLICT DO NOTHING`, `RETURNING`, `COALESCE`. Integers come
 * back as JavaScript numbers from both engines (COUNT and BIGINT included).
 */
export interface SqlExecutor {
  readonly dialect: Dialect
  all<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>
  get<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined>
  run(sql: string, params?: readonly SqlValue[]): Promise<{ readonly changes: number }>
}

/** One database, whichever engine: the repositories are written against this. */
export interface SqlDatabase extends SqlExecutor {
  /**
   * Runs `work` in one write transaction: committed when it settles, rolled
   * back when it throws. It may be run again from the start when the engine
   * says the attempt conflicted (SQLite busy, PostgreSQL serialization
   * failure), so `work` touches nothing but the database.
   */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>
  /** False once `close()` was called: a timer firing after shutdown skips its bookkeeping rather than fail. */
  readonly isOpen: boolean
  close(): Promise<void>
}

/** More folders changed since the last look than this: a live policy table reads every folder again instead. */
export const MAX_CATCH_UP_FOLDERS = 200
/** Change-log entries read per catch-up; a create with 20 origins writes 21. */
export const MAX_CATCH_UP_ENTRIES = 10_000

/**
 * The compiled policy table kept in memory, so no statement runs per asset
 * request, and how it learns about changes (its own, a cluster sibling's,
 * another host's). One implementation per engine.
 */
export interface LivePolicies {
  /** The table in force for this request; never waits for the database. */
  current(): PolicyTable
  /** This process has just committed a change: it is in force once this settles. */
  invalidate(): Promise<void>
  /** Settles when no full rebuild is under way (tests, benchmarks). */
  settled(): Promise<void>
  close(): Promise<void>
}
