/**
 * The public request path (DESIGN §1): method → safe path → policy → CORS →
 * preflight/strict refusal → image derivative → static delivery.
 *
 * Two lanes share every decision: `serveFast` answers synchronously whatever
 * the in-memory cache can answer alone (preflights, refusals, 404s, 304/412/416,
 * HEAD, small files in memory); anything that needs the disk or the image
 * service goes to `serveSlow` (run by the Koa app), which continues from the
 * facts `serveFast` already gathered. Both build responses with the pure
 * `planAssetResponse`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Config } from '../config/config'
import type { LivePolicyTable } from '../db/live-policy-table'
import type { DerivedImage, ImageService } from '../images/types'
import type { AppEvents } from '../util/app-events'
import type { Logger } from 'pino'
import type { PipelineTelemetry } from './request-record'
import { decideCorsRemembered } from '../cors/decision-memo'
import { decideSignature } from '../cors/signature'
import type { CorsDecision, CorsOutcome, CorsRequest } from '../cors/types'
import { ERROR_CATALOGUE, isCrossportError, problemType, type CrossportError } from '../http/errors'
import { IMAGE_PARAMS } from '../images/params'
import { handleHealthRequest, type ReadinessContext } from '../ops/health'
import type { CompiledFolder } from '../policy/table'
import { capCacheControl } from '../signing/cache-cap'
import { withoutSignatureParams } from '../signing/url-signature'
import type { AssetStore, OpenStoredFile, Transfer } from '../store/asset-store'
import { FsAssetStore } from '../store/fs/fs-store'
import { getOrCreate, newMap, newWeakMap } from '../util/maps'
import { AssetCache, type CachedAsset, type FileVersion } from './asset-cache'
import { chooseEncoding } from '../http/encoding'
import { IMMUTABLE_CACHE_CONTROL } from '../http/fingerprint'
import { assetBaseHeaders, joinVary, planAssetResponse, type DeliveryRequest, type HeaderMap, type ResponsePlan } from './plan'
import { isFolderPath, parseSafePath } from '../http/safe-path'

export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS'

/**
 * Cache-Control of 404s: a CDN may keep them, but must ask again before
 * reuse, so an upload shows up at once.
 */
export const NOT_FOUND_CACHE_CONTROL = 'no-cache'

const NOSNIFF = 'nosniff'
const ACCEPT_ENCODING = ['Accept-Encoding']
const NO_VARY: readonly string[] = []

/** Per-request facts gathered by the fast lane and reused by the slow one. */
interface Pending {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams | undefined
  readonly decision: CorsDecision
  readonly compiled: CompiledFolder
  readonly record: RecordState
}

/** What the access log and the writer need, filled in as the request goes. */
interface RecordState {
  readonly startMs: number
  readonly method: string
  path: string
  readonly origin: string | undefined
  cors: CorsOutcome
  folder: string | undefined
  isPreflight: boolean
  /** Body bytes of the answer when sent completely. */
  bytes: number
  transfer: Transfer | undefined
  /** Seconds a valid URL signature has left: no cache may keep the answer longer. */
  signatureSecondsLeft: number | undefined
}

const PENDING = Symbol('crossport.pending')
type WithPending = IncomingMessage & { [PENDING]?: Pending }

/** What the public pipeline needs from the running process. */
export interface PipelineContext extends ReadinessContext {
  readonly config: Readonly<Config>
  readonly logger: Logger
  readonly policies: LivePolicyTable
  readonly events: AppEvents
  readonly telemetry: PipelineTelemetry
  readonly images: ImageService | undefined
}

export interface PublicDeliveryOptions {
  readonly context: PipelineContext
  readonly source: AssetStore
}

export class PublicDelivery {
  readonly cache: AssetCache
  /** Rendered image derivatives (files under CACHE_DIR), cached like assets. */
  private derivatives: AssetCache | undefined
  /** Base headers of an asset's answers, per CORS decision, cache entry and extra Vary list (see `baseHeaders`). */
  private readonly rememberedBaseHeaders = new WeakMap<CorsDecision, WeakMap<CachedAsset, Map<readonly string[], HeaderMap>>>()
  private readonly context: PipelineContext
  private readonly onAssetChanged: (urlPath: string) => void

  constructor(options: PublicDeliveryOptions) {
    this.context = options.context
    const { config } = options.context
    this.cache = new AssetCache(options.source, {
      ttlMs: config.fileCacheTtlMs,
      maxFileBytes: config.memoryCacheFileBytes,
      maxBytes: config.memoryCacheBytes,
    })
    this.onAssetChanged = (urlPath) => this.cache.invalidate(urlPath)
    this.context.events.on('asset-changed', this.onAssetChanged)
  }

  /** Stops listening to asset events (the server closed). */
  dispose(): void {
    this.context.events.off('asset-changed', this.onAssetChanged)
  }

  /**
   * Answers the request when that needs no I/O and returns true; otherwise
   * remembers what it learned on `req` and returns false: call `serveSlow`.
   */
  serveFast(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const record: RecordState = {
      startMs: performance.now(),
      method: req.method ?? 'GET',
      // Still percent-encoded here; answerFast replaces it with the safe path.
      path: q === -1 ? url : url.slice(0, q),
      origin: req.headers.origin,
      cors: 'none',
      folder: undefined,
      isPreflight: false,
      bytes: 0,
      transfer: undefined,
      signatureSecondsLeft: undefined,
    }
    if (this.answerFast(req, res, record, q === -1 ? undefined : url.slice(q + 1))) {
      // Written in full already (Node buffers what the socket cannot take yet):
      // report now rather than pay for a 'close' listener on every small answer.
      this.report(res, record, false)
      return true
    }
    res.once('close', () => this.report(res, record, !res.writableFinished))
    return false
  }

  private answerFast(req: IncomingMessage, res: ServerResponse, record: RecordState, queryString: string | undefined): boolean {
    const { method, path: rawPath } = record
    if ((rawPath === '/healthz' || rawPath === '/readyz') && handleHealthRequest(this.context, rawPath, method, res)) return true

    if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') {
      // RFC 9110 §15.5.6: a 405 lists what is allowed.
      writeEmpty(res, 405, { Allow: ALLOWED_METHODS, 'X-Content-Type-Options': NOSNIFF })
      return true
    }
    const safe = parseSafePath(rawPath)
    if (!safe.ok) {
      writeEmpty(res, safe.status, { 'X-Content-Type-Options': NOSNIFF })
      return true
    }
    const path = safe.path
    record.path = path

    const compiled = this.context.policies.current().resolve(path)
    const decision = decideCorsRemembered(corsRequestOf(method, req), compiled)
    record.folder = compiled.folder.path
    record.cors = decision.outcome
    record.isPreflight = decision.isPreflight

    if (decision.status !== undefined) {
      // A preflight (204/403) or a strict-mode refusal (403): the decision is the whole answer.
      writeDecided(res, decision, decision.status, 'decided')
      return true
    }
    if (method === 'OPTIONS') {
      // Not a CORS preflight: say what the resource supports (RFC 9110 §9.3.7).
      writeDecided(res, decision, 204, 'options')
      return true
    }
    if (isFolderPath(path)) {
      // No listings: a folder is never a resource.
      this.writeNotFound(res, decision)
      return true
    }

    let query = queryString === undefined ? undefined : new URLSearchParams(queryString)
    if (compiled.folder.policy.signedUrls !== 'off') {
      // Per request, never memoised: the verdict depends on the query and the clock.
      const facts = { path, rawQuery: queryString, hasImageParams: query !== undefined && hasImageParams(query), nowSeconds: Math.floor(Date.now() / 1000) }
      const signature = decideSignature(facts, compiled, this.context.config.urlSigningKeys)
      if (signature.isRequired) {
        if (signature.verdict.reason !== 'valid' || query === undefined) {
          writeDecided(res, decision, 403, 'unsigned')
          return true
        }
        record.signatureSecondsLeft = signature.remainingSeconds
        // The image service sees what the URL asks for, not the signature.
        if (facts.hasImageParams) query = withoutSignatureParams(query)
      }
    }
    const pending: Pending = { method, path, query, decision, compiled, record }
    const wantsImage = query !== undefined && this.context.images !== undefined && this.context.images.wantsDerivative(query, path)
    if (wantsImage) {
      if (decision.outcome !== 'refused' && this.writeWarmDerivative(req, res, pending)) return true
    } else {
      const entry = this.cache.fresh(path, record.startMs)
      if (entry !== undefined) {
        const chosen = this.choose(req, pending, entry)
        if (chosen === undefined) {
          this.writeNotFound(res, decision)
          return true
        }
        if (this.writeWithoutIo(res, record, chosen.plan, chosen.version)) return true
      }
    }
    ;(req as WithPending)[PENDING] = pending
    return false
  }

  /**
   * A derivative already rendered and held in memory, answered like a small
   * file; false when anything is not known from memory alone (the slow lane
   * then decides, renders or reports the error).
   */
  private writeWarmDerivative(req: IncomingMessage, res: ServerResponse, pending: Pending): boolean {
    const { images } = this.context
    const entry = this.cache.fresh(pending.path, pending.record.startMs)
    const source = entry?.identity
    if (images === undefined || this.derivatives === undefined || entry === undefined || source === undefined || pending.query === undefined) {
      return false
    }
    const derived = images.peek({ urlPath: pending.path, etag: source.etag, query: pending.query, accept: req.headers.accept })
    if (derived === undefined) return false
    const version = this.derivatives.fresh(derived.filePath.slice(images.cacheRoot.length), pending.record.startMs)?.identity
    if (version?.body === undefined) return false
    const plan = planAssetResponse(deliveryRequestOf(pending.method, req), version, this.baseHeaders(pending, entry, derived.vary))
    if (!this.writeWithoutIo(res, pending.record, plan, version, this.derivatives)) return false
    this.context.telemetry.imageCacheHit()
    return true
  }

  /** Finishes a request `serveFast` handed over. Never rejects: failures become a 500 or a reset. */
  async serveSlow(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pending = (req as WithPending)[PENDING]
    if (pending === undefined) {
      if (!this.serveFast(req, res)) await this.serveSlow(req, res)
      return
    }
    try {
      await this.deliver(req, res, pending)
    } catch (error) {
      this.context.logger.error({ err: error, path: pending.path }, 'delivery failed')
      if (!res.headersSent) writeEmpty(res, 500, { 'X-Content-Type-Options': NOSNIFF, 'Cache-Control': 'no-store' })
      else res.destroy()
    }
  }

  private async deliver(req: IncomingMessage, res: ServerResponse, pending: Pending): Promise<void> {
    const { path, decision } = pending
    const entry = this.cache.fresh(path, performance.now()) ?? (await this.cache.refresh(path))
    if (entry.identity === undefined) {
      this.writeNotFound(res, decision)
      return
    }
    if (pending.query !== undefined && this.context.images?.wantsDerivative(pending.query, path)) {
      const done = await this.deliverDerivative(req, res, pending, entry, entry.identity, pending.query)
      if (done) return
    }
    const chosen = this.choose(req, pending, entry)
    if (chosen === undefined || !(await this.sendVersion(req, res, pending, this.cache, path, chosen))) this.writeNotFound(res, decision)
  }

  /**
   * Sends one version of a file: from memory when it is small (loading it
   * into the cache's LRU first), else streamed from a fresh handle. Resolves
   * false, having written nothing, when the file is gone.
   */
  private async sendVersion(
    req: IncomingMessage,
    res: ServerResponse,
    pending: Pending,
    cache: AssetCache,
    key: string,
    chosen: { version: FileVersion; plan: ResponsePlan; base: HeaderMap },
  ): Promise<boolean> {
    const { version, base } = chosen
    const replan = (current: FileVersion) => (current === version ? chosen.plan : planAssetResponse(deliveryRequestOf(pending.method, req), current, base))
    if (this.writeWithoutIo(res, pending.record, chosen.plan, version, cache)) return true
    if (cache.isSmall(version)) {
      const loaded = await cache.loadBody(key, version)
      if (loaded === undefined || loaded.body === undefined) return false
      this.writeWithoutIo(res, pending.record, replan(loaded), loaded, cache)
      return true
    }
    const found = await cache.open(key, version)
    if (found === undefined) return false
    // Replaced since the stat: the headers must describe the bytes this handle reads.
    this.writeOpened(res, pending.record, replan(found.version), found.opened)
    return true
  }

  /**
   * A refused origin never makes the server render; otherwise the
   * image service answers with a derivative (served like any file), `null`
   * (serve the original: returns false) or a CrossportError (problem+json).
   */
  private async deliverDerivative(
    req: IncomingMessage,
    res: ServerResponse,
    pending: Pending,
    entry: CachedAsset,
    source: FileVersion,
    query: URLSearchParams,
  ): Promise<boolean> {
    const images = this.context.images
    if (images === undefined) return false
    const { decision } = pending
    if (decision.outcome === 'refused') {
      writeDecided(res, decision, 403, 'refused-render')
      return true
    }
    // The entry may be FILE_CACHE_TTL_MS old and sharp reads the source by path.
    if (!(await this.cache.isStillThere(pending.path, source))) {
      this.writeNotFound(res, decision)
      return true
    }
    let derived: DerivedImage | null
    // A client that leaves stops waiting: a render nobody else waits for is dropped.
    const clientGone = new AbortController()
    const onClose = () => clientGone.abort(new Error('client closed the connection'))
    res.once('close', onClose)
    try {
      derived = await images.derive({
        urlPath: pending.path,
        filePath: source.info.key,
        sizeBytes: source.sizeBytes,
        mtimeMs: source.info.mtimeMs,
        etag: source.etag,
        query,
        accept: req.headers.accept,
        signal: clientGone.signal,
      })
    } catch (error) {
      if (res.destroyed) return true
      if (!isCrossportError(error)) throw error
      this.writeProblem(res, decision, error)
      return true
    } finally {
      res.off('close', onClose)
    }
    if (derived === null) return false
    // Derivative files are immutable (their name encodes the source's ETag and
    // the parameters), so they are cached like assets: stat and small bodies in memory.
    // Their media type follows from the extension, as for any asset.
    const cache = this.derivativeCache(images.cacheRoot)
    const key = derived.filePath.slice(images.cacheRoot.length)
    const cached = cache.fresh(key, performance.now()) ?? (await cache.refresh(key))
    const base = this.baseHeaders(pending, entry, derived.vary)
    const version = cached.identity
    if (version !== undefined) {
      const chosen = { version, plan: planAssetResponse(deliveryRequestOf(pending.method, req), version, base), base }
      if (await this.sendVersion(req, res, pending, cache, key, chosen)) return true
    }
    // Evicted from the derivative cache between render and read: the client may simply retry.
    this.writeProblem(res, decision, undefined)
    return true
  }

  /** Created at the first derivative: the cache folder exists by then, so its real path is known. */
  private derivativeCache(cacheRoot: string): AssetCache {
    if (this.derivatives === undefined) {
      const { config } = this.context
      this.derivatives = new AssetCache(new FsAssetStore(cacheRoot), {
        ttlMs: config.fileCacheTtlMs,
        maxFileBytes: config.memoryCacheFileBytes,
        // On top of the assets' budget: a quarter of it for rendered images.
        maxBytes: Math.floor(config.memoryCacheBytes / 4),
      })
    }
    return this.derivatives
  }

  /** Picks the representation (identity or a precompressed sibling) and plans the answer. */
  private choose(
    req: IncomingMessage,
    pending: Pending,
    entry: CachedAsset,
  ): { version: FileVersion; plan: ResponsePlan; base: HeaderMap } | undefined {
    const identity = entry.identity
    if (identity === undefined) return undefined
    const request = deliveryRequestOf(pending.method, req)
    let version = identity
    if (entry.hasSiblings) {
      const hasRange = pending.method === 'GET' && request.range !== undefined
      const coding = chooseEncoding(req.headers['accept-encoding'], { br: entry.br !== undefined, gzip: entry.gzip !== undefined }, hasRange)
      if (coding === 'br' && entry.br) version = entry.br
      else if (coding === 'gzip' && entry.gzip) version = entry.gzip
    }
    const base = this.baseHeaders(pending, entry, NO_VARY)
    return { version, plan: planAssetResponse(request, version, base), base }
  }

  private baseHeaders(pending: Pending, entry: CachedAsset, extraVary: readonly string[]): HeaderMap {
    // Shared per (decision, entry, extra Vary list): all three are replaced, never
    // changed, when what they describe changes (the lists are constants).
    const byEntry = getOrCreate(this.rememberedBaseHeaders, pending.decision, newWeakMap<CachedAsset, Map<readonly string[], HeaderMap>>)
    const byVary = getOrCreate(byEntry, entry, newMap<readonly string[], HeaderMap>)
    let base = byVary.get(extraVary)
    if (base === undefined) {
      base = this.buildBaseHeaders(pending, entry, extraVary)
      // A list built per request would grow this without bound; at most a handful of constant lists exist.
      if (byVary.size < 4) byVary.set(extraVary, base)
    }
    return base
  }

  private buildBaseHeaders(pending: Pending, entry: CachedAsset, extraVary: readonly string[]): HeaderMap {
    const { decision, compiled } = pending
    return assetBaseHeaders({
      corsHeaders: decision.headers,
      // Every variant of a file that has siblings says so, identity included (RFC 9110 §12.5.5).
      vary: joinVary(decision.vary, entry.hasSiblings ? ACCEPT_ENCODING : NO_VARY, extraVary),
      cacheControl: entry.isFingerprinted ? IMMUTABLE_CACHE_CONTROL : compiled.folder.policy.cacheControl,
      isSvg: entry.isSvg,
      sandboxAll: this.context.config.adminOnMain,
    })
  }

  /** Sends a plan that needs no disk read: no body, or a body already in memory. */
  private writeWithoutIo(res: ServerResponse, record: RecordState, plan: ResponsePlan, version: FileVersion, cache = this.cache): boolean {
    const range = plan.body
    if (range === undefined) {
      res.writeHead(plan.status, headersFor(plan, record))
      res.end()
      return true
    }
    const body = version.body
    if (body === undefined) return false
    cache.touch(version)
    res.writeHead(plan.status, headersFor(plan, record))
    const slice = range.start === 0 && range.end === body.length - 1 ? body : body.subarray(range.start, range.end + 1)
    record.bytes = slice.length
    res.end(slice)
    return true
  }

  private writeOpened(res: ServerResponse, record: RecordState, plan: ResponsePlan, opened: OpenStoredFile): void {
    const range = plan.body
    if (range === undefined || res.destroyed) {
      opened.close()
      if (!res.destroyed) {
        res.writeHead(plan.status, headersFor(plan, record))
        res.end()
      }
      return
    }
    res.writeHead(plan.status, headersFor(plan, record))
    const transfer = opened.sendTo(res, range.start, range.end)
    record.transfer = transfer
    record.bytes = range.end - range.start + 1
    transfer.done.catch((error: unknown) => this.context.logger.warn({ err: error, path: record.path }, 'streaming failed'))
  }

  private writeNotFound(res: ServerResponse, decision: CorsDecision): void {
    writeDecided(res, decision, 404, 'not-found')
  }

  /** RFC 9457 problem details for image errors; undefined = the derivative vanished (503, retry). */
  private writeProblem(res: ServerResponse, decision: CorsDecision, error: CrossportError | undefined): void {
    const code = error?.code ?? 'OVERLOADED'
    const status = error?.status ?? ERROR_CATALOGUE.OVERLOADED.status
    const body = JSON.stringify({
      type: problemType(code),
      title: ERROR_CATALOGUE[code].title,
      status,
      detail: error?.message ?? 'The rendered image was evicted before it could be sent; retry.',
    })
    const headers: HeaderMap = {
      ...decision.headers,
      ...(error?.headers ?? (error === undefined ? { 'Retry-After': '1' } : {})),
      'Content-Type': 'application/problem+json',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': NOSNIFF,
    }
    const vary = joinVary(decision.vary)
    if (vary !== undefined) headers.Vary = vary
    res.writeHead(status, headers)
    res.end(body)
  }

  private report(res: ServerResponse, record: RecordState, aborted: boolean): void {
    let bytes = record.bytes
    if (aborted) bytes = record.transfer ? Math.min(bytes, record.transfer.bytesSent) : 0
    this.context.telemetry.requestFinished({
      method: record.method,
      path: record.path,
      status: res.statusCode,
      bytes,
      durationMs: performance.now() - record.startMs,
      origin: record.origin,
      cors: record.cors,
      folder: record.folder,
      isPreflight: record.isPreflight,
      aborted,
    })
  }
}

function writeEmpty(res: ServerResponse, status: number, headers: HeaderMap): void {
  res.writeHead(status, withEmptyBody(status, headers))
  res.end()
}

function withEmptyBody(status: number, headers: HeaderMap): HeaderMap {
  // 204 and 304 never carry a body or Content-Length (RFC 9110 §8.6).
  if (status !== 204 && status !== 304) headers['Content-Length'] = 0
  return headers
}

/**
 * Bodiless answers made of the CORS decision alone: `decided` is a preflight
 * or strict-mode answer (its status is the decision's), `options` a plain
 * OPTIONS, `not-found` a 404, `refused-render` the 403 for an image derivative
 * a refused origin asked for (never stored). Decisions are shared and immutable
 * (decision-memo.ts), so each answer's headers are built once per decision.
 * `unsigned` is the 403 for a missing or invalid URL signature: like every 403,
 * no CORS headers, never stored, the folder's Vary.
 */
type DecidedAnswer = 'decided' | 'options' | 'not-found' | 'refused-render' | 'unsigned'
const decidedAnswers = new WeakMap<CorsDecision, Partial<Record<DecidedAnswer, HeaderMap>>>()
const noAnswersYet = (): Partial<Record<DecidedAnswer, HeaderMap>> => ({})

function writeDecided(res: ServerResponse, decision: CorsDecision, status: number, kind: DecidedAnswer): void {
  const answers = getOrCreate(decidedAnswers, decision, noAnswersYet)
  const headers = (answers[kind] ??= decidedHeaders(decision, status, kind))
  res.writeHead(status, headers)
  res.end()
}

function decidedHeaders(decision: CorsDecision, status: number, kind: DecidedAnswer): HeaderMap {
  const headers: HeaderMap = kind === 'unsigned' ? {} : { ...decision.headers }
  if (kind === 'options') headers.Allow = ALLOWED_METHODS
  if (kind === 'not-found') headers['Cache-Control'] = NOT_FOUND_CACHE_CONTROL
  if (kind === 'refused-render' || kind === 'unsigned') headers['Cache-Control'] = 'no-store'
  const vary = joinVary(decision.vary)
  if (vary !== undefined) headers.Vary = vary
  if (status >= 400) headers['X-Content-Type-Options'] = NOSNIFF
  return withEmptyBody(status, headers)
}

const hasImageParams = (query: URLSearchParams): boolean => IMAGE_PARAMS.some((name) => query.has(name))

/**
 * Cache lifetimes as planned, capped at what a signed URL has left. Plans are
 * shared, so the capped copy is remembered beside the plan's headers for the
 * current number of seconds: a hot signed URL builds it once a second.
 */
function headersFor(plan: ResponsePlan, record: RecordState): HeaderMap {
  const secondsLeft = record.signatureSecondsLeft
  if (secondsLeft === undefined) return plan.headers
  const known = cappedHeaders.get(plan.headers)
  if (known !== undefined && known.secondsLeft === secondsLeft) return known.headers
  const headers = { ...plan.headers }
  for (const name of CAPPED_HEADERS) {
    const value = headers[name]
    if (typeof value === 'string') headers[name] = capCacheControl(value, secondsLeft)
  }
  cappedHeaders.set(plan.headers, { secondsLeft, headers })
  return headers
}

const cappedHeaders = new WeakMap<HeaderMap, { readonly secondsLeft: number; readonly headers: HeaderMap }>()

/** Cache-Control, and RFC 9213's CDN-only variant when one is set. */
const CAPPED_HEADERS = ['Cache-Control', 'CDN-Cache-Control'] as const

function corsRequestOf(method: string, req: IncomingMessage): CorsRequest {
  const h = req.headers
  return {
    method,
    origin: h.origin,
    requestMethod: single(h['access-control-request-method']),
    requestHeaders: single(h['access-control-request-headers']),
    requestPrivateNetwork: h['access-control-request-private-network'] === 'true',
    referer: h.referer,
    secFetchSite: single(h['sec-fetch-site']),
    ownOrigin: h.host === undefined ? undefined : 'http://' + h.host,
  }
}

function deliveryRequestOf(method: string, req: IncomingMessage): DeliveryRequest {
  const h = req.headers
  return {
    method,
    range: h.range,
    ifRange: single(h['if-range']),
    ifMatch: h['if-match'],
    ifNoneMatch: h['if-none-match'],
    ifModifiedSince: h['if-modified-since'],
    ifUnmodifiedSince: h['if-unmodified-since'],
  }
}

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(', ') : value)
