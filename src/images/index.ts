import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import type { AppEvents, DeriveRequest, DerivedImage, ImageService, Telemetry } from '../app-context'
import type { Config } from '../config'
import { CrossportError } from '../errors'
import type { Logger } from '../log'
import { DerivativeCache } from './cache'
import { checkPixelLimit, inspectSource, renderDerivative } from './derive'
import { RenderLimiter } from './limiter'
import {
  chooseFormat,
  CONTENT_TYPES,
  FILE_EXTENSIONS,
  isAnimationFormat,
  parseAccept,
  parseImageParams,
  sourceFormatOf,
  wantsDerivative,
  type AcceptedFormats,
  type ImageParams,
} from './params'

export { wantsDerivative } from './params'

export interface ImageServiceDeps {
  readonly config: Readonly<Config>
  readonly logger: Logger
  readonly telemetry: Telemetry
  readonly events: AppEvents
}

/** The service plus what tests and shutdown may look at. */
export interface ImageServiceInternals extends ImageService {
  readonly cache: DerivativeCache
  readonly limiter: RenderLimiter
}

const NO_MODERN_FORMATS: AcceptedFormats = { avif: false, webp: false }
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

  // libvips' operation cache keys file loads by name, so a replaced source could
  // be decoded from the old bytes; our own disk cache is the cache that counts.
  sharp.cache(false)
  // Each render gets its share of the cores: IMAGE_CONCURRENCY renders × threads ≈ cores.
  sharp.concurrency(Math.max(1, Math.floor(availableParallelism() / config.imageConcurrency)))

  const cache = new DerivativeCache({
    root: join(config.cacheDir, 'images'),
    maxBytes: config.cacheMaxBytes,
    logger,
    // With several workers another process's eviction can remove a file this
    // one indexed; one stat per hit is the price of not answering 404 then.
    verifyHits: config.workers > 1,
  })
  const limiter = new RenderLimiter(config.imageConcurrency, config.imageQueueLimit)
  /** Concurrent first requests for one derivative share one promise (and one render). */
  const inFlight = new Map<string, Promise<DerivedImage | null>>()

  const once = (key: string, work: () => Promise<DerivedImage | null>): Promise<DerivedImage | null> => {
    const running = inFlight.get(key)
    if (running) return running
    const started = work().finally(() => inFlight.delete(key))
    inFlight.set(key, started)
    return started
  }

  events.on('asset-changed', (urlPath: string) => {
    cache.purge(urlPath).catch((error: unknown) => logger.warn({ err: error, urlPath }, 'purging derivatives failed'))
  })

  async function coldDerive(request: DeriveRequest, params: ImageParams, accepted: AcceptedFormats, requestKey: string): Promise<DerivedImage | null> {
    const generation = cache.generation(request.urlPath)
    const source = await inspectSource(request.filePath)
    if (source === undefined) return null
    // A vector is only rasterised when a raster format is asked for by name.
    if (source.format === 'svg' && (params.format === undefined || params.format === 'auto')) return null
    if (source.format !== 'svg') checkPixelLimit(source, config.imageMaxPixels)

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
    const rendered = await once(`file\0${filePath}`, async () => {
      if (await cache.has(filePath)) {
        telemetry.imageCacheHit()
        return derivative
      }
      await limiter.run(async () => {
        const startedMs = performance.now()
        try {
          await cache.write(filePath, (tempPath) =>
            renderDerivative({ sourcePath: request.filePath, source, params, format, maxPixels: config.imageMaxPixels, maxWidth }, tempPath),
          )
        } catch (error) {
          // The client gets a short problem; the operator needs sharp's own words.
          logger.warn({ err: error, urlPath: request.urlPath, format }, 'image render failed')
          throw error
        }
        telemetry.imageRendered(performance.now() - startedMs)
      })
      return derivative
    })
    // A purge while rendering means the source changed under us: answer this
    // request, but do not index a file that may hold the old picture.
    if (rendered !== null && cache.generation(request.urlPath) === generation) {
      cache.remember(requestKey, request.urlPath, request.etag, rendered)
    }
    return rendered
  }

  return {
    cache,
    limiter,
    wantsDerivative,
    cacheRoot: cache.root,

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
      return once(`request\0${requestKey}`, () => coldDerive(request, params, accepted, requestKey))
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
