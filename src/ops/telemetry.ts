import type { RequestRecord, Telemetry } from '../app-context'
import type { Config } from '../config'
import type { Logger } from '../log'

/** Access log: one line per request on the public listener. */
export function createTelemetry(_config: Readonly<Config>, logger: Logger): Telemetry {
  const access = logger.child({ log: 'access' })
  return {
    requestFinished(r: RequestRecord) {
      access.info(r, 'request')
    },
    policyReloaded() {},
    imageRendered() {},
    imageCacheHit() {},
  }
}
