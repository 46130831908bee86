import { folderPath, policyFromOptions } from '../../../src/cli/folder-commands'
import { databaseFile } from '../../../src/cli/offline-tokens'

describe('policyFromOptions(options)', () => {
  it('names only the fields whose option was given', () => {
    expect(policyFromOptions({})).toEqual({})
    expect(policyFromOptions({ mode: 'strict', maxAge: 0 })).toEqual({ mode: 'strict', maxAge: 0 })
  })

  it('keeps credentials: false from --no-credentials (a change, not an absence)', () => {
    expect(policyFromOptions({ credentials: false, privateNetwork: false })).toEqual({ credentials: false, privateNetwork: false })
  })

  it.each([
    ['methods', { methods: ' get, Head ,' }, { methods: ['GET', 'HEAD'] }],
    ['allowHeaders keeps the spelling', { allowHeaders: 'Range, X-Trace' }, { allowHeaders: ['Range', 'X-Trace'] }],
    ['an empty list clears', { exposeHeaders: '' }, { exposeHeaders: [] }],
  ])('splits comma lists: %s', (_name, options, expected) => {
    expect(policyFromOptions(options)).toEqual(expected)
  })
})

describe('folderPath(path)', () => {
  it.each([
    ['brand', '/brand/'],
    ['/brand', '/brand/'],
    ['brand/', '/brand/'],
    ['/', '/'],
  ])('%s → %s', (input, expected) => {
    expect(folderPath(input)).toBe(expected)
  })
})

describe('databaseFile(input)', () => {
  it('resolves a path and a file: URL', () => {
    expect(databaseFile('/srv/crossport/db.sqlite')).toBe('/srv/crossport/db.sqlite')
    expect(databaseFile('file:///srv/crossport/db.sqlite')).toBe('/srv/crossport/db.sqlite')
  })

  it.each(['postgres://u@db/crossport', 'postgresql://db/crossport', 'POSTGRES://db/x'])('says %s is not supported yet', (url) => {
    expect(() => databaseFile(url)).toThrow(/PostgreSQL is not supported yet/)
  })

  it('refuses other URL schemes', () => {
    expect(() => databaseFile('mysql://db/x')).toThrow(/mysql:\/\/ is not a database Crossport can open/)
  })
})
