/**
 * The CLI's view of the admin API: one `fetch` per call, problem+json answers
 * turned into `CliError`s that carry the server's `detail`.
 */

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8081'
const API_PREFIX = '/admin/v1'

/** An error the CLI reports as one line on stderr before exiting non-zero. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'CliError'
  }
}

/** An answer the API gave with a 4xx/5xx status. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly type: string | undefined,
  ) {
    super(`${status} ${title}: ${detail}`)
    this.name = 'ApiError'
  }
}

export interface ApiClientOptions {
  readonly url: string
  readonly token: string | undefined
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | undefined>>
  readonly json?: unknown
  readonly body?: RequestInit['body']
  readonly headers?: Readonly<Record<string, string>>
  /** Statuses that are answers rather than errors (e.g. 404 for "not there"). */
  readonly accept?: readonly number[]
}

export class ApiClient {
  private readonly base: URL

  constructor(private readonly options: ApiClientOptions) {
    let base: URL
    try {
      base = new URL(options.url)
    } catch {
      throw new CliError(`--url ${JSON.stringify(options.url)} is not a URL (e.g. ${DEFAULT_ADMIN_URL})`, 2)
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new CliError(`--url must be http:// or https://, not ${base.protocol}`, 2)
    this.base = base
  }

  get url(): string {
    return this.base.origin
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    if (this.options.token === undefined || this.options.token === '') {
      throw new CliError('No admin token: pass --token or set CROSSPORT_TOKEN', 2)
    }
    const url = new URL(this.base.pathname.replace(/\/+$/, '') + API_PREFIX + path, this.base)
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, value)
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}`, accept: 'application/json', ...options.headers }
    let body = options.body
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(options.json)
    }
    let res: Response
    try {
      // `duplex` is required by Node's fetch for streamed bodies (and ignored otherwise).
      res = await fetch(url, { method, headers, body, duplex: 'half' } as RequestInit)
    } catch (error: unknown) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause
      const reason = cause?.code ?? cause?.message ?? (error as Error).message
      throw new CliError(`cannot reach the admin API at ${this.base.origin} (${reason}); is Crossport running? (--url / CROSSPORT_URL)`, 1, { cause: error })
    }
    if (res.ok || options.accept?.includes(res.status)) return res
    if (isNotAdminApi(res)) {
      await res.body?.cancel()
      throw new CliError(
        `${res.status} from ${this.base.origin} without a problem+json body: that is not the admin API, maybe the public listener (PORT)? ` +
          `The admin API listens on ADMIN_PORT (default ${DEFAULT_ADMIN_URL}), or under /admin/ of the public port with ADMIN_ON_MAIN (--url / CROSSPORT_URL)`,
      )
    }
    throw await toApiError(res)
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, options)
    if (res.status === 204) return undefined as T
    return (await res.json()) as T
  }
}

/**
 * Every error of the admin API, unknown paths included, is problem+json; a
 * bare 404 or 405 comes from something else, typically the public listener,
 * which has no /admin/v1 files and takes no writes.
 */
function isNotAdminApi(res: Response): boolean {
  return (res.status === 404 || res.status === 405) && !(res.headers.get('content-type') ?? '').startsWith('application/problem+json')
}

async function toApiError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '')
  try {
    const problem = JSON.parse(text) as { title?: unknown; detail?: unknown; type?: unknown }
    const title = typeof problem.title === 'string' ? problem.title : res.statusText
    const detail = typeof problem.detail === 'string' ? problem.detail : text.slice(0, 200)
    return new ApiError(res.status, title, detail, typeof problem.type === 'string' ? problem.type : undefined)
  } catch {
    return new ApiError(res.status, res.statusText || 'Error', text.slice(0, 200) || '(no body)', undefined)
  }
}

/** `/brand/a b.png` → `/brand/a%20b.png`: each segment encoded, slashes kept. */
export const encodeAssetPath = (path: string): string => path.split('/').map(encodeURIComponent).join('/')
