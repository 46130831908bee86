import { z } from 'zod'
import { parseSafePath } from '../../http/safe-path'
import { folderPathProblem, MAX_FOLDER_PATH_BYTES, TOKEN } from './policy'

/**
 * The query parameters of the admin API, parsed with zod like the bodies
 * (422 `validation-failed` naming each bad parameter) and documented from the
 * same schemas in the OpenAPI document.
 */

/** Folder and asset list pages: one size for both. */
export const DEFAULT_PAGE_SIZE = 100
export const MAX_PAGE_SIZE = 1000

type Parsed<T> = { readonly value: T } | { readonly problem: string }

/** A string turned into a `T` by `parse`, or refused with the problem it names. */
function parsedString<T>(parse: (value: string) => Parsed<T>) {
  return z.string().transform((value, ctx): T => {
    const parsed = parse(value)
    if ('value' in parsed) return parsed.value
    ctx.addIssue({ code: 'custom', message: parsed.problem })
    return z.NEVER
  })
}

/**
 * An optional parameter: Koa hands a repeated name over as an array, which is
 * refused with `message`; an empty value counts as absent.
 */
function optionalParam<T>(inner: z.ZodType<T, string>, message: string) {
  return z
    .string({ error: message })
    .optional()
    .transform((value) => (value === '' ? undefined : value))
    .pipe(inner.optional())
}

const LIMIT_PROBLEM = `must be a whole number from 1 to ${MAX_PAGE_SIZE}`
const pageLimit = optionalParam(
  parsedString((value) => {
    const n = /^[0-9]{1,5}$/.test(value) ? Number(value) : NaN
    return n >= 1 && n <= MAX_PAGE_SIZE ? { value: n } : { problem: LIMIT_PROBLEM }
  }),
  LIMIT_PROBLEM,
)
  .transform((n) => n ?? DEFAULT_PAGE_SIZE)
  .describe(`Page size, 1 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}`)

// The cursor is the last path of the previous page. Opaque to clients so it
// can change shape later; stable because pages are sorted by path, so an
// entry added or removed elsewhere never shifts the next page.
export const encodeCursor = (path: string): string => Buffer.from(path, 'utf8').toString('base64url')

const CURSOR_PROBLEM = 'is not one this server gave out; start again without it'
/** `cursor=`: the path it stands for, which `isPath` must accept. */
const cursor = (isPath: (path: string) => boolean) =>
  optionalParam(
    parsedString((value) => {
      const path = /^[A-Za-z0-9_-]+$/.test(value) ? Buffer.from(value, 'base64url').toString('utf8') : ''
      return isPath(path) ? { value: path } : { problem: CURSOR_PROBLEM }
    }),
    CURSOR_PROBLEM,
  ).describe('From nextCursor of the previous page')

const folderPathParam = z.string({ error: 'give one path' }).superRefine((path, ctx) => {
  const problem = folderPathProblem(path)
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
})

/** `GET /folders?path=`: one folder by exact path, no paging. */
export const folderLookupQuery = z.object({ path: folderPathParam.optional().describe('Exact folder path, e.g. /brand/ (no paging then)') })

/** `GET /folders` without `path`: a page of folders by path. */
export const folderPageQuery = z.object({
  prefix: optionalParam(folderPathParam, 'give one path').describe('Only this folder and the folders below it, e.g. /brand/'),
  cursor: cursor((path) => path.startsWith('/') && path.endsWith('/')),
  limit: pageLimit,
})

const ASSET_PREFIX_PROBLEM = 'give one prefix such as /brand/'

export const assetListQuery = z.object({
  prefix: optionalParam(
    parsedString((value) => {
      // Query values arrive decoded; re-encode each segment so parseSafePath sees what it expects.
      const safe = value.startsWith('/') ? parseSafePath(value.split('/').map(encodeURIComponent).join('/')) : undefined
      if (safe?.ok === true) return { value: safe.path }
      return { problem: `${JSON.stringify(value.slice(0, 100))} is not an asset path prefix${safe === undefined ? ' (it must start with /)' : `: ${safe.reason}`}` }
    }),
    ASSET_PREFIX_PROBLEM,
  )
    .transform((prefix) => prefix ?? '/')
    .describe('Folder prefix, e.g. /brand/ (default /)'),
  // S3 ListObjectsV2 semantics; no other delimiter exists here.
  delimiter: optionalParam(z.enum(['/'], { error: 'the only delimiter is / (one folder level)' }), 'the only delimiter is / (one folder level)').describe(
    '/ lists one folder level: files directly under the prefix in items, child folders in folders (each counts towards limit)',
  ),
  cursor: cursor((path) => path.startsWith('/')),
  limit: pageLimit,
})

/** `GET /purges`: a page of pending and failed purges, oldest first. */
export const purgePageQuery = z.object({
  cursor: cursor((id) => /^[1-9][0-9]{0,15}$/.test(id)).transform((id) => (id === undefined ? 0 : Number(id))),
  limit: pageLimit,
})

const positiveId = z.string().regex(/^[1-9][0-9]{0,15}$/, 'must be a positive whole number').transform(Number)

export const auditQuerySchema = z.object({
  limit: z
    .string()
    .regex(/^[0-9]{1,4}$/, 'must be a whole number from 1 to 500')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 500, 'must be a whole number from 1 to 500')
    .default(50)
    .describe('1..500, default 50'),
  target: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_FOLDER_PATH_BYTES)
    .optional()
    .describe('A folder or asset path: entries for it and below it at a / boundary (/brand: /brand and /brand/…, not /brandx/)'),
  before: positiveId.optional().describe('Entries with a smaller id (paging)'),
})

const trueOrFalse = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true')

export const explainQuerySchema = z.object({
  path: z.string().min(1, 'is required: a URL path such as /brand/logo.png, or a full URL').describe('URL path or full URL'),
  origin: z.string().optional().describe('Origin the request would carry'),
  method: z
    .string()
    .regex(TOKEN, 'must be an HTTP method token')
    .transform((m) => m.toUpperCase())
    .default('GET')
    .describe('Request method (default GET)'),
  headers: z.string().max(4096).optional().describe('Access-Control-Request-Headers for a preflight'),
  preflight: trueOrFalse.optional().describe('true|false; default: true when method is not GET/HEAD/POST or headers are given'),
  privateNetwork: trueOrFalse.optional().describe('true: the preflight asks for private network access'),
  referer: z.string().max(8192).optional().describe('Referer the request would carry'),
  secFetchSite: z.enum(['same-origin', 'same-site', 'cross-site', 'none']).optional().describe('What Sec-Fetch-Site the browser would send'),
})

/** Every route's query, for the OpenAPI document: `GET /folders` takes both folder queries. */
export const ROUTE_QUERIES = {
  '/folders': z.object({ ...folderLookupQuery.shape, ...folderPageQuery.shape }),
  '/assets': assetListQuery,
  '/audit': auditQuerySchema,
  '/purges': purgePageQuery,
  '/explain': explainQuerySchema,
} as const
