import type { Statement } from 'better-sqlite3'
import { compilePolicyTable, type PolicyTable } from '../policy/table'
import { FolderRepo } from './folder-repo'
import type { Db } from './open'
import { isDatabaseBusy } from './retry-busy'

/**
 * The compiled policy table kept in memory, so no SQL runs per asset request.
 *
 * It is rebuilt when this process changes a policy (`invalidate()`, called by
 * the admin API and by cluster messages) and when another process did: at most
 * once per `pollMs`, a request looks at `PRAGMA data_version` (a read of
 * SQLite's shared memory, no disk I/O), and only when that moved reads the
 * version row the folder triggers bump.
 *
 * These reads never wait: WAL readers do not take the write lock, and the
 * serving connection has busy_timeout 0. Should one still find the database
 * busy (WAL recovery after a crash, say), the request is answered from the
 * table in memory and the next check reloads it.
 */
export class LivePolicyTable {
  private table: PolicyTable
  private policyVersion: number
  private dataVersion: number
  private nextCheckAtMs = 0
  /** A reload failed on a busy database: the next check reloads whatever data_version says. */
  private isStale = false
  private readonly repo: FolderRepo
  private readonly readDataVersion: Statement<[], { data_version: number }>
  private readonly readPolicyVersion: Statement<[], { version: number }>

  constructor(
    db: Db,
    private readonly pollMs: number,
    private readonly onReload: () => void = () => {},
  ) {
    this.repo = new FolderRepo(db)
    this.readDataVersion = db.prepare('PRAGMA data_version')
    this.readPolicyVersion = db.prepare('SELECT version FROM policy_version WHERE id = 1')
    this.dataVersion = this.currentDataVersion()
    this.policyVersion = this.currentPolicyVersion()
    this.table = compilePolicyTable(this.repo.list())
  }

  /** The table in force for this request. */
  current(): PolicyTable {
    const now = performance.now()
    if (now >= this.nextCheckAtMs) {
      this.nextCheckAtMs = now + this.pollMs
      this.unlessBusy(() => this.reloadIfChangedElsewhere())
    }
    return this.table
  }

  /** Rebuild now: this process (or a cluster sibling) has just changed a policy. */
  invalidate(): void {
    this.unlessBusy(() => this.reload())
  }

  get version(): number {
    return this.policyVersion
  }

  private reload(): void {
    this.dataVersion = this.currentDataVersion()
    this.policyVersion = this.currentPolicyVersion()
    this.table = compilePolicyTable(this.repo.list())
    this.isStale = false
    this.onReload()
  }

  private unlessBusy(step: () => void): void {
    try {
      step()
    } catch (error: unknown) {
      if (!isDatabaseBusy(error)) throw error
      this.isStale = true
    }
  }

  private reloadIfChangedElsewhere(): void {
    if (this.isStale) return this.reload()
    const dataVersion = this.currentDataVersion()
    if (dataVersion === this.dataVersion) return
    this.dataVersion = dataVersion
    if (this.currentPolicyVersion() !== this.policyVersion) this.reload()
  }

  private currentDataVersion(): number {
    return this.readDataVersion.get()?.data_version ?? 0
  }

  private currentPolicyVersion(): number {
    return this.readPolicyVersion.get()?.version ?? 0
  }
}
