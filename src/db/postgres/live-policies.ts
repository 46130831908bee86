import { FolderTable, type PolicyTable } from '../../policy/table'
import type { DatabaseHealth } from '../database-handle'
import { MAX_CATCH_UP_ENTRIES, MAX_CATCH_UP_FOLDERS, type LivePolicies } from '../sql'
import type { PgDatabase } from './database'
import { PgFolderSource } from './folder-source'
import { ChangeListener } from './listener'
import type { ChangeNotice } from './notices'

export interface PgLivePoliciesOptions {
  /** How often the version row is compared (POLICY_POLL_MS): a missed notification only delays a change by this much. */
  readonly pollMs: number
  /** The database failed a read or the LISTEN connection was lost: for a log line or a metric. */
  readonly onError?: (error: Error) => void
  /** The table changed (incrementally or in full). */
  readonly onReload?: () => void
}

type Work = 'catchUp' | 'full'

/**
 * The compiled policy table of one process on PostgreSQL, kept in memory so
 * no statement runs per asset request, and kept current from every host:
 *
 * - a LISTEN connection hears the notification the folder triggers send in
 *   the changing transaction, and the folders logged in `policy_changes`
 *   after the last entry seen are read again (a cost independent of the
 *   number of folders);
 * - after the LISTEN connection was lost, once it is back, everything is
 *   read again (notifications sent meanwhile are gone), and subscribers are
 *   told `resync`;
 * - every `pollMs` the version row is compared, so a missed notification
 *   only delays a change.
 *
 * Reads run one at a time off the request path; requests always get the
 * table in force. While PostgreSQL is unreachable the table stays as it was,
 * `health()` says `degraded`, and nothing is thrown to a caller.
 */
export class PgLivePolicies implements LivePolicies {
  private table = new FolderTable()
  private seenSeq = 0
  private seenVersion = 0
  private wanted: Work | undefined
  private running: Promise<void> | undefined
  private needsFull = false
  private isFailing = false
  private isLoaded = false
  private isPolling = false
  private isClosed = false
  private readonly source: PgFolderSource
  private readonly listener: ChangeListener
  private readonly subscribers = new Set<(notice: ChangeNotice) => void>()
  private pollTimer: NodeJS.Timeout | undefined

  private constructor(
    db: PgDatabase,
    private readonly options: PgLivePoliciesOptions,
  ) {
    this.source = new PgFolderSource(db)
    this.listener = new ChangeListener(db, {
      onNotice: (notice) => this.onNotice(notice),
      onConnected: () => {
        if (this.isLoaded) void this.request('full')
      },
      onLost: (error) => this.failed(error),
    })
  }

  /**
   * Listens first, then reads every folder, so no change falls between the
   * two. Rejects when the folders cannot be read: a host does not serve
   * without its policies.
   */
  static async open(db: PgDatabase, options: PgLivePoliciesOptions): Promise<PgLivePolicies> {
    const policies = new PgLivePolicies(db, options)
    await policies.listener.start()
    try {
      await policies.loadAll()
    } catch (error: unknown) {
      await policies.listener.close()
      throw error
    }
    policies.isLoaded = true
    policies.pollTimer = setInterval(() => void policies.poll(), options.pollMs)
    policies.pollTimer.unref()
    return policies
  }

  current(): PolicyTable {
    return this.table
  }

  /** This process has just committed a change: it is in the table once this settles. Never rejects. */
  invalidate(): Promise<void> {
    return this.request('catchUp')
  }

  async settled(): Promise<void> {
    while (this.running !== undefined) await this.running
  }

  /** `degraded` while the LISTEN connection is down or the last read failed; the table in force is still served. */
  health(): DatabaseHealth {
    return this.listener.listening && !this.isFailing ? 'ok' : 'degraded'
  }

  /** Every notification (policy, token, asset) and `resync` after a reconnect; returns the unsubscribe. */
  onChange(listener: (notice: ChangeNotice) => void): () => void {
    this.subscribers.add(listener)
    return () => this.subscribers.delete(listener)
  }

  async close(): Promise<void> {
    this.isClosed = true
    clearInterval(this.pollTimer)
    await this.listener.close()
    await this.settled()
  }

  private onNotice(notice: ChangeNotice): void {
    if (notice.kind === 'policy') void this.request('catchUp')
    this.tell(notice)
  }

  private tell(notice: ChangeNotice): void {
    for (const subscriber of this.subscribers) {
      try {
        subscriber(notice)
      } catch {
        // A subscriber's failure is its own; the others and the table go on.
      }
    }
  }

  /** Runs `work` after whatever is under way; settles once a run that started after this call is done. */
  private request(work: Work): Promise<void> {
    if (this.isClosed) return Promise.resolve()
    if (work === 'full' || this.wanted === undefined) this.wanted = work
    this.running ??= this.drain()
    return this.running
  }

  private async drain(): Promise<void> {
    while (this.wanted !== undefined) {
      const work = this.wanted
      this.wanted = undefined
      try {
        if (work === 'full') {
          await this.loadAll()
          this.tell({ kind: 'resync' })
        } else {
          await this.catchUp()
        }
        this.isFailing = false
      } catch (error: unknown) {
        // Kept for the next poll, which runs it again once the database answers.
        if (work === 'full') this.needsFull = true
        this.failed(error)
        break
      }
    }
    this.running = undefined
  }

  private async loadAll(): Promise<void> {
    const snapshot = await this.source.snapshot()
    const next = new FolderTable()
    for (const folder of snapshot.folders) next.set(folder)
    this.table = next
    this.seenSeq = snapshot.seq
    this.seenVersion = snapshot.version
    this.needsFull = false
    this.options.onReload?.()
  }

  /** Re-reads the folders logged after `seenSeq`, or everything when the log no longer says which. */
  private async catchUp(): Promise<void> {
    const { entries, complete, folders } = await this.source.changesAfter(this.seenSeq, MAX_CATCH_UP_ENTRIES, MAX_CATCH_UP_FOLDERS)
    const last = entries[entries.length - 1]
    if (last === undefined) return
    if (!complete || folders === undefined || entries.length === MAX_CATCH_UP_ENTRIES) {
      await this.loadAll()
      return
    }
    // Each folder as it is now: an entry that comes later only re-reads it.
    const found = new Map(folders.map((folder) => [folder.path, folder]))
    for (const path of new Set(entries.map((entry) => entry.path))) {
      const folder = found.get(path)
      if (folder) this.table.set(folder)
      else this.table.delete(path)
    }
    this.seenSeq = last.seq
    this.options.onReload?.()
  }

  private async poll(): Promise<void> {
    if (this.isPolling) return
    this.isPolling = true
    try {
      if (this.needsFull) {
        await this.request('full')
        return
      }
      const version = await this.source.version()
      this.isFailing = false
      if (version !== this.seenVersion) {
        this.seenVersion = version
        await this.request('catchUp')
      }
    } catch (error: unknown) {
      this.failed(error)
    } finally {
      this.isPolling = false
    }
  }

  private failed(error: unknown): void {
    this.isFailing = true
    this.options.onError?.(error instanceof Error ? error : new Error(String(error)))
  }
}
