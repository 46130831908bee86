/**
 * Reading an opened object: every GET is pinned with `If-Match` on the ETag
 * the handle describes, so the bytes sent are that version's or none at all
 * (a replacement in between answers 412 and the transfer fails instead of
 * mixing two versions). Responses stream into the sink with back-pressure,
 * and a sink that closes first aborts the GET.
 */
import type { Writable } from 'node:stream'
import type { OpenStoredFile, StoredFile, Transfer } from '../asset-store'
import { failureOf, type S3Client } from './client'

export class OpenS3Object implements OpenStoredFile {
  constructor(
    private readonly client: S3Client,
    readonly info: StoredFile,
  ) {}

  sendTo(sink: Writable, start: number, end: number): Transfer {
    let bytesSent = 0
    const done = new Promise<void>((resolve, reject) => {
      if (end < start) {
        sink.end()
        resolve()
        return
      }
      const abort = new AbortController()
      let settled = false
      const settle = (error?: unknown) => {
        if (settled) return
        settled = true
        sink.off('close', onSinkClose)
        abort.abort()
        if (error === undefined) resolve()
        else {
          // Never let a response end as if it were complete.
          sink.destroy()
          reject(error)
        }
      }
      const onSinkClose = () => settle()
      sink.on('close', onSinkClose)
      this.client
        .send({ method: 'GET', key: this.info.key, headers: { Range: `bytes=${start}-${end}`, 'If-Match': this.info.etag }, signal: abort.signal })
        .then(async (res) => {
          if (settled) return void res.destroy()
          if (res.statusCode !== 206 && res.statusCode !== 200) {
            res.resume()
            return settle(failureOf(res.statusCode ?? 0, ''))
          }
          res.on('data', (chunk: Buffer) => {
            bytesSent += chunk.length
            if (!sink.write(chunk)) {
              res.pause()
              sink.once('drain', () => res.resume())
            }
          })
          res.once('end', () => {
            if (bytesSent !== end - start + 1) return settle(new Error(`S3 sent ${bytesSent} of ${end - start + 1} bytes of ${this.info.key}`))
            sink.end(() => settle())
          })
          res.once('error', (error: Error) => settle(error))
          res.once('aborted', () => settle(new Error(`the GET of ${this.info.key} was cut off`)))
        }, (error: unknown) => {
          // Aborted because the sink closed first: that is a settled transfer, not a failure.
          if (!settled) settle(error)
        })
    })
    return {
      get bytesSent() {
        return bytesSent
      },
      done,
    }
  }

  async readAll(): Promise<Buffer> {
    if (this.info.sizeBytes === 0) return Buffer.alloc(0)
    const { status, bytes, body } = await this.client.call({ method: 'GET', key: this.info.key, headers: { 'If-Match': this.info.etag } })
    if (status !== 200) throw failureOf(status, body)
    if (bytes.length !== this.info.sizeBytes) throw new Error(`S3 sent ${bytes.length} of ${this.info.sizeBytes} bytes of ${this.info.key}`)
    return bytes
  }

  /** Nothing is held between requests. */
  close(): void {}
}
