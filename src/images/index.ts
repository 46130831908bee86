import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { AppEvents } from '../util/app-events'
import type { DeriveRequest, DerivedImage, ImageService, ImageTelemetry } from './types'
import type { Config } from '../config/config'
import { CrossportError } from '../http/errors'
import type { Logger } from 'pino'
import { DerivativeCache } from './cache'
import {
  checkPixelLimit,
  inspectSource,
  openSource,
  REMOTE_SOURCE_MAX_BYTES,
  renderDerivative,
  renderTimedOut,
  sourceOfBytes,
  vectorRenderPixels,
} from './derive'
import { RenderLimiter } from './limiter'
import {
  chooseFormat,
  CONTENT_TYPES,
  FILE_EXTENSIONS,
  isAnimationFormat,
  NO_MODERN_FORMATS,
  parseAccept,
  parseImageParams,
  sourceFormatOf,
  wantsDerivative,
  type AcceptedFormats,
  type ImageParams,
} from './params'
import { setRenderThreads } from './sharp-lib'
import { SharedWork, untilAborted } from './shared-work'
import { checkSvgFilterCost, checkSvgSource, looksLikeMarkup } from './svg-guard'

export interface ImageServiceDeps {
  readonly config: Readonly<Config>
  readonly logger: Logger
  readonly telemetry: ImageTelemetry
  readonly events: AppEvents
  /** Writes derivative files (tests inject a full disk); default `fs.promises.writeFile`. */
  readonly writeFile?: (path: string, data: Uint8Array) => Promise<void>
}

/** The service plus what tests and shutdown may look at. */
export interface ImageServiceInternals extends ImageService {
  readonly cache: DerivativeCache
  readonly limiter: RenderLimiter
}

// Shared arrays: delivery keys its per-answer header cache on their identity.
const VARY_ACCEPT: readonly string[] = Object.freeze(['Accept'])
const NO_VARY: readonly string[] = Object.freeze([])

/**
 * Only what the answer depends on goes into the key: the Accept header is
 * reduced to two booleans, and only for fmt=auto.
 */
function requestKeyOf(request: Pick<DeriveRequest, 'urlPath' | 'etag'>, params: ImageParams, accepted: AcceptedFormats): string {
  const acceptClass = params.format === 'auto' ? `${accepted.avif ? 'a' : ''}${accepted.webp ? 'w' : ''}` : ''
  return `${request.urlPath}\0${request.etag}\0${params.key}\0${acceptClass}`
}

export function createImageService(deps: ImageServiceDeps): ImageServiceInternals {
  const { config, telemetry, events } = deps
  const logger = deps.logger.child({ component: 'images' })
  const limits = { widths: config.imageWidths, qualities: config.imageQualities }
  const maxWidth = config.imageWidths[config.imageWidths.length - 1] as number

  // Each render gets its share of the cores: IMAGE_CONCURRENCY renders × threads ≈ cores.
  // sharp itself is loaded by the first render (sharp-lib.ts).
  setRenderThreads(Math.max(1, Math.floor(availableParallelism() / config.imageConcurrency)))

  const cache = new DerivativeCache({
    root: join(config.cacheDir, 'images'),
    maxBytes: config.cacheMaxBytes,
    logger,
    // With several workers another process's eviction can remove a file this
    // one indexed; one stat per hit is the price of not answering 404 then.
    verifyHits: config.workers > 1,
    writeFile: deps.writeFile,
  })
  const limiter = new RenderLimiter(config.imageConcurrency, config.imageQueueLimit)
  /** Concurrent first requests for one derivative share one answer… */
  const requests = new SharedWork<DerivedImage | null>()
  /** …and requests that need the same file share one render. */
  const renders = new SharedWork<DerivedImage>()
  // libvips checks its clock between strips; our own timer answers on time.
  const timeoutSeconds = Math.max(1, Math.ceil(config.imageRenderTimeoutMs / 1000))
  /** sharp calls in flight: their threads keep a process from exiting (see `rendersRunning`). */
  let rendersRunning = 0

  events.on('asset-changed', (urlPath: string) => {
    cache.purge(urlPath).catch((error: unknown) => logger.warn({ err: error, urlPath }, 'purging derivatives failed'))
  })

  async function coldDerive(
    request: DeriveRequest,
    params: ImageParams,
    accepted: AcceptedFormats,
    requestKey: string,
    signal: AbortSignal,
  ): Promise<DerivedImage | null> {
    const generation = cache.generation(request.urlPath)
    // A local raster is read by path; anything else (an SVG, whatever its name, or any remote source) as bytes.
    const input = request.filePath !== undefined ? await openSource(request.filePath) : await remoteSource(request)
    if (input === undefined) return null
    const wantsRaster = params.format !== undefined && params.format !== 'auto'
    // Markup is checked before sharp parses it at all; a vector is only
    // rasterised when a raster format is asked for by name.
    const svgText = typeof input !== 'string' && wantsRaster && looksLikeMarkup(input) ? checkSvgSource(input) : undefined
    const source = await inspectSource(input)
    if (source === undefined) return null
    if (source.format === 'svg' && !wantsRaster) return null
    if (source.format !== 'svg') checkPixelLimit(source, config.imageMaxPixels)
    if (source.format === 'svg') {
      // isRasterMagic never matches markup, so an SVG always arrives as bytes.
      if (typeof input === 'string') throw new Error(`SVG content behind a raster signature: ${request.urlPath}`)
      checkSvgFilterCost(svgText ?? checkSvgSource(input), vectorRenderPixels({ source, params, maxWidth }))
    }

    const format = chooseFormat(params.format, accepted, source)
    if (source.isAnimated && !isAnimationFormat(format)) {
      throw new CrossportError(
        'IMAGE_UNSUPPORTED',
        `${request.urlPath} is animated (${source.frames} frames); it can be converted to webp or kept as ${source.format}, not to ${format}`,
      )
    }
    // Lossless outputs ignore quality: one file whatever q says.
    const quality = format === 'png' || format === 'gif' ? '' : String(params.quality)
    const renderKey = `w=${params.width ?? ''}&h=${params.height ?? ''}&fit=${params.fit}&q=${quality}&fmt=${format}`
    const filePath = cache.fileFor(request.urlPath, request.etag, renderKey, FILE_EXTENSIONS[format])
    const derivative: DerivedImage = {
      filePath,
      contentType: CONTENT_TYPES[format],
      vary: params.format === 'auto' ? VARY_ACCEPT : NO_VARY,
    }

    // Two request keys (say, Accept with and without AVIF, both ending in WebP)
    // can need the same file: render it once.
    const rendered = await renders.join(`file\0${filePath}`, signal, async (renderSignal) => {
      if (await cache.has(filePath)) {
        telemetry.imageCacheHit()
        return derivative
      }
      await limiter.run(async () => {
        const startedMs = performance.now()
        let bytes: Buffer
        rendersRunning++
        logger.debug({ urlPath: request.urlPath, format }, 'image render started')
        try {
          bytes = await renderDerivative({ input, source, params, format, maxPixels: config.imageMaxPixels, maxWidth, timeoutSeconds })
        } catch (error) {
          // The client gets a short problem; the operator needs sharp's own words.
          logger.warn({ err: error, urlPath: request.urlPath, format }, 'image render failed')
          throw error
        } finally {
          rendersRunning--
        }
        // Everybody stopped waiting (deadline passed, clients gone): keep nothing.
        renderSignal.throwIfAborted()
        await cache.write(filePath, bytes)
        telemetry.imageRendered(performance.now() - startedMs)
      }, renderSignal)
      return derivative
    })
    // A purge while rendering means the source changed under us: answer this
    // request, but do not index a file that may hold the old picture.
    if (cache.generation(request.urlPath) === generation) {
      cache.remember(requestKey, request.urlPath, request.etag, rendered)
    }
    return rendered
  }

  /**
   * A cold derive, bounded: past IMAGE_RENDER_TIMEOUT_MS the caller gets a 503
   * at once, and when its client leaves it stops waiting; a render left with
   * nobody waiting is dropped from the queue, or its result is not cached.
   */
  function boundedColdDerive(request: DeriveRequest, params: ImageParams, accepted: AcceptedFormats, requestKey: string): Promise<DerivedImage | null> {
    const waiting = new AbortController()
    const deadline = setTimeout(() => waiting.abort(renderTimedOut()), config.imageRenderTimeoutMs)
    const clientGone = () => waiting.abort(request.signal?.reason)
    if (request.signal?.aborted) clientGone()
    else request.signal?.addEventListener('abort', clientGone, { once: true })
    const work = requests.join(`request\0${requestKey}`, waiting.signal, (signal) => coldDerive(request, params, accepted, requestKey, signal))
    return untilAborted(work, waiting.signal).finally(() => {
      clearTimeout(deadline)
      request.signal?.removeEventListener('abort', clientGone)
    })
  }

  return {
    cache,
    limiter,
    wantsDerivative,
    cacheRoot: cache.root,
    get rendersRunning() {
      return rendersRunning
    },

    async derive(request: DeriveRequest): Promise<DerivedImage | null> {
      const declared = sourceFormatOf(request.urlPath)
      // Not an image by name (CSS, video, fonts…): image parameters do not apply.
      if (declared === undefined) return null
      const params = parseImageParams(request.query, limits)
      if (declared === 'svg' && (params.format === undefined || params.format === 'auto')) return null

      const accepted = params.format === 'auto' ? parseAccept(request.accept) : NO_MODERN_FORMATS
      const requestKey = requestKeyOf(request, params, accepted)

      const hit = await cache.lookup(requestKey)
      if (hit !== undefined) {
        telemetry.imageCacheHit()
        return hit
      }
      return boundedColdDerive(request, params, accepted, requestKey)
    },

    peek(request) {
      let params: ImageParams
      try {
        params = parseImageParams(request.query, limits)
      } catch {
        return undefined
      }
      const accepted = params.format === 'auto' ? parseAccept(request.accept) : NO_MODERN_FORMATS
      return cache.peek(requestKeyOf(request, params, accepted))
    },

    purge(urlPath: string): Promise<void> {
      return cache.purge(urlPath)
    },
  }
}

/** A remote store's source, as bytes, within REMOTE_SOURCE_MAX_BYTES. */
async function remoteSource(request: DeriveRequest): Promise<Buffer | string | undefined> {
  if (request.sizeBytes > REMOTE_SOURCE_MAX_BYTES) {
    throw new CrossportError('IMAGE_TOO_LARGE', `Sources over ${REMOTE_SOURCE_MAX_BYTES} bytes are not rendered from this store`)
  }
  return sourceOfBytes(await request.readSource?.())
}
