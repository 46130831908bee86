import type { CorsOutcome } from '../cors/types'
import type { ImageTelemetry } from '../images/types'

/** One finished request on the public listener, as the access log and metrics see it. */
export interface RequestRecord {
  readonly method: string
  readonly path: string
  readonly status: number
  /** Body bytes actually written (less than Content-Length when the client aborted). */
  readonly bytes: number
  readonly durationMs: number
  readonly origin: string | undefined
  readonly cors: CorsOutcome
  /** Path of the folder whose policy applied, e.g. `/brand/`. */
  readonly folder: string | undefined
  readonly isPreflight: boolean
  /** true when the client went away before the response was complete. */
  readonly aborted: boolean
}

/** Where the public pipeline reports each finished request and each warm derivative it served. */
export interface PipelineTelemetry extends ImageTelemetry {
  requestFinished(record: RequestRecord): void
}
