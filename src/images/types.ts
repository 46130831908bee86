/** What image rendering reports: counted by the operations side, declared here so images need nothing above them. */
export interface ImageTelemetry {
  imageRendered(durationMs: number): void
  imageCacheHit(): void
}

/** Input for an image derivative: the source file as delivery already knows it. */
export interface DeriveRequest {
  readonly urlPath: string
  /** Where sharp may read the source by path (a local store); undefined for a remote store: `readSource` then. */
  readonly filePath: string | undefined
  /** The source's bytes, for stores without local files (required then); undefined when it is gone. */
  readonly readSource?: () => Promise<Buffer | undefined>
  readonly sizeBytes: number
  readonly mtimeMs: number
  readonly etag: string
  readonly query: URLSearchParams
  readonly accept: string | undefined
  /** Aborts when the client has gone: a render nobody else waits for is then dropped. */
  readonly signal?: AbortSignal
}

/** A rendered (or cached) derivative on disk, served like any asset. */
export interface DerivedImage {
  readonly filePath: string
  readonly contentType: string
  /** Request headers the choice depended on beyond Origin, e.g. `Accept` for fmt=auto. */
  readonly vary: readonly string[]
}

export interface ImageService {
  /** Whether the request asks for a derivative: an image parameter (w, h, q, fmt, fit, dpr) on a renderable image. */
  wantsDerivative(query: URLSearchParams, urlPath: string): boolean
  /**
   * Renders or finds the derivative. Resolves `null` when the source is not a
   * transformable image (SVG, non-image): the original is served as it is.
   * Rejects with a CrossportError (400/415/422/503) for bad or unaffordable requests,
   * and with IMAGE_RENDER_TIMEOUT (503) past IMAGE_RENDER_TIMEOUT_MS.
   */
  derive(request: DeriveRequest): Promise<DerivedImage | null>
  /**
   * The derivative a `derive` with these facts would answer, when it is known
   * from memory alone (a warm cache hit); undefined otherwise, also for bad
   * parameters: `derive` then gives the full answer. Not counted as a cache
   * hit; the caller counts it once it has used it.
   */
  peek(request: Pick<DeriveRequest, 'urlPath' | 'etag' | 'query' | 'accept'>): DerivedImage | undefined
  /** The folder every `DerivedImage.filePath` lives under. */
  readonly cacheRoot: string
  /**
   * sharp renders running right now. Their native threads cannot be stopped
   * from JavaScript and `process.exit` waits for them, so shutdown exits
   * differently while this is above 0 (see main.ts).
   */
  readonly rendersRunning: number
  /** Drops every derivative of one source (asset replaced or deleted). */
  purge(urlPath: string): Promise<void>
}
