import { contentTypeFor, isSvgPath } from '../../../src/http/media-type'

describe('contentTypeFor(path)', () => {
  it.each([
    ['/a/site.css', 'text/css; charset=utf-8'],
    ['/a/app.js', 'text/javascript; charset=utf-8'],
    ['/a/mod.mjs', 'text/javascript; charset=utf-8'],
    ['/a/data.json', 'application/json; charset=utf-8'],
    ['/a/logo.svg', 'image/svg+xml; charset=utf-8'],
    ['/a/p.png', 'image/png'],
    ['/a/p.jpg', 'image/jpeg'],
    ['/a/p.JPEG', 'image/jpeg'],
    ['/a/p.gif', 'image/gif'],
    ['/a/p.webp', 'image/webp'],
    ['/a/p.avif', 'image/avif'],
    ['/favicon.ico', 'image/vnd.microsoft.icon'],
    ['/f/a.woff', 'font/woff'],
    ['/f/a.woff2', 'font/woff2'],
    ['/f/a.ttf', 'font/ttf'],
    ['/f/a.otf', 'font/otf'],
    ['/v/a.mp4', 'video/mp4'],
    ['/v/a.webm', 'video/webm'],
    ['/v/a.ogg', 'audio/ogg'],
    ['/v/a.mp3', 'audio/mpeg'],
    ['/v/a.m4a', 'audio/mp4'],
    ['/w/a.wasm', 'application/wasm'],
    ['/hls/index.m3u8', 'application/vnd.apple.mpegurl; charset=utf-8'],
    ['/hls/seg0.ts', 'video/mp2t'],
    ['/dash/manifest.mpd', 'application/dash+xml; charset=utf-8'],
    ['/dash/seg1.m4s', 'video/iso.segment'],
    ['/v/subs.vtt', 'text/vtt; charset=utf-8'],
    ['/index.html', 'text/html; charset=utf-8'],
    ['/robots.txt', 'text/plain; charset=utf-8'],
    ['/a/blob.unknownext', 'application/octet-stream'],
    ['/a/README', 'application/octet-stream'],
    ['/a.dir/README', 'application/octet-stream'],
  ])('%s → %s', (path, type) => {
    expect(contentTypeFor(path)).toBe(type)
  })
})

describe('isSvgPath(path)', () => {
  it.each([
    ['/a/logo.svg', true],
    ['/a/LOGO.SVG', true],
    ['/a/logo.svgz', true],
    ['/a/logo.svg.gz', true],
    ['/a/logo.svg.br', true],
    ['/a/logo.svg.png', false],
    ['/a/logo.png.gz', false],
    ['/a/svg', false],
    ['/a.svg/readme.txt', false],
  ])('%s → %s', (path, expected) => {
    expect(isSvgPath(path)).toBe(expected)
  })
})
