import type { RequestRecord } from '../../src/pipeline/request-record'
import type { CorsRequest } from '../../src/cors/types'

/** One finished public request as telemetry receives it; override what a test is about. */
export const requestRecord = (overrides: Partial<RequestRecord> = {}): RequestRecord => ({
  method: 'GET',
  path: '/brand/logo.svg',
  status: 200,
  bytes: 1234,
  durationMs: 3.14159,
  origin: 'https://shop.example',
  cors: 'allowed',
  folder: '/brand/',
  isPreflight: false,
  aborted: false,
  ...overrides,
})

/** This server's own origin in the CORS request facts below. */
export const OWN_ORIGIN = 'http://cdn.example:8080'

/** The facts `decideCors` reads, for a plain GET without Origin unless overridden. */
export const corsRequest = (overrides: Partial<CorsRequest> = {}): CorsRequest => ({
  method: 'GET',
  origin: undefined,
  requestMethod: undefined,
  requestHeaders: undefined,
  requestPrivateNetwork: false,
  referer: undefined,
  secFetchSite: undefined,
  ownOrigin: OWN_ORIGIN,
  ...overrides,
})
