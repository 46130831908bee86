/**
 * The settings of the CDN in front: which one, where its purges go, and how
 * patiently. Part of `loadConfig`'s schema; kept apart so the CDN's checks
 * read in one place.
 */
import { z } from 'zod'

export const CDN_KINDS = ['none', 'varnish', 'fastly', 'cloudflare', 'bunny', 'akamai', 'webhook'] as const
export type CdnKind = (typeof CDN_KINDS)[number]

export interface CdnSettings {
  /** `none`: no tag header, no purges. */
  readonly kind: CdnKind
  /** Varnish instances (each gets the PURGE) or webhook receivers. */
  readonly purgeUrls: readonly string[]
  readonly apiToken: string | undefined
  /** Fastly service id, Cloudflare zone id or Bunny pull zone id. */
  readonly serviceId: string | undefined
  /** Replaces the vendor's API base URL (Akamai: the API client's host, which is per account). */
  readonly apiUrl: string | undefined
  /** Replaces the vendor's tag header name. */
  readonly tagHeader: string | undefined
  /** One purge request gives up after this long and is retried later. */
  readonly purgeTimeoutMs: number
  /** Longest pause between two tries of an undelivered purge. */
  readonly purgeRetryMaxMs: number
}

/** Which settings each CDN cannot work without. */
const REQUIRED: Readonly<Record<CdnKind, readonly CdnSettingName[]>> = {
  none: [],
  varnish: ['CDN_PURGE_URLS'],
  webhook: ['CDN_PURGE_URLS'],
  fastly: ['CDN_API_TOKEN', 'CDN_SERVICE_ID'],
  cloudflare: ['CDN_API_TOKEN', 'CDN_SERVICE_ID'],
  bunny: ['CDN_API_TOKEN', 'CDN_SERVICE_ID'],
  akamai: ['CDN_API_TOKEN', 'CDN_API_URL'],
}

const httpUrl = (value: string): boolean => {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

// RFC 9110 §5.1: a field name is a token.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

const wholeMs = (fallback: number, min: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(min, `must be at least ${min}`).default(fallback)

/**
 * The CDN's settings for the configuration schema; `config.ts` names each
 * (`CDN: cdnSetting.kind`), so the schema still lists every setting.
 */
export const cdnSetting = {
  kind: z.enum(CDN_KINDS, { error: `must be one of ${CDN_KINDS.join(', ')}` }).default('none'),
  purgeUrls: z
    .string()
    .transform((s, ctx) => {
      const urls = s.split(',').map((part) => part.trim()).filter((part) => part !== '')
      const bad = urls.filter((url) => !httpUrl(url))
      if (urls.length === 0 || bad.length > 0) {
        ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of http(s) URLs${bad.length > 0 ? ` (not ${bad.join(', ')})` : ''}` })
        return z.NEVER
      }
      return urls
    })
    .optional(),
  apiToken: z.string().regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
  serviceId: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, dots, dashes or underscores').optional(),
  apiUrl: z.string().refine(httpUrl, 'must be an http(s) URL').optional(),
  tagHeader: z.string().regex(HEADER_NAME, 'must be an HTTP header name').optional(),
  purgeTimeoutMs: wholeMs(5000, 100),
  purgeRetryMaxMs: wholeMs(300_000, 1000),
}

/** The CDN settings as the schema parsed them. */
interface ParsedCdnSettings {
  readonly CDN: CdnKind
  readonly CDN_PURGE_URLS?: string[] | undefined
  readonly CDN_API_TOKEN?: string | undefined
  readonly CDN_SERVICE_ID?: string | undefined
  readonly CDN_API_URL?: string | undefined
  readonly CACHE_TAG_HEADER?: string | undefined
  readonly CDN_PURGE_TIMEOUT_MS: number
  readonly CDN_PURGE_RETRY_MAX_MS: number
}
type CdnSettingName = keyof ParsedCdnSettings
const CDN_SETTING_NAMES: ReadonlySet<string> = new Set<CdnSettingName>([
  'CDN',
  'CDN_PURGE_URLS',
  'CDN_API_TOKEN',
  'CDN_SERVICE_ID',
  'CDN_API_URL',
  'CACHE_TAG_HEADER',
  'CDN_PURGE_TIMEOUT_MS',
  'CDN_PURGE_RETRY_MAX_MS',
])

/** Names a setting the chosen CDN needs but that is unset, e.g. `CDN_API_TOKEN` for Fastly. */
export function checkCdnSettings(value: ParsedCdnSettings, ctx: z.RefinementCtx): void {
  for (const name of REQUIRED[value.CDN]) {
    if (value[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: `must be set when CDN=${value.CDN}` })
  }
  // Akamai's API signs every request (EdgeGrid) with the API client's three credentials.
  if (value.CDN === 'akamai' && value.CDN_API_TOKEN !== undefined && !/^[^:]+:[^:]+:[^:]+$/.test(value.CDN_API_TOKEN)) {
    ctx.addIssue({ code: 'custom', path: ['CDN_API_TOKEN'], message: 'must be client_token:client_secret:access_token when CDN=akamai' })
  }
}

/** Runs the check only when the CDN's own settings parsed, whatever else failed. */
export const cdnSettingsParsed = (payload: { issues: readonly { path?: readonly PropertyKey[] }[] }): boolean =>
  !payload.issues.some((issue) => typeof issue.path?.[0] === 'string' && CDN_SETTING_NAMES.has(issue.path[0]))

export function cdnSettingsOf(c: ParsedCdnSettings): CdnSettings {
  return Object.freeze({
    kind: c.CDN,
    purgeUrls: Object.freeze(c.CDN_PURGE_URLS ?? []),
    apiToken: c.CDN_API_TOKEN,
    serviceId: c.CDN_SERVICE_ID,
    apiUrl: c.CDN_API_URL?.replace(/\/+$/, ''),
    tagHeader: c.CACHE_TAG_HEADER,
    purgeTimeoutMs: c.CDN_PURGE_TIMEOUT_MS,
    purgeRetryMaxMs: c.CDN_PURGE_RETRY_MAX_MS,
  })
}
