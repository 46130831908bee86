/**
 * Joining `Vary` field names (RFC 9110 §12.5.5) with jshttp `vary`, which
 * keeps the first spelling of each name and drops case-insensitive repeats.
 */
import vary from 'vary'

/** The `Vary` value for these lists of request header names, in order, without duplicates; undefined when empty. */
export function joinVary(...lists: ReadonlyArray<readonly string[]>): string | undefined {
  let header = ''
  for (const list of lists) if (list.length > 0) header = vary.append(header, list as string[])
  return header === '' ? undefined : header
}
