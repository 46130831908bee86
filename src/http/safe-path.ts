/**
 * URL path → asset path, refusing anything that could step outside the store
 * or reach a file nobody published. Pure: no file system access here (symlinks
 * are checked by the file lookup, which knows the real root).
 *
 * Checks run in this order, like `send`: length, raw backslash, bad percent
 * encoding, NUL and control characters, encoded separators, `.`/`..`
 * segments, dotfiles.
 */

/** Longer paths are refused with 414; no real asset needs more. */
export const MAX_PATH_BYTES = 1024

/** Per-segment length limit of common file systems (ext4, xfs, apfs). */
export const MAX_SEGMENT_BYTES = 255

// C0 controls, DEL and C1 controls: never part of a published file name, and
// NUL truncates paths in C APIs.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/

export type SafePath =
  | { readonly ok: true; /** Decoded, starts with `/`, segments joined by `/`. */ readonly path: string }
  | { readonly ok: false; readonly status: 400 | 404 | 414; readonly reason: string }

const refuse = (status: 400 | 404 | 414, reason: string): SafePath => ({ ok: false, status, reason })

// Nearly every real request: unreserved ASCII only, no segment starting with a
// dot, no empty or over-long segment. Such a path needs no decoding and passes
// every check below as it is, so the hot path skips the per-segment work.
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,254})+\/?$|^\/$/

/**
 * @param rawPath the request target's path, still percent-encoded, without the query.
 */
export function parseSafePath(rawPath: string): SafePath {
  if (rawPath.length <= MAX_PATH_BYTES && PLAIN_PATH.test(rawPath)) return { ok: true, path: rawPath }
  if (rawPath.length > MAX_PATH_BYTES * 3) return refuse(414, 'path too long')
  if (!rawPath.startsWith('/')) return refuse(400, 'path must start with /')
  if (rawPath.includes('\\')) return refuse(400, 'backslash in path')

  const rawSegments = rawPath.slice(1).split('/')
  const segments: string[] = []
  for (let i = 0; i < rawSegments.length; i++) {
    const raw = rawSegments[i] as string
    // An empty segment is only fine as the trailing one ("/brand/"), which names a folder.
    if (raw === '') {
      if (i === rawSegments.length - 1) break
      return refuse(400, 'empty path segment (//)')
    }
    let segment: string
    try {
      segment = decodeURIComponent(raw)
    } catch {
      return refuse(400, 'malformed percent-encoding')
    }
    if (CONTROL_CHARS.test(segment)) return refuse(400, 'control character in path')
    // Encoded separators would make one URL segment two path segments.
    if (segment.includes('/') || segment.includes('\\')) return refuse(400, 'encoded path separator')
    if (segment === '.' || segment === '..') return refuse(400, 'dot segment in path')
    if (segment.startsWith('.')) return refuse(404, 'dotfiles are never served')
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) return refuse(414, 'path segment too long')
    segments.push(segment)
  }
  const path = '/' + segments.join('/') + (rawPath.endsWith('/') && segments.length > 0 ? '/' : '')
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return refuse(414, 'path too long')
  return { ok: true, path }
}

/** True when the decoded path names a folder (`/`, `/brand/`) rather than a file. */
export const isFolderPath = (path: string): boolean => path.endsWith('/')
