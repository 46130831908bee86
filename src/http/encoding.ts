/**
 * Choosing a precompressed sibling from Accept-Encoding (RFC 9110 §12.5.3), pure.
 */
import type { ContentCoding } from './etag'

export interface AvailableCodings {
  readonly br: boolean
  readonly gzip: boolean
}

type Choice = ContentCoding | 'identity'

interface Weights {
  br: number | undefined
  gzip: number | undefined
  identity: number | undefined
  star: number | undefined
}

const parsed = new Map<string, Weights>()
const MAX_MEMO = 256
const UNNAMED_IDENTITY_Q = 0.0001

function parseQ(params: string[]): number {
  for (const param of params) {
    const eq = param.indexOf('=')
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue
    const q = Number(param.slice(eq + 1).trim())
    return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0
  }
  return 1
}

function parseAcceptEncoding(header: string): Weights {
  const memo = parsed.get(header)
  if (memo) return memo
  const weights: Weights = { br: undefined, gzip: undefined, identity: undefined, star: undefined }
  for (const item of header.split(',')) {
    const [rawName = '', ...params] = item.split(';')
    const name = rawName.trim().toLowerCase()
    const q = parseQ(params)
    if (name === 'br') weights.br = q
    else if (name === 'gzip' || name === 'x-gzip') weights.gzip = q
    else if (name === 'identity') weights.identity = q
    else if (name === '*') weights.star = q
  }
  // Browsers send a handful of distinct values; the memo turns parsing into one Map lookup.
  if (parsed.size >= MAX_MEMO) parsed.clear()
  parsed.set(header, weights)
  return weights
}

/**
 * The coding to send. Highest q wins; on a tie br beats gzip beats identity
 * (smaller first). `q=0` refuses a coding; `*` covers codings not named.
 * Without the header, or when nothing offered is acceptable, identity is sent
 * (§12.5.3: "SHOULD respond without any content coding"). A Range request
 * always gets identity: byte ranges are served on the identity bytes only.
 */
export function chooseEncoding(header: string | undefined, available: AvailableCodings, hasRange: boolean): Choice {
  if (header === undefined || hasRange || (!available.br && !available.gzip)) return 'identity'
  const w = parseAcceptEncoding(header)
  const br = available.br ? (w.br ?? w.star ?? 0) : 0
  const gzip = available.gzip ? (w.gzip ?? w.star ?? 0) : 0
  // identity is acceptable unless refused by name or by `*;q=0` (§12.5.3); when
  // not named, the client listed what it prefers, so it ranks below any of those.
  const identity = w.identity ?? (w.star === 0 ? 0 : UNNAMED_IDENTITY_Q)
  if (br > 0 && br >= gzip && br >= identity) return 'br'
  if (gzip > 0 && gzip >= identity) return 'gzip'
  return 'identity'
}
