/**
 * Static delivery on the public listener: ranges, conditionals, precompressed
 * siblings, media types, caching headers, path safety. Raw `node:http`
 * requests, so bodies are byte-exact and nothing is decoded or added. Run on
 * both stores: the wire is the same whether the bytes are files or objects.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliCompressSync, gzipSync } from 'node:zlib'
import { describeEachStore, type StoreCrossport } from '../helpers/each-store'

interface RawResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

function send(base: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end()
  })
}

// A file whose every byte is known: byte i = i mod 251 (a prime, so ranges never line up by accident).
const BIG_SIZE = 3 * 1024 * 1024 + 17
const big = Buffer.alloc(BIG_SIZE)
for (let i = 0; i < BIG_SIZE; i++) big[i] = i % 251
const css = Buffer.from('body { color: #123456; }\n'.repeat(40))
const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

describeEachStore('static delivery', (store) => {
  let cp: StoreCrossport
  let get: (path: string, headers?: Record<string, string>) => Promise<RawResponse>

  beforeAll(async () => {
    cp = await store.start({
      env: { FILE_CACHE_TTL_MS: '60000', MEMORY_CACHE_FILE_BYTES: String(256 * 1024) },
      assets: {
        'video/big.mp4': big,
        'css/site.css': css,
        'css/site.css.br': brotliCompressSync(css),
        'css/site.css.gz': gzipSync(css),
        'css/only-gz.css': css,
        'css/only-gz.css.gz': gzipSync(css),
        'img/logo.svg': svg,
        'js/app.3f9a2c1b.js': 'console.log(1)\n',
        'js/app.js': 'console.log(2)\n',
        'empty.txt': '',
        '.env': 'SECRET=1',
        'dir/.hidden/file.txt': 'hidden',
        'sub/inner.txt': 'inside',
      },
    })
    get = (path, headers = {}) => send(cp.publicUrl, path, { headers })
  })

  afterAll(() => cp.close())

  describe('GET of a plain asset', () => {
    it('answers 200 with the bytes, a strong ETag, Last-Modified, Accept-Ranges and nosniff', async () => {
      const res = await get('/video/big.mp4')
      expect(res.status).toBe(200)
      expect(res.body.equals(big)).toBe(true)
      expect(res.headers['content-length']).toBe(String(BIG_SIZE))
      if (store.kind === 'fs') {
        expect(res.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/)
        expect(res.headers.etag?.startsWith(`"${BIG_SIZE.toString(16)}-`)).toBe(true)
      } else {
        // The object's own ETag: the MD5 of its bytes (of its parts' MD5s after a multipart upload).
        expect(res.headers.etag).toMatch(/^"[0-9a-f]{32}(-\d+)?"$/)
      }
      expect(res.headers['last-modified']).toMatch(/GMT$/)
      expect(res.headers['accept-ranges']).toBe('bytes')
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['content-type']).toBe('video/mp4')
    })

    it('answers an empty file with 200 and Content-Length 0', async () => {
      const res = await get('/empty.txt')
      expect(res.status).toBe(200)
      expect(res.headers['content-length']).toBe('0')
      expect(res.body.length).toBe(0)
    })

    it('answers HEAD with exactly the headers of GET and no body', async () => {
      for (const path of ['/video/big.mp4', '/css/site.css', '/img/logo.svg']) {
        const g = await get(path)
        const h = await send(cp.publicUrl, path, { method: 'HEAD' })
        expect(h.status).toBe(200)
        expect(h.body.length).toBe(0)
        const { date: _gd, connection: _gc, 'keep-alive': _gk, ...getHeaders } = g.headers
        const { date: _hd, connection: _hc, 'keep-alive': _hk, ...headHeaders } = h.headers
        expect(headHeaders).toEqual(getHeaders)
      }
    })
  })

  describe('GET with Range', () => {
    it.each([
      ['start', 'bytes=0-99', 0, 99],
      ['middle', 'bytes=1000000-1999999', 1000000, 1999999],
      ['end', `bytes=${BIG_SIZE - 1000}-${BIG_SIZE - 1}`, BIG_SIZE - 1000, BIG_SIZE - 1],
      ['suffix', 'bytes=-500', BIG_SIZE - 500, BIG_SIZE - 1],
      ['open', `bytes=${BIG_SIZE - 1234}-`, BIG_SIZE - 1234, BIG_SIZE - 1],
      ['past the end (clamped)', `bytes=${BIG_SIZE - 10}-${BIG_SIZE + 1000}`, BIG_SIZE - 10, BIG_SIZE - 1],
    ])('answers 206 with the exact bytes for a range at the %s', async (_where, range, start, end) => {
      const res = await get('/video/big.mp4', { range })
      expect(res.status).toBe(206)
      expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${BIG_SIZE}`)
      expect(res.headers['content-length']).toBe(String(end - start + 1))
      expect(res.body.equals(big.subarray(start, end + 1))).toBe(true)
    })

    it('serves ranges of small in-memory files byte-exactly too', async () => {
      await get('/css/site.css')
      const res = await get('/css/site.css', { range: 'bytes=10-19' })
      expect(res.status).toBe(206)
      expect(res.body.equals(css.subarray(10, 20))).toBe(true)
    })

    it('answers 416 with bytes */size when the range starts past the end', async () => {
      const res = await get('/video/big.mp4', { range: `bytes=${BIG_SIZE}-` })
      expect(res.status).toBe(416)
      expect(res.headers['content-range']).toBe(`bytes */${BIG_SIZE}`)
      expect(res.body.length).toBe(0)
    })

    it('ignores a malformed Range and answers the full 200', async () => {
      for (const range of ['bytes=abc', 'bytes=50-10', 'pages=1-2']) {
        const res = await get('/css/site.css', { range })
        expect(res.status).toBe(200)
        expect(res.body.equals(css)).toBe(true)
      }
    })

    it('answers several disjoint ranges with the full 200 (no multipart/byteranges)', async () => {
      const res = await get('/video/big.mp4', { range: 'bytes=0-9,100-109' })
      expect(res.status).toBe(200)
      expect(res.headers['content-range']).toBeUndefined()
      expect(res.body.length).toBe(BIG_SIZE)
    })

    it('merges overlapping ranges into one 206', async () => {
      const res = await get('/video/big.mp4', { range: 'bytes=0-9,5-19' })
      expect(res.status).toBe(206)
      expect(res.headers['content-range']).toBe(`bytes 0-19/${BIG_SIZE}`)
      expect(res.body.equals(big.subarray(0, 20))).toBe(true)
    })

    describe('If-Range', () => {
      it('answers 206 when it names the current ETag', async () => {
        const { headers } = await send(cp.publicUrl, '/video/big.mp4', { method: 'HEAD' })
        const res = await get('/video/big.mp4', { range: 'bytes=0-9', 'if-range': headers.etag as string })
        expect(res.status).toBe(206)
      })

      it('answers 206 when it carries the exact Last-Modified date', async () => {
        const { headers } = await send(cp.publicUrl, '/video/big.mp4', { method: 'HEAD' })
        const res = await get('/video/big.mp4', { range: 'bytes=0-9', 'if-range': headers['last-modified'] as string })
        expect(res.status).toBe(206)
      })

      it('answers the full 200 when it names another version', async () => {
        const res = await get('/video/big.mp4', { range: 'bytes=0-9', 'if-range': '"0-0"' })
        expect(res.status).toBe(200)
        expect(res.body.length).toBe(BIG_SIZE)
      })

      it('answers the full 200 for an older date', async () => {
        const res = await get('/video/big.mp4', { range: 'bytes=0-9', 'if-range': 'Tue, 15 Nov 1994 12:45:26 GMT' })
        expect(res.status).toBe(200)
      })
    })
  })

  describe('conditional GET', () => {
    let etag: string
    let lastModified: string
    beforeAll(async () => {
      const res = await get('/css/site.css')
      etag = res.headers.etag as string
      lastModified = res.headers['last-modified'] as string
    })

    it('answers 304 without a body to a matching If-None-Match, keeping ETag and Cache-Control', async () => {
      const res = await get('/css/site.css', { 'if-none-match': etag })
      expect(res.status).toBe(304)
      expect(res.body.length).toBe(0)
      expect(res.headers.etag).toBe(etag)
      expect(res.headers['cache-control']).toBeDefined()
      expect(res.headers['content-length']).toBeUndefined()
    })

    it('answers 304 to a weak form of the ETag in If-None-Match', async () => {
      expect((await get('/css/site.css', { 'if-none-match': `"x", W/${etag}` })).status).toBe(304)
    })

    it('answers 304 to If-Modified-Since at Last-Modified', async () => {
      expect((await get('/css/site.css', { 'if-modified-since': lastModified })).status).toBe(304)
    })

    it('ignores If-Modified-Since when If-None-Match does not match', async () => {
      expect((await get('/css/site.css', { 'if-none-match': '"other"', 'if-modified-since': lastModified })).status).toBe(200)
    })

    it('answers 412 when If-Match names another version, even with a matching If-None-Match', async () => {
      const res = await get('/css/site.css', { 'if-match': '"other"', 'if-none-match': etag })
      expect(res.status).toBe(412)
      expect(res.headers.etag).toBe(etag)
      expect(res.body.length).toBe(0)
    })

    it('answers 412 when modified after If-Unmodified-Since', async () => {
      expect((await get('/css/site.css', { 'if-unmodified-since': 'Tue, 15 Nov 1994 12:45:26 GMT' })).status).toBe(412)
    })

    it('answers 200 when If-Match holds the current ETag', async () => {
      expect((await get('/css/site.css', { 'if-match': etag })).status).toBe(200)
    })

    it('answers 304 rather than 206 when a Range request is also not modified', async () => {
      expect((await get('/css/site.css', { 'if-none-match': etag, range: 'bytes=0-1' })).status).toBe(304)
    })
  })

  describe('precompressed siblings', () => {
    it('prefers br, with Content-Encoding, Vary: Accept-Encoding and its own ETag', async () => {
      const identity = await get('/css/site.css')
      const br = await get('/css/site.css', { 'accept-encoding': 'gzip, deflate, br' })
      expect(br.headers['content-encoding']).toBe('br')
      expect(br.body.equals(brotliCompressSync(css))).toBe(true)
      expect(br.headers['content-type']).toBe('text/css; charset=utf-8')
      expect(br.headers.vary).toMatch(/Accept-Encoding/)
      expect(identity.headers.vary).toMatch(/Accept-Encoding/)
      expect(br.headers.etag).not.toBe(identity.headers.etag)
      expect(br.headers.etag).toMatch(/-br"$/)
    })

    it('follows q-values: gzip when br is less wanted', async () => {
      const res = await get('/css/site.css', { 'accept-encoding': 'br;q=0.5, gzip;q=0.9' })
      expect(res.headers['content-encoding']).toBe('gzip')
      expect(res.headers.etag).toMatch(/-gzip"$/)
      expect(res.body.equals(gzipSync(css))).toBe(true)
    })

    it('never sends a coding refused with q=0', async () => {
      const res = await get('/css/site.css', { 'accept-encoding': 'br;q=0, gzip;q=0' })
      expect(res.headers['content-encoding']).toBeUndefined()
      expect(res.body.equals(css)).toBe(true)
    })

    it('sends identity when identity is preferred', async () => {
      const res = await get('/css/site.css', { 'accept-encoding': 'identity, br;q=0.5' })
      expect(res.headers['content-encoding']).toBeUndefined()
    })

    it('sends gzip when it is the only sibling', async () => {
      const res = await get('/css/only-gz.css', { 'accept-encoding': 'br, gzip' })
      expect(res.headers['content-encoding']).toBe('gzip')
    })

    it('serves Range requests from the identity bytes', async () => {
      const res = await get('/css/site.css', { 'accept-encoding': 'br', range: 'bytes=0-9' })
      expect(res.status).toBe(206)
      expect(res.headers['content-encoding']).toBeUndefined()
      expect(res.headers.vary).toMatch(/Accept-Encoding/)
      expect(res.body.equals(css.subarray(0, 10))).toBe(true)
    })

    it('answers 304 to the encoded ETag for the same encoding', async () => {
      const br = await get('/css/site.css', { 'accept-encoding': 'br' })
      const res = await get('/css/site.css', { 'accept-encoding': 'br', 'if-none-match': br.headers.etag as string })
      expect(res.status).toBe(304)
      expect(res.headers.vary).toMatch(/Accept-Encoding/)
    })

    it('does not add Vary: Accept-Encoding to a file without siblings', async () => {
      const res = await get('/js/app.js', { 'accept-encoding': 'br' })
      expect(res.headers.vary ?? '').not.toMatch(/Accept-Encoding/)
    })

    it('ignores a sibling older than the file it stands for', async () => {
      await cp.putFixture('stale/app.css.br', brotliCompressSync(Buffer.from('an older version')))
      // S3 keeps Last-Modified in whole seconds: the newer file must land in a later second.
      await new Promise((resolve) => setTimeout(resolve, 1050 - (Date.now() % 1000)))
      await cp.putFixture('stale/app.css', css)
      const res = await get('/stale/app.css', { 'accept-encoding': 'br' })
      expect(res.headers['content-encoding']).toBeUndefined()
      expect(res.body.equals(css)).toBe(true)
    })

    it('serves a sibling requested by its own name', async () => {
      const res = await get('/css/site.css.gz')
      expect(res.status).toBe(200)
      expect(res.body.equals(gzipSync(css))).toBe(true)
    })
  })

  describe('media types and caching headers', () => {
    const types: Array<[string, string]> = [
      ['a.css', 'text/css; charset=utf-8'],
      ['a.js', 'text/javascript; charset=utf-8'],
      ['a.mjs', 'text/javascript; charset=utf-8'],
      ['a.json', 'application/json; charset=utf-8'],
      ['a.png', 'image/png'],
      ['a.jpg', 'image/jpeg'],
      ['a.gif', 'image/gif'],
      ['a.webp', 'image/webp'],
      ['a.avif', 'image/avif'],
      ['a.ico', 'image/vnd.microsoft.icon'],
      ['a.woff', 'font/woff'],
      ['a.woff2', 'font/woff2'],
      ['a.ttf', 'font/ttf'],
      ['a.otf', 'font/otf'],
      ['a.mp4', 'video/mp4'],
      ['a.webm', 'video/webm'],
      ['a.ogg', 'audio/ogg'],
      ['a.mp3', 'audio/mpeg'],
      ['a.m4a', 'audio/mp4'],
      ['a.wasm', 'application/wasm'],
      ['a.m3u8', 'application/vnd.apple.mpegurl; charset=utf-8'],
      ['a.ts', 'video/mp2t'],
      ['a.mpd', 'application/dash+xml; charset=utf-8'],
      ['a.m4s', 'video/iso.segment'],
      ['a.vtt', 'text/vtt; charset=utf-8'],
      ['a.html', 'text/html; charset=utf-8'],
      ['a.txt', 'text/plain; charset=utf-8'],
      ['a.bin-unknown', 'application/octet-stream'],
    ]
    beforeAll(async () => {
      await Promise.all(types.map(([name]) => cp.putFixture(`types/${name}`, 'x')))
    })

    it.each(types)('serves %s as %s', async (name, type) => {
      const res = await get(`/types/${name}`)
      expect(res.status).toBe(200)
      expect(res.headers['content-type']).toBe(type)
    })

    it('gives SVG a sandboxing Content-Security-Policy', async () => {
      const res = await get('/img/logo.svg')
      expect(res.headers['content-type']).toBe('image/svg+xml; charset=utf-8')
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'; sandbox")
    })

    it('caches fingerprinted names for a year, immutable', async () => {
      expect((await get('/js/app.3f9a2c1b.js')).headers['cache-control']).toBe('public, max-age=31536000, immutable')
    })

    it('uses the folder policy Cache-Control for other names', async () => {
      expect((await get('/js/app.js')).headers['cache-control']).toBe('public, max-age=3600')
    })
  })

  describe('request safety', () => {
    it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('answers %s with 405 and Allow', async (method) => {
      const res = await send(cp.publicUrl, '/css/site.css', { method })
      expect(res.status).toBe(405)
      expect(res.headers.allow).toBe('GET, HEAD, OPTIONS')
    })

    it('answers CONNECT with 405 and Allow instead of dropping the connection', async () => {
      const { port } = new URL(cp.publicUrl)
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'))
        let data = ''
        socket.on('data', (chunk) => (data += chunk.toString('latin1')))
        socket.on('close', () => resolve(data))
        socket.on('error', reject)
      })
      expect(answer).toMatch(/^HTTP\/1\.1 405 /)
      expect(answer).toMatch(/\r\nAllow: GET, HEAD, OPTIONS\r\n/)
    })

    it.each([
      ['/../etc/passwd', 400],
      ['/css/../../etc/passwd', 400],
      ['/%2e%2e/etc/passwd', 400],
      ['/css/%2E%2E/%2E%2E/etc/passwd', 400],
      ['/css%2F..%2F..%2Fetc%2Fpasswd', 400],
      ['/css/site.css%00.png', 400],
      ['/css%5C..%5Csite.css', 400],
      ['/css\\..\\site.css', 400],
      ['/%zz', 400],
      ['/.env', 404],
      ['/dir/.hidden/file.txt', 404],
      ['/%2eenv', 404],
      ['/css/', 404],
      ['/css', 404],
      ['/', 404],
      ['/nope.css', 404],
    ])('refuses %s with %i and never serves it', async (path, status) => {
      const res = await get(path)
      expect(res.status).toBe(status)
      expect(res.body.toString()).not.toMatch(/secret|SECRET|root:/)
    })

    it('answers 404s with nosniff and no-cache', async () => {
      const res = await get('/nope.css')
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['cache-control']).toBe('no-cache')
    })
  })

  describe('changes to the store', () => {
    it('serves a new version at once after asset-changed, despite the stat cache', async () => {
      await cp.putFixture('live/a.txt', 'one')
      expect((await get('/live/a.txt')).body.toString()).toBe('one')
      await cp.putFixture('live/a.txt', 'second')
      cp.running.context.events.emit('asset-changed', '/live/a.txt')
      const res = await get('/live/a.txt')
      expect(res.body.toString()).toBe('second')
    })

    it('answers 404, not 500, when a cached large file was deleted before it is opened', async () => {
      await cp.putFixture('live/gone.bin', Buffer.alloc(512 * 1024, 7))
      expect((await send(cp.publicUrl, '/live/gone.bin', { method: 'HEAD' })).status).toBe(200)
      await cp.removeFixture('live/gone.bin')
      const res = await get('/live/gone.bin')
      expect(res.status).toBe(404)
      expect((await get('/live/gone.bin')).status).toBe(404)
    })

    it('serves a file uploaded after its 404 once asset-changed is emitted', async () => {
      expect((await get('/live/later.txt')).status).toBe(404)
      await cp.putFixture('live/later.txt', 'here')
      cp.running.context.events.emit('asset-changed', '/live/later.txt')
      expect((await get('/live/later.txt')).status).toBe(200)
    })
  })

  if (store.kind === 'fs') {
    describe('symlinks (file store only)', () => {
      let outside: string
      beforeAll(() => {
        outside = mkdtempSync(join(tmpdir(), 'crossport-outside-'))
        writeFileSync(join(outside, 'secret.txt'), 'top secret')
        symlinkSync(join(outside, 'secret.txt'), join(cp.assetsDir, 'leak.txt'))
        symlinkSync(outside, join(cp.assetsDir, 'leakdir'))
        symlinkSync(join(cp.assetsDir, 'sub', 'inner.txt'), join(cp.assetsDir, 'alias.txt'))
      })
      afterAll(() => rmSync(outside, { recursive: true, force: true }))

      it.each(['/leak.txt', '/leakdir/secret.txt'])('refuses %s, a link out of the store, with 404 and never serves it', async (path) => {
        const res = await get(path)
        expect(res.status).toBe(404)
        expect(res.body.toString()).not.toMatch(/secret/)
      })

      it('serves a symlink whose target stays inside the store', async () => {
        const res = await get('/alias.txt')
        expect(res.status).toBe(200)
        expect(res.body.toString()).toBe('inside')
      })
    })
  }
})
