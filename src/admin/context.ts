import type { ChangePurges } from '../cdn/change-purges'
import type { Config } from '../config/config'
import type { LivePolicies, SqlDatabase } from '../db/sql'
import type { ImageService } from '../images/types'
import type { Logger } from '../ops/log'
import type { AssetStore } from '../store/asset-store'
import type { AppEvents } from '../util/app-events'

/** What the admin API's routes share: built once by the server wiring. */
export interface AdminContext {
  readonly config: Readonly<Config>
  readonly logger: Logger
  /** SQLite or PostgreSQL: the routes write through `db.transaction` and the repositories, never engine-specific SQL. */
  readonly db: SqlDatabase
  readonly policies: LivePolicies
  readonly events: AppEvents
  readonly images: ImageService | undefined
  /** The one asset store: the admin API writes to the same object the public listener reads from. */
  readonly store: AssetStore
  /** Tells the CDN to forget what a change made stale; absent: no CDN (as with CDN=none). */
  readonly purges?: ChangePurges
}
