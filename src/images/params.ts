/**
 * The image URL API, pure: query string → normalised render parameters, and
 * `Accept` → output format. No sharp, no file system, so every rule here is
 * unit-tested with tables.
 *
 * Widths and qualities come from allow-lists (IMAGE_WIDTHS, IMAGE_QUALITIES),
 * as in next/image, so a client can make the server render only a bounded
 * number of variants of each source.
 */
import Negotiator from 'negotiator'
import { CrossportError, type FieldProblem } from '../http/errors'

export type OutputFormat = 'avif' | 'webp' | 'jpeg' | 'png' | 'gif'
export type RequestedFormat = 'auto' | 'avif' | 'webp' | 'jpeg' | 'png'
export type Fit = 'cover' | 'contain' | 'inside'

/** Query parameters that ask for a derivative. */
export const IMAGE_PARAMS = ['w', 'h', 'q', 'fmt', 'fit', 'dpr'] as const

/**
 * Allowed next to image parameters and ignored: the usual cache buster
 * (`?v=3&w=640`). The source's ETag is part of the cache key anyway.
 */
const IGNORED_PARAMS = new Set(['v'])

const REQUESTED_FORMATS: readonly RequestedFormat[] = ['auto', 'avif', 'webp', 'jpeg', 'png']
const FITS: readonly Fit[] = ['cover', 'contain', 'inside']
const DPRS = [1, 2, 3]

/** Used when `q` is absent and 75 is not in the configured set: the closest allowed value. */
const DEFAULT_QUALITY = 75

// Plain decimal digits only: no signs, exponents, hex or leading zeros, so one
// variant has exactly one spelling and `w=0640` is not a second cache entry.
const WHOLE_NUMBER = /^[1-9][0-9]{0,5}$/

export interface ImageLimits {
  /** Sorted ascending, non-empty. */
  readonly widths: readonly number[]
  /** Sorted ascending, non-empty. */
  readonly qualities: readonly number[]
}

/**
 * What to render, after the allow-lists and `dpr` have been applied. The same
 * picture always normalises to the same value, so `key` can name the cache entry.
 */
export interface ImageParams {
  /** Target box in device pixels (`w × dpr`, capped at the largest allowed width); `undefined` = follow the other side. */
  readonly width: number | undefined
  readonly height: number | undefined
  /** Only meaningful with both sides; `inside` otherwise. */
  readonly fit: Fit
  readonly quality: number
  /** `undefined`: keep the source's format. */
  readonly format: RequestedFormat | undefined
  /** Stable text form of everything above, for cache keys. */
  readonly key: string
}

/**
 * Whether the request asks for a rendering: the query names at least one image
 * parameter (`?v=3` alone does not) and the path names an image that can be
 * rendered (a vector only when a raster `fmt` is asked for by name). Anything
 * else is served as it is, parameters or not.
 */
export function wantsDerivative(query: URLSearchParams, urlPath: string): boolean {
  if (!IMAGE_PARAMS.some((name) => query.has(name))) return false
  const declared = sourceFormatOf(urlPath)
  if (declared === undefined) return false
  if (declared !== 'svg') return true
  const format = query.get('fmt')
  return format !== null && format !== 'auto'
}

/**
 * Parses the image parameters of a query that `wantsDerivative`. Every problem is
 * reported at once as INVALID_IMAGE_PARAMS (400) naming the fields.
 */
export function parseImageParams(query: URLSearchParams, limits: ImageLimits): ImageParams {
  const problems: FieldProblem[] = []
  const seen = new Set<string>()
  for (const name of query.keys()) {
    if (seen.has(name)) {
      problems.push({ field: name, message: 'must be given once' })
      continue
    }
    seen.add(name)
    if (!(IMAGE_PARAMS as readonly string[]).includes(name) && !IGNORED_PARAMS.has(name)) {
      problems.push({ field: name, message: `unknown image parameter; known: ${IMAGE_PARAMS.join(', ')}` })
    }
  }
  const maxWidth = limits.widths[limits.widths.length - 1] as number

  const readAllowed = (name: 'w' | 'h' | 'q', allowed: readonly number[]): number | undefined => {
    const raw = query.get(name)
    if (raw === null) return undefined
    const n = WHOLE_NUMBER.test(raw) ? Number(raw) : NaN
    if (!allowed.includes(n)) {
      problems.push({ field: name, message: `must be one of ${allowed.join(', ')}` })
      return undefined
    }
    return n
  }
  const readEnum = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const raw = query.get(name)
    if (raw === null) return undefined
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push({ field: name, message: `must be one of ${allowed.join(', ')}` })
      return undefined
    }
    return raw as T
  }

  // Height uses the width set too: one list of sizes to reason about, and the
  // same bound on how many variants a client can ask for.
  const w = readAllowed('w', limits.widths)
  const h = readAllowed('h', limits.widths)
  const q = readAllowed('q', limits.qualities)
  const format = readEnum('fmt', REQUESTED_FORMATS)
  const fitParam = readEnum('fit', FITS)
  let dpr = 1
  const rawDpr = query.get('dpr')
  if (rawDpr !== null) {
    const n = WHOLE_NUMBER.test(rawDpr) ? Number(rawDpr) : NaN
    if (!DPRS.includes(n)) problems.push({ field: 'dpr', message: `must be one of ${DPRS.join(', ')}` })
    else dpr = n
  }
  if (problems.length > 0) {
    throw new CrossportError('INVALID_IMAGE_PARAMS', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { fields: problems })
  }

  // dpr multiplies the box; when that passes the largest allowed width the box
  // shrinks as a whole, so w×h keeps its aspect ratio.
  let width = w === undefined ? undefined : w * dpr
  let height = h === undefined ? undefined : h * dpr
  const longest = Math.max(width ?? 0, height ?? 0)
  if (longest > maxWidth) {
    const scale = maxWidth / longest
    width = width === undefined ? undefined : Math.max(1, Math.round(width * scale))
    height = height === undefined ? undefined : Math.max(1, Math.round(height * scale))
  }
  // With one side given the other follows the aspect ratio whatever the fit,
  // so fit is normalised away and `w=640&fit=cover` shares the cache entry of `w=640`.
  const fit: Fit = width !== undefined && height !== undefined ? (fitParam ?? 'cover') : 'inside'
  const quality = q ?? closestTo(DEFAULT_QUALITY, limits.qualities)
  const key = `w=${width ?? ''}&h=${height ?? ''}&fit=${fit}&q=${quality}&fmt=${format ?? ''}`
  return { width, height, fit, quality, format, key }
}

function closestTo(target: number, values: readonly number[]): number {
  let best = values[0] as number
  for (const v of values) if (Math.abs(v - target) < Math.abs(best - target)) best = v
  return best
}

/** Which modern formats the client listed in `Accept` (explicitly, with q > 0). */
export interface AcceptedFormats {
  readonly avif: boolean
  readonly webp: boolean
}

export const NO_MODERN_FORMATS: AcceptedFormats = Object.freeze({ avif: false, webp: false })

/**
 * RFC 9110 §12.5.1, read by `negotiator` (the same q-value parser as
 * Accept-Encoding). Only explicit `image/avif` / `image/webp` entries with
 * q > 0 count: browsers send `image/*` and `*\/*` whatever they can decode, so
 * a wildcard proves nothing (next/image and ipx decide the same way).
 */
export function parseAccept(accept: string | undefined): AcceptedFormats {
  if (accept === undefined) return NO_MODERN_FORMATS
  // Without a list to choose from, negotiator names every listed type with q > 0, as written.
  const listed = new Negotiator({ headers: { accept } }).mediaTypes()
  let avif = false
  let webp = false
  for (const type of listed) {
    const lower = type.toLowerCase()
    if (lower === 'image/avif') avif = true
    else if (lower === 'image/webp') webp = true
  }
  return { avif, webp }
}

/** Source formats Crossport can read and what it writes when it keeps the format. */
export type SourceFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'gif' | 'tiff' | 'heif' | 'svg'

/** What format choice needs to know about the source image. */
export interface SourceTraits {
  readonly format: SourceFormat
  readonly isAnimated: boolean
  readonly hasAlpha: boolean
}

/**
 * The output format for one request.
 * - explicit `fmt` wins, except that an animation can only be written as WebP or GIF
 *   (the caller refuses the rest: see `isAnimationFormat`);
 * - `fmt=auto` picks AVIF, then WebP, from `Accept`, else JPEG, which every client decodes, unless
 *   JPEG would lose something: an animation stays GIF, a GIF stays GIF, and a
 *   source with an alpha channel becomes PNG;
 * - no `fmt`: the source's format where browsers decode it everywhere, else PNG or JPEG.
 */
export function chooseFormat(requested: RequestedFormat | undefined, accepted: AcceptedFormats, source: SourceTraits): OutputFormat {
  if (requested !== undefined && requested !== 'auto') return requested
  if (requested === 'auto') {
    // AVIF output from sharp is a still image; animations go to WebP or stay GIF.
    if (accepted.avif && !source.isAnimated) return 'avif'
    if (accepted.webp) return 'webp'
    if (source.isAnimated || source.format === 'gif') return 'gif'
    return source.hasAlpha ? 'png' : 'jpeg'
  }
  if (source.format === 'webp') return 'webp'
  if (source.format === 'avif' && !source.isAnimated) return 'avif'
  return keptFormat(source)
}

/** The source's own format where every browser decodes it; otherwise one that keeps what it has (alpha, animation). */
function keptFormat(source: SourceTraits): OutputFormat {
  if (source.isAnimated) return 'gif'
  // HEIF/HEIC is a camera format: photos, which JPEG suits.
  if (source.format === 'jpeg' || source.format === 'heif') return 'jpeg'
  if (source.format === 'gif') return 'gif'
  // PNG, TIFF, SVG, and WebP/AVIF for a client that does not take them:
  // PNG keeps transparency, which JPEG would lose.
  return 'png'
}

export const isAnimationFormat = (format: OutputFormat): boolean => format === 'webp' || format === 'gif'

export const CONTENT_TYPES: Readonly<Record<OutputFormat, string>> = {
  avif: 'image/avif',
  webp: 'image/webp',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
}

export const FILE_EXTENSIONS: Readonly<Record<OutputFormat, string>> = {
  avif: 'avif',
  webp: 'webp',
  jpeg: 'jpg',
  png: 'png',
  gif: 'gif',
}

/**
 * Source format from the file name, so a request that is not an image never
 * reaches sharp and a cache hit needs no look at the file.
 */
export function sourceFormatOf(urlPath: string): SourceFormat | undefined {
  const dot = urlPath.lastIndexOf('.')
  if (dot < 0 || dot < urlPath.lastIndexOf('/')) return undefined
  switch (urlPath.slice(dot + 1).toLowerCase()) {
    case 'jpg':
    case 'jpeg':
    case 'jpe':
    case 'jfif':
      return 'jpeg'
    case 'png':
      return 'png'
    case 'webp':
      return 'webp'
    case 'avif':
      return 'avif'
    case 'gif':
      return 'gif'
    case 'tif':
    case 'tiff':
      return 'tiff'
    case 'heic':
    case 'heif':
      return 'heif'
    case 'svg':
      return 'svg'
    default:
      return undefined
  }
}
