import { formatEtag, withCoding } from '../../../src/http/etag'

describe('withCoding', () => {
  it('leaves the identity ETag as the store gave it', () => {
    expect(withCoding('"5f-18c3a"', undefined)).toBe('"5f-18c3a"')
    expect(withCoding('"d41d8cd98f00b204e9800998ecf8427e"', undefined)).toBe('"d41d8cd98f00b204e9800998ecf8427e"')
  })

  it('appends the coding inside the quotes, so a sibling never shares the identity ETag', () => {
    expect(withCoding('"d41d8cd98f00b204e9800998ecf8427e"', 'br')).toBe('"d41d8cd98f00b204e9800998ecf8427e-br"')
    expect(withCoding('"9b2cf535f27731c974343645a3985328-3"', 'gzip')).toBe('"9b2cf535f27731c974343645a3985328-3-gzip"')
  })

  it('gives a file-system sibling exactly the ETag it had before (size, mtime, coding)', () => {
    expect(withCoding(formatEtag(1234, 1_700_000_000_123), 'br')).toBe(formatEtag(1234, 1_700_000_000_123, 'br'))
    expect(withCoding(formatEtag(1, 2), 'gzip')).toBe(formatEtag(1, 2, 'gzip'))
  })
})
