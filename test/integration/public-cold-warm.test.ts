/**
 * Cold and warm answers agree. Two real servers share the asset store, the
 * database and the derivative folder: "cold" keeps nothing in memory
 * (FILE_CACHE_TTL_MS=0, MEMORY_CACHE_* = 0), so every request walks the
 * pipeline to the disk and the image service; "warm" has answered the whole
 * table twice before, so whatever memory can answer comes from memory. Each
 * scenario must get the same status, headers and body from both, and the
 * status it names (so a rule missing on both sides is caught too).
 */
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { join } from 'node:path'
import { brotliCompressSync, gzipSync } from 'node:zlib'
import sharp from 'sharp'
import { FolderRepo } from '../../src/db/folder-repo'
import { DEFAULT_POLICY, type Policy } from '../../src/policy/types'
import { parseSigningKeys, signQuery, type SigningKeyring } from '../../src/signing/url-signature'
import { startTestCrossport, type TestCrossport } from '../helpers/crossport'

const SITE_A = 'https://site-a.example'
const SITE_B = 'https://site-b.example'
const EVIL = 'https://evil.example'
/** Every request names this Host, so the server's own origin is the same on both listeners. */
const HOST = 'cdn.example'
const OWN = `http://${HOST}`
const SIGNING_KEYS = `k1:${Buffer.alloc(32, 9).toString('base64url')}`
const BROWSER_ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8'
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><script>alert(1)</script></svg>'

const css = Buffer.from('body { color: #123456; }\n'.repeat(40))
// Above MEMORY_CACHE_FILE_BYTES on both servers: always streamed from a file handle.
const big = Buffer.alloc(300 * 1024, 7)

interface Answer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

function send(base: string, path: string, method: string, headers: Record<string, string>): Promise<Answer> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method, headers: { host: HOST, ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Validators of the files, the same on both servers (same files); read once before the table runs. */
interface Known {
  readonly cssEtag: string
  readonly cssBrEtag: string
  readonly lastModified: string
  readonly derivativeEtag: string
  readonly signed: (path: string, query?: ReadonlyArray<readonly [string, string]>) => string
}

interface Scenario {
  readonly name: string
  readonly status: number
  readonly path: string | ((k: Known) => string)
  readonly method?: string
  readonly headers?: Record<string, string> | ((k: Known) => Record<string, string>)
  /** The answer's lifetime is capped at a signature's remaining seconds, which the clock moves. */
  readonly isSigned?: boolean
}

const origin = (value: string) => ({ origin: value })
const preflight = (from: string, extra: Record<string, string> = {}) => ({ origin: from, 'access-control-request-method': 'GET', ...extra })

const SCENARIOS: readonly Scenario[] = [
  // Plain GET and HEAD, every kind of Origin.
  { name: 'GET without Origin', status: 200, path: '/public/app.css' },
  { name: 'HEAD without Origin', status: 200, path: '/public/app.css', method: 'HEAD' },
  { name: 'GET, allowed Origin', status: 200, path: '/public/app.css', headers: origin(SITE_A) },
  { name: 'HEAD, allowed Origin', status: 200, path: '/public/app.css', method: 'HEAD', headers: origin(SITE_B) },
  { name: 'GET, refused Origin (cors mode)', status: 200, path: '/private/app.css', headers: origin(SITE_B) },
  { name: 'GET, the server’s own Origin', status: 200, path: '/private/app.css', headers: origin(OWN) },
  { name: 'GET, refused Origin, Sec-Fetch-Site same-origin', status: 200, path: '/private/app.css', headers: { origin: EVIL, 'sec-fetch-site': 'same-origin' } },
  { name: 'GET, wildcard folder', status: 200, path: '/open/app.css', headers: origin(EVIL) },
  { name: 'GET, wildcard folder, no Origin', status: 200, path: '/open/app.css' },
  { name: 'GET, credentials', status: 200, path: '/creds/app.css', headers: origin(SITE_A) },
  { name: 'GET under /, nothing shared', status: 200, path: '/root.css', headers: origin(SITE_A) },
  { name: 'GET, null Origin', status: 200, path: '/public/app.css', headers: origin('null') },
  // Strict mode.
  { name: 'strict: refused Origin', status: 403, path: '/strict/app.css', headers: origin(EVIL) },
  { name: 'strict: allowed Origin', status: 200, path: '/strict/app.css', headers: origin(SITE_A) },
  { name: 'strict: direct navigation', status: 200, path: '/strict/app.css' },
  { name: 'strict: foreign Referer', status: 403, path: '/strict/app.css', headers: { referer: `${EVIL}/page` } },
  { name: 'strict: allowed Referer', status: 200, path: '/strict/app.css', headers: { referer: `${SITE_A}/page` } },
  { name: 'strict: own Referer', status: 200, path: '/strict/app.css', headers: { referer: `${OWN}/page` } },
  { name: 'strict: Sec-Fetch-Site cross-site', status: 403, path: '/strict/app.css', headers: { 'sec-fetch-site': 'cross-site' } },
  { name: 'strict: Sec-Fetch-Site same-origin', status: 200, path: '/strict/app.css', headers: { 'sec-fetch-site': 'same-origin' } },
  { name: 'strict: refused Origin, 404 path', status: 403, path: '/strict/nope.css', headers: origin(EVIL) },
  // Preflights and OPTIONS.
  { name: 'preflight allowed', status: 204, path: '/public/app.css', method: 'OPTIONS', headers: preflight(SITE_A) },
  { name: 'preflight allowed with Range', status: 204, path: '/public/app.css', method: 'OPTIONS', headers: preflight(SITE_A, { 'access-control-request-headers': 'range' }) },
  { name: 'preflight refused Origin', status: 403, path: '/public/app.css', method: 'OPTIONS', headers: preflight(EVIL) },
  { name: 'preflight refused header', status: 403, path: '/public/app.css', method: 'OPTIONS', headers: preflight(SITE_A, { 'access-control-request-headers': 'x-secret' }) },
  { name: 'preflight refused method', status: 403, path: '/public/app.css', method: 'OPTIONS', headers: { origin: SITE_A, 'access-control-request-method': 'PUT' } },
  { name: 'preflight Private Network allowed', status: 204, path: '/pna/app.css', method: 'OPTIONS', headers: preflight(SITE_A, { 'access-control-request-private-network': 'true' }) },
  { name: 'preflight Private Network refused', status: 403, path: '/public/app.css', method: 'OPTIONS', headers: preflight(SITE_A, { 'access-control-request-private-network': 'true' }) },
  { name: 'preflight for a missing file', status: 204, path: '/public/nope.css', method: 'OPTIONS', headers: preflight(SITE_A) },
  { name: 'plain OPTIONS', status: 204, path: '/public/app.css', method: 'OPTIONS', headers: origin(SITE_A) },
  // 404s, dotfiles, bad paths, methods.
  { name: '404, allowed Origin', status: 404, path: '/public/nope.css', headers: origin(SITE_A) },
  { name: '404 without Origin', status: 404, path: '/nope.css' },
  { name: 'folder path', status: 404, path: '/public/' },
  { name: 'dotfile', status: 404, path: '/public/.env' },
  { name: 'encoded dotfile', status: 404, path: '/public/%2eenv' },
  { name: 'dot-dot', status: 400, path: '/../etc/passwd' },
  { name: 'encoded dot-dot', status: 400, path: '/public/%2e%2e/%2e%2e/etc/passwd' },
  { name: 'NUL byte', status: 400, path: '/public/app.css%00.png' },
  { name: 'bad encoding', status: 400, path: '/%zz' },
  { name: 'POST', status: 405, path: '/public/app.css', method: 'POST' },
  { name: 'DELETE', status: 405, path: '/public/app.css', method: 'DELETE' },
  { name: 'empty file', status: 200, path: '/public/empty.txt' },
  { name: 'large file, streamed', status: 200, path: '/public/big.bin', headers: origin(SITE_A) },
  { name: 'HEAD of a large file', status: 200, path: '/public/big.bin', method: 'HEAD' },
  // Ranges.
  { name: 'range of a small file', status: 206, path: '/public/app.css', headers: { range: 'bytes=2-9', ...origin(SITE_A) } },
  { name: 'range of a large file', status: 206, path: '/public/big.bin', headers: { range: 'bytes=1000-1999' } },
  { name: 'suffix range', status: 206, path: '/public/big.bin', headers: { range: 'bytes=-10' } },
  { name: 'unsatisfiable range', status: 416, path: '/public/app.css', headers: { range: 'bytes=999999-', ...origin(SITE_A) } },
  { name: 'malformed range', status: 200, path: '/public/app.css', headers: { range: 'bytes=x-y' } },
  { name: 'If-Range with the current ETag', status: 206, path: '/public/app.css', headers: (k) => ({ range: 'bytes=0-4', 'if-range': k.cssEtag }) },
  { name: 'If-Range with another ETag', status: 200, path: '/public/app.css', headers: { range: 'bytes=0-4', 'if-range': '"other"' } },
  { name: 'If-Range with the date', status: 206, path: '/public/app.css', headers: (k) => ({ range: 'bytes=0-4', 'if-range': k.lastModified }) },
  // Conditionals.
  { name: 'If-None-Match', status: 304, path: '/public/app.css', headers: (k) => ({ 'if-none-match': k.cssEtag, ...origin(SITE_A) }) },
  { name: 'If-None-Match, weak', status: 304, path: '/public/app.css', headers: (k) => ({ 'if-none-match': `W/${k.cssEtag}` }) },
  { name: 'If-None-Match, other', status: 200, path: '/public/app.css', headers: { 'if-none-match': '"other"' } },
  { name: 'If-Modified-Since', status: 304, path: '/public/app.css', headers: (k) => ({ 'if-modified-since': k.lastModified }) },
  { name: 'If-Match, other', status: 412, path: '/public/app.css', headers: { 'if-match': '"other"', ...origin(SITE_A) } },
  { name: 'If-Match, current', status: 200, path: '/public/app.css', headers: (k) => ({ 'if-match': k.cssEtag }) },
  { name: 'If-Unmodified-Since, earlier', status: 412, path: '/public/app.css', headers: { 'if-unmodified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' } },
  { name: 'If-None-Match with a Range', status: 304, path: '/public/app.css', headers: (k) => ({ 'if-none-match': k.cssEtag, range: 'bytes=0-4' }) },
  { name: 'HEAD, If-None-Match', status: 304, path: '/public/app.css', method: 'HEAD', headers: (k) => ({ 'if-none-match': k.cssEtag }) },
  // Precompressed siblings.
  { name: 'br sibling', status: 200, path: '/public/site.css', headers: { 'accept-encoding': 'gzip, deflate, br', ...origin(SITE_A) } },
  { name: 'gzip sibling by q-value', status: 200, path: '/public/site.css', headers: { 'accept-encoding': 'br;q=0.5, gzip;q=0.8' } },
  { name: 'codings refused', status: 200, path: '/public/site.css', headers: { 'accept-encoding': 'br;q=0, gzip;q=0' } },
  { name: 'identity preferred', status: 200, path: '/public/site.css', headers: { 'accept-encoding': 'identity;q=1, br;q=0.9' } },
  { name: 'no Accept-Encoding, siblings exist', status: 200, path: '/public/site.css' },
  { name: 'only a gzip sibling', status: 200, path: '/public/only-gz.css', headers: { 'accept-encoding': 'br, gzip' } },
  { name: 'range with siblings', status: 206, path: '/public/site.css', headers: { 'accept-encoding': 'br', range: 'bytes=0-9' } },
  { name: 'If-None-Match of the br sibling', status: 304, path: '/public/site.css', headers: (k) => ({ 'accept-encoding': 'br', 'if-none-match': k.cssBrEtag }) },
  { name: 'HEAD of the br sibling', status: 200, path: '/public/site.css', method: 'HEAD', headers: { 'accept-encoding': 'br' } },
  { name: 'sibling by its own name', status: 200, path: '/public/site.css.gz' },
  // Names and media types.
  { name: 'fingerprinted name', status: 200, path: '/public/app.3f9a2c1b.js', headers: origin(SITE_A) },
  { name: 'SVG with its CSP', status: 200, path: '/public/logo.svg' },
  { name: 'SVG with fmt=auto: the original', status: 200, path: '/public/logo.svg?fmt=auto', headers: { accept: BROWSER_ACCEPT } },
  // Image derivatives.
  { name: 'derivative, allowed Origin', status: 200, path: '/private/photo.jpg?w=64', headers: origin(SITE_A) },
  { name: 'derivative, refused Origin after an allowed one warmed it', status: 403, path: '/private/photo.jpg?w=64', headers: origin(SITE_B) },
  { name: 'derivative, refused Origin, fmt=auto', status: 403, path: '/private/photo.jpg?w=64&fmt=auto', headers: { ...origin(EVIL), accept: BROWSER_ACCEPT } },
  { name: 'derivative without Origin', status: 200, path: '/private/photo.jpg?w=64' },
  { name: 'derivative, HEAD', status: 200, path: '/private/photo.jpg?w=64', method: 'HEAD', headers: origin(SITE_A) },
  { name: 'derivative, If-None-Match', status: 304, path: '/private/photo.jpg?w=64', headers: (k) => ({ 'if-none-match': k.derivativeEtag, ...origin(SITE_A) }) },
  { name: 'derivative, range', status: 206, path: '/private/photo.jpg?w=64', headers: { range: 'bytes=0-99', ...origin(SITE_A) } },
  { name: 'derivative fmt=auto, modern Accept', status: 200, path: '/public/photo.jpg?w=64&fmt=auto', headers: { ...origin(SITE_A), accept: BROWSER_ACCEPT } },
  { name: 'derivative fmt=auto, JPEG only', status: 200, path: '/public/photo.jpg?w=64&fmt=auto', headers: { ...origin(SITE_A), accept: 'image/jpeg' } },
  { name: 'derivative fmt=webp', status: 200, path: '/public/photo.jpg?w=32&fmt=webp&q=50' },
  { name: 'derivative, bad parameters', status: 400, path: '/public/photo.jpg?w=abc', headers: origin(SITE_A) },
  { name: 'derivative, width not allowed', status: 400, path: '/public/photo.jpg?w=65', headers: origin(SITE_A) },
  { name: 'derivative of a missing file', status: 404, path: '/public/nope.jpg?w=64', headers: origin(SITE_A) },
  // Decided before the store is asked: the answer tells a refused site nothing about which files exist.
  { name: 'derivative of a missing file, refused Origin', status: 403, path: '/private/nope.jpg?w=64', headers: origin(SITE_B) },
  { name: 'derivative, strict refusal', status: 403, path: '/strict/photo.jpg?w=64', headers: origin(EVIL) },
  { name: 'image parameters on a stylesheet', status: 200, path: '/public/app.css?w=64', headers: origin(SITE_A) },
  // Signed URLs.
  { name: 'signed: missing signature', status: 403, path: '/paid/doc.txt', headers: origin(SITE_A) },
  { name: 'signed: valid', status: 200, path: (k) => k.signed('/paid/doc.txt'), headers: origin(SITE_A), isSigned: true },
  { name: 'signed: valid, HEAD', status: 200, path: (k) => k.signed('/paid/doc.txt'), method: 'HEAD', isSigned: true },
  { name: 'signed: tampered', status: 403, path: (k) => k.signed('/paid/doc.txt').replace('sig=', 'sig=A') },
  { name: 'signed: another path', status: 403, path: (k) => k.signed('/paid/doc.txt').replace('/paid/doc.txt', '/paid/other.txt') },
  { name: 'signed: preflight needs none', status: 204, path: '/paid/doc.txt', method: 'OPTIONS', headers: preflight(SITE_A) },
  { name: 'signed derivatives: plain file', status: 200, path: '/deriv/doc.txt', headers: origin(SITE_A) },
  { name: 'signed derivatives: unsigned derivative', status: 403, path: '/deriv/a.jpg?w=64', headers: origin(SITE_A) },
  { name: 'signed derivatives: signed derivative', status: 200, path: (k) => k.signed('/deriv/a.jpg', [['w', '64']]), headers: origin(SITE_A), isSigned: true },
  { name: 'signed derivatives: refused Origin', status: 403, path: (k) => k.signed('/deriv/a.jpg', [['w', '64']]), headers: origin(EVIL) },
  // The probe, answered before the pipeline's steps.
  { name: 'liveness probe', status: 200, path: '/healthz' },
]

/** What must agree: status, headers but Date and the connection's own, and the body (as a digest, for readable diffs). */
function comparable(answer: Answer, isSigned: boolean): Record<string, unknown> {
  const headers: Record<string, unknown> = {}
  for (const name of Object.keys(answer.headers).sort()) {
    if (name === 'date' || name === 'connection' || name === 'keep-alive') continue
    headers[name] = answer.headers[name]
  }
  // A signed answer may be kept no longer than the signature lives: seconds that tick between the two runs.
  if (isSigned && typeof headers['cache-control'] === 'string') headers['cache-control'] = headers['cache-control'].replace(/max-age=\d+/, 'max-age=<seconds left>')
  return { status: answer.status, headers, body: `${answer.body.length} bytes, sha1 ${createHash('sha1').update(answer.body).digest('hex')}` }
}

async function runTable(base: string, known: Known): Promise<Array<Record<string, unknown>>> {
  const results: Array<Record<string, unknown>> = []
  for (const s of SCENARIOS) {
    const path = typeof s.path === 'function' ? s.path(known) : s.path
    const headers = typeof s.headers === 'function' ? s.headers(known) : (s.headers ?? {})
    results.push({ scenario: s.name, ...comparable(await send(base, path, s.method ?? 'GET', headers), s.isSigned === true) })
  }
  return results
}

const policy = (overrides: Partial<Policy>): Policy => ({ ...DEFAULT_POLICY, origins: [], ...overrides })

const FOLDERS: ReadonlyArray<readonly [string, Partial<Policy>]> = [
  ['/public/', { origins: [SITE_A, SITE_B], cacheControl: 'public, max-age=60' }],
  ['/private/', { origins: [SITE_A] }],
  ['/open/', { origins: ['*'] }],
  ['/creds/', { origins: [SITE_A], credentials: true }],
  ['/strict/', { origins: [SITE_A], mode: 'strict' }],
  ['/pna/', { origins: [SITE_A], privateNetwork: true }],
  ['/paid/', { origins: [SITE_A], mode: 'strict', signedUrls: 'required', cacheControl: 'public, max-age=86400' }],
  ['/deriv/', { origins: [SITE_A], signedUrls: 'derivatives' }],
]

let warm: TestCrossport
let cold: TestCrossport
let known: Known

beforeAll(async () => {
  const photo = await sharp({ create: { width: 320, height: 200, channels: 3, background: { r: 200, g: 30, b: 60 } } }).jpeg().toBuffer()
  warm = await startTestCrossport({
    env: { FILE_CACHE_TTL_MS: '600000', URL_SIGNING_KEYS: SIGNING_KEYS },
    assets: {
      'public/app.css': css,
      'public/site.css': css,
      'public/site.css.br': brotliCompressSync(css),
      'public/site.css.gz': gzipSync(css),
      'public/only-gz.css': css,
      'public/only-gz.css.gz': gzipSync(css),
      'public/app.3f9a2c1b.js': 'console.log(1)\n',
      'public/logo.svg': SVG,
      'public/photo.jpg': photo,
      'public/empty.txt': '',
      'public/big.bin': big,
      'public/.env': 'SECRET=1',
      'private/app.css': css,
      'private/photo.jpg': photo,
      'open/app.css': css,
      'creds/app.css': css,
      'strict/app.css': css,
      'strict/photo.jpg': photo,
      'pna/app.css': css,
      'paid/doc.txt': 'members only\n',
      'deriv/a.jpg': photo,
      'deriv/doc.txt': 'anyone\n',
      'root.css': css,
    },
  })
  const folders = new FolderRepo(warm.running.context.db)
  for (const [path, overrides] of FOLDERS) await folders.create(path, policy(overrides))
  await warm.running.context.policies.invalidate()
  // Same store, database and derivative folder; nothing kept in memory.
  cold = await startTestCrossport({
    env: {
      ASSETS_DIR: warm.assetsDir,
      DATABASE_PATH: warm.databasePath,
      CACHE_DIR: warm.cacheDir,
      FILE_CACHE_TTL_MS: '0',
      MEMORY_CACHE_FILE_BYTES: '0',
      MEMORY_CACHE_BYTES: '0',
      URL_SIGNING_KEYS: SIGNING_KEYS,
    },
  })

  const keyring = (parseSigningKeys(SIGNING_KEYS) as { keyring: SigningKeyring }).keyring
  const expires = Math.floor(Date.now() / 1000) + 3600
  const head = (path: string, headers: Record<string, string> = {}) => send(cold.publicUrl, path, 'HEAD', headers)
  const plain = await head('/public/app.css')
  known = {
    cssEtag: String(plain.headers.etag),
    lastModified: String(plain.headers['last-modified']),
    cssBrEtag: String((await head('/public/site.css', { 'accept-encoding': 'br' })).headers.etag),
    derivativeEtag: String((await head('/private/photo.jpg?w=64', origin(SITE_A))).headers.etag),
    signed: (path, query = []) => `${path}?${signQuery(keyring, path, query, expires).query}`,
  }
})

afterAll(async () => {
  await cold?.close()
  await warm?.close()
})

describe('the public pipeline, cold and warm', () => {
  it('gives every scenario the same status, headers and body from memory as from the disk, and the status it names', async () => {
    await runTable(warm.publicUrl, known)
    await runTable(warm.publicUrl, known)
    const fromMemory = await runTable(warm.publicUrl, known)
    const fromDisk = await runTable(cold.publicUrl, known)
    for (let i = 0; i < SCENARIOS.length; i++) {
      const scenario = SCENARIOS[i] as Scenario
      expect(fromMemory[i]).toEqual(fromDisk[i])
      expect([scenario.name, fromDisk[i]?.status]).toEqual([scenario.name, scenario.status])
    }
  })

  it('compared memory with disk: a file changed behind the servers’ backs is new only on the cold one', async () => {
    writeFileSync(join(warm.assetsDir, 'root.css'), 'changed {}\n')
    expect((await send(cold.publicUrl, '/root.css', 'GET', {})).body.toString()).toBe('changed {}\n')
    expect((await send(warm.publicUrl, '/root.css', 'GET', {})).body).toEqual(css)
  })
})
