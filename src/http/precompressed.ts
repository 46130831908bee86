import type { ContentCoding } from './etag'

/**
 * Precompressed siblings: `app.js.br` and `app.js.gz` beside `app.js` are the
 * same content in another coding. The public side serves them in place of the
 * identity file; the store removes them with it.
 */
export const PRECOMPRESSED_SIBLINGS: ReadonlyArray<readonly [ContentCoding, string]> = Object.freeze([
  Object.freeze(['br', '.br'] as const),
  Object.freeze(['gzip', '.gz'] as const),
])

/** Whether `path` names a precompressed sibling rather than an asset of its own. */
export const isPrecompressedSibling = (path: string): boolean => PRECOMPRESSED_SIBLINGS.some(([, suffix]) => path.endsWith(suffix))
