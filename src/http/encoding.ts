/**
 * Choosing a precompressed sibling from Accept-Encoding (RFC 9110 §12.5.3),
 * pure. `negotiator` reads the header; this module keeps the product's rules
 * on top of it: br before gzip before identity on a tie, `x-gzip` is gzip, and
 * identity is the answer when nothing offered is acceptable.
 */
import { LRUCache } from 'lru-cache'
import Negotiator from 'negotiator'
import type { ContentCoding } from './etag'

export interface AvailableCodings {
  readonly br: boolean
  readonly gzip: boolean
}

type Choice = ContentCoding | 'identity'

/** Everything we can send, best first on a tie (smaller first); `x-gzip` is the old name of gzip (§12.5.3). */
const CODINGS = ['br', 'gzip', 'x-gzip', 'identity']

/**
 * Acceptable codings per header value, best first. Browsers send a handful of
 * distinct values, so negotiating once per value turns the rest into a lookup.
 */
/** negotiator 1.x takes a `preferred` order for ties; its published types predate it. */
type EncodingsWithPreference = (available: string[], options: { readonly preferred: string[] }) => string[]

const ranked = new LRUCache<string, readonly Choice[]>({ max: 256 })

function rankCodings(header: string): readonly Choice[] {
  let order = ranked.get(header)
  if (order === undefined) {
    const negotiator = new Negotiator({ headers: { 'accept-encoding': header } })
    const accepted = (negotiator.encodings as EncodingsWithPreference).call(negotiator, CODINGS, { preferred: CODINGS })
    order = Object.freeze(accepted.map((coding): Choice => (coding === 'x-gzip' ? 'gzip' : (coding as Choice))))
    ranked.set(header, order)
  }
  return order
}

/**
 * The coding to send. Highest q wins; on a tie br beats gzip beats identity.
 * `q=0` refuses a coding; `*` covers codings not named; identity, when not
 * named, ranks with the least preferred coding listed. Without the header, or
 * when nothing available is acceptable, identity is sent (§12.5.3: "SHOULD
 * respond without any content coding"). A Range request always gets identity:
 * byte ranges are served on the identity bytes only.
 */
export function chooseEncoding(header: string | undefined, available: AvailableCodings, hasRange: boolean): Choice {
  if (header === undefined || hasRange || (!available.br && !available.gzip)) return 'identity'
  for (const coding of rankCodings(header)) {
    if (coding === 'identity' || (coding === 'br' ? available.br : available.gzip)) return coding
  }
  return 'identity'
}
