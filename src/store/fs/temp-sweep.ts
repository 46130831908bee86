/**
 * Upload temp files: where they live, which of them a live upload of this
 * process still owns, and the sweep that removes the ones a crashed process
 * (kill -9, OOM) left behind.
 */
import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { isMissing } from './errors'
import { isOrphanedTemp, isProcessAlive, localOwner, tempFileName, type SweepFacts } from './temp-files'

/**
 * Upload temp files live inside the store's own file system, so the final
 * rename is atomic (rename(2) across file systems is a copy). A dot-folder:
 * the public side never serves dotfiles, and listings skip it.
 */
export const TEMP_DIR_NAME = '.crossport-tmp'

/** Temp files untouched this long are removed whoever wrote them (another host's crashed upload). */
const STALE_TEMP_MS = 60 * 60 * 1000
/**
 * A temp file written this recently is never removed. A live upload writes at
 * least every REQUEST_TIMEOUT_MS (60 s by default; the upload listener cuts
 * idle uploads off after it), so this is well past any live one.
 */
const TEMP_GRACE_MS = 5 * 60 * 1000
const DEFAULT_SWEEP_INTERVAL_MS = 5 * 60 * 1000

/** Temp files (full paths) that an upload of this process still writes or commits, across every store instance. */
const liveTempFiles = new Set<string>()

/** A new temp file path in `tempDir`, owned by this process until `releaseTempFile`; the sweep leaves it alone. */
export function claimTempFile(tempDir: string): string {
  const file = join(tempDir, tempFileName(localOwner()))
  liveTempFiles.add(file)
  return file
}

export function releaseTempFile(file: string): void {
  liveTempFiles.delete(file)
}

export interface SweepOptions {
  /** Called with errors of a background sweep, which must not fail a request. */
  readonly onError?: (error: unknown) => void
  /** Called after each background sweep with the temp files it removed (names inside TEMP_DIR_NAME). */
  readonly onSwept?: (removed: readonly string[]) => void
  /** How often, besides once at start. */
  readonly intervalMs?: number
}

export class TempSweeper {
  private timer: NodeJS.Timeout | undefined
  /** The sweep running now, if any: sweeps never overlap. */
  private sweeping: Promise<readonly string[]> | undefined

  constructor(private readonly tempDir: string) {}

  /** Sweeps now and then every `intervalMs` until `stop`. */
  start(options: SweepOptions): void {
    const inBackground = () =>
      this.sweep().then(
        (removed) => options.onSwept?.(removed),
        (error: unknown) => options.onError?.(error),
      )
    void inBackground()
    this.timer = setInterval(inBackground, options.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /**
   * Removes temp files no live upload owns (see `isOrphanedTemp`).
   * @returns the names removed.
   */
  sweep(): Promise<readonly string[]> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = undefined
    })
    return this.sweeping
  }

  private async sweepOnce(): Promise<readonly string[]> {
    let names: string[]
    try {
      names = await readdir(this.tempDir)
    } catch (error: unknown) {
      if (isMissing(error, 'admin')) return []
      throw error
    }
    const facts: SweepFacts = {
      self: localOwner(),
      isLive: (name) => liveTempFiles.has(join(this.tempDir, name)),
      isProcessAlive,
      graceMs: TEMP_GRACE_MS,
      staleMs: STALE_TEMP_MS,
    }
    const removed: string[] = []
    for (const name of names) {
      const file = join(this.tempDir, name)
      const stats = await stat(file).catch(() => undefined)
      if (stats === undefined || !stats.isFile() || !isOrphanedTemp(name, Date.now() - stats.mtimeMs, facts)) continue
      await rm(file, { force: true })
      removed.push(name)
    }
    return removed
  }
}
