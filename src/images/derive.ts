/**
 * The sharp side: read a source's header, render one derivative to memory.
 *
 * Safety, in order: anything that is not a raster by its magic number is read
 * into memory and given to sharp as a buffer, so librsvg has no folder to
 * resolve references against, and an SVG must pass `svg-guard.ts` first; the
 * pixel count from the header is checked before any decoding (a decompression
 * bomb costs a header read, then 422); sharp's own `limitInputPixels` repeats
 * the check on the real decode; EXIF orientation is applied; metadata (EXIF,
 * GPS, XMP) is stripped, which is sharp's default when
 * `keepMetadata`/`withMetadata` is not called: never call them here.
 */
import { open } from 'node:fs/promises'
import type { Metadata, Sharp, SharpOptions } from 'sharp'
import { CrossportError } from '../http/errors'
import type { Fit, ImageParams, OutputFormat, SourceFormat } from './params'
import { sharpLib } from './sharp-lib'
import { SVG_MAX_BYTES } from './svg-guard'

/** A raster's path (read by sharp in place) or the whole bytes of anything else (an SVG). */
export type SourceInput = string | Buffer

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
const AVIF_EFFORT = 2
/** WebP's default; 15-30 ms for the same image. */
const WEBP_EFFORT = 4

/** Bytes that decide `isRasterMagic`. */
const MAGIC_BYTES = 12

/**
 * Raster signatures (JPEG, PNG, GIF, WebP, ISO-BMFF for AVIF/HEIF, TIFF):
 * files sharp may read by path. Anything else could be an SVG whatever its
 * name says, and sharp detects formats by content.
 */
export function isRasterMagic(head: Uint8Array): boolean {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to))
  return (
    (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) ||
    (head[0] === 0x89 && ascii(1, 4) === 'PNG') ||
    ascii(0, 4) === 'GIF8' ||
    (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') ||
    ascii(4, 8) === 'ftyp' ||
    ascii(0, 4) === 'II*\0' ||
    ascii(0, 4) === 'MM\0*'
  )
}

/**
 * How sharp should read a source, from its first bytes and size: a raster
 * as it is (by path when it has one), anything else as bytes up to
 * SVG_MAX_BYTES; `undefined` for a large non-raster that is not markup (not
 * an image: served as it is). Large markup is refused.
 */
function sourceKind(head: Buffer, sizeBytes: number): 'raster' | 'bytes' | undefined {
  if (isRasterMagic(head.subarray(0, MAGIC_BYTES))) return 'raster'
  if (sizeBytes <= SVG_MAX_BYTES) return 'bytes'
  if (!/^\s*</.test(head.subarray(0, MAGIC_BYTES).toString('latin1'))) return undefined
  throw new CrossportError('IMAGE_TOO_LARGE', `SVG sources over ${SVG_MAX_BYTES} bytes are not rendered`)
}

/** What sharp should read from a local file (see `sourceKind`); `undefined` also when the file is gone. */
export async function openSource(filePath: string): Promise<SourceInput | undefined> {
  let handle
  try {
    handle = await open(filePath, 'r')
  } catch {
    return undefined
  }
  try {
    const head = Buffer.alloc(MAGIC_BYTES)
    const { bytesRead } = await handle.read(head, 0, MAGIC_BYTES, 0)
    const kind = sourceKind(head.subarray(0, bytesRead), (await handle.stat()).size)
    if (kind === 'raster') return filePath
    return kind === 'bytes' ? await handle.readFile() : undefined
  } finally {
    await handle.close()
  }
}

/**
 * Sources of a remote store arrive as bytes; those past this are not
 * rendered (the bytes are held in memory while sharp reads them).
 */
export const REMOTE_SOURCE_MAX_BYTES = 64 * 1024 * 1024

/** `openSource` for a source that arrived as bytes (a remote store); `undefined` also when it is gone. */
export function sourceOfBytes(bytes: Buffer | undefined): SourceInput | undefined {
  return bytes !== undefined && sourceKind(bytes, bytes.length) !== undefined ? bytes : undefined
}

/**
 * Reads only the header. Resolves `undefined` when the input is not an image
 * sharp can transform (unknown format, damaged header, or the file is gone):
 * the caller then serves the original as it is.
 */
export async function inspectSource(input: SourceInput): Promise<SourceInfo | undefined> {
  let meta: Metadata
  try {
    // No pixel limit here: the header read is cheap and we want the real size to report.
    meta = await sharpLib()(input, { limitInputPixels: false }).metadata()
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
  readonly input: SourceInput
  readonly source: SourceInfo
  readonly params: ImageParams
  readonly format: OutputFormat
  /** IMAGE_MAX_PIXELS (0: sharp's own default cap, never unlimited). */
  readonly maxPixels: number
  /** Largest allowed width: the output cap when the request names no size. */
  readonly maxWidth: number
  /**
   * libvips stops the render at its next progress report after this many
   * seconds (whole seconds only: the caller's own timer answers on time).
   */
  readonly timeoutSeconds: number
}

/**
 * Renders to memory; the cache writes the file, so a full disk is a file
 * system error of ours and never a libvips message naming a cache path.
 * Errors: 422 past the pixel cap, 503 when libvips hit the time limit, 415
 * for data sharp cannot process (sharp's words go to the log, not the client).
 */
export async function renderDerivative(plan: RenderPlan): Promise<Buffer> {
  try {
    return await buildPipeline(plan).timeout({ seconds: plan.timeoutSeconds }).toBuffer()
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
  let image = sharpLib()(plan.input, input)

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
function vectorDensity(plan: Pick<RenderPlan, 'source' | 'params' | 'maxWidth'>): number {
  const { source, params } = plan
  const scales: number[] = []
  if (params.width !== undefined) scales.push(params.width / source.width)
  if (params.height !== undefined) scales.push(params.height / source.height)
  if (scales.length === 0) scales.push(Math.min(1, plan.maxWidth / source.width))
  const scale = params.fit === 'inside' || params.fit === 'contain' ? Math.min(...scales) : Math.max(...scales)
  // librsvg accepts 1–100000 dpi; the pixel cap still applies to what it renders.
  return Math.min(100_000, Math.max(1, 72 * scale))
}

/** Pixels librsvg draws for a vector source (before any crop or pad), for the filter cost cap. */
export function vectorRenderPixels(plan: Pick<RenderPlan, 'source' | 'params' | 'maxWidth'>): number {
  const scale = vectorDensity(plan) / 72
  return Math.ceil(plan.source.width * scale) * Math.ceil(plan.source.height * scale)
}

function classifyRenderError(error: unknown): unknown {
  // File system failures (EACCES, EIO, …) are ours, not the image's: a 500.
  if (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string') return error
  const message = error instanceof Error ? error.message : String(error)
  if (/pixel limit/i.test(message)) {
    return new CrossportError('IMAGE_TOO_LARGE', 'The source exceeds the pixel limit', { cause: error })
  }
  if (/^timeout:/i.test(message)) return renderTimedOut(error)
  // libvips' text names files (the source's path) and processes: it stays in the log.
  return new CrossportError('IMAGE_UNSUPPORTED', 'The image could not be transformed: its data is damaged or uses a feature the renderer does not support', {
    cause: error,
  })
}

/** 503 for a render past IMAGE_RENDER_TIMEOUT_MS: nothing is cached, a retry may find the server less busy. */
export function renderTimedOut(cause?: unknown): CrossportError {
  return new CrossportError('IMAGE_RENDER_TIMEOUT', 'Rendering this image took too long; it was stopped', {
    cause,
    headers: { 'Retry-After': '5' },
  })
}
