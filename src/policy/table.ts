/**
 * The compiled policy table: every folder's policy turned, once per change,
 * into what a request needs, so finding the folder of the longest prefix costs
 * a few Map lookups and no SQL. Pure: the live copy and its reloading are in
 * `db/live-policy-table.ts`.
 */
import { ANY_ORIGIN } from './origin'
import { createOriginMatcher, type OriginMatcher } from './origin-matcher'
import { isPackedFolder, unpackFolder, type PackedFolder } from './packed-folder'
import { DEFAULT_POLICY, type Folder, type Policy } from './types'

/** One folder with everything `decideCors` needs precomputed, so a request allocates little. */
export interface CompiledFolder {
  readonly folder: Folder
  readonly matchOrigin: OriginMatcher
  /** The policy lists at least one origin rule: the folder is shared cross-origin. */
  readonly isShared: boolean
  /** A `*` rule is present: any origin but `null` is allowed. */
  readonly allowsAnyOrigin: boolean
  /**
   * The answer depends on the request's Origin, so responses need `Vary: Origin`:
   * any origin rule (even `*`, since `null` is refused) or strict mode.
   */
  readonly dependsOnOrigin: boolean
  /** The policy's methods, normalised by `normaliseMethod`, for preflight checks. */
  readonly methods: ReadonlySet<string>
  /** Allowed request header names, lower case. */
  readonly allowHeaderNames: ReadonlySet<string>
  /** `*` in allowHeaders: any name but Authorization, when credentials are off (Fetch §3.2.3). */
  readonly allowsAnyHeader: boolean
  /** `Access-Control-Allow-Methods` value. */
  readonly allowMethodsHeader: string
  /** `Access-Control-Allow-Headers` value, `''` when the policy lists none. */
  readonly allowHeadersHeader: string
  /** `Access-Control-Expose-Headers` value, `''` when the policy lists none. */
  readonly exposeHeadersHeader: string
  /** `Access-Control-Max-Age` value. */
  readonly maxAgeHeader: string
}

export interface PolicyTable {
  /** How many folders the table holds, the `/` folder included. */
  readonly size: number
  /**
   * Every folder, `/` first, then by path. Sorted on first use after a change
   * (O(n log n)), so it is for tools and tests, never for a request.
   */
  readonly folders: readonly CompiledFolder[]
  /** The folder stored at exactly `path`, if any. */
  get(path: string): CompiledFolder | undefined
  /** The folder of the longest folder prefix of `urlPath`; `/` when no other applies. */
  resolve(urlPath: string): CompiledFolder
}

const ROOT_PATH = '/'

/** The `/` folder used when the database has none: no cross-origin access, since sharing is opted into folder by folder. */
const SYNTHETIC_ROOT_FOLDER: Folder = Object.freeze({
  id: 0,
  path: ROOT_PATH,
  policy: Object.freeze({ ...DEFAULT_POLICY, origins: Object.freeze([]) }) as Policy,
  createdAt: '1970-01-01T00:00:00.000Z',
  updatedAt: '1970-01-01T00:00:00.000Z',
})

const byFolderPath = (a: CompiledFolder, b: CompiledFolder): number => (a.folder.path < b.folder.path ? -1 : a.folder.path > b.folder.path ? 1 : 0)

/**
 * The table as a Map from folder path to compiled folder: a change
 * to one folder replaces or removes that one entry, whatever the number of
 * folders, and `resolve` costs O(depth of the request path). Removing a
 * folder needs nothing more: its subtree then resolves to the next shorter
 * prefix, its parent. A replaced folder is a new `CompiledFolder`, so the
 * decision memo keyed on it starts afresh.
 */
export class FolderTable implements PolicyTable {
  /**
   * A folder is compiled on the first request that resolves to it and kept
   * (same object, so its decision memo lives on): start-up and a change only
   * store plain or packed folders, and folders no request asks for cost no
   * matcher.
   */
  private readonly byPath = new Map<string, TableEntry>()
  private sorted: readonly CompiledFolder[] | undefined

  constructor() {
    this.byPath.set(ROOT_PATH, SYNTHETIC_ROOT_FOLDER)
  }

  get size(): number {
    return this.byPath.size
  }

  get folders(): readonly CompiledFolder[] {
    this.sorted ??= Object.freeze([...this.byPath.keys()].map((path) => this.get(path) as CompiledFolder).sort(byFolderPath))
    return this.sorted
  }

  has(path: string): boolean {
    return this.byPath.has(path)
  }

  get(path: string): CompiledFolder | undefined {
    const entry = this.byPath.get(path)
    if (entry === undefined || isCompiled(entry)) return entry
    const compiled = compileFolder(isPackedFolder(entry) ? unpackFolder(entry) : entry)
    this.byPath.set(path, compiled)
    return compiled
  }

  /** Puts `folder` at its path, replacing what was there. */
  set(folder: TableEntry): void {
    this.byPath.set(isCompiled(folder) ? folder.folder.path : folder.path, folder)
    this.sorted = undefined
  }

  /** Removes the folder at `path`; `/` falls back to the synthetic root (shares nothing). */
  delete(path: string): void {
    if (path === ROOT_PATH) this.set(SYNTHETIC_ROOT_FOLDER)
    else if (this.byPath.delete(path)) this.sorted = undefined
  }

  resolve(urlPath: string): CompiledFolder {
    // Walk the path's own prefixes, longest first: O(depth) Map lookups,
    // whatever the number of folders. `/brand/x.png` tries `/brand/`, then `/`;
    // `/brandnew.png` and `/brand` only ever try `/`.
    let slash = urlPath.lastIndexOf('/')
    while (slash > 0) {
      const found = this.get(urlPath.slice(0, slash + 1))
      if (found !== undefined) return found
      slash = urlPath.lastIndexOf('/', slash - 1)
    }
    return this.get(ROOT_PATH) as CompiledFolder
  }
}

/** What the table holds per path: compiled on first use. */
export type TableEntry = Folder | PackedFolder | CompiledFolder

const isCompiled = (entry: TableEntry): entry is CompiledFolder => 'matchOrigin' in entry

export function compilePolicyTable(folders: readonly Folder[]): FolderTable {
  const table = new FolderTable()
  let hasRoot = false
  for (const folder of folders) {
    // A path is unique in the database; should two arrive anyway, the first wins.
    if (folder.path === ROOT_PATH ? hasRoot : table.has(folder.path)) continue
    if (folder.path === ROOT_PATH) hasRoot = true
    table.set(folder)
  }
  return table
}

export function compileFolder(folder: Folder): CompiledFolder {
  const { policy } = folder
  const methods = new Set<string>()
  for (const method of policy.methods) methods.add(normaliseMethod(method))
  const allowHeaderNames = new Set(policy.allowHeaders.map((name) => name.toLowerCase()))
  const isShared = policy.origins.length > 0
  return Object.freeze({
    folder,
    matchOrigin: createOriginMatcher(policy.origins),
    isShared,
    allowsAnyOrigin: policy.origins.includes(ANY_ORIGIN),
    dependsOnOrigin: isShared || policy.mode === 'strict',
    methods,
    allowHeaderNames,
    allowsAnyHeader: !policy.credentials && allowHeaderNames.has('*'),
    allowMethodsHeader: policy.methods.join(', '),
    allowHeadersHeader: policy.allowHeaders.join(', '),
    exposeHeadersHeader: policy.exposeHeaders.join(', '),
    maxAgeHeader: String(policy.maxAge),
  })
}

// Fetch §2.2.1 "normalize a method" upper-cases these (PATCH added: it is as
// common, and a lower-case `patch` is never meant as a different method).
const NORMALISED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'])

/** Upper-cases the well-known methods; any other method is compared exactly (methods are case-sensitive, RFC 9110 §9.1). */
export function normaliseMethod(method: string): string {
  const upper = method.toUpperCase()
  return NORMALISED_METHODS.has(upper) ? upper : method
}
