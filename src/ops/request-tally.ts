import type { RequestRecord } from '../pipeline/request-record'
import type { CorsOutcome } from '../cors/types'

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const
export type StatusClass = (typeof STATUS_CLASSES)[number]
const CORS_OUTCOMES: readonly CorsOutcome[] = ['none', 'allowed', 'refused']

const CORS_INDEX: Readonly<Record<CorsOutcome, number>> = { none: 0, allowed: 1, refused: 2 }

function statusClassIndex(status: number): number {
  if (status < 200) return 0
  if (status < 300) return 1
  if (status < 400) return 2
  if (status < 500) return 3
  return 4
}

export function statusClass(status: number): StatusClass {
  return STATUS_CLASSES[statusClassIndex(status)] ?? '5xx'
}

// Typed-array reads are `number | undefined` under noUncheckedIndexedAccess; every index here is in range.
const at = (cells: Float64Array, index: number): number => cells[index] ?? 0
const add = (cells: Float64Array, index: number, amount: number): void => {
  cells[index] = at(cells, index) + amount
}

/** One cell of the request counter: its labels and how many requests it counted. */
export interface RequestCount {
  readonly statusClass: StatusClass
  readonly cors: CorsOutcome
  readonly isPreflight: boolean
  readonly count: number
}

/** One status class's latency: counts per bucket (cumulative, as Prometheus reports them), sum and count. */
export interface LatencyTally {
  readonly statusClass: StatusClass
  readonly cumulative: readonly number[]
  readonly sumSeconds: number
  readonly count: number
}

/**
 * What the public listener counts, in plain arrays updated in a few
 * nanoseconds per request. prom-client's labelled metrics hash their label
 * values on every update, which cost about a quarter of a preflight's time;
 * they now read these numbers only when scraped.
 */
export class RequestTally {
  bytesSent = 0
  aborted = 0
  /** Indexed [status class][cors outcome][preflight], flattened. */
  private readonly requests = new Float64Array(STATUS_CLASSES.length * CORS_OUTCOMES.length * 2)
  private readonly preflights = new Float64Array(CORS_OUTCOMES.length)
  private readonly refused = new Map<string, number>()
  /** Per status class, one count per upper bound plus one for +Inf; not cumulative. */
  private readonly latencyBuckets: Float64Array
  private readonly latencySum = new Float64Array(STATUS_CLASSES.length)
  private readonly latencyCount = new Float64Array(STATUS_CLASSES.length)

  constructor(readonly latencyBoundsSeconds: readonly number[]) {
    this.latencyBuckets = new Float64Array(STATUS_CLASSES.length * (latencyBoundsSeconds.length + 1))
  }

  record(r: RequestRecord): void {
    const cls = statusClassIndex(r.status)
    const cors = CORS_INDEX[r.cors]
    add(this.requests, (cls * CORS_OUTCOMES.length + cors) * 2 + (r.isPreflight ? 1 : 0), 1)
    this.bytesSent += r.bytes
    if (r.aborted) this.aborted += 1
    if (r.isPreflight) add(this.preflights, cors, 1)
    if (r.cors === 'refused') {
      const folder = r.folder ?? 'none'
      this.refused.set(folder, (this.refused.get(folder) ?? 0) + 1)
    }

    const seconds = r.durationMs / 1000
    const bounds = this.latencyBoundsSeconds
    let bucket = 0
    while (bucket < bounds.length && seconds > (bounds[bucket] ?? Infinity)) bucket += 1
    add(this.latencyBuckets, cls * (bounds.length + 1) + bucket, 1)
    add(this.latencySum, cls, seconds)
    add(this.latencyCount, cls, 1)
  }

  /** The non-zero request counter cells. */
  requestCounts(): RequestCount[] {
    const counts: RequestCount[] = []
    STATUS_CLASSES.forEach((statusClass, cls) => {
      CORS_OUTCOMES.forEach((cors, c) => {
        for (const preflight of [0, 1]) {
          const count = at(this.requests, (cls * CORS_OUTCOMES.length + c) * 2 + preflight)
          if (count > 0) counts.push({ statusClass, cors, isPreflight: preflight === 1, count })
        }
      })
    })
    return counts
  }

  /** Preflights by outcome, outcomes never seen left out. */
  preflightCounts(): Array<{ readonly cors: CorsOutcome; readonly count: number }> {
    return CORS_OUTCOMES.map((cors, c) => ({ cors, count: at(this.preflights, c) })).filter((p) => p.count > 0)
  }

  refusedByFolder(): ReadonlyMap<string, number> {
    return this.refused
  }

  /** Latency per status class that has seen a request. */
  latency(): LatencyTally[] {
    const width = this.latencyBoundsSeconds.length + 1
    const tallies: LatencyTally[] = []
    STATUS_CLASSES.forEach((statusClass, cls) => {
      const count = at(this.latencyCount, cls)
      if (count === 0) return
      const cumulative: number[] = []
      let running = 0
      for (let b = 0; b < this.latencyBoundsSeconds.length; b++) {
        running += at(this.latencyBuckets, cls * width + b)
        cumulative.push(running)
      }
      tallies.push({ statusClass, cumulative, sumSeconds: at(this.latencySum, cls), count })
    })
    return tallies
  }
}
