import type { Statement } from 'better-sqlite3'
import { FolderTable, type PolicyTable } from '../../policy/table'
import { MAX_CATCH_UP_ENTRIES, MAX_CATCH_UP_FOLDERS, type LivePolicies } from '../sql'
import type { Db } from './open'
import { PackedFolderReader } from '../packed-folder-reader'
import { isDatabaseBusy } from './retry-busy'

/** Folders read per turn of the event loop during a full rebuild (a few ms each). */
const REBUILD_CHUNK = 500
/** Folders read per page at start-up, before the server listens. */
const STARTUP_CHUNK = 5_000

/**
 * The compiled policy table kept in memory, so no SQL runs per asset request.
 *
 * Changes are incremental: the folder triggers log the path of
 * every changed folder in `policy_changes`, and catching up recompiles just
 * those folders, at a cost independent of the number of folders. This process
 * (or a cluster sibling) catches up at once after its own change
 * (`invalidate()`); changes by any other process are noticed at most once per
 * `pollMs`, when a request finds `PRAGMA data_version` (a read of SQLite's
 * shared memory, no disk I/O) moved.
 *
 * When the log no longer reaches back to what this process has seen (pruned)
 * or holds too many folders, the table is rebuilt in chunks that yield to the
 * event loop, and swapped in whole; requests keep the current table, kept up
 * to date meanwhile, until then. Start-up reads everything at once: the
 * server does not listen yet.
 *
 * These reads never wait: WAL readers do not take the write lock, and the
 * serving connection has busy_timeout 0. Should one still find the database
 * busy (WAL recovery after a crash, say), the request is answered from the
 * table in memory and the next check catches up.
 */
export class LivePolicyTable implements LivePolicies {
  private table: FolderTable
  /** The last `policy_changes` entry reflected in `table`. */
  private seenSeq: number
  private dataVersion: number
  private nextCheckAtMs = 0
  private rebuilding: Promise<void> | undefined
  private needsRebuild = false
  private readonly reader: PackedFolderReader
  private readonly readDataVersion: Statement<[], { data_version: number }>
  private readonly readLogBounds: Statement<[], { oldest: number | null; latest: number | null }>
  private readonly readChangesAfter: Statement<[number, number], { seq: number; path: string }>

  constructor(
    db: Db,
    private readonly pollMs: number,
    private readonly onReload: () => void = () => {},
  ) {
    this.reader = new PackedFolderReader(db)
    this.readDataVersion = db.prepare('PRAGMA data_version')
    // Two subqueries, not MIN and MAX in one SELECT: SQLite answers a lone
    // MIN or MAX from the end of the key, but scans every entry for both.
    this.readLogBounds = db.prepare(
      'SELECT (SELECT MIN(seq) FROM policy_changes) AS oldest, (SELECT MAX(seq) FROM policy_changes) AS latest',
    )
    this.readChangesAfter = db.prepare('SELECT seq, path FROM policy_changes WHERE seq > ? ORDER BY seq LIMIT ?')
    this.dataVersion = this.currentDataVersion()
    // The folders and the log position from one snapshot: nothing missed,
    // nothing twice. Read by pages, so the rows of 100,000 folders never sit
    // in memory all at once next to the table.
    this.table = new FolderTable()
    this.seenSeq = db.transaction(() => {
      for (let after = ''; ; ) {
        const page = this.reader.page(after, STARTUP_CHUNK)
        for (const folder of page) this.table.set(folder)
        const last = page[page.length - 1]
        if (last === undefined || page.length < STARTUP_CHUNK) return this.latestSeq()
        after = last.path
      }
    })()
  }

  /** The table in force for this request. */
  current(): PolicyTable {
    const now = performance.now()
    if (now >= this.nextCheckAtMs) {
      this.nextCheckAtMs = now + this.pollMs
      this.unlessBusy(() => {
        if (this.currentDataVersion() !== this.dataVersion) this.catchUp()
      })
    }
    return this.table
  }

  /**
   * Catch up now: this process (or a cluster sibling) has just changed a
   * policy. Synchronous on SQLite (a few index reads): the change is in force
   * when this returns, before the promise even settles.
   */
  invalidate(): Promise<void> {
    this.unlessBusy(() => this.catchUp())
    return Promise.resolve()
  }

  /** Rebuild every folder (in chunks, off the request path): for when the log cannot be trusted. */
  rebuildAll(): void {
    this.needsRebuild = true
    this.catchUp()
  }

  /** Settles when no full rebuild is under way (tests, benchmarks). */
  async settled(): Promise<void> {
    while (this.rebuilding !== undefined) await this.rebuilding
  }

  /** Nothing of its own to release: it reads through the process's connection, closed with the database. */
  close(): Promise<void> {
    return this.settled()
  }

  /** Recompiles the folders changed since `seenSeq`, or starts a full rebuild when the log cannot say which. */
  private catchUp(): void {
    this.dataVersion = this.currentDataVersion()
    const { oldest } = this.readLogBounds.get() ?? { oldest: null }
    const changes = this.readChangesAfter.all(this.seenSeq, MAX_CATCH_UP_ENTRIES)
    const last = changes[changes.length - 1]
    const isMissingSome = this.needsRebuild || (oldest !== null && oldest > this.seenSeq + 1)
    if (!isMissingSome && last === undefined) return
    const paths = new Set(changes.map((change) => change.path))
    if (isMissingSome || paths.size > MAX_CATCH_UP_FOLDERS || changes.length === MAX_CATCH_UP_ENTRIES) {
      // One rebuild at a time: the one under way catches up when it is done.
      if (this.rebuilding === undefined) this.startRebuild()
      return
    }
    // Each folder is read as it is now: an entry that comes later only re-reads it.
    for (const path of paths) {
      const folder = this.reader.findByPath(path)
      if (folder) this.table.set(folder)
      else this.table.delete(path)
    }
    if (last !== undefined) this.seenSeq = last.seq
    this.onReload()
  }

  /**
   * The rebuild reflects the log up to `fromSeq`; entries after it are applied
   * to the table in force meanwhile, and again to the new one once swapped in.
   */
  private startRebuild(): void {
    const fromSeq = this.latestSeq()
    this.seenSeq = fromSeq
    this.needsRebuild = false
    this.rebuilding = this.rebuild(fromSeq).catch(() => {
      // The database failed or closed (shutdown): the next check starts over.
      this.rebuilding = undefined
      this.needsRebuild = true
      this.dataVersion = -1
    })
  }

  private async rebuild(fromSeq: number): Promise<void> {
    const next = new FolderTable()
    let after = ''
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      const page = this.reader.page(after, REBUILD_CHUNK)
      for (const folder of page) next.set(folder)
      const last = page[page.length - 1]
      if (last === undefined || page.length < REBUILD_CHUNK) break
      after = last.path
    }
    this.table = next
    this.seenSeq = fromSeq
    this.rebuilding = undefined
    this.onReload()
    this.catchUp()
  }

  private unlessBusy(step: () => void): void {
    try {
      step()
    } catch (error: unknown) {
      if (!isDatabaseBusy(error)) throw error
      // What was applied stays (each entry is idempotent); the next check starts over from `seenSeq`.
      this.dataVersion = -1
    }
  }

  private latestSeq(): number {
    return this.readLogBounds.get()?.latest ?? 0
  }

  private currentDataVersion(): number {
    return this.readDataVersion.get()?.data_version ?? 0
  }
}
