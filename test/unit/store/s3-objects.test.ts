import { isAssetPath, KeyMap, storedFileOf, xmlElements, xmlValue } from '../../../src/store/s3/objects'

describe('S3 keys and object metadata', () => {
  it('maps asset paths to keys under S3_PREFIX and back', () => {
    const keys = new KeyMap('site-a/')
    expect(keys.keyFor('/brand/logo.png')).toBe('site-a/brand/logo.png')
    expect(keys.pathOf('site-a/brand/logo.png')).toBe('/brand/logo.png')
    expect(new KeyMap('').keyFor('/a.txt')).toBe('a.txt')
  })

  it('never maps a key of another prefix, a dotfile or an empty segment to an asset', () => {
    const keys = new KeyMap('site-a/')
    for (const key of ['site-b/x.txt', 'site-a/.env', 'site-a/a//b.txt', 'site-a/dir/.git/config', 'site-a/']) expect(keys.pathOf(key)).toBeUndefined()
  })

  it('refuses paths no asset can have on the admin side, and misses them on the public side', () => {
    const keys = new KeyMap('')
    for (const path of ['/', '/a/../b', '/.hidden', 'no-slash']) {
      expect(isAssetPath(path)).toBe(false)
      expect(() => keys.keyFor(path)).toThrow(expect.objectContaining({ code: 'INVALID_ASSET_PATH' }))
      expect(keys.publicKeyFor(path)).toBeUndefined()
    }
  })

  it('describes a HEAD answer with the object ETag as revision and strong ETag, mtime in whole seconds', () => {
    const file = storedFileOf('/a.txt', 'a.txt', { 'content-length': '5', etag: '"5d41402abc4b2a76b9719d911017c592"', 'last-modified': 'Sat, 05 Dec 2026 18:34:05 GMT' })
    expect(file).toEqual({
      path: '/a.txt',
      key: 'a.txt',
      sizeBytes: 5,
      mtimeMs: Date.parse('2026-12-05T18:34:05Z'),
      revision: '5d41402abc4b2a76b9719d911017c592',
      etag: '"5d41402abc4b2a76b9719d911017c592"',
    })
  })

  it('takes the total size of a ranged GET from Content-Range', () => {
    expect(storedFileOf('/v.mp4', 'v.mp4', { 'content-length': '2', 'content-range': 'bytes 1-2/5000', etag: '"x-2"' }).sizeBytes).toBe(5000)
  })

  it('reads listing XML with entities decoded', () => {
    const xml = '<R><Contents><Key>a&amp;b &lt;1&gt;.txt</Key></Contents><Contents><Key>c&#x27;d.txt</Key></Contents><IsTruncated>false</IsTruncated></R>'
    expect(xmlElements(xml, 'Contents').map((raw) => xmlValue(raw, 'Key'))).toEqual(['a&b <1>.txt', "c'd.txt"])
    expect(xmlValue(xml, 'IsTruncated')).toBe('false')
    expect(xmlValue(xml, 'Missing')).toBeUndefined()
  })
})
