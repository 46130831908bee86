/**
 * Content sniffing for uploads: does the start of a file look like the binary
 * format its name (or declared type) promises? Pure; it only sees the first
 * bytes. Text formats (SVG, CSS, JS, JSON) have no magic number and are not
 * checked here.
 *
 * Signatures follow the WHATWG MIME Sniffing standard §6 (images, audio/video)
 * and the format specifications named beside each one.
 */

/** Bytes needed to decide every signature below (an ISO-BMFF `ftyp` box with a few brands). */
export const SNIFF_BYTES = 64

/** One binary family; several extensions share one signature check. */
export type SniffKind =
  | 'png'
  | 'jpeg'
  | 'gif'
  | 'webp'
  | 'avif'
  | 'ico'
  | 'bmp'
  | 'mp4'
  | 'quicktime'
  | 'matroska'
  | 'ogg'
  | 'mp3'
  | 'wav'
  | 'woff'
  | 'woff2'
  | 'sfnt'
  | 'wasm'
  | 'pdf'

const KIND_BY_EXTENSION: Readonly<Record<string, SniffKind>> = {
  png: 'png',
  apng: 'png',
  jpg: 'jpeg',
  jpeg: 'jpeg',
  jfif: 'jpeg',
  gif: 'gif',
  webp: 'webp',
  avif: 'avif',
  ico: 'ico',
  cur: 'ico',
  bmp: 'bmp',
  mp4: 'mp4',
  m4v: 'mp4',
  m4a: 'mp4',
  m4s: 'mp4',
  mov: 'quicktime',
  webm: 'matroska',
  mkv: 'matroska',
  mka: 'matroska',
  ogg: 'ogg',
  oga: 'ogg',
  ogv: 'ogg',
  opus: 'ogg',
  mp3: 'mp3',
  wav: 'wav',
  woff: 'woff',
  woff2: 'woff2',
  ttf: 'sfnt',
  otf: 'sfnt',
  wasm: 'wasm',
  pdf: 'pdf',
}

// For a path without a checked extension, the declared Content-Type decides.
const KIND_BY_MEDIA_TYPE: Readonly<Record<string, SniffKind>> = {
  'image/png': 'png',
  'image/apng': 'png',
  'image/jpeg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/avif': 'avif',
  'image/vnd.microsoft.icon': 'ico',
  'image/x-icon': 'ico',
  'image/bmp': 'bmp',
  'video/mp4': 'mp4',
  'audio/mp4': 'mp4',
  'video/quicktime': 'quicktime',
  'video/webm': 'matroska',
  'audio/webm': 'matroska',
  'video/x-matroska': 'matroska',
  'audio/ogg': 'ogg',
  'video/ogg': 'ogg',
  'application/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/wav': 'wav',
  'font/woff': 'woff',
  'font/woff2': 'woff2',
  'font/ttf': 'sfnt',
  'font/otf': 'sfnt',
  'font/sfnt': 'sfnt',
  'application/wasm': 'wasm',
  'application/pdf': 'pdf',
}

const DESCRIPTION: Readonly<Record<SniffKind, string>> = {
  png: 'a PNG image',
  jpeg: 'a JPEG image',
  gif: 'a GIF image',
  webp: 'a WebP image',
  avif: 'an AVIF image',
  ico: 'an ICO image',
  bmp: 'a BMP image',
  mp4: 'an MP4 (ISO BMFF) file',
  quicktime: 'a QuickTime movie',
  matroska: 'a WebM/Matroska file',
  ogg: 'an Ogg file',
  mp3: 'an MP3 file',
  wav: 'a WAVE file',
  woff: 'a WOFF font',
  woff2: 'a WOFF2 font',
  sfnt: 'a TrueType/OpenType font',
  wasm: 'a WebAssembly module',
  pdf: 'a PDF document',
}

const ascii = (head: Uint8Array, offset: number, text: string): boolean => {
  if (head.length < offset + text.length) return false
  for (let i = 0; i < text.length; i++) if (head[offset + i] !== text.charCodeAt(i)) return false
  return true
}

const bytes = (head: Uint8Array, offset: number, expected: readonly number[]): boolean =>
  head.length >= offset + expected.length && expected.every((b, i) => head[offset + i] === b)

/** ISO BMFF (ISO/IEC 14496-12 §4.3): the first box is `ftyp`; its major and compatible brands. */
function ftypBrands(head: Uint8Array): string[] | undefined {
  if (!ascii(head, 4, 'ftyp') || head.length < 12) return undefined
  const boxSize = ((head[0] as number) << 24) | ((head[1] as number) << 16) | ((head[2] as number) << 8) | (head[3] as number)
  const end = Math.min(head.length, boxSize >= 16 ? boxSize : 12)
  const brands = [String.fromCharCode(...head.subarray(8, 12))]
  for (let offset = 16; offset + 4 <= end; offset += 4) brands.push(String.fromCharCode(...head.subarray(offset, offset + 4)))
  return brands
}

// Old QuickTime files may start with any of these atoms instead of `ftyp`.
const QUICKTIME_ATOMS = ['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']

const MATCHERS: Readonly<Record<SniffKind, (head: Uint8Array) => boolean>> = {
  // PNG spec §5.2 signature.
  png: (h) => bytes(h, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  // SOI marker followed by the start of another marker.
  jpeg: (h) => bytes(h, 0, [0xff, 0xd8, 0xff]),
  gif: (h) => ascii(h, 0, 'GIF87a') || ascii(h, 0, 'GIF89a'),
  webp: (h) => ascii(h, 0, 'RIFF') && ascii(h, 8, 'WEBP'),
  avif: (h) => ftypBrands(h)?.some((b) => b === 'avif' || b === 'avis') === true,
  // ICONDIR: reserved 0, type 1 (icon) or 2 (cursor).
  ico: (h) => bytes(h, 0, [0x00, 0x00, 0x01, 0x00]) || bytes(h, 0, [0x00, 0x00, 0x02, 0x00]),
  bmp: (h) => ascii(h, 0, 'BM'),
  mp4: (h) => ftypBrands(h) !== undefined,
  quicktime: (h) => ftypBrands(h) !== undefined || QUICKTIME_ATOMS.some((atom) => ascii(h, 4, atom)),
  // EBML header element ID (RFC 8794 §8.1).
  matroska: (h) => bytes(h, 0, [0x1a, 0x45, 0xdf, 0xa3]),
  // RFC 3533 §6 capture pattern.
  ogg: (h) => ascii(h, 0, 'OggS'),
  // An ID3v2 tag, or an MPEG audio frame sync (11 set bits).
  mp3: (h) => ascii(h, 0, 'ID3') || (h[0] === 0xff && h.length > 1 && ((h[1] as number) & 0xe0) === 0xe0),
  wav: (h) => ascii(h, 0, 'RIFF') && ascii(h, 8, 'WAVE'),
  woff: (h) => ascii(h, 0, 'wOFF'),
  woff2: (h) => ascii(h, 0, 'wOF2'),
  // OpenType §5 sfntVersion: 0x00010000 or 'OTTO'; 'true' for old Apple TrueType; 'ttcf' for collections.
  // Many .otf files carry TrueType outlines and many .ttf files CFF ones, so both accept all four.
  sfnt: (h) => bytes(h, 0, [0x00, 0x01, 0x00, 0x00]) || ascii(h, 0, 'OTTO') || ascii(h, 0, 'true') || ascii(h, 0, 'ttcf'),
  // WebAssembly core spec §5.5.16: "\0asm".
  wasm: (h) => bytes(h, 0, [0x00, 0x61, 0x73, 0x6d]),
  pdf: (h) => ascii(h, 0, '%PDF-'),
}

/**
 * Which signature a file must carry, from its extension first (that decides
 * the `Content-Type` it is served with) and, for names without a checked
 * extension, from the declared media type. `undefined`: nothing to check.
 */
export function expectedKind(path: string, declaredType?: string): SniffKind | undefined {
  const slash = path.lastIndexOf('/')
  const dot = path.lastIndexOf('.')
  const extension = dot > slash + 1 ? path.slice(dot + 1).toLowerCase() : ''
  const byExtension = KIND_BY_EXTENSION[extension]
  if (byExtension !== undefined) return byExtension
  if (declaredType === undefined) return undefined
  const mediaType = declaredType.split(';')[0]?.trim().toLowerCase() ?? ''
  return KIND_BY_MEDIA_TYPE[mediaType]
}

/**
 * Checks the first bytes of an upload against the format it must be.
 * @param head the first `SNIFF_BYTES` bytes (fewer only when the file is shorter).
 * @returns why the content does not match, or undefined when it does.
 */
export function sniffMismatch(kind: SniffKind, head: Uint8Array): string | undefined {
  if (MATCHERS[kind](head)) return undefined
  const what = head.length === 0 ? 'the body is empty' : `its first bytes are ${hexPreview(head)}`
  return `expected ${DESCRIPTION[kind]}, but ${what}`
}

function hexPreview(head: Uint8Array): string {
  return Buffer.from(head.subarray(0, 8)).toString('hex').replace(/(..)(?!$)/g, '$1 ')
}
