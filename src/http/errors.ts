/**
 * The one catalogue of error codes. A code's `type` URI is derived from it and
 * never changes once shipped; `title` is the stable human summary and `detail`
 * (the error message) says what went wrong this time.
 */
export const ERROR_CATALOGUE = {
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  VALIDATION_FAILED: { status: 422, title: 'Validation failed' },
  INVALID_JSON: { status: 400, title: 'Body is not valid JSON' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  BODY_TOO_LARGE: { status: 413, title: 'Body too large' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  TOO_MANY_ATTEMPTS: { status: 429, title: 'Too many failed authentication attempts' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  MISDIRECTED_REQUEST: { status: 421, title: 'Misdirected request' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  FOLDER_NOT_FOUND: { status: 404, title: 'Folder not found' },
  FOLDER_EXISTS: { status: 409, title: 'Folder already exists' },
  ROOT_FOLDER_PROTECTED: { status: 409, title: 'The root folder cannot be deleted' },
  ORIGIN_NOT_FOUND: { status: 404, title: 'Origin not found' },
  TOKEN_NOT_FOUND: { status: 404, title: 'Token not found' },
  LAST_WRITE_TOKEN: { status: 409, title: 'The last active write token cannot be revoked' },
  ASSET_NOT_FOUND: { status: 404, title: 'Asset not found' },
  INVALID_ASSET_PATH: { status: 400, title: 'Invalid asset path' },
  CONTENT_MISMATCH: { status: 415, title: 'Content does not match its media type' },
  ASSET_PATH_CONFLICT: { status: 409, title: 'Asset path conflicts with a folder or file' },
  PATH_RESERVED: { status: 409, title: 'Path is reserved by the server' },
  STORAGE_FULL: { status: 507, title: 'Insufficient storage' },
  PRECONDITION_FAILED: { status: 412, title: 'Precondition failed' },
  PRECONDITION_REQUIRED: { status: 428, title: 'Precondition required' },
  INVALID_IMAGE_PARAMS: { status: 400, title: 'Invalid image parameters' },
  IMAGE_TOO_LARGE: { status: 422, title: 'Image exceeds the pixel limit' },
  IMAGE_UNSUPPORTED: { status: 415, title: 'Image cannot be transformed' },
  IMAGE_SVG_REFUSED: { status: 422, title: 'SVG refers to content outside itself' },
  IMAGE_SVG_TOO_COSTLY: { status: 422, title: 'SVG filters too costly to render' },
  IMAGE_RENDER_TIMEOUT: { status: 503, title: 'Image render took too long' },
  IMAGE_CACHE_FULL: { status: 503, title: 'No room to store the rendered image' },
  OVERLOADED: { status: 503, title: 'Server busy, try again' },
  STORE_UNAVAILABLE: { status: 503, title: 'Asset store unavailable' },
  DATABASE_UNAVAILABLE: { status: 503, title: 'Database unavailable' },
  NOT_IMPLEMENTED: { status: 501, title: 'Not implemented' },
  INTERNAL: { status: 500, title: 'Internal server error' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof ERROR_CATALOGUE

export const PROBLEM_TYPE_BASE = 'https://crossport.dev/problems/'

export function problemType(code: ErrorCode): string {
  return PROBLEM_TYPE_BASE + code.toLowerCase().replace(/_/g, '-')
}

/** One offending field of a validation error (RFC 9457 extension member `errors`). */
export interface FieldProblem {
  /** JSON pointer-ish dotted path, e.g. `policy.origins.0`. */
  readonly field: string
  readonly message: string
}

export class CrossportError extends Error {
  readonly status: number
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions & { fields?: readonly FieldProblem[]; headers?: Record<string, string> },
  ) {
    super(message, options)
    this.name = 'CrossportError'
    this.status = ERROR_CATALOGUE[code].status
    this.fields = options?.fields
    this.headers = options?.headers
  }
  readonly fields: readonly FieldProblem[] | undefined
  /** Extra response headers, e.g. `Retry-After` or `Allow`. */
  readonly headers: Record<string, string> | undefined
}

export const isCrossportError = (e: unknown): e is CrossportError => e instanceof CrossportError

export const folderExists = (path: string) => new CrossportError('FOLDER_EXISTS', `Folder ${path} already exists`)
export const folderNotFound = (id: string) => new CrossportError('FOLDER_NOT_FOUND', `No folder with id ${id}`)
export const validationFailed = (detail: string, fields: readonly FieldProblem[]) =>
  new CrossportError('VALIDATION_FAILED', detail, { fields })
