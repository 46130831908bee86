import { expectedKind, sniffMismatch, type SniffKind } from '../../../src/store/magic'

const hex = (text: string) => Buffer.from(text.replace(/ /g, ''), 'hex')
const ascii = (text: string) => Buffer.from(text, 'latin1')
/** An ISO BMFF `ftyp` box: size, 'ftyp', major brand, minor version, compatible brands. */
const ftyp = (major: string, ...compatible: string[]) => {
  const size = 16 + 4 * compatible.length
  const box = Buffer.alloc(size)
  box.writeUInt32BE(size, 0)
  box.write('ftyp', 4, 'latin1')
  box.write(major, 8, 'latin1')
  compatible.forEach((brand, i) => box.write(brand, 16 + 4 * i, 'latin1'))
  return box
}

describe('expectedKind(path, declaredType)', () => {
  it.each([
    ['/brand/logo.png', undefined, 'png'],
    ['/brand/LOGO.JPG', undefined, 'jpeg'],
    ['/a/photo.jpeg', 'text/plain', 'jpeg'],
    ['/v/clip.mp4', undefined, 'mp4'],
    ['/v/clip.mov', undefined, 'quicktime'],
    ['/v/clip.webm', undefined, 'matroska'],
    ['/a/track.ogg', undefined, 'ogg'],
    ['/f/inter.woff2', undefined, 'woff2'],
    ['/f/inter.woff', undefined, 'woff'],
    ['/f/inter.ttf', undefined, 'sfnt'],
    ['/f/inter.otf', undefined, 'sfnt'],
    ['/app/module.wasm', undefined, 'wasm'],
    ['/favicon.ico', undefined, 'ico'],
    ['/img/hero.avif', undefined, 'avif'],
  ] as const)('%s (declared %s) must be %s', (path, declared, kind) => {
    expect(expectedKind(path, declared)).toBe(kind)
  })

  it('falls back to the declared media type when the name has no checked extension', () => {
    expect(expectedKind('/brand/logo', 'image/png')).toBe('png')
    expect(expectedKind('/brand/logo.bin', 'Image/WebP; q=1')).toBe('webp')
  })

  it('checks nothing for text formats and unknown names', () => {
    expect(expectedKind('/brand/logo.svg', 'image/svg+xml')).toBeUndefined()
    expect(expectedKind('/app.js', 'text/javascript')).toBeUndefined()
    expect(expectedKind('/data', undefined)).toBeUndefined()
    expect(expectedKind('/folder.png/readme', undefined)).toBeUndefined()
  })
})

describe('sniffMismatch(kind, head)', () => {
  const matching: ReadonlyArray<[SniffKind, Buffer]> = [
    ['png', hex('89 50 4e 47 0d 0a 1a 0a 00 00 00 0d 49 48 44 52')],
    ['jpeg', hex('ff d8 ff e0 00 10 4a 46 49 46')],
    ['gif', ascii('GIF89a\x01\x00\x01\x00')],
    ['gif', ascii('GIF87a\x01\x00\x01\x00')],
    ['webp', Buffer.concat([ascii('RIFF'), hex('24 00 00 00'), ascii('WEBPVP8 ')])],
    ['avif', ftyp('avif', 'mif1', 'miaf')],
    ['avif', ftyp('mif1', 'avif', 'miaf')],
    ['ico', hex('00 00 01 00 01 00 10 10')],
    ['mp4', ftyp('isom', 'isom', 'iso2', 'mp41')],
    ['mp4', ftyp('M4A ', 'M4A ', 'mp42')],
    ['quicktime', ftyp('qt  ', 'qt  ')],
    ['quicktime', Buffer.concat([hex('00 00 00 08'), ascii('wide')])],
    ['matroska', hex('1a 45 df a3 9f 42 86 81 01')],
    ['ogg', ascii('OggS\x00\x02')],
    ['mp3', ascii('ID3\x04\x00')],
    ['mp3', hex('ff fb 90 64')],
    ['woff', ascii('wOFF\x00\x01\x00\x00')],
    ['woff2', ascii('wOF2\x00\x01\x00\x00')],
    ['sfnt', hex('00 01 00 00 00 12 01 00')],
    ['sfnt', ascii('OTTO\x00\x0c')],
    ['wasm', hex('00 61 73 6d 01 00 00 00')],
  ]
  it.each(matching)('accepts a real %s signature', (kind, head) => {
    expect(sniffMismatch(kind, head)).toBeUndefined()
  })

  const mismatching: ReadonlyArray<[SniffKind, Buffer]> = [
    ['png', ascii('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['png', hex('ff d8 ff e0 00 10')],
    ['png', hex('89 50 4e 47')],
    ['jpeg', hex('89 50 4e 47 0d 0a 1a 0a')],
    ['webp', Buffer.concat([ascii('RIFF'), hex('24 00 00 00'), ascii('WAVEfmt ')])],
    ['avif', ftyp('isom', 'mp41')],
    ['mp4', ascii('<html><body>not a video')],
    ['matroska', ascii('OggS\x00\x02')],
    ['woff2', ascii('wOFF\x00\x01\x00\x00')],
    ['sfnt', ascii('<!doctype html>')],
    ['wasm', ascii('console.log(1)')],
  ]
  it.each(mismatching)('refuses a %s that starts with other bytes', (kind, head) => {
    expect(sniffMismatch(kind, head)).toMatch(/^expected .+, but its first bytes are [0-9a-f ]+$/)
  })

  it('refuses an empty body for a binary format, saying it is empty', () => {
    expect(sniffMismatch('png', Buffer.alloc(0))).toBe('expected a PNG image, but the body is empty')
  })

  it('does not read past a truncated ftyp box', () => {
    expect(sniffMismatch('avif', hex('00 00 00 20 66 74 79 70'))).toMatch(/^expected an AVIF image/)
  })
})
