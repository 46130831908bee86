import { z } from 'zod'

/**
 * What the admin API answers, in zod: the OpenAPI document is generated from
 * these, and the CLI and the console take their types from them
 * (`api-types.ts`). This module imports nothing but zod, because the console's
 * type check compiles it too (tsconfig.api-types.json), without Node's types.
 */

export const TOKEN_SCOPES = ['read', 'write', 'sign'] as const
export const ENFORCEMENT_MODES = ['cors', 'strict'] as const
export const SIGNED_URLS_MODES = ['off', 'derivatives', 'required'] as const

export const policyOut = z.object({
  origins: z.array(z.string()).describe('Normalised origin rules: https://shop.example, https://*.shop.example, * or null'),
  methods: z.array(z.string()),
  allowHeaders: z.array(z.string()),
  exposeHeaders: z.array(z.string()),
  maxAge: z.number().int(),
  credentials: z.boolean(),
  privateNetwork: z.boolean(),
  mode: z.enum(ENFORCEMENT_MODES),
  cacheControl: z.string(),
  cdnCacheControl: z.string().nullable().describe('Cache-Control for the CDN alone, sent as CDN-Cache-Control (and Surrogate-Control with CDN=varnish or fastly); null: not sent'),
  signedUrls: z.enum(SIGNED_URLS_MODES).describe('Which requests need a signed URL: none, those with image parameters, or all'),
})

export const folderOut = z.object({ id: z.number().int(), path: z.string(), policy: policyOut, createdAt: z.string(), updatedAt: z.string() })

/** A page of a cursor-paged list; `nextCursor` is null on the last page. */
const nextCursor = z.string().nullable()

export const folderPageOut = z.object({ items: z.array(folderOut), nextCursor })

export const tokenOut = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(TOKEN_SCOPES),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
})
export const tokenListOut = z.object({ items: z.array(tokenOut) })

export const createdTokenOut = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(TOKEN_SCOPES),
  token: z.string().describe('The secret; shown in this answer only'),
  createdAt: z.string(),
})

/** `GET /whoami`: the token a request authenticated with, never its secret. */
export const sessionOut = z.object({ id: z.string(), name: z.string(), scope: z.enum(TOKEN_SCOPES) })

export const auditEntryOut = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  targetName: z.string().nullable().describe('The token name when target is a token id (token.create, token.revoke); null otherwise'),
  before: z.unknown(),
  after: z.unknown(),
})
export const auditListOut = z.object({ items: z.array(auditEntryOut) })

export const purgeOut = z.object({
  id: z.number().int(),
  tags: z.array(z.string()).describe('Cache tags the CDN is told to forget'),
  paths: z.array(z.string()).describe('The changed folder or asset paths that caused the purge'),
  state: z.enum(['pending', 'failed', 'done']).describe('failed: the CDN refused it for good (bad token, unknown zone); pending ones are retried with backoff'),
  createdAt: z.string(),
  attempts: z.number().int(),
  nextAttemptAt: z.string(),
  lastError: z.string().nullable(),
})
export const purgePageOut = z.object({
  items: z.array(purgeOut),
  pending: z.number().int().describe('All pending purges, not only this page'),
  failed: z.number().int().describe('All failed purges'),
  nextCursor: z.string().nullable(),
})

export const SIGNATURE_VERDICTS = ['valid', 'missing', 'malformed', 'expired', 'unknown-key', 'bad-signature'] as const

export const explanationOut = z.object({
  path: z.string(),
  folder: z.object({ id: z.number().int(), path: z.string() }),
  origin: z.string().nullable(),
  method: z.string(),
  preflight: z.boolean(),
  outcome: z.enum(['allowed', 'refused', 'none']),
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  reasons: z.array(z.string()),
  signature: z
    .object({
      required: z.boolean(),
      verdict: z.enum(SIGNATURE_VERDICTS).optional(),
      detail: z.string().optional(),
      kid: z.string().nullable().optional(),
      expiresAt: z.string().nullable().optional(),
    })
    .describe('Whether the URL needs a signature and, if so, the verdict on the one it carries (pass the whole URL with its query as path)'),
  policy: policyOut,
})

export const signedUrlOut = z.object({
  url: z.string().describe('Path and query, signed: /paid/a.jpg?w=640&expires=…&kid=…&sig=…'),
  expiresAt: z.string(),
})

export const imageOut = z.object({ width: z.number().int(), height: z.number().int(), format: z.string() })

export const assetOut = z.object({
  path: z.string(),
  size: z.number().int(),
  contentType: z.string(),
  etag: z.string(),
  modifiedAt: z.string(),
  image: imageOut.optional(),
})

export const assetPageOut = z.object({
  items: z.array(assetOut),
  folders: z.array(z.string()).optional().describe('With delimiter=/ only: child folder paths such as /brand/logos/'),
  nextCursor,
})

/** RFC 9457 problem details, plus the `errors` extension member for validation failures. */
export const problemOut = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
})
