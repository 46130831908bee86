import { parse as parseContentType } from 'content-type'
import type { Context } from 'koa'
import getRawBody from 'raw-body'
import { CrossportError } from '../http/errors'

/**
 * Reads the request body as one JSON object, refusing before parsing anything
 * that is not `application/json` (415), larger than `limitBytes` (413, counted
 * on the stream, so a missing or lying Content-Length does not help), not
 * JSON (400) or not an object (400).
 */
export async function readJsonObject(ctx: Context, limitBytes: number): Promise<Record<string, unknown>> {
  const hasBody = ctx.get('Transfer-Encoding') !== '' || (ctx.get('Content-Length') !== '' && ctx.get('Content-Length') !== '0')
  if (!hasBody) throw new CrossportError('BAD_REQUEST', 'This request needs a JSON object body (Content-Type: application/json)')
  checkContentType(ctx)
  const text = decodeUtf8(await readBytes(ctx, limitBytes))

  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error: unknown) {
    const reason = error instanceof SyntaxError ? error.message : 'unparseable'
    throw new CrossportError('INVALID_JSON', `The body is not valid JSON: ${reason}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CrossportError('BAD_REQUEST', `The body must be a JSON object, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`)
  }
  return value as Record<string, unknown>
}

function checkContentType(ctx: Context): void {
  const header = ctx.get('Content-Type')
  // Lenient like browsers: a malformed parameter is skipped, not refused.
  const parsed = parseContentType(header)
  if (parsed.type !== 'application/json') {
    throw new CrossportError('UNSUPPORTED_MEDIA_TYPE', `Send the body as application/json, not ${header === '' ? 'without a Content-Type' : header}`, {
      headers: { 'Accept-Post': 'application/json', 'Accept-Patch': 'application/json' },
    })
  }
  // RFC 8259 §8.1: JSON exchanged between systems is UTF-8; anything else would be misread.
  const charset = parsed.parameters.charset?.toLowerCase()
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new CrossportError('UNSUPPORTED_MEDIA_TYPE', `JSON bodies must be UTF-8, not ${charset}`)
  }
  const encoding = ctx.get('Content-Encoding').toLowerCase()
  if (encoding !== '' && encoding !== 'identity') {
    throw new CrossportError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${encoding} is not accepted; send the JSON uncompressed`)
  }
}

const tooLarge = (limitBytes: number) =>
  new CrossportError('BODY_TOO_LARGE', `The body exceeds the limit of ${limitBytes} bytes`, {
    // The rest of the body is not read; the connection cannot be reused.
    headers: { Connection: 'close' },
  })

async function readBytes(ctx: Context, limitBytes: number): Promise<Buffer> {
  try {
    // raw-body refuses a declared Content-Length over the limit before reading, and counts the stream too.
    return await getRawBody(ctx.req, { length: ctx.request.length, limit: limitBytes })
  } catch (error: unknown) {
    if ((error as { type?: unknown }).type !== 'entity.too.large') {
      throw new CrossportError('BAD_REQUEST', 'The request body could not be read', { cause: error })
    }
    // raw-body leaves the stream paused. Discard the rest instead of destroying
    // the socket, so the client can read the 413. Connection: close makes Node
    // close the socket once the answer is written, which is what stops a client
    // that keeps sending: requestTimeout is 0 on the admin listener (uploads
    // may be long), and server.timeout (REQUEST_TIMEOUT_MS, see
    // server/http-server.ts) only cuts off a socket that goes silent.
    ctx.req.resume()
    throw tooLarge(limitBytes)
  }
}

function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new CrossportError('INVALID_JSON', 'The body is not valid UTF-8')
  }
}
