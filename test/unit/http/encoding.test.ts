import { chooseEncoding } from '../../../src/http/encoding'

const both = { br: true, gzip: true }

describe('chooseEncoding(acceptEncoding, available, hasRange)', () => {
  it.each([
    [undefined, both, 'identity'],
    ['gzip, deflate, br', both, 'br'],
    ['gzip, deflate, br', { br: false, gzip: true }, 'gzip'],
    ['gzip, deflate, br', { br: false, gzip: false }, 'identity'],
    ['gzip', both, 'gzip'],
    ['x-gzip', both, 'gzip'],
    ['br;q=0.5, gzip;q=0.8', both, 'gzip'],
    ['br;q=0, gzip', both, 'gzip'],
    ['br;q=0, gzip;q=0', both, 'identity'],
    ['*', both, 'br'],
    ['*;q=0.5, gzip', both, 'gzip'],
    ['identity', both, 'identity'],
    ['identity;q=1, br;q=0.9', both, 'identity'],
    ['BR', both, 'br'],
    ['br;q=abc', both, 'identity'],
    ['', both, 'identity'],
    ['deflate', both, 'identity'],
    ['identity;q=0', { br: false, gzip: false }, 'identity'],
  ] as const)('Accept-Encoding %p with %p → %s', (header, available, expected) => {
    expect(chooseEncoding(header, available, false)).toBe(expected)
  })

  it('serves identity for a Range request whatever the client accepts', () => {
    expect(chooseEncoding('br, gzip', both, true)).toBe('identity')
  })
})
