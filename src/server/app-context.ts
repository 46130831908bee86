import type { AdminContext } from '../admin/context'
import type { Telemetry } from '../ops/telemetry'

/** What every part of a running Crossport process shares. Built once in `app.ts`; each part declares the slice it needs. */
export interface AppContext extends AdminContext {
  readonly telemetry: Telemetry
}
