/**
 * What the admin side calls when it changes something a CDN may have cached:
 * the purge is written to the outbox inside the change's own transaction (so
 * it commits or rolls back with the change), and the outbox worker is woken
 * once the change has committed.
 */
import type { Db } from '../db/sqlite/open'
import { PurgeOutboxRepo } from '../db/purge-outbox-repo'
import type { CdnKind } from '../config/cdn-settings'
import { assetChangeTags, folderChangeTags } from './tags'

/**
 * Each enqueuing method runs inside the caller's transaction and returns the
 * outbox id of the purge (undefined when no CDN is configured).
 */
export interface ChangePurges {
  /** Folder `folderPath` was created, changed or deleted: everything under it goes. */
  folderChanged(folderPath: string): number | undefined
  /** These asset paths (a file and its `.br`/`.gz` siblings) changed: every response for them goes. */
  assetsChanged(assetPaths: readonly string[]): number | undefined
  /** By hand: a folder path (ending in `/`) as a folder change, any other path as an asset change. */
  pathChanged(path: string): number | undefined
  /**
   * After the commit: delivers now rather than at the next poll, and resolves
   * once that was tried (at most `PURGE_WAIT_MS` later), so the admin answer
   * goes out after the CDN forgot: the next request through it sees the change.
   */
  committed(): Promise<void>
}

/** The longest an admin answer waits for its purge; an unreachable CDN gets it later, by retry. */
export const PURGE_WAIT_MS = 2000

/** With CDN=none: nothing is written, nothing is sent. */
export const NO_PURGES: ChangePurges = Object.freeze({
  folderChanged: () => undefined,
  assetsChanged: () => undefined,
  pathChanged: () => undefined,
  committed: () => Promise.resolve(),
})

export function createChangePurges(db: Db, kind: CdnKind, settled: (maxWaitMs: number) => Promise<void>): ChangePurges {
  if (kind === 'none') return NO_PURGES
  const outbox = new PurgeOutboxRepo(db)
  const folderChanged = (folderPath: string): number => outbox.enqueue(folderChangeTags(folderPath), [folderPath])
  const assetsChanged = (assetPaths: readonly string[]): number => outbox.enqueue([...new Set(assetPaths.flatMap(assetChangeTags))], assetPaths)
  return {
    folderChanged,
    assetsChanged,
    pathChanged: (path) => (path.endsWith('/') ? folderChanged(path) : assetsChanged([path])),
    committed: () => settled(PURGE_WAIT_MS),
  }
}
