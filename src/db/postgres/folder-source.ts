import type { PackedFolder } from '../../policy/packed-folder'
import { PACKED_FOLDER_COLUMNS, PackedFolderBuilder, type PackedRow } from '../packed-folder'
import type { PgDatabase, PgExecutor } from './database'

// The origins as one JSON text per folder, in order, as SQLite's
// json_group_array gives them ('[]' for none).
const ORIGINS_JSON = `(SELECT COALESCE(json_agg(o.origin ORDER BY o.position), '[]'::json)::text FROM folder_origins o WHERE o.folder_id = f.id)`
const SELECT_PACKED = `SELECT ${PACKED_FOLDER_COLUMNS}, ${ORIGINS_JSON} FROM folders f`

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

export interface CatchUp {
  readonly entries: LogEntry[]
  readonly complete: boolean
  /** The folders at the logged paths; undefined when there were too many to read one by one. */
  readonly folders: PackedFolder[] | undefined
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
   * Up to `limit` log entries after `seq`, whether the log still reaches back
   * to `seq` (pruning may have removed entries after it), and the folders at
   * the logged paths as they are now (a path without one is absent), unless
   * there are more than `maxFolders` of them. One statement, so one round
   * trip on every notification and one snapshot of log and folders.
   */
  async changesAfter(seq: number, limit: number, maxFolders: number): Promise<CatchUp> {
    const row = await this.db.get<{ log: string; latest: number | null; folders: string | null }>(
      `WITH changed AS (SELECT seq, path FROM policy_changes WHERE seq > $1 ORDER BY seq LIMIT ${limit}),
            paths AS (SELECT DISTINCT path FROM changed)
       SELECT (SELECT COALESCE(json_agg(json_build_array(seq, path) ORDER BY seq), '[]'::json) FROM changed)::text AS log,
              (SELECT MAX(seq) FROM policy_changes) AS latest,
              CASE WHEN (SELECT COUNT(*) FROM paths) <= ${maxFolders} THEN
                (SELECT COALESCE(json_agg(json_build_array(${PACKED_FOLDER_COLUMNS}, ${ORIGINS_JSON})), '[]'::json)
                   FROM folders f WHERE f.path IN (SELECT path FROM paths))::text
              END AS folders`,
      [seq],
    )
    const entries = (JSON.parse(row?.log ?? '[]') as Array<[number, string]>).map(([entrySeq, path]) => ({ seq: entrySeq, path }))
    const folders = row?.folders == null ? undefined : (JSON.parse(row.folders) as PackedRow[]).map((packed) => this.builder.toPacked(packed))
    return { entries, complete: (row?.latest ?? seq) - LOG_KEPT <= seq, folders }
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
