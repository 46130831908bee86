import { z } from 'zod'
import type { FieldProblem } from '../../http/errors'
import { parseSafePath } from '../../http/safe-path'
import { parseNewOriginRule } from '../../policy/origin-rule'
import { DEFAULT_POLICY, type Policy } from '../../policy/types'
import { ENFORCEMENT_MODES, SIGNED_URLS_MODES } from './responses'

/**
 * The policy as a request body carries it (zod 4). Every object is
 * `.strict()`: an unknown field is a mistake the operator should hear about
 * (a typo such as `origin` for `origins` would otherwise silently share nothing).
 */

/** Browsers cap preflight caching lower anyway (Chromium 2 h, Firefox 24 h). */
export const MAX_AGE_LIMIT_SECONDS = 86_400
export const MAX_ORIGINS_PER_FOLDER = 1000
export const MAX_LIST_ITEMS = 100
export const MAX_HEADER_NAME_LENGTH = 256
export const MAX_CACHE_CONTROL_LENGTH = 256
export const MAX_TOKEN_NAME_LENGTH = 100
export const MAX_FOLDER_PATH_BYTES = 1024

// RFC 9110 §5.6.2: token = 1*tchar, the syntax of method and field names.
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// Fetch §2.2.1: forbidden methods never reach a server from a browser; allowing them is meaningless.
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK'])
export const PRINTABLE_ASCII = /^[\x20-\x7e]+$/

export const originRule = z.string().transform((input, ctx) => {
  const parsed = parseNewOriginRule(input)
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.reason })
    return z.NEVER
  }
  return parsed.rule
})

const method = z
  .string()
  .regex(TOKEN, 'must be an HTTP method token (RFC 9110 §9)')
  .transform((m) => m.toUpperCase())
  .refine((m) => !FORBIDDEN_METHODS.has(m), 'is a method browsers never send (Fetch forbidden method)')

const headerName = z
  .string()
  .max(MAX_HEADER_NAME_LENGTH, `must be at most ${MAX_HEADER_NAME_LENGTH} characters`)
  .regex(TOKEN, 'must be an HTTP field name token (RFC 9110 §5.1)')

/** Keeps the first spelling of each entry; `key` decides what counts as the same. */
function dedupe(values: readonly string[], key: (v: string) => string = (v) => v): string[] {
  const seen = new Set<string>()
  return values.filter((v) => {
    const k = key(v)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

/** A Cache-Control value as a header carries it. */
const cacheControlValue = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_CACHE_CONTROL_LENGTH, `must be at most ${MAX_CACHE_CONTROL_LENGTH} characters`)
  .regex(PRINTABLE_ASCII, 'must be printable ASCII (it becomes a header value)')
  .refine((v) => v.trim() !== '', 'must not be blank')

const policyFields = {
  origins: z.array(originRule).max(MAX_ORIGINS_PER_FOLDER).transform((list) => dedupe(list)),
  methods: z.array(method).min(1, 'must list at least one method').max(MAX_LIST_ITEMS).transform((list) => dedupe(list)),
  allowHeaders: z.array(headerName).max(MAX_LIST_ITEMS).transform((list) => dedupe(list, (h) => h.toLowerCase())),
  exposeHeaders: z.array(headerName).max(MAX_LIST_ITEMS).transform((list) => dedupe(list, (h) => h.toLowerCase())),
  maxAge: z.number().int('must be a whole number of seconds').min(0, 'must not be negative').max(MAX_AGE_LIMIT_SECONDS, `must be at most ${MAX_AGE_LIMIT_SECONDS} seconds`),
  credentials: z.boolean(),
  privateNetwork: z.boolean(),
  mode: z.enum(ENFORCEMENT_MODES),
  cacheControl: cacheControlValue,
  // null sends no CDN header: the CDN follows Cache-Control.
  cdnCacheControl: cacheControlValue.nullable(),
  signedUrls: z.enum(SIGNED_URLS_MODES),
}

/** A full policy: `origins` is required, every other field defaults from DEFAULT_POLICY. */
export const policySchema = z
  .object({
    origins: policyFields.origins,
    methods: policyFields.methods.default([...DEFAULT_POLICY.methods]),
    allowHeaders: policyFields.allowHeaders.default([...DEFAULT_POLICY.allowHeaders]),
    exposeHeaders: policyFields.exposeHeaders.default([...DEFAULT_POLICY.exposeHeaders]),
    maxAge: policyFields.maxAge.default(DEFAULT_POLICY.maxAge),
    credentials: policyFields.credentials.default(DEFAULT_POLICY.credentials),
    privateNetwork: policyFields.privateNetwork.default(DEFAULT_POLICY.privateNetwork),
    mode: policyFields.mode.default(DEFAULT_POLICY.mode),
    cacheControl: policyFields.cacheControl.default(DEFAULT_POLICY.cacheControl),
    cdnCacheControl: policyFields.cdnCacheControl.default(DEFAULT_POLICY.cdnCacheControl),
    signedUrls: policyFields.signedUrls.default(DEFAULT_POLICY.signedUrls),
  })
  .strict()

/** PATCH body: any subset of the policy fields, at least one. */
export const policyPatchSchema = z
  .object(policyFields)
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'name at least one policy field to change')

/**
 * Why a folder path is not acceptable, or undefined. The path must be the
 * same string the public side resolves against: `parseSafePath`'s decoded
 * form, so we compare the input with it instead of silently rewriting.
 */
export function folderPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must start with /'
  if (!path.endsWith('/')) return 'must end with / (a folder, e.g. /brand/)'
  if (Buffer.byteLength(path) > MAX_FOLDER_PATH_BYTES) return `must be at most ${MAX_FOLDER_PATH_BYTES} bytes`
  const safe = parseSafePath(path)
  if (!safe.ok) return safe.reason
  if (safe.path !== path) return `must be written decoded, as ${JSON.stringify(safe.path)}`
  return undefined
}

/**
 * Policy rules that span fields. Fetch §3.3.5 (CORS check): with credentials
 * the browser rejects `Access-Control-Allow-Origin: *`, so a `*` rule could
 * never work together with `credentials: true`.
 */
export function policyProblems(policy: Policy, prefix: string): FieldProblem[] {
  if (policy.credentials && policy.origins.includes('*')) {
    return [
      {
        field: `${prefix}credentials`,
        // The detail prefixes the field name, so the message must not repeat it.
        message: 'true cannot be combined with the "*" origin: the Fetch standard forbids Access-Control-Allow-Origin: * on credentialed requests; list the exact origins instead',
      },
    ]
  }
  return []
}

