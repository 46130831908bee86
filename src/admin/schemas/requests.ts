import { z } from 'zod'
import { folderPathProblem, MAX_TOKEN_NAME_LENGTH, originRule, policySchema, PRINTABLE_ASCII } from './policy'
import type { policyPatchSchema } from './policy'
import { TOKEN_SCOPES } from './responses'

/** Request bodies of the admin API besides the policy itself; each `.strict()`, like the policy. */

const folderPath = z.string().superRefine((path, ctx) => {
  const problem = folderPathProblem(path)
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
})

export const createFolderSchema = z.object({ path: folderPath, policy: policySchema }).strict()
export const replaceFolderSchema = z.object({ policy: policySchema }).strict()
export const addOriginSchema = z.object({ origin: originRule }).strict()

export const createTokenSchema = z
  .object({
    name: z
      .string()
      .min(1, 'must not be empty')
      .max(MAX_TOKEN_NAME_LENGTH, `must be at most ${MAX_TOKEN_NAME_LENGTH} characters`)
      .regex(PRINTABLE_ASCII, 'must be printable ASCII'),
    scope: z.enum(TOKEN_SCOPES),
  })
  .strict()

/** `POST /purge`: a folder path (ending in /) purges everything under it, a file path every response for that file. */
export const purgeRequestSchema = z.object({ path: z.string().min(1, 'is required').max(4096).regex(/^\//, 'must start with /') }).strict()

/** A signed URL lives at most a year: a longer-lived one is a public URL that cannot be taken back. */
export const MAX_SIGNED_URL_SECONDS = 31_536_000
export const MAX_SIGNED_QUERY_PARAMS = 32

export const signRequestSchema = z
  .object({
    path: z.string().min(1, 'is required').max(4096).regex(/^\//, 'must start with /'),
    expiresInSeconds: z
      .number()
      .int('must be a whole number of seconds')
      .min(1, 'must be at least 1')
      .max(MAX_SIGNED_URL_SECONDS, `must be at most ${MAX_SIGNED_URL_SECONDS} seconds (a year)`)
      .default(3600),
    query: z
      .record(z.string().min(1, 'names must not be empty').max(256), z.string().max(1024))
      .refine((q) => Object.keys(q).length <= MAX_SIGNED_QUERY_PARAMS, `must have at most ${MAX_SIGNED_QUERY_PARAMS} parameters`)
      .default({}),
  })
  .strict()

/** What a client sends: the fields with defaults may be left out. */
export type CreateFolderInput = z.input<typeof createFolderSchema>
export type PolicyPatchInput = z.input<typeof policyPatchSchema>
export type CreateTokenInput = z.input<typeof createTokenSchema>
export type SignRequestInput = z.input<typeof signRequestSchema>
export type PurgeRequestInput = z.input<typeof purgeRequestSchema>
