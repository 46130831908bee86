/** Validators (RFC 9110 §8.8) derived from a file's stat. */

export type ContentCoding = 'br' | 'gzip'

/**
 * Strong ETag `"<size hex>-<mtime ms hex>"`; a precompressed variant carries
 * its coding inside the quotes (`"…-br"`), so caches never confuse the
 * identity bytes with the encoded ones (RFC 9110 §8.8.3.3).
 */
export function formatEtag(sizeBytes: number, mtimeMs: number, coding?: ContentCoding): string {
  const base = `${sizeBytes.toString(16)}-${Math.floor(mtimeMs).toString(16)}`
  return coding === undefined ? `"${base}"` : `"${base}-${coding}"`
}

/**
 * The ETag of a coded representation (`.br`/`.gz` sibling) from its file's
 * own strong ETag: the same opaque tag with the coding appended, so it differs
 * from the identity's and changes whenever the sibling's bytes do.
 */
export function withCoding(etag: string, coding: ContentCoding | undefined): string {
  return coding === undefined ? etag : `${etag.slice(0, -1)}-${coding}"`
}

/** Whole seconds: the resolution of Last-Modified and of the date conditionals. */
export const lastModifiedSeconds = (mtimeMs: number): number => Math.floor(mtimeMs / 1000)

export const formatHttpDate = (seconds: number): string => new Date(seconds * 1000).toUTCString()
