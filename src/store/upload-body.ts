/**
 * Reading an upload's body into a store, whatever the store writes to (a
 * temp file, a multipart upload): the size limit, the first-bytes inspection
 * and back-pressure are the same for every store.
 */
import type { Readable } from 'node:stream'
import { CrossportError } from '../http/errors'
import type { PutOptions } from './asset-store'

const DEFAULT_HEAD_BYTES = 64

export const bodyTooLarge = (maxBytes: number) =>
  new CrossportError('BODY_TOO_LARGE', `The upload exceeds MAX_UPLOAD_BYTES (${maxBytes} bytes)`, { headers: { Connection: 'close' } })

const uploadAborted = (cause: Error) => new CrossportError('BAD_REQUEST', 'The upload was aborted before the body was complete', { cause })

/**
 * Passes `source` to `write`, one chunk at a time with the source paused
 * while a write is pending (back-pressure: memory stays at one chunk however
 * large the upload). Never destroys `source`: whether to drain or cut the
 * connection after a refusal is the HTTP layer's decision.
 * @returns the number of bytes received.
 */
export function receiveBody(source: Readable, options: PutOptions, write: (chunk: Buffer) => Promise<void>): Promise<number> {
  const headBytes = options.headBytes ?? DEFAULT_HEAD_BYTES
  return new Promise((resolve, reject) => {
    let received = 0
    let settled = false
    let head: Buffer[] = []
    let headLength = 0
    let isInspected = options.inspect === undefined
    let writing: Promise<void> = Promise.resolve()

    const inspectHead = () => {
      if (isInspected) return
      isInspected = true
      const bytes = Buffer.concat(head, headLength)
      head = []
      options.inspect?.(bytes.subarray(0, headBytes))
    }
    const handleChunk = async (chunk: Buffer) => {
      if (settled) return
      received += chunk.length
      if (received > options.maxBytes) throw bodyTooLarge(options.maxBytes)
      if (!isInspected) {
        head.push(chunk)
        headLength += chunk.length
        if (headLength >= headBytes) inspectHead()
      }
      await write(chunk)
    }
    const settle = (error?: unknown) => {
      if (settled) return
      settled = true
      source.off('data', onData)
      source.off('end', onEnd)
      source.off('error', onError)
      source.off('close', onClose)
      if (error === undefined) resolve(received)
      else reject(error)
    }
    const onData = (chunk: Buffer) => {
      source.pause()
      writing = writing.then(() => handleChunk(chunk))
      writing.then(() => {
        if (!settled) source.resume()
      }, settle)
    }
    const onEnd = () => {
      writing.then(() => {
        inspectHead()
        settle()
      }).catch(settle)
    }
    const onError = (error: Error) => settle(uploadAborted(error))
    const onClose = () => {
      if (!source.readableEnded) settle(uploadAborted(new Error('the client closed the connection mid-body')))
    }
    source.on('data', onData)
    source.on('end', onEnd)
    source.on('error', onError)
    source.on('close', onClose)
  })
}
