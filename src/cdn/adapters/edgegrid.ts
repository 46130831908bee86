import { createHash, createHmac, randomUUID } from 'node:crypto'

/** An Akamai API client's credentials (from its `.edgerc` section). */
export interface EdgeGridCredentials {
  readonly clientToken: string
  readonly clientSecret: string
  readonly accessToken: string
}

/** EdgeGrid hashes at most this much of a POST body (the API client's default max-body). */
const MAX_SIGNED_BODY_BYTES = 131_072

/** `client_token:client_secret:access_token` (CDN_API_TOKEN for CDN=akamai); undefined when not of that form. */
export function parseEdgeGridCredentials(token: string): EdgeGridCredentials | undefined {
  const parts = token.split(':')
  if (parts.length !== 3 || parts.some((part) => part === '')) return undefined
  const [clientToken, clientSecret, accessToken] = parts as [string, string, string]
  return { clientToken, clientSecret, accessToken }
}

const hmac = (key: string, data: string): string => createHmac('sha256', key).update(data).digest('base64')

/** `yyyyMMddTHH:mm:ss+0000`, the timestamp EdgeGrid signs. */
export const edgeGridTimestamp = (date: Date): string => `${date.toISOString().slice(0, 19).replace(/-/g, '')}+0000`

/**
 * The `Authorization` header of Akamai's EG1-HMAC-SHA256 scheme for one
 * request: the signing key is the HMAC of the timestamp under the client
 * secret; it signs method, scheme, host, path and query, the (here empty)
 * signed headers, the body's SHA-256 and the header's own first part,
 * tab-separated.
 */
export function edgeGridAuthorization(
  credentials: EdgeGridCredentials,
  request: { readonly method: string; readonly url: string; readonly body: string },
  at: { readonly timestamp: string; readonly nonce: string } = { timestamp: edgeGridTimestamp(new Date()), nonce: randomUUID() },
): string {
  const url = new URL(request.url)
  const head = `EG1-HMAC-SHA256 client_token=${credentials.clientToken};access_token=${credentials.accessToken};timestamp=${at.timestamp};nonce=${at.nonce};`
  const signed = Buffer.from(request.body).subarray(0, MAX_SIGNED_BODY_BYTES)
  const contentHash = request.method === 'POST' && signed.length > 0 ? createHash('sha256').update(signed).digest('base64') : ''
  const data = [request.method.toUpperCase(), url.protocol.replace(':', ''), url.host, url.pathname + url.search, '', contentHash, head].join('\t')
  return `${head}signature=${hmac(hmac(credentials.clientSecret, at.timestamp), data)}`
}
