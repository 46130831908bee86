import { MAX_PATH_BYTES, parseSafePath } from '../../../src/http/safe-path'

describe('parseSafePath(rawPath)', () => {
  it.each([
    ['/', '/'],
    ['/brand/', '/brand/'],
    ['/brand/logo.png', '/brand/logo.png'],
    ['/a/b/c/app.3f9a2c1b.js', '/a/b/c/app.3f9a2c1b.js'],
    ['/brand/a%20b.png', '/brand/a b.png'],
    ['/brand/%C3%BC.css', '/brand/ü.css'],
    ['/brand/logo%2Epng', '/brand/logo.png'],
    ['/v1.2/x', '/v1.2/x'],
  ])('accepts %s as %s', (raw, path) => {
    expect(parseSafePath(raw)).toEqual({ ok: true, path })
  })

  it.each([
    ['brand/logo.png', 400],
    ['/brand\\logo.png', 400],
    ['/brand/%5Clogo.png', 400],
    ['/brand/%2Flogo.png', 400],
    ['/brand/%zz', 400],
    ['/brand/%00.png', 400],
    ['/brand//logo.png', 400],
    ['/brand/../etc/passwd', 400],
    ['/brand/%2e%2e/etc/passwd', 400],
    ['/brand/./logo.png', 400],
    ['/.env', 404],
    ['/brand/.git/config', 404],
    ['/%2eenv', 404],
    ['/' + 'a'.repeat(256), 414],
    ['/' + 'a/'.repeat(MAX_PATH_BYTES), 414],
  ])('refuses %s with %d', (raw, status) => {
    expect(parseSafePath(raw)).toMatchObject({ ok: false, status })
  })

  it('gives plain paths the same answer as their percent-encoded spelling (the decoding path)', () => {
    const alphabet = 'abcXYZ019._~-'
    let seed = 7
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    for (let i = 0; i < 500; i++) {
      const segments = Array.from({ length: 1 + random(4) }, () =>
        Array.from({ length: 1 + random(12) }, () => alphabet[random(alphabet.length)]).join(''),
      )
      const plain = '/' + segments.join('/') + (random(2) ? '/' : '')
      // Encode the last character of the last segment: same path, but it must be decoded.
      const at = plain.endsWith('/') ? plain.length - 2 : plain.length - 1
      const encoded = plain.slice(0, at) + '%' + plain.charCodeAt(at).toString(16).padStart(2, '0') + plain.slice(at + 1)
      expect(parseSafePath(plain)).toEqual(parseSafePath(encoded))
    }
  })
})
