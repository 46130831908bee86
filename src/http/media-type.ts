/**
 * File name → `Content-Type`. `mime-types` knows most names; the overrides pin
 * the ones a static origin must never get wrong, whatever mime-db says next
 * year: `.ts` is an MPEG transport stream (HLS segments), not TypeScript, and
 * scripts are `text/javascript` (RFC 9239).
 */
import { lookup } from 'mime-types'

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream'

const OVERRIDES: Readonly<Record<string, string>> = {
  css: 'text/css',
  js: 'text/javascript',
  mjs: 'text/javascript',
  cjs: 'text/javascript',
  json: 'application/json',
  map: 'application/json',
  webmanifest: 'application/manifest+json',
  svg: 'image/svg+xml',
  svgz: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/vnd.microsoft.icon',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  ogv: 'video/ogg',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  wasm: 'application/wasm',
  // HLS (RFC 8216 §4): playlist and MPEG-2 transport stream segments.
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
  // MPEG-DASH manifest and media segments.
  mpd: 'application/dash+xml',
  m4s: 'video/iso.segment',
  vtt: 'text/vtt',
  html: 'text/html',
  htm: 'text/html',
  txt: 'text/plain',
  xml: 'application/xml',
}

// Textual types that are not text/*: they get a charset too, so a browser never
// guesses one (and never sniffs its way to UTF-7).
const TEXTUAL = new Set([
  'application/json',
  'application/manifest+json',
  'application/xml',
  'image/svg+xml',
  'application/vnd.apple.mpegurl',
  'application/dash+xml',
])

const byExtension = new Map<string, string>()

function computeContentType(extension: string): string {
  const type = OVERRIDES[extension] || lookup(extension) || DEFAULT_CONTENT_TYPE
  const isText = type.startsWith('text/') || TEXTUAL.has(type) || type.endsWith('+json') || type.endsWith('+xml')
  return isText ? `${type}; charset=utf-8` : type
}

/** Lower-case extension of the last path segment, without the dot; '' when there is none. */
export function extensionOf(path: string): string {
  const slash = path.lastIndexOf('/')
  const dot = path.lastIndexOf('.')
  return dot > slash + 1 ? path.slice(dot + 1).toLowerCase() : ''
}

// Every way an SVG document reaches a browser: plain, gzip-compressed (`.svgz`,
// SVG 1.1 §1.2), or as a precompressed sibling asked for by its own name.
const SVG_NAME = /\.(?:svgz|svg(?:\.gz|\.br)?)$/i

/**
 * Whether the file holds an SVG document in any representation: each one
 * needs the SVG sandbox CSP, since an SVG opened directly runs its scripts.
 */
export function isSvgPath(path: string): boolean {
  return SVG_NAME.test(path)
}

/** The `Content-Type` for a file path, with `charset=utf-8` on textual types. */
export function contentTypeFor(path: string): string {
  const extension = extensionOf(path)
  let type = byExtension.get(extension)
  if (type === undefined) {
    type = computeContentType(extension)
    // Extensions come from request paths: bound the memo so odd names cannot grow it.
    if (byExtension.size < 1000) byExtension.set(extension, type)
  }
  return type
}
