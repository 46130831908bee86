import { LRUCache } from 'lru-cache'
import type { Folder, Policy, SignedUrlsMode } from '../policy/types'
import type { SqlExecutor, SqlValue } from './sql'

interface FolderRow {
  id: number
  path: string
  methods: string
  allow_headers: string
  expose_headers: string
  max_age: number
  credentials: number
  private_network: number
  mode: 'cors' | 'strict'
  cache_control: string
  cdn_cache_control: string | null
  signed_urls: SignedUrlsMode
  created_at: string
  updated_at: string
}

/** A folder row joined with one of its origins (null for a folder without any). */
interface FolderOriginRow extends FolderRow {
  origin: string | null
}

const FOLDER_COLUMNS =
  'id, path, methods, allow_headers, expose_headers, max_age, credentials, private_network, mode, cache_control, cdn_cache_control, signed_urls, created_at, updated_at'

// Most folders share their methods and header lists: one frozen array per
// distinct JSON text keeps 100,000 folders from holding 100,000 copies.
const MAX_SHARED_LISTS = 1_000
const sharedLists = new LRUCache<string, readonly string[]>({ max: MAX_SHARED_LISTS })

/** A JSON list column as a frozen array, one per distinct text. */
export const jsonList = (text: string): readonly string[] => {
  const shared = sharedLists.get(text)
  if (shared !== undefined) return shared
  const value: unknown = JSON.parse(text)
  const list = Object.freeze(Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [])
  sharedLists.set(text, list)
  return list
}

/**
 * Folders with their policies. Plain data in and out; validation happens
 * before (admin schemas), audit rows are written by the caller inside the same
 * transaction (`new FolderRepo(tx)` within `db.transaction`), which is why no
 * method here opens one.
 *
 * A folder is read with its origins in one statement (the folder rows joined
 * with their origins), so what is read is one snapshot on either engine, even
 * while another process writes.
 */
export class FolderRepo {
  constructor(private readonly db: SqlExecutor) {}

  list(): Promise<Folder[]> {
    return this.select('SELECT * FROM folders', [])
  }

  /**
   * Up to `limit` folders by path, after the path `after` (a cursor), only
   * `prefix` and the folders below it when given (a folder path, ending in
   * `/`).
   */
  page(options: { readonly limit: number; readonly after?: string; readonly prefix?: string }): Promise<Folder[]> {
    const prefix = options.prefix ?? '/'
    // Paths under `/brand/` sort before `/brand0`: `0` follows `/` in byte order (SQLite's BINARY, PostgreSQL's "C").
    const end = `${prefix.slice(0, -1)}0`
    // A page is a range of the path index: after the cursor, inside [prefix, end).
    const range = 'SELECT * FROM folders WHERE path > $1 AND path >= $2 AND path < $3 ORDER BY path LIMIT $4'
    return this.select(range, [options.after ?? '', prefix, end, options.limit])
  }

  async get(id: number): Promise<Folder | undefined> {
    return (await this.select('SELECT * FROM folders WHERE id = $1', [id]))[0]
  }

  async findByPath(path: string): Promise<Folder | undefined> {
    return (await this.select('SELECT * FROM folders WHERE path = $1', [path]))[0]
  }

  /** Whether any folder but `/` exists (the demo seed's question), without reading them. */
  async hasOthersThanRoot(): Promise<boolean> {
    return (await this.db.get("SELECT 1 AS one FROM folders WHERE path <> '/' LIMIT 1")) !== undefined
  }

  async create(path: string, policy: Policy, now: string = new Date().toISOString()): Promise<Folder> {
    const row = await this.db.get<{ id: number }>(
      `INSERT INTO folders
      (path, methods, allow_headers, expose_headers, max_age, credentials, private_network, mode, cache_control, cdn_cache_control, signed_urls, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id`,
      [path, ...policyColumns(policy), now],
    )
    const id = (row as { id: number }).id
    await this.writeOrigins(id, policy.origins)
    return (await this.get(id)) as Folder
  }

  /** Replaces the whole policy, origins included. */
  async replacePolicy(id: number, policy: Policy, now: string = new Date().toISOString()): Promise<Folder | undefined> {
    const { changes } = await this.db.run(
      `UPDATE folders SET methods = $1, allow_headers = $2, expose_headers = $3, max_age = $4, credentials = $5,
      private_network = $6, mode = $7, cache_control = $8, cdn_cache_control = $9, signed_urls = $10, updated_at = $11 WHERE id = $12`,
      [...policyColumns(policy), now, id],
    )
    if (changes === 0) return undefined
    await this.db.run('DELETE FROM folder_origins WHERE folder_id = $1', [id])
    await this.writeOrigins(id, policy.origins)
    return this.get(id)
  }

  async delete(id: number): Promise<boolean> {
    return (await this.db.run('DELETE FROM folders WHERE id = $1', [id])).changes > 0
  }

  /** @returns true when the origin was added, false when it was already there. */
  async addOrigin(id: number, origin: string, now: string = new Date().toISOString()): Promise<boolean> {
    const added = await this.insertOrigin(id, origin)
    if (added) await this.touch(id, now)
    return added
  }

  async removeOrigin(id: number, origin: string, now: string = new Date().toISOString()): Promise<boolean> {
    const removed = (await this.db.run('DELETE FROM folder_origins WHERE folder_id = $1 AND origin = $2', [id, origin])).changes > 0
    if (removed) await this.touch(id, now)
    return removed
  }

  /** The folders `folderSql` selects (`SELECT * FROM folders …`), in its order, each with its origins in theirs. */
  private async select(folderSql: string, params: readonly SqlValue[]): Promise<Folder[]> {
    const rows = await this.db.all<FolderOriginRow>(
      `SELECT ${FOLDER_COLUMNS.split(', ').map((c) => `f.${c}`).join(', ')}, o.origin
      FROM (${folderSql}) f LEFT JOIN folder_origins o ON o.folder_id = f.id ORDER BY f.path, o.position`,
      params,
    )
    const folders: Folder[] = []
    let current: { row: FolderOriginRow; origins: string[] } | undefined
    for (const row of rows) {
      if (current === undefined || current.row.id !== row.id) {
        if (current !== undefined) folders.push(toFolder(current.row, current.origins))
        current = { row, origins: [] }
      }
      if (row.origin !== null) current.origins.push(row.origin)
    }
    if (current !== undefined) folders.push(toFolder(current.row, current.origins))
    return folders
  }

  private async insertOrigin(id: number, origin: string): Promise<boolean> {
    const { changes } = await this.db.run(
      `INSERT INTO folder_origins (folder_id, origin, position)
      VALUES ($1, $2, (SELECT COALESCE(MAX(position), -1) + 1 FROM folder_origins WHERE folder_id = $1))
      ON CONFLICT DO NOTHING`,
      [id, origin],
    )
    return changes > 0
  }

  private async touch(id: number, now: string): Promise<void> {
    await this.db.run('UPDATE folders SET updated_at = $1 WHERE id = $2', [now, id])
  }

  private async writeOrigins(id: number, origins: readonly string[]): Promise<void> {
    for (const origin of origins) await this.insertOrigin(id, origin)
  }
}

/** The policy's columns from `methods` to `signed_urls`, in the order of the statements above. */
function policyColumns(policy: Policy): SqlValue[] {
  return [
    JSON.stringify(policy.methods),
    JSON.stringify(policy.allowHeaders),
    JSON.stringify(policy.exposeHeaders),
    policy.maxAge,
    policy.credentials ? 1 : 0,
    policy.privateNetwork ? 1 : 0,
    policy.mode,
    policy.cacheControl,
    policy.cdnCacheControl,
    policy.signedUrls,
  ]
}

function toFolder(row: FolderRow, origins: string[]): Folder {
  return {
    id: row.id,
    path: row.path,
    policy: {
      origins,
      methods: jsonList(row.methods),
      allowHeaders: jsonList(row.allow_headers),
      exposeHeaders: jsonList(row.expose_headers),
      maxAge: row.max_age,
      credentials: row.credentials === 1,
      privateNetwork: row.private_network === 1,
      mode: row.mode,
      cacheControl: row.cache_control,
      cdnCacheControl: row.cdn_cache_control,
      signedUrls: row.signed_urls,
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}
