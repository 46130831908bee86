/**
 * The sharp side: read a source's header, render one derivative to a file.
 *
 * Safety, in order: the pixel count from the header is checked before any
 * decoding (a decompression bomb costs a header read, then 422); sharp's own
 * `limitInputPixels` repeats the check on the real decode; EXIF orientation is
 * applied; metadata (EXIF, GPS, XMP) is stripped, which is sharp's default
 * when `keepMetadata`/`withMetadata` is not called: never call them here.
 */
import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp'
import { CrossportError } from '../errors'
import type { Fit, ImageParams, OutputFormat, SourceFormat } from './params'

export interface SourceInfo {
  readonly format: SourceFormat
  /** Upright size (after EXIF orientation) of one frame. */
  readonly width: number
  readonly height: number
  readonly frames: number
  readonly isAnimated: boolean
  readonly hasAlpha: boolean
}

/**
 * AVIF encoder effort (0 fastest – 9 smallest). Measured on a 1600×1200 photo
 * resized to 640 px: effort 2 ≈ 50 ms, 3 ≈ 80 ms, 4 (sharp's default) ≈ 400 ms,
 * with the same size at 2 and 3 and ~40% smaller at 4. Cold renders sit on a
 * request's critical path, so speed wins; the result is cached anyway.
 */
export const AVIF_EFFORT = 2
/** WebP's default; 15-30 ms for the same image. */
export const WEBP_EFFORT = 4

/**
 * Reads only the header. Resolves `undefined` when the file is not an image
 * sharp can transform (unknown format, damaged header, or the file is gone):
 * the caller then serves the original as it is.
 */
export async function inspectSource(filePath: string): Promise<SourceInfo | undefined> {
  let meta: Metadata
  try {
    // No pixel limit here: the header read is cheap and we want the real size to report.
    meta = await sharp(filePath, { limitInputPixels: false }).metadata()
  } catch {
    return undefined
  }
  const format = sourceFormatFromMetadata(meta)
  if (format === undefined || meta.width === undefined || meta.height === undefined) return undefined
  const frames = meta.pages !== undefined && meta.pages > 1 && (format === 'gif' || format === 'webp') ? meta.pages : 1
  const upright = meta.autoOrient ?? { width: meta.width, height: meta.height }
  return {
    format,
    width: upright.width,
    height: upright.height,
    frames,
    isAnimated: frames > 1,
    hasAlpha: meta.hasAlpha === true,
  }
}

function sourceFormatFromMetadata(meta: Metadata): SourceFormat | undefined {
  switch (meta.format) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'gif':
    case 'tiff':
    case 'svg':
      return meta.format
    case 'heif':
      // sharp reports AVIF as HEIF with AV1 compression.
      return meta.compression === 'av1' ? 'avif' : 'heif'
    default:
      return undefined
  }
}

/** Refuses a source whose decoded pixels (all frames) would pass the cap. */
export function checkPixelLimit(info: SourceInfo, maxPixels: number): void {
  const pixels = info.width * info.height * info.frames
  if (maxPixels > 0 && pixels > maxPixels) {
    throw new CrossportError(
      'IMAGE_TOO_LARGE',
      `The source has ${pixels} pixels${info.frames > 1 ? ` over ${info.frames} frames` : ''}; the limit is ${maxPixels}`,
    )
  }
}

export interface RenderPlan {
  readonly sourcePath: string
  readonly source: SourceInfo
  readonly params: ImageParams
  readonly format: OutputFormat
  /** IMAGE_MAX_PIXELS (0: sharp's own default cap, never unlimited). */
  readonly maxPixels: number
  /** Largest allowed width: the output cap when the request names no size. */
  readonly maxWidth: number
}

/** Renders into `outputPath`. Errors: 422 past the pixel cap, 415 for data sharp cannot process. */
export async function renderDerivative(plan: RenderPlan, outputPath: string): Promise<void> {
  try {
    await buildPipeline(plan).toFile(outputPath)
  } catch (error) {
    throw classifyRenderError(error)
  }
}

function buildPipeline(plan: RenderPlan): Sharp {
  const { source, params, format } = plan
  const isVector = source.format === 'svg'
  const input: SharpOptions = {
    limitInputPixels: plan.maxPixels > 0 ? plan.maxPixels : true,
    animated: source.isAnimated,
    autoOrient: true,
  }
  if (isVector) input.density = vectorDensity(plan)
  let image = sharp(plan.sourcePath, input)

  // fit=contain pads: transparent where the format has alpha, white in JPEG
  // (a transparent pad would come out black there).
  const padding = format === 'jpeg' ? { r: 255, g: 255, b: 255, alpha: 1 } : { r: 255, g: 255, b: 255, alpha: 0 }
  if (params.width !== undefined || params.height !== undefined) {
    image = image.resize({
      width: params.width,
      height: params.height,
      fit: params.fit satisfies Fit,
      // Never upscale a raster past its source: it only adds bytes. A vector is
      // rendered at the density that gives the asked size, so this is moot there.
      withoutEnlargement: !isVector,
      background: padding,
    })
  } else {
    // Re-encoding without a size still caps the output at the largest allowed
    // width, so `?fmt=avif` on a 40-megapixel original stays an affordable render.
    image = image.resize({ width: plan.maxWidth, withoutEnlargement: true })
  }
  // JPEG has no alpha; without flattening, transparent pixels turn black.
  if (format === 'jpeg' && source.hasAlpha) image = image.flatten({ background: '#ffffff' })

  switch (format) {
    case 'avif':
      return image.avif({ quality: params.quality, effort: AVIF_EFFORT })
    case 'webp':
      return image.webp({ quality: params.quality, effort: WEBP_EFFORT })
    case 'jpeg':
      // mozjpeg: ~45% smaller than libjpeg's defaults for ~6 ms more at 640 px.
      return image.jpeg({ quality: params.quality, mozjpeg: true })
    case 'png':
      return image.png()
    case 'gif':
      return image.gif()
  }
}

/**
 * librsvg renders at `density` dpi (72 = the SVG's own size). Pick the density
 * that yields the asked size directly, so a small icon is drawn crisp at 640 px
 * instead of being rasterised small and blown up.
 */
function vectorDensity(plan: RenderPlan): number {
  const { source, params } = plan
  const scales: number[] = []
  if (params.width !== undefined) scales.push(params.width / source.width)
  if (params.height !== undefined) scales.push(params.height / source.height)
  if (scales.length === 0) scales.push(Math.min(1, plan.maxWidth / source.width))
  const scale = params.fit === 'inside' || params.fit === 'contain' ? Math.min(...scales) : Math.max(...scales)
  // librsvg accepts 1–100000 dpi; the pixel cap still applies to what it renders.
  return Math.min(100_000, Math.max(1, 72 * scale))
}

function classifyRenderError(error: unknown): unknown {
  // File system failures (ENOSPC, EACCES, …) are ours, not the image's: a 500.
  if (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string') return error
  const message = error instanceof Error ? error.message : String(error)
  // libvips reports a failed output open without an errno: still ours.
  if (/unable to open for write/i.test(message)) return error
  if (/pixel limit/i.test(message)) {
    return new CrossportError('IMAGE_TOO_LARGE', 'The source exceeds the pixel limit', { cause: error })
  }
  return new CrossportError('IMAGE_UNSUPPORTED', `The image could not be transformed: ${message}`, { cause: error })
}
