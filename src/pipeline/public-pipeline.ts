/**
 * The public request path, one step after another:
 * request facts → path safety → policy → decision (CORS, strict mode,
 * signature, refused render: pure, no I/O) → the file → derivative or
 * representation choice → plan → write.
 *
 * A step that can answer from memory does so synchronously; only the file
 * lookup, reading bytes and rendering wait. So `serve` returns a promise only
 * for the requests that needed the disk or the image service.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { Config } from '../config/config'
import type { LivePolicies } from '../db/sql'
import type { ImageService } from '../images/types'
import type { AssetStore } from '../store/asset-store'
import type { AppEvents } from '../util/app-events'
import { taggedAnswer, type CacheTagHeader } from './cache-tags'
import { checkTarget } from './check-target'
import { baseHeaders, chooseRepresentation, NO_VARY, type SiteHeaders } from './choose-representation'
import { decideRequest, type DecisionRules, type RequestToDeliver } from './decide-request'
import { Derivatives, type DerivativeFile, type DerivativeRequest, type Rendered } from './derivative'
import { Exchange } from './exchange'
import { FileCache, type CacheEntry, type CachedRepresentation } from './file-cache'
import { planAssetResponse, type HeaderMap } from './plan'
import type { PipelineTelemetry } from './request-record'
import { decidedAnswer, INTERNAL_ERROR, problemAnswer, writeError, type ErrorAnswer } from './write-error'
import { isCrossportError } from '../http/errors'
import { writePlanned } from './write-planned'

/** CDNs that take their lifetime from Surrogate-Control rather than CDN-Cache-Control. */
const SURROGATE_CONTROL_CDNS: ReadonlySet<string> = new Set(['varnish', 'fastly'])

/** What the public pipeline needs from the running process. */
export interface PipelineContext {
  readonly config: Readonly<Config>
  readonly logger: Logger
  readonly policies: LivePolicies
  readonly events: AppEvents
  readonly telemetry: PipelineTelemetry
  readonly images: ImageService | undefined
  /** The CDN's tag header; undefined when no CDN is configured. */
  readonly cacheTags?: CacheTagHeader | undefined
}

/**
 * Lets the server wiring answer a request before path safety (health probes);
 * returns true when it did. The request is still logged and counted as one of the pipeline's.
 */
export type EarlyAnswer = (rawPath: string, method: string, res: ServerResponse) => boolean

/** A continuation: undefined when the request was answered synchronously. */
type Step = Promise<void> | undefined

/** A representation to send, and the cache and key it was found under. */
type Found = Pick<DerivativeFile, 'files' | 'key' | 'representation'>

export class PublicPipeline {
  readonly files: FileCache
  private readonly derivatives: Derivatives | undefined
  private readonly rules: DecisionRules
  private readonly site: SiteHeaders
  private readonly onAssetChanged = (urlPath: string): void => this.files.invalidate(urlPath)
  private readonly onAssetsUnknown = (): void => this.files.invalidateAll()

  constructor(
    private readonly context: PipelineContext,
    store: Pick<AssetStore, 'lookup' | 'open' | 'localPath'>,
    private readonly answerEarly?: EarlyAnswer,
  ) {
    const { config, images } = context
    // A store without local paths (S3) answers a re-check in a round trip: hot paths are re-checked in the background.
    const staleWhileRefreshMs = store.localPath === undefined ? config.fileCacheTtlMs : 0
    const cacheOptions = { ttlMs: config.fileCacheTtlMs, maxFileBytes: config.memoryCacheFileBytes, maxBytes: config.memoryCacheBytes, staleWhileRefreshMs }
    this.files = new FileCache(store, cacheOptions)
    // On top of the assets' budget: a quarter of it for rendered images.
    this.derivatives =
      images && new Derivatives(images, this.files, { ...cacheOptions, maxBytes: Math.floor(config.memoryCacheBytes / 4), staleWhileRefreshMs: 0 }, store.localPath !== undefined)
    this.site = { sandboxAll: config.adminOnMain, cacheTags: context.cacheTags, surrogateControl: SURROGATE_CONTROL_CDNS.has(config.cdn.kind) }
    this.rules = { signingKeys: config.urlSigningKeys, wantsDerivative: images?.wantsDerivative, nowSeconds: () => Math.floor(Date.now() / 1000) }
    context.events.on('asset-changed', this.onAssetChanged)
    context.events.on('assets-unknown', this.onAssetsUnknown)
  }

  /** Stops listening to asset events (the server closed). */
  dispose(): void {
    this.context.events.off('asset-changed', this.onAssetChanged)
    this.context.events.off('assets-unknown', this.onAssetsUnknown)
  }

  /** Answers one request. Never throws or rejects: failures become a 500 or a reset. */
  serve(req: IncomingMessage, res: ServerResponse): Step {
    const x = new Exchange(req, res)
    let step: Step
    try {
      step = this.walk(x)
    } catch (error) {
      step = this.fail(x, error)
    }
    if (step === undefined) {
      // Written in full already (Node buffers what the socket cannot take yet):
      // report now rather than pay for a 'close' listener on every small answer.
      x.report(this.context.telemetry, false)
      return undefined
    }
    res.once('close', () => x.report(this.context.telemetry, !res.writableFinished))
    return step.catch((error: unknown) => this.fail(x, error))
  }

  /** The steps in order; each returns the answer, or hands over to the next. */
  private walk(x: Exchange): Step {
    // Health probes, routed by the server wiring.
    if (this.answerEarly?.(x.path, x.method, x.res) === true) return undefined
    // Method and path safety.
    const target = checkTarget(x.method, x.path)
    if (target.answer !== undefined) return writeError(x.res, target.answer)
    x.path = target.path
    // Policy: the longest folder prefix, in memory.
    const compiled = this.context.policies.current().resolve(x.path)
    // CORS, strict mode, signature, refused render: decided once, before any I/O.
    const decision = decideRequest(x.question(), compiled, this.rules)
    x.noteDecision(compiled.folder.path, decision.cors)
    if (decision.answer !== undefined) return this.answer(x, decidedAnswer(decision.cors, decision.answer))
    // The file: as memory knows it, or as the store finds it.
    const entry = this.files.fresh(x.path, x.startMs)
    if (entry === undefined) return this.files.refresh(x.path).then((found) => this.deliver(x, decision, found))
    return this.deliver(x, decision, entry)
  }

  /** A derivative (warm from memory, or rendered) or the file itself; then plan and write. */
  private deliver(x: Exchange, decision: RequestToDeliver, entry: CacheEntry): Step {
    const source = entry.identity
    if (source === undefined) return this.answer(x, decidedAnswer(decision.cors, 'not-found'))
    if (decision.wantsDerivative && this.derivatives !== undefined && decision.query !== undefined) {
      const request: DerivativeRequest = { path: x.path, source, query: decision.query, accept: x.req.headers.accept, nowMs: x.startMs }
      const warm = this.derivatives.peek(request)
      if (warm === undefined) return this.derivatives.render(request, x.res).then((rendered) => this.deliverRendered(x, decision, entry, source, rendered))
      this.context.telemetry.imageCacheHit()
      return this.send(x, decision, warm, this.base(decision, entry, warm.vary))
    }
    return this.sendFile(x, decision, entry, source)
  }

  private deliverRendered(x: Exchange, decision: RequestToDeliver, entry: CacheEntry, source: CachedRepresentation, rendered: Rendered): Step {
    switch (rendered.kind) {
      case 'file':
        return this.send(x, decision, rendered, this.base(decision, entry, rendered.vary))
      case 'original':
        return this.sendFile(x, decision, entry, source)
      case 'missing':
        return this.answer(x, decidedAnswer(decision.cors, 'not-found'))
      case 'failed':
        return writeError(x.res, problemAnswer(decision.cors, rendered.error))
      case 'client-gone':
        return undefined
    }
  }

  /** The file itself or a precompressed sibling. */
  private sendFile(x: Exchange, decision: RequestToDeliver, entry: CacheEntry, identity: CachedRepresentation): Step {
    const representation = chooseRepresentation(entry, identity, x.deliveryRequest(), x.req.headers['accept-encoding'])
    return this.send(x, decision, { files: this.files, key: x.path, representation }, this.base(decision, entry, NO_VARY))
  }

  /** Plans and writes the answer: at once when it needs no bytes or has them in memory, else after reading the file. */
  private send(x: Exchange, decision: RequestToDeliver, found: Found, base: Readonly<HeaderMap>): Step {
    const { representation } = found
    const plan = planAssetResponse(x.deliveryRequest(), representation, base)
    if (plan.body !== undefined && representation.body === undefined) return this.sendFromStore(x, decision, found, base)
    if (representation.body !== undefined) found.files.touch(representation)
    writePlanned(x, plan, representation.body, decision.signatureSecondsLeft)
    return undefined
  }

  /**
   * Small files are loaded into the cache's LRU first; others stream from a
   * fresh handle. Either may find a newer version than the one planned: the
   * headers must describe the bytes actually sent, so the plan is made again.
   */
  private async sendFromStore(x: Exchange, decision: RequestToDeliver, found: Found, base: Readonly<HeaderMap>): Promise<void> {
    const { files, key, representation } = found
    // Gone since the lookup: a file is simply not found; a derivative was evicted, and a retry renders it again.
    const gone = files === this.files ? decidedAnswer(decision.cors, 'not-found') : problemAnswer(decision.cors, undefined)
    if (files.isSmall(representation)) {
      const loaded = await files.loadBody(key, representation)
      if (loaded?.body === undefined) return this.answer(x, gone)
      writePlanned(x, planAssetResponse(x.deliveryRequest(), loaded, base), loaded.body, decision.signatureSecondsLeft)
      return
    }
    const opened = await files.open(key, representation)
    if (opened === undefined) return this.answer(x, gone)
    const transfer = writePlanned(x, planAssetResponse(x.deliveryRequest(), opened.representation, base), opened.opened, decision.signatureSecondsLeft)
    transfer?.done.catch((error: unknown) => this.context.logger.warn({ err: error, path: x.path }, 'streaming failed'))
  }

  private fail(x: Exchange, error: unknown): undefined {
    // The store said what went wrong (an unreachable bucket: 503 with Retry-After): answer that, not a 500.
    if (isCrossportError(error) && x.decision !== undefined && !x.res.headersSent) {
      this.context.logger.warn({ err: error, path: x.path }, 'delivery refused by the store')
      return writeError(x.res, problemAnswer(x.decision, error))
    }
    this.context.logger.error({ err: error, path: x.path }, 'delivery failed')
    if (!x.res.headersSent) return writeError(x.res, INTERNAL_ERROR)
    x.res.destroy()
    return undefined
  }

  /** The headers shared by every answer about `entry`'s file (tags included), remembered per decision. */
  private base(decision: RequestToDeliver, entry: CacheEntry, extraVary: readonly string[]): Readonly<HeaderMap> {
    return baseHeaders(decision, entry, extraVary, this.site)
  }

  /** A bodiless or problem answer, with cache tags when a CDN may keep it. */
  private answer(x: Exchange, answer: ErrorAnswer): undefined {
    return writeError(x.res, taggedAnswer(answer, this.context.cacheTags, x.path))
  }
}
