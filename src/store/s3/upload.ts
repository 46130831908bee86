/**
 * Writing an upload into the bucket with memory bounded by one part: the
 * body fills a part buffer; a body that fits in one part is sent as a single
 * PUT, a larger one as a multipart upload whose parts go out as they fill
 * (the body waits meanwhile). Nothing is visible until `commit` sends the
 * single PUT or completes the multipart upload; any failure before that
 * aborts the multipart upload, so no parts stay behind.
 */
import type { Readable } from 'node:stream'
import { contentTypeFor } from '../../http/media-type'
import type { PutOptions } from '../asset-store'
import { receiveBody } from '../upload-body'
import type { S3Client } from './client'
import { xmlValue } from './objects'

/** S3's smallest part (but the last) is 5 MiB; 8 MiB parts keep the request count low. */
export const PART_BYTES = 8 * 1024 * 1024

/** How the received body becomes the object, given the conditional headers decided at commit time. */
export type Commit = (conditions: Readonly<Record<string, string>>) => Promise<void>

/** A body received into the bucket but not yet visible. */
export interface StagedUpload {
  readonly sizeBytes: number
  /** Makes the object visible (PUT or CompleteMultipartUpload) with the conditional headers. */
  readonly commit: Commit
  /** Aborts a multipart upload; safe to call after commit or more than once. */
  readonly discard: () => Promise<void>
}

const completionXml = (etags: readonly string[]): string =>
  `<CompleteMultipartUpload>${etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`

/** Receives `body` for `key` (limit, inspection and back-pressure as `receiveBody` does). */
export async function stageUpload(client: S3Client, key: string, body: Readable, options: PutOptions, partBytes = PART_BYTES): Promise<StagedUpload> {
  let part: Buffer[] = []
  let partLength = 0
  let uploadId: string | undefined
  const etags: string[] = []
  let isDone = false
  // For other readers of the bucket (aws s3 cp, a CDN in front of it); Crossport itself goes by the name.
  const contentType = { 'Content-Type': contentTypeFor(key) }

  const discard = async () => {
    if (uploadId === undefined || isDone) return
    isDone = true
    await client.call({ method: 'DELETE', key, query: { uploadId } }).catch(() => undefined)
  }
  const flushPart = async () => {
    const bytes = Buffer.concat(part, partLength)
    part = []
    partLength = 0
    uploadId ??= xmlValue((await client.expectOk({ method: 'POST', key, query: { uploads: '' }, headers: contentType })).body, 'UploadId')
    if (uploadId === undefined) throw new Error(`S3 started no multipart upload for ${key}`)
    const answer = await client.expectOk({ method: 'PUT', key, query: { partNumber: String(etags.length + 1), uploadId }, body: bytes })
    etags.push(answer.headers.etag ?? '')
  }

  let received: number
  try {
    received = await receiveBody(body, options, async (chunk) => {
      part.push(chunk)
      partLength += chunk.length
      // Keep the last part in memory: only the completion may see the end of the body.
      if (partLength > partBytes) await flushPart()
    })
  } catch (error: unknown) {
    await discard()
    throw error
  }

  if (uploadId === undefined) {
    const bytes = Buffer.concat(part, partLength)
    return { sizeBytes: received, discard, commit: (conditions) => client.expectOk({ method: 'PUT', key, headers: { ...contentType, ...conditions }, body: bytes }).then(() => undefined) }
  }
  const commit: Commit = async (conditions) => {
    try {
      if (partLength > 0) await flushPart()
      const answer = await client.expectOk({ method: 'POST', key, query: { uploadId: uploadId ?? '' }, headers: conditions, body: Buffer.from(completionXml(etags)) })
      // CompleteMultipartUpload may fail after its 200 has started; the error is in the body.
      if (answer.body.includes('<Error>')) throw new Error(`S3 refused to complete the upload of ${key}: ${xmlValue(answer.body, 'Code') ?? ''}`)
      isDone = true
    } catch (error: unknown) {
      await discard()
      throw error
    }
  }
  return { sizeBytes: received, discard, commit }
}
