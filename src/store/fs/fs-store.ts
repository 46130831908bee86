import { createReadStream } from 'node:fs'
import { constants as fsConstants } from 'node:fs'
import { access } from 'node:fs/promises'
import { rename, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { PRECOMPRESSED_SIBLINGS } from '../../http/precompressed'
import type {
  AssetStore,
  DeleteResult,
  ListOptions,
  ListPage,
  OpenStoredFile,
  PutOptions,
  PutResult,
  StoredFile,
} from '../asset-store'
import { PathLocks } from '../path-locks'
import { isMissing, toStoreError } from './errors'
import { listFiles } from './list'
import { openInside } from './read'
import { FsRoot } from './root'
import { TEMP_DIR_NAME, TempSweeper, type SweepOptions } from './temp-sweep'
import { keepEtagDistinct, syncDir, withUploadedTemp, writeFully, type WriteChunk } from './write'

export interface FsAssetStoreOptions {
  /**
   * Sweep upload temp files that no live upload owns, at start and then
   * periodically: wherever this store takes uploads. A store that only reads
   * (a cluster worker without the admin API, the derivative cache) leaves it out.
   */
  readonly sweep?: SweepOptions
  /** Seam for tests that need the disk to fail (a full disk); writes the whole chunk by default. */
  readonly writeChunk?: WriteChunk
}

/** The asset store on the local file system, confined to its root folder (ASSETS_DIR) after resolving symlinks. */
export class FsAssetStore implements AssetStore {
  readonly tempDir: string
  private readonly root: FsRoot
  private readonly locks = new PathLocks()
  private readonly writeChunk: WriteChunk
  private readonly sweeper: TempSweeper

  constructor(
    private readonly rootDir: string,
    options: FsAssetStoreOptions = {},
  ) {
    this.root = new FsRoot(rootDir)
    this.tempDir = join(rootDir, TEMP_DIR_NAME)
    this.writeChunk = options.writeChunk ?? writeFully
    this.sweeper = new TempSweeper(this.tempDir)
    // At start: a process killed mid-upload (kill -9, OOM) never removed its temp file.
    if (options.sweep !== undefined) this.sweeper.start(options.sweep)
  }

  /** Stops the periodic sweep. */
  close(): void {
    this.sweeper.stop()
  }

  /**
   * Removes temp files no live upload owns, now.
   * @returns the names removed.
   */
  sweepOrphanedTemp(): Promise<readonly string[]> {
    return this.sweeper.sweep()
  }

  lookup(path: string): Promise<StoredFile | undefined> {
    return this.root.find(path, 'public')
  }

  open(key: string): Promise<OpenStoredFile | undefined> {
    const path = this.root.pathOf(key)
    // Keys come from `lookup`, so they lie below the root; any other file is not ours to open.
    return path === undefined ? Promise.resolve(undefined) : openInside(key, path, this.root.realPrefix)
  }

  stat(path: string): Promise<StoredFile | undefined> {
    return this.root.find(path, 'admin')
  }

  async put(path: string, body: Readable, options: PutOptions): Promise<PutResult> {
    const target = this.root.fileFor(path)
    let isRenamed = false
    try {
      return await withUploadedTemp(this.tempDir, body, options, this.writeChunk, (tempPath) =>
        this.locks.run(path, async () => {
          const before = await this.stat(path)
          options.precondition?.(before)
          await keepEtagDistinct(tempPath, before)
          const parent = dirname(target)
          await this.root.ensureDirInside(parent, path)
          await rename(tempPath, target)
          isRenamed = true
          await syncDir(parent)
          const after = await this.stat(path)
          if (after === undefined) throw new Error(`${path} vanished right after it was renamed into place`)
          return { before, after }
        }),
      )
    } catch (error: unknown) {
      // Past the rename the new version is in place: never report that nothing changed.
      throw isRenamed ? error : toStoreError(error, path)
    }
  }

  delete(path: string): Promise<DeleteResult | undefined> {
    return this.locks.run(path, async () => {
      const before = await this.stat(path)
      if (before === undefined) return undefined
      const target = this.root.fileFor(path)
      await unlink(target)
      const siblings: string[] = []
      for (const [, suffix] of PRECOMPRESSED_SIBLINGS) {
        try {
          await unlink(target + suffix)
          siblings.push(path + suffix)
        } catch (error: unknown) {
          if (!isMissing(error, 'admin')) throw error
        }
      }
      await syncDir(dirname(target))
      return { before, siblings }
    })
  }

  list(options: ListOptions): Promise<ListPage> {
    return listFiles(this.root, options)
  }

  read(path: string): Readable {
    return createReadStream(this.root.fileFor(path))
  }

  localPath(path: string): string {
    return this.root.fileFor(path)
  }

  async whyNotReady(): Promise<string | undefined> {
    try {
      // R_OK | X_OK: a directory must be searchable to open files inside it.
      await access(this.rootDir, fsConstants.R_OK | fsConstants.X_OK)
      return undefined
    } catch (error) {
      return `${this.rootDir} not readable: ${(error as NodeJS.ErrnoException).code ?? String(error)}`
    }
  }
}
