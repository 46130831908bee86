/**
 * The one place where asset paths become file paths and where symlinks are
 * kept from leading out of the store: nothing outside the root is ever read
 * or written, whatever a symlink inside it points at.
 */
import { realpathSync, type Stats } from 'node:fs'
import { mkdir, realpath, stat } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { formatEtag } from '../../http/etag'
import { CrossportError } from '../../http/errors'
import type { StoredFile } from '../asset-store'
import { isMissing, type Audience } from './errors'

const withSep = (folder: string): string => (folder.endsWith(sep) ? folder : folder + sep)

export function toStoredFile(path: string, key: string, stats: Stats): StoredFile {
  return {
    path,
    key,
    sizeBytes: stats.size,
    mtimeMs: stats.mtimeMs,
    // Changes when the file is replaced by rename even if size and mtime match.
    revision: String(stats.ino),
    etag: formatEtag(stats.size, stats.mtimeMs),
  }
}

export class FsRoot {
  /** The root's real path at start-up, with a trailing separator: every file served lies below it. */
  readonly realPrefix: string
  private readonly realRoot: string
  private writable: Promise<string> | undefined

  /** @param dir the root folder as configured (ASSETS_DIR). */
  constructor(readonly dir: string) {
    let root = resolve(dir)
    try {
      // Once, at start-up: the root itself may be a symlink (e.g. a deploy's current/).
      root = realpathSync(root)
    } catch {
      // Not there yet: every lookup misses until it is; the resolved path is still the boundary.
    }
    this.realRoot = root
    this.realPrefix = withSep(root)
  }

  /** `/brand/logo.png` → `<root>/brand/logo.png`, for the admin side; refuses what no asset path can be. */
  fileFor(path: string): string {
    const segments = path.split('/').filter((s) => s !== '')
    if (segments.length === 0 || segments.some((s) => s === '..' || s === '.' || s.startsWith('.') || s.includes(sep))) {
      throw new CrossportError('INVALID_ASSET_PATH', `${JSON.stringify(path)} is not an asset path`)
    }
    return join(this.dir, ...segments)
  }

  /** The key of a file listed at `path` (a real file below the real root, reached without symlinks). */
  keyFor(path: string): string {
    return this.realPrefix + path.slice(1).split('/').join(sep)
  }

  /** The asset path of a key below the real root; undefined for any other file. */
  pathOf(key: string): string | undefined {
    return key.startsWith(this.realPrefix) ? '/' + key.slice(this.realPrefix.length).split(sep).join('/') : undefined
  }

  /**
   * The regular file at `path` whose real path lies inside the root;
   * undefined when there is none. The public side resolves against the root
   * found at start-up and never creates it; the admin side creates the root
   * on first use. What counts as "none" depends on `audience`.
   */
  async find(path: string, audience: Audience): Promise<StoredFile | undefined> {
    const file = audience === 'public' ? this.realRoot + path : this.fileFor(path)
    try {
      const real = await realpath(file)
      const prefix = audience === 'public' ? this.realPrefix : withSep(await this.writableRoot())
      // A symlink anywhere on the way may point elsewhere; only the real path counts.
      if (!real.startsWith(prefix)) return undefined
      const stats = await stat(real)
      return stats.isFile() ? toStoredFile(path, real, stats) : undefined
    } catch (error: unknown) {
      if (isMissing(error, audience)) return undefined
      throw error
    }
  }

  /**
   * Creates the parent folders of an upload, refusing when a symlinked folder
   * would put the file outside the root. The deepest existing ancestor is
   * checked first, so a refused upload creates no folder outside the store
   * either.
   */
  async ensureDirInside(folder: string, path: string): Promise<void> {
    const root = await this.writableRoot()
    const isInside = (real: string) => real === root || real.startsWith(withSep(root))
    const refuse = () => new CrossportError('INVALID_ASSET_PATH', `${path} leads outside the asset store (symlinked folder)`)
    let existing = folder
    for (;;) {
      try {
        if (!isInside(await realpath(existing))) throw refuse()
        break
      } catch (error: unknown) {
        if (!isMissing(error, 'admin') || existing === this.dir) throw error
        existing = dirname(existing)
      }
    }
    await mkdir(folder, { recursive: true })
    if (!isInside(await realpath(folder))) throw refuse()
  }

  /** The root's real path, creating the folder first when it is not there yet. */
  private writableRoot(): Promise<string> {
    this.writable ??= mkdir(this.dir, { recursive: true })
      .then(() => realpath(this.dir))
      .catch((error: unknown) => {
        this.writable = undefined
        throw error
      })
    return this.writable
  }
}
