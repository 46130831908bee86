/**
 * A private Ceph RADOS Gateway for the S3 store's suites, started by
 * `scripts/start-rgw.js` (the same code the benchmarks use). Start it once
 * per test file: it takes about 20 s. When it cannot start, the suite fails
 * with the reason; it never skips.
 */
export interface RunningRgw {
  readonly endpoint: string
  readonly port: number
  readonly bucket: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
  /** Stops the gateway only (the cluster keeps its objects), as an outage would. */
  stopGateway(): Promise<void>
  /** Starts the gateway again on the same port and waits until it answers. */
  startGateway(): Promise<void>
  stop(): Promise<void>
}

const { startRgw } = require('../../scripts/start-rgw.js') as { startRgw(options?: { bucket?: string }): Promise<RunningRgw> }

export { startRgw }

/** How long a suite's beforeAll may take to start the cluster on a busy machine. */
export const RGW_START_TIMEOUT_MS = 180_000
