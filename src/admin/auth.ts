import type { Context, Middleware } from 'koa'
import { LRUCache } from 'lru-cache'
import type { AdminContext } from './context'
import { TokenRepo, type TokenScope } from '../db/token-repo'
import { CrossportError } from '../http/errors'
import { LastUsedRecorder } from './last-used'

/** Who is calling: put on `ctx.state.actor` by the authentication middleware. */
export interface Actor {
  readonly id: string
  readonly name: string
  readonly scope: TokenScope
}

/** Failed authentications one client IP may make per window before it is refused outright. */
export const MAX_FAILED_AUTHS = 10
export const FAILED_AUTH_WINDOW_MS = 60_000
/** Bounds the limiter's memory when many addresses fail (a scan): oldest windows are dropped first. */
export const MAX_TRACKED_CLIENTS = 10_000

// RFC 6750 §2.1 restricts tokens to b64token, but ADMIN_TOKEN may be any
// printable ASCII, so accept that; the scheme name is case-insensitive (RFC 9110 §11.1).
export const BEARER = /^Bearer +([\x21-\x7e]+) *$/i
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
/** The one call a `sign` token may make (mirrors admin/sign-routes.ts under /admin/v1). */
const SIGN_PATH = '/admin/v1/sign'
/** What each scope may do: `sign` only signs (least privilege for web backends); `write` includes everything. */
const GRANTS: Readonly<Record<TokenScope, ReadonlySet<TokenScope>>> = {
  read: new Set(['read']),
  write: new Set(['read', 'write', 'sign']),
  sign: new Set(['sign']),
}
const NEEDS: Readonly<Record<TokenScope, string>> = {
  read: 'this needs a read- or write-scoped token',
  write: 'this change needs a write-scoped token',
  sign: 'signing URLs needs a sign- or write-scoped token',
}

interface Window {
  readonly startedAtMs: number
  failures: number
}

/**
 * Counts failed authentications per client IP in fixed windows. After
 * `maxFailures` in one window the client is refused until the window ends,
 * without its credentials even being checked, so guessing cannot go on at
 * full speed. Successful authentications are never counted.
 */
export class FailedAuthLimiter {
  // Read with `peek` only, so the least recently set window is evicted first when a scan fills
  // the cache; all windows last windowMs, so that is also the first to end: ended windows go
  // before live ones.
  private readonly windows: LRUCache<string, Window>

  constructor(
    private readonly maxFailures: number = MAX_FAILED_AUTHS,
    private readonly windowMs: number = FAILED_AUTH_WINDOW_MS,
    private readonly now: () => number = Date.now,
    maxClients: number = MAX_TRACKED_CLIENTS,
  ) {
    this.windows = new LRUCache({ max: maxClients })
  }

  /** Seconds until the client may try again, or 0 when it is not blocked. */
  retryAfterSeconds(client: string): number {
    const window = this.current(client)
    if (!window || window.failures < this.maxFailures) return 0
    return Math.max(1, Math.ceil((window.startedAtMs + this.windowMs - this.now()) / 1000))
  }

  recordFailure(client: string): void {
    const window = this.current(client)
    if (window) {
      window.failures++
      return
    }
    this.windows.set(client, { startedAtMs: this.now(), failures: 1 })
  }

  /** The client's window, unless it has ended. */
  private current(client: string): Window | undefined {
    const window = this.windows.peek(client)
    if (window && this.now() - window.startedAtMs >= this.windowMs) {
      this.windows.delete(client)
      return undefined
    }
    return window
  }
}

const unauthenticated = (detail: string) =>
  // RFC 6750 §3: a 401 names the scheme the client should use.
  new CrossportError('UNAUTHENTICATED', detail, { headers: { 'WWW-Authenticate': 'Bearer realm="crossport-admin"' } })

const invalidToken = () =>
  new CrossportError('UNAUTHENTICATED', 'The bearer token is not valid (unknown, malformed or revoked)', {
    headers: { 'WWW-Authenticate': 'Bearer realm="crossport-admin", error="invalid_token"' },
  })

export interface AuthOptions {
  /** Paths that need no token (the OpenAPI document). */
  readonly publicPaths?: ReadonlySet<string>
  readonly limiter?: FailedAuthLimiter
}

/**
 * Authenticates every request it sees with `Authorization: Bearer <token>`
 * (hash looked up, compared in constant time by `TokenRepo.verify`) and puts
 * the actor on `ctx.state.actor`. A read-scoped token is refused on any
 * write method here already, so a route that forgets `requireScope('write')`
 * is still safe.
 */
export function createAuthMiddleware(context: AdminContext, options: AuthOptions = {}): Middleware {
  const tokens = new TokenRepo(context.db)
  const limiter = options.limiter ?? new FailedAuthLimiter()
  const publicPaths = options.publicPaths ?? new Set<string>()
  const log = context.logger.child({ log: 'admin-auth' })
  // last_used_at is written by a timer, off the request path and best-effort:
  // an admin read must not need a write, which another process's lock could hold up.
  const lastUsed = new LastUsedRecorder({
    write: async (id, at) => {
      // A timer may fire after shutdown closed the database; the time is not worth an error.
      if (context.db.isOpen) await tokens.markUsed(id, at)
    },
    onError: (error, id) => log.warn({ err: error, tokenId: id }, 'recording last_used_at failed'),
  })

  return async (ctx, next) => {
    if (publicPaths.has(ctx.path)) return next()
    const header = ctx.get('Authorization')
    if (header === '') throw unauthenticated('Send Authorization: Bearer <token>')

    // app.proxy is false: this is the socket's address, which a client cannot forge.
    const client = ctx.ip
    const retryAfter = limiter.retryAfterSeconds(client)
    if (retryAfter > 0) {
      throw new CrossportError('TOO_MANY_ATTEMPTS', `Too many failed authentications from this address; retry in ${retryAfter} s`, {
        headers: { 'Retry-After': String(retryAfter) },
      })
    }
    const match = BEARER.exec(header)
    // A query per request, nothing cached: a token revoked by any process or host fails here at once.
    const info = match?.[1] === undefined ? undefined : await tokens.verify(match[1])
    if (!info) {
      limiter.recordFailure(client)
      // The token itself is never logged, not even in part.
      log.warn({ client, method: ctx.method, path: ctx.path }, 'failed admin authentication')
      throw invalidToken()
    }
    lastUsed.used(info.id, info.lastUsedAt)
    const actor: Actor = { id: info.id, name: info.name, scope: info.scope }
    ctx.state.actor = actor
    assertScope(actor, scopeNeeded(ctx.method, ctx.path))
    return next()
  }
}

function scopeNeeded(method: string, path: string): TokenScope {
  if (method === 'POST' && path === SIGN_PATH) return 'sign'
  return WRITE_METHODS.has(method) ? 'write' : 'read'
}

function assertScope(actor: Actor, scope: TokenScope): void {
  if (!GRANTS[actor.scope].has(scope)) {
    throw new CrossportError('FORBIDDEN', `Token "${actor.name}" has scope "${actor.scope}"; ${NEEDS[scope]}`)
  }
}

/** The authenticated caller; throws 401 when authentication did not run (a wiring mistake, never a bypass). */
export function getActor(ctx: Context): Actor {
  const actor = (ctx.state as { actor?: Actor }).actor
  if (actor === undefined) throw unauthenticated('Send Authorization: Bearer <token>')
  return actor
}

/** Route guard: the caller's token must carry `scope` (`write` includes `read` and `sign`). */
export function requireScope(scope: TokenScope): Middleware {
  return async (ctx, next) => {
    assertScope(getActor(ctx), scope)
    return next()
  }
}
