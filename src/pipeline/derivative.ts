/**
 * The image-derivative step: a derivative known from memory with its bytes
 * (warm, no I/O), or one the image service renders or finds on disk (cold).
 * Either way the result is a file under CACHE_DIR, served like any asset.
 */
import type { ServerResponse } from 'node:http'
import { isCrossportError, type CrossportError } from '../http/errors'
import type { DerivedImage, ImageService } from '../images/types'
import { FsAssetStore } from '../store/fs/fs-store'
import { FileCache, type CachedRepresentation, type FileCacheOptions } from './file-cache'

export interface DerivativeRequest {
  /** Safe path of the source. */
  readonly path: string
  readonly source: CachedRepresentation
  /** Without signature parameters. */
  readonly query: URLSearchParams
  readonly accept: string | undefined
  readonly nowMs: number
}

/** A derivative file ready to send, and what its choice depended on besides Origin. */
export interface DerivativeFile {
  readonly kind: 'file'
  readonly files: FileCache
  readonly key: string
  readonly representation: CachedRepresentation
  readonly vary: readonly string[]
}

export type Rendered =
  | DerivativeFile
  /** Not a transformable image (SVG without a raster format, or not an image): serve the source as it is. */
  | { readonly kind: 'original' }
  /** The source is gone since it was looked up. */
  | { readonly kind: 'missing' }
  | { readonly kind: 'client-gone' }
  /** A CrossportError for the client (400/415/422/503); undefined: evicted before it could be read (503, retry). */
  | { readonly kind: 'failed'; readonly error: CrossportError | undefined }

const ORIGINAL: Rendered = Object.freeze({ kind: 'original' })
const MISSING: Rendered = Object.freeze({ kind: 'missing' })
const CLIENT_GONE: Rendered = Object.freeze({ kind: 'client-gone' })
const EVICTED: Rendered = Object.freeze({ kind: 'failed', error: undefined })

export class Derivatives {
  /** Rendered files, cached like assets; created at the first derivative, when the cache folder exists and its real path is known. */
  private files: FileCache | undefined

  constructor(
    private readonly images: ImageService,
    private readonly sources: FileCache,
    private readonly cacheOptions: FileCacheOptions,
    /** Whether the store keeps files on this machine, so sharp can read a source by its key (its path). */
    private readonly readsByPath: boolean,
  ) {}

  /** The source's bytes (a remote store); undefined when it is gone. */
  private async readWhole(request: DerivativeRequest): Promise<Buffer | undefined> {
    const found = await this.sources.open(request.path, request.source)
    return found === undefined ? undefined : found.opened.readAll()
  }

  /** The derivative and its bytes, known from memory alone; undefined when anything needs I/O. */
  peek(request: DerivativeRequest): DerivativeFile | undefined {
    const derived = this.images.peek({ urlPath: request.path, etag: request.source.etag, query: request.query, accept: request.accept })
    if (derived === undefined || this.files === undefined) return undefined
    const key = this.keyOf(derived)
    const representation = this.files.fresh(key, request.nowMs)?.identity
    if (representation?.body === undefined) return undefined
    return { kind: 'file', files: this.files, key, representation, vary: derived.vary }
  }

  /** Renders the derivative, or finds it on disk. Rejects only on unexpected errors. */
  async render(request: DerivativeRequest, res: ServerResponse): Promise<Rendered> {
    const { source } = request
    // The entry may be FILE_CACHE_TTL_MS old and sharp reads the source by path.
    if (!(await this.sources.isStillThere(request.path, source))) return MISSING
    let derived: DerivedImage | null
    // A client that leaves stops waiting: a render nobody else waits for is dropped.
    const clientGone = new AbortController()
    const onClose = () => clientGone.abort(new Error('client closed the connection'))
    res.once('close', onClose)
    try {
      derived = await this.images.derive({
        urlPath: request.path,
        filePath: this.readsByPath ? source.info.key : undefined,
        readSource: () => this.readWhole(request),
        sizeBytes: source.sizeBytes,
        mtimeMs: source.info.mtimeMs,
        etag: source.etag,
        query: request.query,
        accept: request.accept,
        signal: clientGone.signal,
      })
    } catch (error) {
      if (res.destroyed) return CLIENT_GONE
      if (!isCrossportError(error)) throw error
      return { kind: 'failed', error }
    } finally {
      res.off('close', onClose)
    }
    if (derived === null) return ORIGINAL
    // Derivative files are immutable (their name encodes the source's ETag and
    // the parameters); their media type follows from the extension, as for any asset.
    this.files ??= new FileCache(new FsAssetStore(this.images.cacheRoot), this.cacheOptions)
    const key = this.keyOf(derived)
    const cached = this.files.fresh(key, performance.now()) ?? (await this.files.refresh(key))
    if (cached.identity === undefined) return EVICTED
    return { kind: 'file', files: this.files, key, representation: cached.identity, vary: derived.vary }
  }

  private keyOf(derived: DerivedImage): string {
    return derived.filePath.slice(this.images.cacheRoot.length)
  }
}
