import { join } from 'node:path'
import type { Context, Middleware } from 'koa'
import serve from 'koa-static'

/**
 * The operator console: a static page under `/admin/` that talks only to the
 * admin API of the same origin. The HTML and CSS are served straight from
 * `console/`, the browser modules from `dist/console/` (built by
 * `tsc -b tsconfig.console.json`).
 */
export interface ConsoleOptions {
  /** Folder holding `index.html` and `styles.css`. */
  readonly pageDir?: string
  /** Folder holding the compiled browser modules. */
  readonly scriptDir?: string
  /**
   * Origins (e.g. `https://cdn.example`) the page may load image previews from,
   * besides the admin host itself on any port. Added to CSP `img-src`.
   */
  readonly imageOrigins?: readonly string[]
}

// Both src/server/ (tests, via swc) and dist/server/ (built) sit two levels below the repository root.
const ROOT = join(__dirname, '..', '..')

export const CONSOLE_PREFIX = '/admin/'

// The only files the console serves: an allow-list, so nothing else in
// console/ (the TypeScript sources) or dist/ is ever reachable from here.
const PAGE_FILES = new Set(['/', '/styles.css', '/favicon.svg'])
const SCRIPT_FILE = /^\/js\/[a-z][a-z0-9-]*\.js$/

// A host name as it may appear in a CSP host-source (CSP3 §2.3.1): the Host
// header is client input, so anything else is not echoed into the policy.
const CSP_HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])$/i
const CSP_ORIGIN = /^https?:\/\/(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/i

/**
 * Serves `/admin/` (and redirects `/admin` there) plus the console's own CSS
 * and JS. Everything else, `/admin/v1/*` included, goes to `next`.
 */
export function createConsoleMiddleware(options: ConsoleOptions = {}): Middleware {
  const pageDir = options.pageDir ?? join(ROOT, 'console')
  const scriptDir = options.scriptDir ?? join(ROOT, 'dist', 'console')
  const imageOrigins = (options.imageOrigins ?? []).filter((origin) => CSP_ORIGIN.test(origin))
  const servePage = serve(pageDir, { index: 'index.html', hidden: false })
  const serveScript = serve(scriptDir, { index: false, hidden: false })
  const noop = async () => {}

  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next()
    if (ctx.path === '/admin') {
      // A relative page needs the trailing slash so that `styles.css` resolves under /admin/.
      setConsoleHeaders(ctx, imageOrigins)
      ctx.status = 301
      ctx.redirect('/admin/')
      return
    }
    if (!ctx.path.startsWith(CONSOLE_PREFIX)) return next()
    const file = ctx.path.slice(CONSOLE_PREFIX.length - 1)
    const handler = PAGE_FILES.has(file) ? servePage : SCRIPT_FILE.test(file) ? serveScript : undefined
    if (handler === undefined) return next()

    setConsoleHeaders(ctx, imageOrigins)
    const originalPath = ctx.path
    ctx.path = file.startsWith('/js/') ? file.slice('/js'.length) : file
    try {
      await handler(ctx, noop)
    } finally {
      ctx.path = originalPath
    }
    if (ctx.body == null) {
      // The JS was not built (or a file is missing): say so instead of a bare 404.
      ctx.status = 404
      ctx.type = 'text/plain'
      ctx.body = `${originalPath} not found: build the console with "npx tsc -b tsconfig.console.json"\n`
    }
  }
}

/** The headers every console response carries, whatever its status. */
function setConsoleHeaders(ctx: Context, imageOrigins: readonly string[]): void {
  ctx.set('Content-Security-Policy', contentSecurityPolicy(ctx.hostname, imageOrigins))
  // Clickjacking: CSP frame-ancestors for current browsers, X-Frame-Options for older ones (RFC 7034).
  ctx.set('X-Frame-Options', 'DENY')
  ctx.set('X-Content-Type-Options', 'nosniff')
  // Revalidate every time: a console older than the API it talks to is worse than a round trip.
  ctx.set('Cache-Control', 'no-cache')
  // The admin URL (and anything in it) never leaks to the public side through previews.
  ctx.set('Referrer-Policy', 'no-referrer')
}

/**
 * No inline script or style, nothing third-party. Image previews come from the
 * public listener, which is usually the admin host on another port: CSP3
 * host-source `host:*` allows exactly that host on any port.
 */
export function contentSecurityPolicy(hostname: string, imageOrigins: readonly string[] = []): string {
  const imageSources = ["'self'", 'data:', 'blob:']
  if (CSP_HOST.test(hostname)) imageSources.push(`http://${hostname}:*`, `https://${hostname}:*`)
  imageSources.push(...imageOrigins)
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${imageSources.join(' ')}`,
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ')
}
