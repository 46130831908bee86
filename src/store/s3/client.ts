/**
 * Signed S3 requests over node:http(s): SigV4 by `aws4`, keep-alive agents,
 * and a deadline on every request so an endpoint that is down or slow turns
 * into a typed 503 (STORE_UNAVAILABLE) instead of a hang.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { sign } from 'aws4'
import { CrossportError } from '../../http/errors'

export interface S3ClientOptions {
  /** `http://127.0.0.1:7480`; undefined: AWS (`https://s3.<region>.amazonaws.com`). */
  readonly endpoint: string | undefined
  readonly bucket: string
  readonly region: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
  /** Bucket in the path (`/bucket/key`) rather than in the host name. */
  readonly forcePathStyle: boolean
  /** A request with no answer (or a small body not complete) after this long fails with STORE_UNAVAILABLE. */
  readonly timeoutMs: number
}

export interface S3Request {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE'
  /** Object key, or '' for the bucket itself. */
  readonly key: string
  readonly query?: Readonly<Record<string, string>>
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: Buffer
  /** Aborts the request (and its response body) when the caller no longer needs it. */
  readonly signal?: AbortSignal
}

/** A whole (small) answer. */
export interface S3Answer {
  readonly status: number
  readonly headers: IncomingMessage['headers']
  readonly bytes: Buffer
  /** `bytes` as text: the XML of a listing or an error. */
  readonly body: string
}

/** Seconds a client should wait before retrying while the store is unreachable. */
const RETRY_AFTER_SECONDS = '5'

export const storeUnavailable = (detail: string, cause?: unknown): CrossportError =>
  new CrossportError('STORE_UNAVAILABLE', `The asset store is unavailable: ${detail}`, { cause, headers: { 'Retry-After': RETRY_AFTER_SECONDS } })

/** An answer the caller did not expect, with S3's error code (`NoSuchBucket`, `AccessDenied`…). */
export class S3ResponseError extends Error {
  constructor(
    readonly status: number,
    readonly s3Code: string,
  ) {
    super(`S3 answered ${status}${s3Code === '' ? '' : ` ${s3Code}`}`)
    this.name = 'S3ResponseError'
  }
}

// RFC 3986 unreserved characters stay; everything else is percent-encoded, as SigV4 expects.
const encodeKey = (key: string): string => key.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/')

export class S3Client {
  private readonly url: URL
  private readonly agent: HttpAgent
  private readonly isHttps: boolean

  constructor(readonly options: S3ClientOptions) {
    this.url = new URL(options.endpoint ?? `https://s3.${options.region}.amazonaws.com`)
    this.isHttps = this.url.protocol === 'https:'
    this.agent = this.isHttps ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true })
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy()
  }

  /**
   * Sends one request; resolves with the response once its headers arrived
   * (its body still to be read), whatever its status. Rejects with
   * STORE_UNAVAILABLE when the endpoint cannot be reached or does not answer
   * within `timeoutMs`. Past the headers the deadline is lifted: a streamed
   * body may pause as long as its reader applies back-pressure.
   */
  send(req: S3Request): Promise<IncomingMessage> {
    const { bucket, forcePathStyle, timeoutMs } = this.options
    const search = new URLSearchParams(Object.entries(req.query ?? {})).toString().replace(/\+/g, '%20')
    const objectPath = req.key === '' ? '' : `/${encodeKey(req.key)}`
    const path = (forcePathStyle ? `/${bucket}${objectPath || '/'}` : objectPath || '/') + (search === '' ? '' : `?${search}`)
    const host = forcePathStyle ? this.url.host : `${bucket}.${this.url.host}`
    const headers: OutgoingHttpHeaders = { ...req.headers }
    if (req.body !== undefined) headers['Content-Length'] = String(req.body.length)
    const signed = sign(
      { host, path, method: req.method, service: 's3', region: this.options.region, headers: headers as Record<string, string>, body: req.body },
      { accessKeyId: this.options.accessKeyId, secretAccessKey: this.options.secretAccessKey },
    )
    const send = this.isHttps ? httpsRequest : httpRequest
    return new Promise((resolve, reject) => {
      const outgoing = send({
        protocol: this.url.protocol,
        hostname: forcePathStyle ? this.url.hostname : `${bucket}.${this.url.hostname}`,
        port: this.url.port,
        method: req.method,
        path,
        headers: signed.headers,
        agent: this.agent,
        signal: req.signal,
      })
      const timer = setTimeout(() => outgoing.destroy(storeUnavailable(`no answer from ${this.url.host} within S3_TIMEOUT_MS (${timeoutMs} ms)`)), timeoutMs)
      outgoing.once('response', (res) => {
        clearTimeout(timer)
        resolve(res)
      })
      outgoing.once('error', (error: Error) => {
        clearTimeout(timer)
        if (error instanceof CrossportError || error.name === 'AbortError') reject(error)
        else reject(storeUnavailable(`${this.url.host}: ${(error as NodeJS.ErrnoException).code ?? error.message}`, error))
      })
      outgoing.end(req.body)
    })
  }

  /** Sends a request and reads its whole (small) body within `timeoutMs`. */
  async call(req: S3Request): Promise<S3Answer> {
    const res = await this.send(req)
    const timer = setTimeout(() => res.destroy(storeUnavailable(`the answer from ${this.url.host} stalled`)), this.options.timeoutMs)
    try {
      const chunks: Buffer[] = []
      for await (const chunk of res) chunks.push(chunk as Buffer)
      const bytes = Buffer.concat(chunks)
      return { status: res.statusCode ?? 0, headers: res.headers, bytes, body: bytes.toString('utf8') }
    } catch (error: unknown) {
      throw error instanceof CrossportError ? error : storeUnavailable('the answer was cut off', error)
    } finally {
      clearTimeout(timer)
    }
  }

  /** Like `call`, but anything except 2xx rejects: 5xx as STORE_UNAVAILABLE, the rest as S3ResponseError. */
  async expectOk(req: S3Request): Promise<S3Answer> {
    const answer = await this.call(req)
    if (answer.status >= 200 && answer.status < 300) return answer
    throw failureOf(answer.status, answer.body)
  }
}

/** The error for a non-2xx answer: the store's own trouble (5xx) is a 503 for the client. */
export function failureOf(status: number, body: string): Error {
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? ''
  return status >= 500 ? storeUnavailable(`S3 answered ${status} ${code}`.trim()) : new S3ResponseError(status, code)
}
