/**
 * One request and its response as the pipeline walks them: the request facts
 * read once, and what the access log and metrics need, filled in as the steps
 * learn it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CorsDecision, CorsOutcome } from '../cors/types'
import type { Transfer } from '../store/asset-store'
import type { RequestQuestion } from './decide-request'
import type { DeliveryRequest } from './plan'
import type { PipelineTelemetry } from './request-record'
import { corsRequestOf, deliveryRequestOf, splitTarget } from './request-facts'

export class Exchange {
  readonly startMs = performance.now()
  readonly method: string
  /** Percent-encoded until path safety replaces it with the safe path. */
  path: string
  readonly queryString: string | undefined
  cors: CorsOutcome = 'none'
  folder: string | undefined = undefined
  isPreflight = false
  /** The CORS decision once made: an error answer after it carries its headers, so the page can read it. */
  decision: CorsDecision | undefined = undefined
  /** Body bytes of the answer when sent completely. */
  bytes = 0
  transfer: Transfer | undefined = undefined
  private delivery: DeliveryRequest | undefined = undefined

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {
    this.method = req.method ?? 'GET'
    const target = splitTarget(req.url ?? '/')
    this.path = target.rawPath
    this.queryString = target.queryString
  }

  question(): RequestQuestion {
    return { method: this.method, path: this.path, queryString: this.queryString, cors: corsRequestOf(this.method, this.req.headers) }
  }

  noteDecision(folderPath: string, decision: CorsDecision): void {
    this.folder = folderPath
    this.cors = decision.outcome
    this.isPreflight = decision.isPreflight
    this.decision = decision
  }

  /** Ranges and validators, read when a representation is planned. */
  deliveryRequest(): DeliveryRequest {
    return (this.delivery ??= deliveryRequestOf(this.method, this.req.headers))
  }

  report(telemetry: PipelineTelemetry, aborted: boolean): void {
    let bytes = this.bytes
    if (aborted) bytes = this.transfer ? Math.min(bytes, this.transfer.bytesSent) : 0
    telemetry.requestFinished({
      method: this.method,
      path: this.path,
      status: this.res.statusCode,
      bytes,
      durationMs: performance.now() - this.startMs,
      origin: this.req.headers.origin,
      cors: this.cors,
      folder: this.folder,
      isPreflight: this.isPreflight,
      aborted,
    })
  }
}
