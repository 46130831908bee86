/**
 * What the admin side calls when it changes something a CDN may have cached:
 * the purge is written to the outbox inside the change's own transaction (so
 * it commits or rolls back with the change), and the outbox worker is woken
 * once the change has committed.
 */
import type { Db } from '../db/open'
import { PurgeOutboxRepo } from '../db/purge-outbox-repo'
import type { CdnKind } from '../config/cdn-settings'
import { assetChangeTags, folderChangeTags } from './tags'

export interface ChangePurges {
  /** Inside the transaction: folder `folderPath` was created, changed or deleted; everything under it goes. */
  folderChanged(folderPath: string): void
  /** Inside the transaction: these asset paths (a file and its `.br`/`.gz` siblings) changed; every response for them goes. */
  assetsChanged(assetPaths: readonly string[]): void
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
export const NO_PURGES: ChangePurges = Object.freeze({ folderChanged: () => {}, assetsChanged: () => {}, committed: () => Promise.resolve() })

export function createChangePurges(db: Db, kind: CdnKind, settled: (maxWaitMs: number) => Promise<void>): ChangePurges {
  if (kind === 'none') return NO_PURGES
  const outbox = new PurgeOutboxRepo(db)
  return {
    folderChanged: (folderPath) => void outbox.enqueue(folderChangeTags(folderPath), [folderPath]),
    assetsChanged: (assetPaths) => void outbox.enqueue([...new Set(assetPaths.flatMap(assetChangeTags))], assetPaths),
    committed: () => settled(PURGE_WAIT_MS),
  }
}
