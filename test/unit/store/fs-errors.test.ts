import { isMissing } from '../../../src/store/fs/errors'

const failure = (code: string) => Object.assign(new Error(code), { code })

describe('isMissing: what "no such file" means to each side', () => {
  it.each(['ENOENT', 'ENOTDIR'])('%s is a miss for both sides', (code) => {
    expect(isMissing(failure(code), 'public')).toBe(true)
    expect(isMissing(failure(code), 'admin')).toBe(true)
  })

  it.each(['EACCES', 'EPERM', 'ELOOP', 'EISDIR', 'ENAMETOOLONG'])('%s is a miss (404) publicly, a fault (500) for the admin side', (code) => {
    expect(isMissing(failure(code), 'public')).toBe(true)
    expect(isMissing(failure(code), 'admin')).toBe(false)
  })

  it('is never a miss for other failures', () => {
    for (const audience of ['public', 'admin'] as const) {
      expect(isMissing(failure('EIO'), audience)).toBe(false)
      expect(isMissing(new Error('no code'), audience)).toBe(false)
      expect(isMissing(undefined, audience)).toBe(false)
    }
  })
})
