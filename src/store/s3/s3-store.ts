import type { Readable } from 'node:stream'
import { PassThrough } from 'node:stream'
import { CrossportError } from '../../http/errors'
import { PRECOMPRESSED_SIBLINGS } from '../../http/precompressed'
import type { AssetStore, DeleteResult, ListOptions, ListPage, OpenStoredFile, PutOptions, PutResult, StoredFile } from '../asset-store'
import { PathLocks } from '../path-locks'
import { failureOf, S3Client, S3ResponseError, type S3ClientOptions } from './client'
import { refusePathConflicts } from './conflict'
import { listObjects } from './list'
import { KeyMap, storedFileOf } from './objects'
import { OpenS3Object } from './transfer'
import { stageUpload, PART_BYTES } from './upload'

export interface S3AssetStoreOptions extends S3ClientOptions {
  /** S3_PREFIX: prepended to every key, so one bucket can hold several stores. */
  readonly prefix: string
  /** Bytes per multipart part (and the most an upload holds in memory); S3 needs at least 5 MiB. */
  readonly partBytes?: number
}

const preconditionFailed = (path: string) =>
  new CrossportError('PRECONDITION_FAILED', `${path} was changed by another writer meanwhile; nothing was stored`)

/**
 * The asset store in an S3-compatible bucket: the bucket is the source of
 * truth (objects written by other tools are assets like uploaded ones), and
 * nothing is kept locally. Puts and deletes of one path are serialised in
 * this process; across hosts, a put that fits in one part is a conditional
 * PUT on the version its precondition saw (atomic where the server honours
 * If-Match / If-None-Match on PUT, as RGW and AWS do).
 */
export class S3AssetStore implements AssetStore {
  readonly client: S3Client
  readonly keys: KeyMap
  private readonly locks = new PathLocks()
  private readonly partBytes: number

  constructor(options: S3AssetStoreOptions) {
    this.client = new S3Client(options)
    this.keys = new KeyMap(options.prefix)
    this.partBytes = options.partBytes ?? PART_BYTES
  }

  close(): void {
    this.client.close()
  }

  /**
   * Whether the bucket is there and these keys may use it (HEAD bucket).
   * @returns the status (0: no answer) and what the endpoint said.
   */
  async checkBucket(): Promise<{ status: number; detail: string }> {
    try {
      const { status } = await this.client.call({ method: 'HEAD', key: '' })
      const meaning = status === 404 ? ' (no such bucket)' : status === 403 ? ' (access denied: wrong or unauthorised keys)' : ''
      return { status, detail: `${status}${meaning}` }
    } catch (error: unknown) {
      return { status: 0, detail: error instanceof Error ? error.message : String(error) }
    }
  }

  async whyNotReady(): Promise<string | undefined> {
    const { status, detail } = await this.checkBucket()
    if (status === 200) return undefined
    const { bucket, endpoint } = this.client.options
    return `S3 bucket ${bucket} at ${endpoint ?? 'AWS S3'}: HEAD answered ${detail}`
  }

  async lookup(path: string): Promise<StoredFile | undefined> {
    const key = this.keys.publicKeyFor(path)
    return key === undefined ? undefined : this.head(path, key, 'public')
  }

  async open(key: string): Promise<OpenStoredFile | undefined> {
    const path = this.keys.pathOf(key)
    if (path === undefined) return undefined
    const info = await this.head(path, key, 'public')
    return info === undefined ? undefined : new OpenS3Object(this.client, info)
  }

  stat(path: string): Promise<StoredFile | undefined> {
    return this.head(path, this.keys.keyFor(path), 'admin')
  }

  async put(path: string, body: Readable, options: PutOptions): Promise<PutResult> {
    const key = this.keys.keyFor(path)
    const staged = await stageUpload(this.client, key, body, options, this.partBytes)
    try {
      return await this.locks.run(path, async () => {
        const before = await this.stat(path)
        options.precondition?.(before)
        await refusePathConflicts(this.client, this.keys, path)
        // What the precondition saw must still be current when the write lands (across hosts too);
        // without one, the last writer wins as on the file store.
        // RGW compares a PUT's If-Match with the bare ETag (no quotes); S3 accepts it bare too.
        const conditions: Record<string, string> =
          options.precondition === undefined ? {} : before === undefined ? { 'If-None-Match': '*' } : { 'If-Match': before.revision }
        try {
          await staged.commit(conditions)
        } catch (error: unknown) {
          if (error instanceof S3ResponseError && error.status === 412) throw preconditionFailed(path)
          throw error
        }
        const after = await this.stat(path)
        if (after === undefined) throw new Error(`${path} vanished right after it was stored`)
        return { before, after }
      })
    } finally {
      await staged.discard()
    }
  }

  delete(path: string): Promise<DeleteResult | undefined> {
    return this.locks.run(path, async () => {
      const before = await this.stat(path)
      if (before === undefined) return undefined
      const siblings = PRECOMPRESSED_SIBLINGS.map(([, suffix]) => path + suffix)
      const present = await Promise.all(siblings.map((sibling) => this.head(sibling, this.keys.keyFor(sibling), 'admin')))
      const removed = siblings.filter((_, i) => present[i] !== undefined)
      await Promise.all([path, ...removed].map((target) => this.client.expectOk({ method: 'DELETE', key: this.keys.keyFor(target) })))
      return { before, siblings: removed }
    })
  }

  list(options: ListOptions): Promise<ListPage> {
    return listObjects(this.client, this.keys, options)
  }

  read(path: string): Readable {
    const out = new PassThrough()
    const key = this.keys.keyFor(path)
    this.client.send({ method: 'GET', key }).then(
      (res) => {
        if (res.statusCode === 200) {
          res.once('error', (error) => out.destroy(error))
          res.pipe(out)
          return
        }
        res.resume()
        const failure = failureOf(res.statusCode ?? 0, '')
        out.destroy(res.statusCode === 404 ? Object.assign(new Error(`${path}: no such asset`), { code: 'ENOENT' }) : failure)
      },
      (error: unknown) => out.destroy(error as Error),
    )
    return out
  }

  /**
   * HEAD of one key. `public`: anything but 200 is a miss (404, 403…) except
   * an unavailable store; `admin`: only 404 is, anything else rejects.
   */
  private async head(path: string, key: string, audience: 'public' | 'admin'): Promise<StoredFile | undefined> {
    const { status, headers } = await this.client.call({ method: 'HEAD', key })
    if (status === 200) return storedFileOf(path, key, headers)
    if (status >= 500) throw failureOf(status, '')
    if (status === 404 || audience === 'public') return undefined
    throw new S3ResponseError(status, '')
  }
}
