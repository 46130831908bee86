import { isFingerprinted } from '../../../src/http/fingerprint'

describe('isFingerprinted(path)', () => {
  it.each([
    '/app.3f9a2c1b.js',
    '/img/logo-8d3e1f0a.png',
    '/chunk.a1b2c3d4e5f6.css',
    '/x/main.dead0beef.js',
    '/x/vendor-k3j9x2q7.js',
    '/x/font.0123456789abcdef0123.woff2',
  ])('treats %s as fingerprinted', (path) => {
    expect(isFingerprinted(path)).toBe(true)
  })

  it.each([
    '/app.js',
    '/bootstrap-datepicker.js',
    '/site.stylesheet.css',
    '/a/3f9a2c1b.js',
    '/app.3f9a2c1.js',
    '/app.3f9a2c1b',
    '/app_3f9a2c1b.js',
    '/3f9a2c1b/app.js',
    '/x/report-20240101.pdf',
    '/x/intro-feedface.mp4',
    '/x/main.deadbeef.js',
  ])('does not treat %s as fingerprinted', (path) => {
    expect(isFingerprinted(path)).toBe(false)
  })
})
