import type { Statement } from 'better-sqlite3'
import { LRUCache } from 'lru-cache'
import type { Folder, Policy, SignedUrlsMode } from '../policy/types'
import type { Db } from './sqlite/open'

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

interface OriginRow {
  folder_id: number
  origin: string
}

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
 * transaction (`db.transaction`), which is why no method here opens one.
 */
export class FolderRepo {
  private readonly selectAll: Statement<[], FolderRow>
  private readonly selectById: Statement<[number], FolderRow>
  private readonly selectByPath: Statement<[string], FolderRow>
  private readonly selectPage: Statement<PageQuery, FolderRow>
  private readonly selectPageOrigins: Statement<PageQuery, OriginRow>
  private readonly selectOrigins: Statement<[], OriginRow>
  private readonly selectOriginsOf: Statement<[number], OriginRow>
  private readonly insertFolder: Statement
  private readonly updateFolder: Statement
  private readonly deleteFolder: Statement<[number]>
  private readonly insertOrigin: Statement
  private readonly deleteOrigin: Statement<[number, string]>
  private readonly deleteOriginsOf: Statement<[number]>
  private readonly touchFolder: Statement<[string, number]>

  constructor(private readonly db: Db) {
    this.selectAll = db.prepare('SELECT * FROM folders ORDER BY path')
    this.selectById = db.prepare('SELECT * FROM folders WHERE id = ?')
    this.selectByPath = db.prepare('SELECT * FROM folders WHERE path = ?')
    // A page is a range of the path index: after the cursor, inside [prefix, end).
    const pageRange = 'SELECT id FROM folders WHERE path > @after AND path >= @prefix AND path < @end ORDER BY path LIMIT @limit'
    this.selectPage = db.prepare(`SELECT * FROM folders WHERE id IN (${pageRange}) ORDER BY path`)
    this.selectPageOrigins = db.prepare(
      `SELECT folder_id, origin FROM folder_origins WHERE folder_id IN (${pageRange}) ORDER BY folder_id, position`,
    )
    this.selectOrigins = db.prepare('SELECT folder_id, origin FROM folder_origins ORDER BY folder_id, position')
    this.selectOriginsOf = db.prepare('SELECT folder_id, origin FROM folder_origins WHERE folder_id = ? ORDER BY position')
    this.insertFolder = db.prepare(`INSERT INTO folders
      (path, methods, allow_headers, expose_headers, max_age, credentials, private_network, mode, cache_control, cdn_cache_control, signed_urls, created_at, updated_at)
      VALUES (@path, @methods, @allow_headers, @expose_headers, @max_age, @credentials, @private_network, @mode, @cache_control, @cdn_cache_control, @signed_urls, @now, @now)`)
    this.updateFolder = db.prepare(`UPDATE folders SET methods = @methods, allow_headers = @allow_headers,
      expose_headers = @expose_headers, max_age = @max_age, credentials = @credentials, private_network = @private_network,
      mode = @mode, cache_control = @cache_control, cdn_cache_control = @cdn_cache_control, signed_urls = @signed_urls, updated_at = @now WHERE id = @id`)
    this.deleteFolder = db.prepare('DELETE FROM folders WHERE id = ?')
    this.insertOrigin = db.prepare(`INSERT OR IGNORE INTO folder_origins (folder_id, origin, position)
      VALUES (?, ?, (SELECT COALESCE(MAX(position), -1) + 1 FROM folder_origins WHERE folder_id = ?))`)
    this.deleteOrigin = db.prepare('DELETE FROM folder_origins WHERE folder_id = ? AND origin = ?')
    this.deleteOriginsOf = db.prepare('DELETE FROM folder_origins WHERE folder_id = ?')
    this.touchFolder = db.prepare('UPDATE folders SET updated_at = ? WHERE id = ?')
  }

  list(): Folder[] {
    const origins = groupOrigins(this.selectOrigins.all())
    return this.selectAll.all().map((row) => toFolder(row, origins.get(row.id) ?? []))
  }

  /**
   * Up to `limit` folders by path, after the path `after` (a cursor), only
   * `prefix` and the folders below it when given (a folder path, ending in
   * `/`). Folder rows and their origins are read in one transaction, so a page
   * is consistent even while another process writes.
   */
  page(options: { readonly limit: number; readonly after?: string; readonly prefix?: string }): Folder[] {
    const prefix = options.prefix ?? '/'
    // Paths under `/brand/` sort before `/brand0`: `0` follows `/` in every collation SQLite uses here (BINARY).
    const query: PageQuery = { after: options.after ?? '', prefix, end: `${prefix.slice(0, -1)}0`, limit: options.limit }
    return this.db.transaction(() => {
      const origins = groupOrigins(this.selectPageOrigins.all(query))
      return this.selectPage.all(query).map((row) => toFolder(row, origins.get(row.id) ?? []))
    })()
  }

  get(id: number): Folder | undefined {
    const row = this.selectById.get(id)
    return row ? this.withOrigins(row) : undefined
  }

  findByPath(path: string): Folder | undefined {
    const row = this.selectByPath.get(path)
    return row ? this.withOrigins(row) : undefined
  }

  create(path: string, policy: Policy, now: string = new Date().toISOString()): Folder {
    const info = this.insertFolder.run({ path, now, ...policyColumns(policy) })
    const id = Number(info.lastInsertRowid)
    this.writeOrigins(id, policy.origins)
    return this.get(id) as Folder
  }

  /** Replaces the whole policy, origins included. */
  replacePolicy(id: number, policy: Policy, now: string = new Date().toISOString()): Folder | undefined {
    const info = this.updateFolder.run({ id, now, ...policyColumns(policy) })
    if (info.changes === 0) return undefined
    this.deleteOriginsOf.run(id)
    this.writeOrigins(id, policy.origins)
    return this.get(id)
  }

  delete(id: number): boolean {
    return this.deleteFolder.run(id).changes > 0
  }

  /** @returns true when the origin was added, false when it was already there. */
  addOrigin(id: number, origin: string, now: string = new Date().toISOString()): boolean {
    const added = this.insertOrigin.run(id, origin, id).changes > 0
    if (added) this.touchFolder.run(now, id)
    return added
  }

  removeOrigin(id: number, origin: string, now: string = new Date().toISOString()): boolean {
    const removed = this.deleteOrigin.run(id, origin).changes > 0
    if (removed) this.touchFolder.run(now, id)
    return removed
  }

  private withOrigins(row: FolderRow): Folder {
    return toFolder(row, this.selectOriginsOf.all(row.id).map((o) => o.origin))
  }

  private writeOrigins(id: number, origins: readonly string[]): void {
    for (const origin of origins) this.insertOrigin.run(id, origin, id)
  }
}

interface PageQuery {
  after: string
  prefix: string
  end: string
  limit: number
}

function groupOrigins(rows: readonly OriginRow[]): Map<number, string[]> {
  const origins = new Map<number, string[]>()
  for (const row of rows) {
    const list = origins.get(row.folder_id)
    if (list) list.push(row.origin)
    else origins.set(row.folder_id, [row.origin])
  }
  return origins
}

function policyColumns(policy: Policy) {
  return {
    methods: JSON.stringify(policy.methods),
    allow_headers: JSON.stringify(policy.allowHeaders),
    expose_headers: JSON.stringify(policy.exposeHeaders),
    max_age: policy.maxAge,
    credentials: policy.credentials ? 1 : 0,
    private_network: policy.privateNetwork ? 1 : 0,
    mode: policy.mode,
    cache_control: policy.cacheControl,
    cdn_cache_control: policy.cdnCacheControl,
    signed_urls: policy.signedUrls,
  }
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
