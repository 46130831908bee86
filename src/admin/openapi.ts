import {
  body,
  COMMON_ERRORS,
  componentSchemas,
  noContent,
  ok,
  pathParameters,
  problem,
  queryParameters,
  WRITE_ERRORS,
  WRITE_SCOPE_ERRORS,
  type JsonSchema,
} from './openapi-parts'
import { MAX_PAGE_SIZE } from './schemas/queries'

/**
 * The OpenAPI 3.1 description of `/admin/v1`, built once: the routes, their
 * summaries and the errors each can return are written here; every schema
 * comes from zod (openapi-parts.ts).
 */

const FOLDER_ID = 'Folder id'
const invalidAssetPath = () => problem('Not a valid asset path (bad encoding, dot segment, dotfile) or a folder path')

const folderPaths = () => ({
  '/folders': {
    get: {
      summary: 'List folders with their policies by path, a page at a time, or find one by exact path',
      parameters: queryParameters('/folders'),
      responses: {
        '200': ok('Folders sorted by path; nextCursor is null on the last page', 'FolderPage'),
        '422': problem(`Invalid path or prefix (not a folder path), limit (not 1-${MAX_PAGE_SIZE}) or cursor (not one this server gave out); \`errors\` names which`),
        ...COMMON_ERRORS,
      },
    },
    post: {
      summary: 'Create a folder with a policy',
      requestBody: body('CreateFolder'),
      responses: { '201': ok('Created; Location names it', 'Folder'), '409': problem('The path exists'), ...WRITE_ERRORS },
    },
  },
  '/folders/{id}': {
    parameters: pathParameters({ id: FOLDER_ID }),
    get: { summary: 'One folder', responses: { '200': ok('The folder', 'Folder'), '404': problem('No such folder'), ...COMMON_ERRORS } },
    put: {
      summary: "Replace the folder's policy",
      requestBody: body('ReplaceFolder'),
      responses: { '200': ok('Replaced', 'Folder'), '404': problem('No such folder'), ...WRITE_ERRORS },
    },
    patch: {
      summary: 'Change some policy fields',
      requestBody: body('PolicyPatch'),
      responses: { '200': ok('Changed', 'Folder'), '404': problem('No such folder'), ...WRITE_ERRORS },
    },
    delete: {
      summary: 'Delete a folder (not /)',
      responses: { '204': noContent, '404': problem('No such folder'), '409': problem('The root folder is protected'), ...WRITE_SCOPE_ERRORS },
    },
  },
  '/folders/{id}/origins': {
    parameters: pathParameters({ id: FOLDER_ID }),
    post: {
      summary: 'Allow one origin',
      requestBody: body('AddOrigin'),
      responses: { '201': ok('Added', 'Folder'), '200': ok('Already allowed', 'Folder'), '404': problem('No such folder'), ...WRITE_ERRORS },
    },
  },
  '/folders/{id}/origins/{origin}': {
    parameters: pathParameters({ id: FOLDER_ID, origin: 'The origin rule, URL-encoded (https%3A%2F%2Fshop.example)' }),
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
})

const assetPaths = () => ({
  '/assets': {
    get: {
      summary: 'List assets under a prefix',
      parameters: queryParameters('/assets'),
      responses: {
        '200': ok('Assets sorted by path; nextCursor is null on the last page', 'AssetPage'),
        '422': problem(
          `Bad prefix (not an asset path starting with /), delimiter (not /), limit (not 1-${MAX_PAGE_SIZE}) or cursor (not one this server gave out); \`errors\` names which`,
        ),
        ...COMMON_ERRORS,
      },
    },
  },
  '/assets/{path}': {
    parameters: pathParameters({ path: 'Asset path below the store root, e.g. brand/logo.png' }),
    get: {
      summary: 'Asset metadata (image dimensions for images)',
      responses: { '200': ok('Metadata', 'Asset'), '400': invalidAssetPath(), '404': problem('No such asset'), ...COMMON_ERRORS },
    },
    put: {
      summary: 'Upload (streamed, atomic rename); any Content-Type',
      requestBody: { required: true, content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
      responses: {
        '201': ok('Created', 'Asset'),
        '200': ok('Replaced', 'Asset'),
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
    delete: { summary: 'Delete an asset', responses: { '204': noContent, '400': invalidAssetPath(), '404': problem('No such asset'), ...WRITE_SCOPE_ERRORS } },
  },
})

const otherPaths = () => ({
  '/explain': {
    get: {
      summary: 'Which folder matches a path and which CORS headers a request would get, and why',
      parameters: queryParameters('/explain'),
      responses: { '200': ok('The decision', 'Explanation'), '400': problem('Bad path'), '422': problem('Bad origin or parameter'), ...COMMON_ERRORS },
    },
  },
  '/sign': {
    post: {
      summary: 'Mint a signed, expiring URL (HMAC-SHA256 with the first URL_SIGNING_KEYS key); sign or write scope',
      requestBody: body('SignRequest'),
      responses: {
        '200': ok('The signed URL', 'SignedUrl'),
        '501': problem('URL_SIGNING_KEYS is not configured'),
        ...WRITE_ERRORS,
        '403': problem('The token is read-scoped'),
        '422': problem('A path or query the public listener would refuse; `errors` names the fields'),
      },
    },
  },
  '/tokens': {
    get: { summary: 'List tokens (no secrets)', responses: { '200': ok('Tokens', 'TokenList'), ...COMMON_ERRORS } },
    post: {
      summary: 'Create a token; the secret is shown once',
      requestBody: body('CreateToken'),
      responses: { '201': ok('Created', 'CreatedToken'), ...WRITE_ERRORS },
    },
  },
  '/tokens/{id}': {
    parameters: pathParameters({ id: 'Token id' }),
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
    get: { summary: 'The token this request authenticated with (no secret)', responses: { '200': ok('The token', 'Session'), ...COMMON_ERRORS } },
  },
  '/audit': {
    get: {
      summary: 'Change log, newest first',
      parameters: queryParameters('/audit'),
      responses: { '200': ok('Entries', 'AuditList'), '422': problem('Bad parameter'), ...COMMON_ERRORS },
    },
  },
  '/purges': {
    get: {
      summary: 'Purges the CDN is still owed (pending, retried with backoff) or refused for good (failed), oldest first',
      parameters: queryParameters('/purges'),
      responses: { '200': ok('A page of purges', 'PurgePage'), '422': problem('Bad parameter'), ...COMMON_ERRORS },
    },
  },
  '/purge': {
    post: {
      summary: 'Purge by hand: a folder path purges everything under it, a file path every response for the file (audited)',
      requestBody: body('PurgeRequest'),
      responses: {
        '202': ok('Queued (and tried once before this answer)', 'Purge'),
        '501': problem('No CDN is configured (CDN=none)'),
        ...WRITE_ERRORS,
        '422': problem('Not a path the public listener would serve'),
      },
    },
  },
  '/openapi.json': {
    get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } },
  },
})

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
      schemas: componentSchemas(),
    },
    paths: { ...folderPaths(), ...assetPaths(), ...otherPaths() },
  }
}

let document: JsonSchema | undefined
export function openApiDocument(): JsonSchema {
  document ??= buildDocument()
  return document
}
