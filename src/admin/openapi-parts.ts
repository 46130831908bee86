import { z } from 'zod'
import { policyPatchSchema } from './schemas/policy'
import { ROUTE_QUERIES } from './schemas/queries'
import { addOriginSchema, createFolderSchema, createTokenSchema, purgeRequestSchema, replaceFolderSchema, signRequestSchema } from './schemas/requests'
import * as shapes from './schemas/responses'

/**
 * The pieces the OpenAPI document is assembled from. Every schema in it, of
 * bodies, answers and query parameters, is generated (`z.toJSONSchema`) from
 * the zod schemas the handlers validate with or answer by, so the document
 * cannot promise what the API does not do.
 */

export type JsonSchema = Record<string, unknown>

// Requests as clients write them (io: input): fields with defaults are optional.
const COMPONENTS = {
  Policy: shapes.policyOut,
  Folder: shapes.folderOut,
  FolderPage: shapes.folderPageOut,
  CreateFolder: createFolderSchema,
  ReplaceFolder: replaceFolderSchema,
  PolicyPatch: policyPatchSchema,
  AddOrigin: addOriginSchema,
  Token: shapes.tokenOut,
  TokenList: shapes.tokenListOut,
  CreateToken: createTokenSchema,
  CreatedToken: shapes.createdTokenOut,
  Session: shapes.sessionOut,
  AuditEntry: shapes.auditEntryOut,
  AuditList: shapes.auditListOut,
  Explanation: shapes.explanationOut,
  SignRequest: signRequestSchema,
  SignedUrl: shapes.signedUrlOut,
  Asset: shapes.assetOut,
  AssetPage: shapes.assetPageOut,
  Purge: shapes.purgeOut,
  PurgePage: shapes.purgePageOut,
  PurgeRequest: purgeRequestSchema,
  Problem: shapes.problemOut,
} satisfies Record<string, z.ZodType>

export type ComponentName = keyof typeof COMPONENTS

const OPTIONS = { io: 'input', unrepresentable: 'any', uri: (id: string) => `#/components/schemas/${id}` } as const

/** Answers that only ever appear as one route's body: written out in place, as a client reads them there. */
const INLINE: ReadonlySet<ComponentName> = new Set(['FolderPage', 'AssetPage', 'TokenList', 'AuditList', 'PurgePage', 'Session'])

let generated: Readonly<Record<string, JsonSchema>> | undefined
/** Every shape, converted in one pass so a shape inside another becomes a `$ref`. */
function allSchemas(): Readonly<Record<string, JsonSchema>> {
  if (generated === undefined) {
    const registry = z.registry<{ id: string }>()
    for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id })
    const { schemas } = z.toJSONSchema(registry, OPTIONS) as { schemas: Record<string, JsonSchema> }
    generated = Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _dialect, $id: _id, ...schema }]) => [id, schema]))
  }
  return generated
}

/** `components.schemas`: the shapes referred to by `$ref`. */
export const componentSchemas = (): Record<string, JsonSchema> =>
  Object.fromEntries(Object.entries(allSchemas()).filter(([id]) => !INLINE.has(id as ComponentName)))

/** OpenAPI parameters from a zod object: its keys, descriptions, input types and which are required. */
function parametersOf(schema: z.ZodObject, location: 'path' | 'query'): JsonSchema[] {
  const { properties = {}, required = [] } = z.toJSONSchema(schema, OPTIONS) as { properties?: Record<string, JsonSchema>; required?: string[] }
  return Object.entries(properties).map(([name, { description, ...type }]) => ({
    name,
    in: location,
    required: location === 'path' || required.includes(name),
    description,
    schema: type,
  }))
}

/** The query parameters of `GET <path>`, from the schema its handler parses them with. */
export const queryParameters = (path: keyof typeof ROUTE_QUERIES): JsonSchema[] => parametersOf(ROUTE_QUERIES[path], 'query')

/** Path parameters: a template such as /folders/{id} names them, each described once here. */
export const pathParameters = (names: Record<string, string>): JsonSchema[] =>
  parametersOf(z.object(Object.fromEntries(Object.entries(names).map(([name, description]) => [name, z.string().describe(description)]))), 'path')

export const ref = (name: ComponentName) => ({ $ref: `#/components/schemas/${name}` })
const schemaOf = (name: ComponentName): JsonSchema => (INLINE.has(name) ? (allSchemas()[name] as JsonSchema) : ref(name))
export const ok = (description: string, name: ComponentName) => ({ description, content: { 'application/json': { schema: schemaOf(name) } } })
export const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } })
export const noContent = { description: 'Done' }
export const body = (name: ComponentName) => ({ required: true, content: { 'application/json': { schema: ref(name) } } })

export const COMMON_ERRORS = {
  '401': problem('Missing or invalid bearer token'),
  '421': problem('The Host header names no host this admin side answers (ADMIN_ALLOWED_HOSTS)'),
  '429': problem('Too many failed authentications from this address'),
}
// Writes without a JSON body (DELETE, asset upload) cannot fail on one; they
// add only the errors they can return.
export const WRITE_SCOPE_ERRORS = {
  ...COMMON_ERRORS,
  '403': problem('The token is read-scoped'),
}
/** Writes with a JSON body (readJsonObject, then a zod schema). */
export const WRITE_ERRORS = {
  ...WRITE_SCOPE_ERRORS,
  '400': problem('Body is not JSON or not an object'),
  '413': problem('Body too large'),
  '415': problem('Body is not application/json'),
  '422': problem('Validation failed; `errors` names the fields'),
}
