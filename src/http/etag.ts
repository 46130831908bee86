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

/** Whole seconds: the resolution of Last-Modified and of the date conditionals. */
export const lastModifiedSeconds = (mtimeMs: number): number => Math.floor(mtimeMs / 1000)

export const formatHttpDate = (seconds: number): string => new Date(seconds * 1000).toUTCString()
