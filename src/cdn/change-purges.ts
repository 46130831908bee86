/**
 * What the admin side calls when it changes something a CDN may have cached:
 * the purge is written to the outbox inside the change's own transaction (so
 * it commits or rolls back with the change), and the outbox worker is woken
 * once the change has committed.
 */
import { PurgeOutboxRepo } from '../db/purge-outbox-repo'
import type { SqlExecutor } from '../db/sql'
import type { CdnKind } from '../config/cdn-settings'
import { assetChangeTags, folderChangeTags } from './tags'

/**
 * Each enqueuing method runs on the caller's transaction `tx` and returns the
 * outbox id of the purge (undefined when no CDN is configured).
 */
export interface ChangePurges {
  /** Folder `folderPath` was created, changed or deleted: everything under it goes. */
  folderChanged(tx: SqlExecutor, folderPath: string): Promise<number | undefined>
  /** These asset paths (a file and its `.br`/`.gz` siblings) changed: every response for them goes. */
  assetsChanged(tx: SqlExecutor, assetPaths: readonly string[]): Promise<number | undefined>
  /** By hand: a folder path (ending in `/`) as a folder change, any other path as an asset change. */
  pathChanged(tx: SqlExecutor, path: string): Promise<number | undefined>
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
const nothing = (): Promise<undefined> => Promise.resolve(undefined)
export const NO_PURGES: ChangePurges = Object.freeze({
  folderChanged: nothing,
  assetsChanged: nothing,
  pathChanged: nothing,
  committed: () => Promise.resolve(),
})

export function createChangePurges(kind: CdnKind, settled: (maxWaitMs: number) => Promise<void>): ChangePurges {
  if (kind === 'none') return NO_PURGES
  const folderChanged = (tx: SqlExecutor, folderPath: string): Promise<number> => new PurgeOutboxRepo(tx).enqueue(folderChangeTags(folderPath), [folderPath])
  const assetsChanged = (tx: SqlExecutor, assetPaths: readonly string[]): Promise<number> =>
    new PurgeOutboxRepo(tx).enqueue([...new Set(assetPaths.flatMap(assetChangeTags))], assetPaths)
  return {
    folderChanged,
    assetsChanged,
    pathChanged: (tx, path) => (path.endsWith('/') ? folderChanged(tx, path) : assetsChanged(tx, [path])),
    committed: () => settled(PURGE_WAIT_MS),
  }
}
