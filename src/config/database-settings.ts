import { z } from 'zod'

/**
 * Why `url` cannot be a DATABASE_URL, or undefined when it can:
 * postgres:// or postgresql://, a host, and at most one database name.
 */
export function databaseUrlProblem(url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'must be a URL such as postgres://user:password@host:5432/database'
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') return 'must start with postgres:// or postgresql://'
  if (parsed.hostname === '') return 'must name the host, as in postgres://user:password@host:5432/database'
  if (parsed.pathname.slice(1).includes('/')) return 'must name at most one database after the host'
  return undefined
}

/** DATABASE_URL and DATABASE_POOL_SIZE, for the schema in config.ts. */
export const databaseSetting = {
  url: z
    .string()
    .superRefine((url, ctx) => {
      const problem = databaseUrlProblem(url)
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
    })
    .optional(),
  poolSize: z.coerce
    .number({ error: 'must be a whole number from 1 to 100' })
    .int('must be a whole number from 1 to 100')
    .min(1, 'must be a whole number from 1 to 100')
    .max(100, 'must be a whole number from 1 to 100')
    .default(4),
}
