import type { AppEvents, ImageService, Telemetry } from '../app-context'
import type { Config } from '../config'
import type { Logger } from '../log'

export interface ImageServiceDeps {
  readonly config: Readonly<Config>
  readonly logger: Logger
  readonly telemetry: Telemetry
  readonly events: AppEvents
}

// Replaced by the image derivative work (issue #5).
export function createImageService(_deps: ImageServiceDeps): ImageService | undefined {
  return undefined
}
