import { z } from 'zod'
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './paging'
import { addOriginSchema, createFolderSchema, createTokenSchema, policyPatchSchema, replaceFolderSchema, signRequestSchema } from './schemas'

/**
 * The OpenAPI 3.1 description of `/admin/v1`, built once. Request bodies come
 * from the same zod schemas the handlers validate with (`z.toJSONSchema`),
 * so the document cannot promise fields the API refuses.
 */

type JsonSchema = Record<string, unknown>

const inputSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
  return rest
}

// Response shapes, described with zod for the same toJSONSchema output.
const policyOut = z.object({
  origins: z.array(z.string()).describe('Normalised origin rules: https://shop.example, https://*.shop.example, * or null'),
  methods: z.array(z.string()),
  allowHeaders: z.array(z.string()),
  exposeHeaders: z.array(z.string()),
  maxAge: z.number().int(),
  credentials: z.boolean(),
  privateNetwork: z.boolean(),
  mode: z.enum(['cors', 'strict']),
  cacheControl: z.string(),
  signedUrls: z.enum(['off', 'derivatives', 'required']).describe('Which requests need a signed URL: none, those with image parameters, or all'),
})
const folderOut = z.object({ id: z.number().int(), path: z.string(), policy: policyOut, createdAt: z.string(), updatedAt: z.string() })
const tokenOut = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(['read', 'write', 'sign']),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
})
const createdTokenOut = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(['read', 'write', 'sign']),
  token: z.string().describe('The secret; shown in this answer only'),
  createdAt: z.string(),
})
const auditOut = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  targetName: z.string().nullable().describe('The token name when target is a token id (token.create, token.revoke); null otherwise'),
  before: z.unknown(),
  after: z.unknown(),
})
const explainOut = z.object({
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
      verdict: z.enum(['valid', 'missing', 'malformed', 'expired', 'unknown-key', 'bad-signature']).optional(),
      detail: z.string().optional(),
      kid: z.string().nullable().optional(),
      expiresAt: z.string().nullable().optional(),
    })
    .describe("Whether the URL needs a signature and, if so, the verdict on the one it carries (pass the whole URL with its query as path)"),
  policy: policyOut,
})
const signedUrlOut = z.object({
  url: z.string().describe('Path and query, signed: /paid/a.jpg?w=640&expires=…&kid=…&sig=…'),
  expiresAt: z.string(),
})
const assetOut = z.object({
  path: z.string(),
  size: z.number().int(),
  contentType: z.string(),
  etag: z.string(),
  modifiedAt: z.string(),
  image: z.object({ width: z.number().int(), height: z.number().int(), format: z.string() }).optional(),
})
const problemOut = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
})

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const json = (schema: JsonSchema) => ({ 'application/json': { schema } })
const ok = (description: string, schema: JsonSchema) => ({ description, content: json(schema) })
const items = (name: string) => ({ type: 'object', properties: { items: { type: 'array', items: ref(name) } }, required: ['items'] })
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } })
const noContent = { description: 'Done' }
const body = (schema: JsonSchema) => ({ required: true, content: json(schema) })

const COMMON_ERRORS = {
  '401': problem('Missing or invalid bearer token'),
  '421': problem('The Host header names no host this admin side answers (ADMIN_ALLOWED_HOSTS)'),
  '429': problem('Too many failed authentications from this address'),
}
// Writes without a JSON body (DELETE, asset upload) cannot fail on one; they
// add only the errors they can return.
const WRITE_SCOPE_ERRORS = {
  ...COMMON_ERRORS,
  '403': problem('The token is read-scoped'),
}
/** Writes with a JSON body (readJsonObject, then a zod schema). */
const WRITE_ERRORS = {
  ...WRITE_SCOPE_ERRORS,
  '400': problem('Body is not JSON or not an object'),
  '413': problem('Body too large'),
  '415': problem('Body is not application/json'),
  '422': problem('Validation failed; `errors` names the fields'),
}
const INVALID_ASSET_PATH = problem('Not a valid asset path (bad encoding, dot segment, dotfile) or a folder path')

const param = (name: string, description: string, location: 'path' | 'query' = 'path', required = location === 'path') => ({
  name,
  in: location,
  required,
  description,
  schema: { type: 'string' },
})
const folderId = param('id', 'Folder id')

function buildDocument(): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Crossport admin API',
      version: '1',
      description:
        'Folders with CORS policies, their origins, assets, the explain endpoint, tokens and the audit log. Errors are application/problem+json (RFC 9457).',
    },
    servers: [{ url: '/admin/v1' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An admin token (read, write or sign scope; sign may only call POST /sign)' } },
      schemas: {
        Policy: inputSchema(policyOut),
        Folder: inputSchema(folderOut),
        CreateFolder: inputSchema(createFolderSchema),
        ReplaceFolder: inputSchema(replaceFolderSchema),
        PolicyPatch: inputSchema(policyPatchSchema),
        AddOrigin: inputSchema(addOriginSchema),
        Token: inputSchema(tokenOut),
        CreateToken: inputSchema(createTokenSchema),
        CreatedToken: inputSchema(createdTokenOut),
        AuditEntry: inputSchema(auditOut),
        Explanation: inputSchema(explainOut),
        SignRequest: inputSchema(signRequestSchema),
        SignedUrl: inputSchema(signedUrlOut),
        Asset: inputSchema(assetOut),
        Problem: inputSchema(problemOut),
      },
    },
    paths: {
      '/folders': {
        get: {
          summary: 'List folders with their policies by path, a page at a time, or find one by exact path',
          parameters: [
            param('path', 'Exact folder path, e.g. /brand/ (no paging then)', 'query'),
            param('prefix', 'Only this folder and the folders below it, e.g. /brand/', 'query'),
            param('cursor', 'From nextCursor of the previous page', 'query'),
            param('limit', `Page size, 1 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}`, 'query'),
          ],
          responses: {
            '200': ok('Folders sorted by path; nextCursor is null on the last page', {
              type: 'object',
              properties: { items: { type: 'array', items: ref('Folder') }, nextCursor: { type: ['string', 'null'] } },
              required: ['items', 'nextCursor'],
            }),
            '422': problem('Invalid path or prefix (not a folder path), limit (not 1-1000) or cursor (not one this server gave out); `errors` names which'),
            ...COMMON_ERRORS,
          },
        },
        post: {
          summary: 'Create a folder with a policy',
          requestBody: body(ref('CreateFolder')),
          responses: { '201': ok('Created; Location names it', ref('Folder')), '409': problem('The path exists'), ...WRITE_ERRORS },
        },
      },
      '/folders/{id}': {
        parameters: [folderId],
        get: { summary: 'One folder', responses: { '200': ok('The folder', ref('Folder')), '404': problem('No such folder'), ...COMMON_ERRORS } },
        put: {
          summary: "Replace the folder's policy",
          requestBody: body(ref('ReplaceFolder')),
          responses: { '200': ok('Replaced', ref('Folder')), '404': problem('No such folder'), ...WRITE_ERRORS },
        },
        patch: {
          summary: 'Change some policy fields',
          requestBody: body(ref('PolicyPatch')),
          responses: { '200': ok('Changed', ref('Folder')), '404': problem('No such folder'), ...WRITE_ERRORS },
        },
        delete: {
          summary: 'Delete a folder (not /)',
          responses: { '204': noContent, '404': problem('No such folder'), '409': problem('The root folder is protected'), ...WRITE_SCOPE_ERRORS },
        },
      },
      '/folders/{id}/origins': {
        parameters: [folderId],
        post: {
          summary: 'Allow one origin',
          requestBody: body(ref('AddOrigin')),
          responses: { '201': ok('Added', ref('Folder')), '200': ok('Already allowed', ref('Folder')), '404': problem('No such folder'), ...WRITE_ERRORS },
        },
      },
      '/folders/{id}/origins/{origin}': {
        parameters: [folderId, param('origin', 'The origin rule, URL-encoded (https%3A%2F%2Fshop.example)')],
        delete: {
          summary: 'Remove one origin',
          responses: {
            '204': noContent,
            '404': problem('No such folder or origin'),
            '422': problem('The origin in the path is not an origin rule'),
            ...WRITE_SCOPE_ERRORS,
          },
        },
      },
      '/assets': {
        get: {
          summary: 'List assets under a prefix',
          parameters: [
            param('prefix', 'Folder prefix, e.g. /brand/', 'query'),
            param('delimiter', '/ lists one folder level: files directly under the prefix in items, child folders in folders (each counts towards limit)', 'query'),
            param('cursor', 'From nextCursor', 'query'),
            param('limit', 'Page size', 'query'),
          ],
          responses: {
            '200': ok('Assets', {
              type: 'object',
              properties: {
                items: { type: 'array', items: ref('Asset') },
                folders: { type: 'array', items: { type: 'string' }, description: 'With delimiter=/ only: child folder paths such as /brand/logos/' },
                nextCursor: { type: ['string', 'null'] },
              },
            }),
            '400': problem('Bad prefix (not an asset path starting with /), delimiter (not /), limit (not 1-1000) or cursor (not one this server gave out)'),
            ...COMMON_ERRORS,
          },
        },
      },
      '/assets/{path}': {
        parameters: [param('path', 'Asset path below the store root, e.g. brand/logo.png')],
        get: {
          summary: 'Asset metadata (image dimensions for images)',
          responses: { '200': ok('Metadata', ref('Asset')), '400': INVALID_ASSET_PATH, '404': problem('No such asset'), ...COMMON_ERRORS },
        },
        put: {
          summary: 'Upload (streamed, atomic rename); any Content-Type',
          requestBody: { required: true, content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
          responses: {
            '201': ok('Created', ref('Asset')),
            '200': ok('Replaced', ref('Asset')),
            '400': problem('Not a valid asset path, a folder path, or a malformed If-Match / If-None-Match'),
            '409': problem(
              'The path collides with an existing folder or file of the same name, or is reserved: /healthz and /readyz (and /admin/… with ADMIN_ON_MAIN) are answered by the server itself',
            ),
            '412': problem('If-Match / If-None-Match failed'),
            '413': problem('Larger than MAX_UPLOAD_BYTES'),
            '415': problem(
              'The content does not match its media type: its first bytes are not the magic number of the binary format its extension (or Content-Type) names; or a Content-Encoding other than identity was sent',
            ),
            '507': problem('The disk is full; nothing was stored and the previous version is still served'),
            ...WRITE_SCOPE_ERRORS,
          },
        },
        delete: { summary: 'Delete an asset', responses: { '204': noContent, '400': INVALID_ASSET_PATH, '404': problem('No such asset'), ...WRITE_SCOPE_ERRORS } },
      },
      '/explain': {
        get: {
          summary: 'Which folder matches a path and which CORS headers a request would get, and why',
          parameters: [
            { ...param('path', 'URL path or full URL', 'query'), required: true },
            param('origin', 'Origin the request would carry', 'query'),
            param('method', 'Request method (default GET)', 'query'),
            param('headers', 'Access-Control-Request-Headers for a preflight', 'query'),
            param('preflight', 'true|false; default: true when method is not GET/HEAD/POST or headers are given', 'query'),
            param('privateNetwork', 'true: the preflight asks for private network access', 'query'),
            param('referer', 'Referer the request would carry', 'query'),
            param('secFetchSite', 'same-origin | same-site | cross-site | none', 'query'),
          ],
          responses: { '200': ok('The decision', ref('Explanation')), '400': problem('Bad path'), '422': problem('Bad origin or parameter'), ...COMMON_ERRORS },
        },
      },
      '/sign': {
        post: {
          summary: 'Mint a signed, expiring URL (HMAC-SHA256 with the first URL_SIGNING_KEYS key); sign or write scope',
          requestBody: body(ref('SignRequest')),
          responses: {
            '200': ok('The signed URL', ref('SignedUrl')),
            '501': problem('URL_SIGNING_KEYS is not configured'),
            ...WRITE_ERRORS,
            '403': problem('The token is read-scoped'),
            '422': problem('A path or query the public listener would refuse; `errors` names the fields'),
          },
        },
      },
      '/tokens': {
        get: { summary: 'List tokens (no secrets)', responses: { '200': ok('Tokens', items('Token')), ...COMMON_ERRORS } },
        post: {
          summary: 'Create a token; the secret is shown once',
          requestBody: body(ref('CreateToken')),
          responses: { '201': ok('Created', ref('CreatedToken')), ...WRITE_ERRORS },
        },
      },
      '/tokens/{id}': {
        parameters: [param('id', 'Token id')],
        delete: {
          summary: 'Revoke a token',
          responses: {
            '204': noContent,
            '404': problem('No such active token'),
            '409': problem('The last active write-scoped token: revoking it would leave no one able to change anything; create another write token first'),
            ...WRITE_SCOPE_ERRORS,
          },
        },
      },
      '/whoami': {
        get: {
          summary: 'The token this request authenticated with (no secret)',
          responses: {
            '200': ok('The token', { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, scope: { type: 'string', enum: ['read', 'write'] } }, required: ['id', 'name', 'scope'] }),
            ...COMMON_ERRORS,
          },
        },
      },
      '/audit': {
        get: {
          summary: 'Change log, newest first',
          parameters: [
            param('limit', '1..500, default 50', 'query'),
            param('target', 'A folder or asset path: entries for it and below it at a / boundary (/brand: /brand and /brand/…, not /brandx/)', 'query'),
            param('before', 'Entries with a smaller id (paging)', 'query'),
          ],
          responses: { '200': ok('Entries', items('AuditEntry')), '422': problem('Bad parameter'), ...COMMON_ERRORS },
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
    },
  }
}

let document: JsonSchema | undefined
export function openApiDocument(): JsonSchema {
  document ??= buildDocument()
  return document
}
