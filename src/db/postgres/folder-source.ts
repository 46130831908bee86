import type { PackedFolder } from '../../policy/packed-folder'
import { PACKED_FOLDER_COLUMNS, PackedFolderBuilder, type PackedRow } from '../packed-folder'
import type { PgDatabase, PgExecutor } from './database'

// The origins as one JSON text per folder, in order, as SQLite's
// json_group_array gives them ('[]' for none).
const SELECT_PACKED = `SELECT ${PACKED_FOLDER_COLUMNS},
    (SELECT COALESCE(json_agg(o.origin ORDER BY o.position), '[]'::json)::text FROM folder_origins o WHERE o.folder_id = f.id)
  FROM folders f`

/** Folders read per page of a full read: the rows of 100,000 folders never sit in memory all at once. */
const PAGE = 5_000

/** The policy_changes_prune trigger keeps this many entries behind the newest (migrations/postgres/0003). */
export const LOG_KEPT = 50_000

export interface FolderSnapshot {
  readonly folders: PackedFolder[]
  /** The last policy_changes entry the folders reflect. */
  readonly seq: number
  readonly version: number
}

export interface LogEntry {
  readonly seq: number
  readonly path: string
}

/** The reads PgLivePolicies makes: all folders, the change log after a point, some folders by path. */
export class PgFolderSource {
  private readonly builder = new PackedFolderBuilder()

  constructor(private readonly db: PgDatabase) {}

  /** Every folder, the log position and the version row, from one snapshot: nothing missed, nothing twice. */
  snapshot(): Promise<FolderSnapshot> {
    return this.db.snapshot(async (tx) => {
      const folders: PackedFolder[] = []
      for (let after = ''; ; ) {
        const rows = await tx.arrays<PackedRow>(`${SELECT_PACKED} WHERE f.path > $1 ORDER BY f.path LIMIT ${PAGE}`, [after])
        for (const row of rows) folders.push(this.builder.toPacked(row))
        const last = rows[rows.length - 1]
        if (last === undefined || rows.length < PAGE) break
        after = last[1]
      }
      const position = await this.position(tx)
      return { folders, ...position }
    })
  }

  /**
   * Up to `limit` log entries after `seq`, and whether the log still reaches
   * back to `seq` (pruning may have removed entries after it).
   */
  async changesAfter(seq: number, limit: number): Promise<{ entries: LogEntry[]; complete: boolean }> {
    // The newest entry rides along in each row: one round trip, not two, on every notification.
    const rows = await this.db.all<LogEntry & { latest: number }>(
      `SELECT seq, path, (SELECT MAX(seq) FROM policy_changes) AS latest FROM policy_changes WHERE seq > $1 ORDER BY seq LIMIT ${limit}`,
      [seq],
    )
    const latest = rows[0]?.latest ?? seq
    return { entries: rows.map(({ seq: entrySeq, path }) => ({ seq: entrySeq, path })), complete: latest - LOG_KEPT <= seq }
  }

  /** The folders at `paths` as they are now; a path with no folder is simply absent. */
  async byPaths(paths: readonly string[]): Promise<PackedFolder[]> {
    const rows = await this.db.arrays<PackedRow>(`${SELECT_PACKED} WHERE f.path IN (SELECT json_array_elements_text($1::json))`, [JSON.stringify(paths)])
    return rows.map((row) => this.builder.toPacked(row))
  }

  async version(): Promise<number> {
    return (await this.db.get<{ version: number }>('SELECT version FROM policy_version WHERE id = 1'))?.version ?? 0
  }

  private async position(on: PgExecutor): Promise<{ seq: number; version: number }> {
    const row = await on.get<{ seq: number | null; version: number }>(
      'SELECT (SELECT MAX(seq) FROM policy_changes) AS seq, (SELECT version FROM policy_version WHERE id = 1) AS version',
    )
    return { seq: row?.seq ?? 0, version: row?.version ?? 0 }
  }
}
