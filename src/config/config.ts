import { availableParallelism } from 'node:os'
import { isAbsolute, resolve } from 'node:path'
import { z } from 'zod'
import { parseSigningKeys, type SigningKeyring } from '../signing/url-signature'
import { databaseSetting } from './database-settings'
import { cdnSetting, cdnSettingsOf, cdnSettingsParsed, checkCdnSettings, type CdnSettings } from './cdn-settings'
import { checkS3Settings, s3Setting, s3SettingsOf, s3SettingsParsed, withAwsKeyFallback, type AssetStoreKind, type S3Settings } from './s3-settings'

/**
 * Everything Crossport reads from the environment. `loadConfig` runs once in
 * `main.ts`; nothing else reads `process.env`.
 */
export interface Config {
  readonly port: number
  readonly host: string
  readonly adminPort: number
  readonly adminHost: string
  /** The admin API, console and metrics under `/admin/` of the main listener instead of their own. */
  readonly adminOnMain: boolean
  readonly assetsDir: string
  /** ASSET_STORE: the local folder (`fs`, ASSETS_DIR) or an S3-compatible bucket (`s3`). */
  readonly assetStore: AssetStoreKind
  /** The bucket when ASSET_STORE=s3 (S3_*), else undefined. */
  readonly s3: S3Settings | undefined
  readonly databasePath: string
  /** DATABASE_URL: PostgreSQL shared by every host; undefined keeps SQLite at databasePath. */
  readonly databaseUrl: string | undefined
  /** DATABASE_POOL_SIZE: connections each process keeps to PostgreSQL. */
  readonly databasePoolSize: number
  /** Bootstrap admin token; when undefined one is generated at first start. */
  readonly adminToken: string | undefined
  readonly logLevel: LogLevel
  readonly logPretty: boolean
  readonly cacheDir: string
  /** Resolved worker count: 1 = single process. */
  readonly workers: number
  readonly seedDemo: boolean
  /** How long a cached file stat is trusted before it is checked again. */
  readonly fileCacheTtlMs: number
  /** Files up to this size are kept in memory after their first request. */
  readonly memoryCacheFileBytes: number
  /** Budget for all in-memory file bodies together. */
  readonly memoryCacheBytes: number
  /** How often the policy table checks SQLite for changes made by other processes. */
  readonly policyPollMs: number
  /** How long an admin write keeps retrying while another process holds the SQLite write lock, before 503. */
  readonly dbBusyRetryMs: number
  /** The CDN in front: tag header and purges (CDN, CDN_PURGE_URLS, CDN_API_*, CACHE_TAG_HEADER). */
  readonly cdn: CdnSettings
  readonly imageWidths: readonly number[]
  readonly imageQualities: readonly number[]
  readonly imageMaxPixels: number
  readonly imageConcurrency: number
  readonly imageQueueLimit: number
  /** A cold derivative answers 503 after this long; the render is stopped at libvips' next check. */
  readonly imageRenderTimeoutMs: number
  readonly cacheMaxBytes: number
  readonly maxUploadBytes: number
  readonly adminBodyLimitBytes: number
  readonly shutdownTimeoutMs: number
  readonly headersTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly keepAliveTimeoutMs: number
  readonly maxConnections: number
  /**
   * Host names the admin side answers besides loopback and ADMIN_HOST
   * (lower-case, IPv6 without brackets); `['*']` turns the Host check off;
   * undefined when ADMIN_ALLOWED_HOSTS is unset.
   */
  readonly adminAllowedHosts: readonly string[] | undefined
  /** When set, GET /metrics needs `Authorization: Bearer <this>` (or an admin token). */
  readonly metricsToken: string | undefined
  /** An admin request without a valid token is cut off after this long (0: no limit). */
  readonly adminUnauthenticatedTimeoutMs: number
  /** URL_SIGNING_KEYS: the first key signs, all verify; undefined when unset. */
  readonly urlSigningKeys: SigningKeyring | undefined
  /** Settings under an old name: one line each for the log at start. */
  readonly warnings: readonly string[]
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`)
  }
}

const MIB = 1024 * 1024

const port = (fallback: number) =>
  z.coerce.number({ error: 'must be a port number' }).int('must be a whole number').min(0, 'must be 0-65535').max(65535, 'must be 0-65535').default(fallback)
const positiveInt = (fallback: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').default(fallback)
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes')
const intList = (fallback: string, min: number, max: number) =>
  z
    .string()
    .default(fallback)
    .transform((s, ctx) => {
      const values = s.split(',').map((part) => part.trim()).filter((part) => part !== '')
      const numbers = values.map(Number)
      if (numbers.length === 0 || numbers.some((n) => !Number.isInteger(n) || n < min || n > max)) {
        ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of whole numbers from ${min} to ${max}` })
        return z.NEVER
      }
      return [...new Set(numbers)].sort((a, b) => a - b)
    })

// A host name, IPv4 or IPv6 literal (brackets optional) as in a Host header, without the port.
const DNS_NAME = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/i
const IPV6_LITERAL = /^\[?[0-9a-f.]*:[0-9a-f.]*:[0-9a-f:.]*\]?$/i
const hostList = z.string().transform((s, ctx) => {
  const names = s.split(',').map((part) => part.trim().toLowerCase()).filter((part) => part !== '')
  if (names.length === 1 && names[0] === '*') return names
  const bad = names.filter((name) => !DNS_NAME.test(name) && !IPV6_LITERAL.test(name))
  if (names.length === 0 || bad.length > 0) {
    ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of host names without ports, or *${bad.length > 0 ? ` (not ${bad.join(', ')})` : ''}` })
    return z.NEVER
  }
  // Kept as the Host check compares them: IPv6 without brackets, no trailing dot.
  return names.map((name) => name.replace(/^\[|\]$/g, '').replace(/\.$/, ''))
})

const schema = z.object({
  PORT: port(8080),
  HOST: z.string().min(1, 'must not be empty').default('0.0.0.0'),
  ADMIN_PORT: port(8081),
  ADMIN_HOST: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  ADMIN_ON_MAIN: bool(false),
  ASSETS_DIR: z.string().min(1, 'must not be empty').default('./assets'),
  ASSET_STORE: s3Setting.kind,
  S3_ENDPOINT: s3Setting.endpoint,
  S3_BUCKET: s3Setting.bucket,
  S3_REGION: s3Setting.region,
  S3_ACCESS_KEY_ID: s3Setting.accessKeyId,
  S3_SECRET_ACCESS_KEY: s3Setting.secretAccessKey,
  S3_PREFIX: s3Setting.prefix,
  S3_FORCE_PATH_STYLE: s3Setting.forcePathStyle,
  S3_TIMEOUT_MS: s3Setting.timeoutMs,
  DATABASE_PATH: z.string().min(1, 'must not be empty').default('./data/crossport.db'),
  DATABASE_URL: databaseSetting.url,
  DATABASE_POOL_SIZE: databaseSetting.poolSize,
  ADMIN_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters long')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be one of fatal, error, warn, info, debug, trace, silent' }).default('info'),
  LOG_PRETTY: bool(false),
  CACHE_DIR: z.string().min(1, 'must not be empty').default('./data/cache'),
  WORKERS: z
    .string()
    .default('1')
    .transform((s, ctx) => {
      if (s === 'auto' || s === '0') return availableParallelism()
      const n = Number(s)
      if (!Number.isInteger(n) || n < 1 || n > 256) {
        ctx.addIssue({ code: 'custom', message: 'must be a whole number from 1 to 256, or 0/auto for one per core' })
        return z.NEVER
      }
      return n
    }),
  SEED_DEMO: bool(true),
  FILE_CACHE_TTL_MS: positiveInt(1000),
  MEMORY_CACHE_FILE_BYTES: positiveInt(256 * 1024),
  MEMORY_CACHE_BYTES: positiveInt(64 * MIB),
  POLICY_POLL_MS: positiveInt(100),
  DB_BUSY_RETRY_MS: positiveInt(5000),
  CDN: cdnSetting.kind,
  CDN_PURGE_URLS: cdnSetting.purgeUrls,
  CDN_API_TOKEN: cdnSetting.apiToken,
  CDN_SERVICE_ID: cdnSetting.serviceId,
  CDN_API_URL: cdnSetting.apiUrl,
  CACHE_TAG_HEADER: cdnSetting.tagHeader,
  CDN_PURGE_TIMEOUT_MS: cdnSetting.purgeTimeoutMs,
  CDN_PURGE_RETRY_MAX_MS: cdnSetting.purgeRetryMaxMs,
  IMAGE_WIDTHS: intList('16,32,48,64,96,128,256,384,640,750,828,1080,1200,1920,2048,3840', 1, 8192),
  IMAGE_QUALITIES: intList('50,75,90', 1, 100),
  IMAGE_MAX_PIXELS: positiveInt(40_000_000),
  IMAGE_CONCURRENCY: positiveInt(availableParallelism()),
  IMAGE_QUEUE_LIMIT: positiveInt(64),
  IMAGE_RENDER_TIMEOUT_MS: positiveInt(10_000).refine((n) => n >= 100, 'must be at least 100'),
  CACHE_MAX_BYTES: positiveInt(512 * MIB),
  MAX_UPLOAD_BYTES: positiveInt(1024 * MIB),
  ADMIN_BODY_LIMIT_BYTES: positiveInt(64 * 1024),
  SHUTDOWN_TIMEOUT_MS: positiveInt(30_000),
  HEADERS_TIMEOUT_MS: positiveInt(10_000),
  REQUEST_TIMEOUT_MS: positiveInt(60_000),
  KEEP_ALIVE_TIMEOUT_MS: positiveInt(65_000),
  MAX_CONNECTIONS: positiveInt(10_000),
  ADMIN_ALLOWED_HOSTS: hostList.optional(),
  METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters long')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
  ADMIN_UNAUTHENTICATED_TIMEOUT_MS: positiveInt(10_000),
  URL_SIGNING_KEYS: z
    .string()
    .transform((s, ctx) => {
      const parsed = parseSigningKeys(s)
      if (parsed.ok) return parsed.keyring
      ctx.addIssue({ code: 'custom', message: `${parsed.reason} (expected kid1:secret1,kid2:secret2 with base64url secrets of at least 32 bytes)` })
      return z.NEVER
    })
    .optional(),
})
  .superRefine(checkCdnSettings, { when: cdnSettingsParsed })
  .superRefine(checkS3Settings, { when: s3SettingsParsed })

/**
 * Old names still read, each → its new name. Every duration is named in its
 * unit (`…_MS`); a setting renamed for that keeps working, with a warning, so
 * an upgrade never silently drops an operator's value.
 */
const RENAMED_SETTINGS: Readonly<Record<string, string>> = Object.freeze({ SHUTDOWN_TIMEOUT: 'SHUTDOWN_TIMEOUT_MS' })

/** Secrets never appear in a configuration error. */
const SECRET_SETTINGS = new Set(['ADMIN_TOKEN', 'METRICS_TOKEN', 'URL_SIGNING_KEYS', 'CDN_API_TOKEN', 'S3_SECRET_ACCESS_KEY', 'DATABASE_URL'])

/**
 * Reads and validates the configuration. Every bad value is reported at once,
 * one line per variable, so an operator fixes them in one go.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): Readonly<Config> {
  // Empty strings in .env files mean "unset", as they do for most tools. So
  // does a value of only spaces (PORT=" "): z.coerce.number would read it as 0.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''))
  const { settings, readFrom, warnings } = applyRenames(cleaned)
  const parsed = schema.safeParse(withAwsKeyFallback(settings))
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      // A value given under its old name is reported under that name: it is the one the operator wrote.
      const name = readFrom.get(String(issue.path[0] ?? 'config')) ?? String(issue.path[0] ?? 'config')
      const value = env[name]
      const shown = SECRET_SETTINGS.has(name) ? '(hidden)' : JSON.stringify(value)
      return `${name}=${shown}: ${issue.message}`
    })
    throw new ConfigError(problems)
  }
  const c = parsed.data
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p))
  return Object.freeze({
    port: c.PORT,
    host: c.HOST,
    adminPort: c.ADMIN_PORT,
    adminHost: c.ADMIN_HOST,
    adminOnMain: c.ADMIN_ON_MAIN,
    assetsDir: abs(c.ASSETS_DIR),
    assetStore: c.ASSET_STORE,
    s3: s3SettingsOf(c),
    databasePath: abs(c.DATABASE_PATH),
    databaseUrl: c.DATABASE_URL,
    databasePoolSize: c.DATABASE_POOL_SIZE,
    adminToken: c.ADMIN_TOKEN,
    logLevel: c.LOG_LEVEL,
    logPretty: c.LOG_PRETTY,
    cacheDir: abs(c.CACHE_DIR),
    workers: c.WORKERS,
    seedDemo: c.SEED_DEMO,
    fileCacheTtlMs: c.FILE_CACHE_TTL_MS,
    memoryCacheFileBytes: c.MEMORY_CACHE_FILE_BYTES,
    memoryCacheBytes: c.MEMORY_CACHE_BYTES,
    policyPollMs: c.POLICY_POLL_MS,
    dbBusyRetryMs: c.DB_BUSY_RETRY_MS,
    cdn: cdnSettingsOf(c),
    imageWidths: Object.freeze(c.IMAGE_WIDTHS),
    imageQualities: Object.freeze(c.IMAGE_QUALITIES),
    imageMaxPixels: c.IMAGE_MAX_PIXELS,
    imageConcurrency: Math.max(1, c.IMAGE_CONCURRENCY),
    imageQueueLimit: c.IMAGE_QUEUE_LIMIT,
    imageRenderTimeoutMs: c.IMAGE_RENDER_TIMEOUT_MS,
    cacheMaxBytes: c.CACHE_MAX_BYTES,
    maxUploadBytes: c.MAX_UPLOAD_BYTES,
    adminBodyLimitBytes: c.ADMIN_BODY_LIMIT_BYTES,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    headersTimeoutMs: c.HEADERS_TIMEOUT_MS,
    requestTimeoutMs: c.REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: c.KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: c.MAX_CONNECTIONS,
    adminAllowedHosts: c.ADMIN_ALLOWED_HOSTS === undefined ? undefined : Object.freeze(c.ADMIN_ALLOWED_HOSTS),
    metricsToken: c.METRICS_TOKEN,
    adminUnauthenticatedTimeoutMs: c.ADMIN_UNAUTHENTICATED_TIMEOUT_MS,
    urlSigningKeys: c.URL_SIGNING_KEYS,
    warnings: Object.freeze(warnings),
  })
}

/**
 * Moves a value set only under an old name to the new one; with both set,
 * the new name wins and the old value is dropped unread. Either way one
 * warning names both.
 */
function applyRenames(env: Readonly<Record<string, string | undefined>>): {
  settings: Record<string, string | undefined>
  readFrom: Map<string, string>
  warnings: string[]
} {
  const settings = { ...env }
  const readFrom = new Map<string, string>()
  const warnings: string[] = []
  for (const [oldName, newName] of Object.entries(RENAMED_SETTINGS)) {
    if (settings[oldName] === undefined) continue
    if (settings[newName] === undefined) {
      settings[newName] = settings[oldName]
      readFrom.set(newName, oldName)
      warnings.push(`${oldName} is deprecated: it is read for now, but rename it to ${newName} (same value)`)
    } else {
      warnings.push(`${oldName} is ignored because ${newName} is set; remove ${oldName}`)
    }
    delete settings[oldName]
  }
  return { settings, readFrom, warnings }
}
