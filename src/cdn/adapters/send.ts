import { PurgeDeliveryError } from './types'

export interface PurgeHttpRequest {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
}

/** How much of a refusal's body goes into the error message (and so the outbox's last_error). */
const MAX_DETAIL_CHARS = 300

// 408 and 429 say "later"; 5xx is the CDN's own trouble. Other 4xx: the request is wrong.
const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500

/**
 * Sends one purge request with a deadline. Resolves on 2xx; otherwise throws
 * a `PurgeDeliveryError` saying whether a later try may succeed. The answer's
 * body is read (and so released) either way.
 */
export async function sendPurgeRequest(request: PurgeHttpRequest, timeoutMs: number): Promise<void> {
  const target = `${request.method} ${request.url}`
  let response: Response
  let body: string
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    })
    body = await response.text()
  } catch (error: unknown) {
    const reason = (error as { name?: unknown } | null)?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : String((error as Error).cause ?? error)
    throw new PurgeDeliveryError(`${target}: ${reason}`, true, undefined, { cause: error })
  }
  if (response.status >= 200 && response.status < 300) return
  const detail = body.replace(/\s+/g, ' ').trim().slice(0, MAX_DETAIL_CHARS)
  throw new PurgeDeliveryError(`${target}: ${response.status}${detail === '' ? '' : ` ${detail}`}`, isRetryableStatus(response.status), response.status)
}

/**
 * Sends every request, all of them even when some fail (each one purged is
 * one less stale copy), then throws: a retryable error if any failure is
 * retryable, since the whole purge is sent again and resending the accepted
 * part is harmless; otherwise the first permanent one.
 */
export async function sendAll(requests: readonly PurgeHttpRequest[], timeoutMs: number): Promise<void> {
  const results = await Promise.allSettled(requests.map((request) => sendPurgeRequest(request, timeoutMs)))
  const errors = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []))
  if (errors.length === 0) return
  const retryable = errors.find((error) => error instanceof PurgeDeliveryError && error.isRetryable)
  throw retryable ?? errors[0]
}

/** `items` in runs of at most `size`, for APIs that take a bounded number per call. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * `items` joined by `separator` into values of at most `maxChars` each, for a
 * header that lists tags (Varnish's request header limit is 8 KiB).
 */
export function joinedWithin(items: readonly string[], separator: string, maxChars: number): string[] {
  const values: string[] = []
  let current = ''
  for (const item of items) {
    if (current !== '' && current.length + separator.length + item.length > maxChars) {
      values.push(current)
      current = ''
    }
    current = current === '' ? item : current + separator + item
  }
  if (current !== '') values.push(current)
  return values
}
