/**
 * The Range header (RFC 9110 §14), pure. `range-parser` does the arithmetic;
 * the syntax check before it decides what counts as malformed.
 */
import parseRange from 'range-parser'

export type RangeDecision =
  | { readonly kind: 'full' }
  | { readonly kind: 'partial'; readonly start: number; /** inclusive */ readonly end: number }
  | { readonly kind: 'unsatisfiable' }

const FULL: RangeDecision = { kind: 'full' }
const UNSATISFIABLE: RangeDecision = { kind: 'unsatisfiable' }

// bytes=<spec>[,<spec>]*, spec = first-last | first- | -suffix (RFC 9110 §14.1.2).
const RANGE_SPEC = /^\s*(?:(\d+)\s*-\s*(\d*)|-\s*(\d+))\s*$/

/** Longer Range values are ignored: no client needs them, and parsing them is work for nothing. */
export const MAX_RANGE_HEADER_LENGTH = 1024

/**
 * - no header, another unit, or a malformed value (including `first > last`,
 *   RFC 9110 §14.1.1 "invalid") → `full`: the header is ignored (§14.2 MAY);
 * - one satisfiable range after merging overlapping/adjacent ones → `partial`;
 * - several disjoint ranges → `full` (our documented choice: a 200 with the
 *   whole file instead of multipart/byteranges, which §14.2 allows and which
 *   media players never ask for);
 * - nothing satisfiable → `unsatisfiable` (416).
 */
export function decideRange(header: string | undefined, sizeBytes: number): RangeDecision {
  if (header === undefined || header.length > MAX_RANGE_HEADER_LENGTH) return FULL
  const eq = header.indexOf('=')
  if (eq === -1 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return FULL
  const specs = header.slice(eq + 1).split(',')
  for (const spec of specs) {
    const m = RANGE_SPEC.exec(spec)
    if (!m) return FULL
    if (m[1] !== undefined && m[2] !== undefined && m[2] !== '' && Number(m[1]) > Number(m[2])) return FULL
  }
  // RFC 9110 §14.1.3: a suffix longer than the file means the whole file;
  // range-parser would call it unsatisfiable.
  const normalised = specs.map((spec) => {
    const suffix = /^\s*-\s*(\d+)\s*$/.exec(spec)
    return suffix && Number(suffix[1]) > sizeBytes && sizeBytes > 0 ? '0-' : spec
  })
  const ranges = parseRange(sizeBytes, 'bytes=' + normalised.join(','), { combine: true })
  if (ranges === -2) return FULL
  if (ranges === -1) return UNSATISFIABLE
  if (ranges.length !== 1) return FULL
  const range = ranges[0] as { start: number; end: number }
  return { kind: 'partial', start: range.start, end: range.end }
}
