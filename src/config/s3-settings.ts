/**
 * Where the assets live: the local folder (ASSETS_DIR) or an S3-compatible
 * bucket. Part of `loadConfig`'s schema; kept apart so the store's checks
 * read in one place.
 */
import { z } from 'zod'

export const ASSET_STORE_KINDS = ['fs', 's3'] as const
export type AssetStoreKind = (typeof ASSET_STORE_KINDS)[number]

export interface S3Settings {
  /** `http://127.0.0.1:7480`; undefined: AWS S3 in `region`. */
  readonly endpoint: string | undefined
  readonly bucket: string
  readonly region: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
  /** Prepended to every key (`site-a/`), so one bucket can hold several stores. */
  readonly prefix: string
  /** Bucket in the path rather than in the host name: what RGW, MinIO and most endpoints expect. */
  readonly forcePathStyle: boolean
  /** Every request to the bucket answers within this long or fails with 503. */
  readonly timeoutMs: number
}

const httpUrl = (value: string): boolean => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)

/**
 * The store's settings for the configuration schema; `config.ts` names each
 * (`S3_BUCKET: s3Setting.bucket`), so the schema still lists every setting.
 */
export const s3Setting = {
  kind: z.enum(ASSET_STORE_KINDS, { error: `must be one of ${ASSET_STORE_KINDS.join(', ')}` }).default('fs'),
  endpoint: z.string().refine(httpUrl, 'must be an http(s) URL').optional(),
  // S3 bucket naming rules, loosely: what a path-style or virtual-host URL can carry.
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name (3-63 lower-case letters, digits, dots, dashes)').optional(),
  region: z.string().regex(/^[a-z0-9-]+$/, 'must be a region name such as us-east-1').default('us-east-1'),
  accessKeyId: z.string().regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
  secretAccessKey: z.string().regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
  prefix: z
    .string()
    .refine((s) => !s.startsWith('/') && !s.split('/').some((segment) => segment === '.' || segment === '..'), 'must be a key prefix without a leading / or . segments (e.g. site-a/)')
    .default(''),
  forcePathStyle: z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }).optional(),
  timeoutMs: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(100, 'must be at least 100').default(5000),
}

/** The store settings as the schema parsed them. */
interface ParsedS3Settings {
  readonly ASSET_STORE: AssetStoreKind
  readonly S3_ENDPOINT?: string | undefined
  readonly S3_BUCKET?: string | undefined
  readonly S3_REGION: string
  readonly S3_ACCESS_KEY_ID?: string | undefined
  readonly S3_SECRET_ACCESS_KEY?: string | undefined
  readonly S3_PREFIX: string
  readonly S3_FORCE_PATH_STYLE?: 'true' | 'false' | '1' | '0' | undefined
  readonly S3_TIMEOUT_MS: number
}
/** ASSET_STORE and every S3_ name: the settings this module checks. */
const isS3Setting = (name: string): boolean => name === 'ASSET_STORE' || name.startsWith('S3_')

/** The standard AWS variables stand in for the S3_ keys when those are unset. */
export function withAwsKeyFallback(settings: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const out = { ...settings }
  if (out.S3_ACCESS_KEY_ID === undefined && settings.AWS_ACCESS_KEY_ID !== undefined) out.S3_ACCESS_KEY_ID = settings.AWS_ACCESS_KEY_ID
  if (out.S3_SECRET_ACCESS_KEY === undefined && settings.AWS_SECRET_ACCESS_KEY !== undefined) out.S3_SECRET_ACCESS_KEY = settings.AWS_SECRET_ACCESS_KEY
  return out
}

/** Names what ASSET_STORE=s3 cannot work without. */
export function checkS3Settings(value: ParsedS3Settings, ctx: z.RefinementCtx): void {
  if (value.ASSET_STORE !== 's3') return
  for (const name of ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const) {
    const also = name === 'S3_BUCKET' ? '' : ` (or ${name.replace('S3_', 'AWS_')})`
    if (value[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: `must be set when ASSET_STORE=s3${also}` })
  }
}

/** Runs the check only when the store's own settings parsed, whatever else failed. */
export const s3SettingsParsed = (payload: { issues: readonly { path?: readonly PropertyKey[] }[] }): boolean =>
  !payload.issues.some((issue) => typeof issue.path?.[0] === 'string' && isS3Setting(issue.path[0]))

/** The bucket's settings when ASSET_STORE=s3, else undefined. */
export function s3SettingsOf(c: ParsedS3Settings): S3Settings | undefined {
  if (c.ASSET_STORE !== 's3') return undefined
  return Object.freeze({
    endpoint: c.S3_ENDPOINT?.replace(/\/+$/, ''),
    bucket: c.S3_BUCKET ?? '',
    region: c.S3_REGION,
    accessKeyId: c.S3_ACCESS_KEY_ID ?? '',
    secretAccessKey: c.S3_SECRET_ACCESS_KEY ?? '',
    prefix: c.S3_PREFIX,
    forcePathStyle: c.S3_FORCE_PATH_STYLE === undefined ? c.S3_ENDPOINT !== undefined : c.S3_FORCE_PATH_STYLE === 'true' || c.S3_FORCE_PATH_STYLE === '1',
    timeoutMs: c.S3_TIMEOUT_MS,
  })
}
