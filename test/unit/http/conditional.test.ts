import { evaluatePreconditions, ifRangeAllowsPartial, parseHttpDateSeconds } from '../../../src/http/conditional'

const etag = '"2a-18c5f0e4b00"'
const lastModifiedSeconds = Date.parse('Tue, 15 Nov 1994 12:45:26 GMT') / 1000
const validators = { etag, lastModifiedSeconds }
const none = { ifMatch: undefined, ifNoneMatch: undefined, ifModifiedSince: undefined, ifUnmodifiedSince: undefined }
const LM = 'Tue, 15 Nov 1994 12:45:26 GMT'
const EARLIER = 'Tue, 15 Nov 1994 12:45:25 GMT'
const LATER = 'Tue, 15 Nov 1994 12:45:27 GMT'

describe('evaluatePreconditions', () => {
  it('proceeds without conditional headers', () => {
    expect(evaluatePreconditions(none, validators)).toBe('proceed')
  })

  it.each([
    ['If-Match with the ETag', { ifMatch: etag }, 'proceed'],
    ['If-Match *', { ifMatch: '*' }, 'proceed'],
    ['If-Match in a list', { ifMatch: '"x", ' + etag }, 'proceed'],
    ['If-Match with another ETag', { ifMatch: '"other"' }, 'failed'],
    ['If-Match with the weak form (strong comparison)', { ifMatch: 'W/' + etag }, 'failed'],
    ['If-Unmodified-Since at Last-Modified', { ifUnmodifiedSince: LM }, 'proceed'],
    ['If-Unmodified-Since before Last-Modified', { ifUnmodifiedSince: EARLIER }, 'failed'],
    ['If-Unmodified-Since not a date', { ifUnmodifiedSince: 'yesterday' }, 'proceed'],
    ['If-None-Match with the ETag', { ifNoneMatch: etag }, 'not-modified'],
    ['If-None-Match weak form (weak comparison)', { ifNoneMatch: 'W/' + etag }, 'not-modified'],
    ['If-None-Match *', { ifNoneMatch: '*' }, 'not-modified'],
    ['If-None-Match with another ETag', { ifNoneMatch: '"other"' }, 'proceed'],
    ['If-Modified-Since at Last-Modified', { ifModifiedSince: LM }, 'not-modified'],
    ['If-Modified-Since after Last-Modified', { ifModifiedSince: LATER }, 'not-modified'],
    ['If-Modified-Since before Last-Modified', { ifModifiedSince: EARLIER }, 'proceed'],
    ['If-Modified-Since not a date', { ifModifiedSince: 'garbage' }, 'proceed'],
  ] as const)('%s → %s', (_name, headers, expected) => {
    expect(evaluatePreconditions({ ...none, ...headers }, validators)).toBe(expected)
  })

  describe('precedence (RFC 9110 §13.2.2)', () => {
    it('fails If-Match before looking at If-None-Match', () => {
      expect(evaluatePreconditions({ ...none, ifMatch: '"other"', ifNoneMatch: etag }, validators)).toBe('failed')
    })

    it('ignores If-Unmodified-Since when If-Match is present', () => {
      expect(evaluatePreconditions({ ...none, ifMatch: etag, ifUnmodifiedSince: EARLIER }, validators)).toBe('proceed')
    })

    it('ignores If-Modified-Since when If-None-Match is present', () => {
      expect(evaluatePreconditions({ ...none, ifNoneMatch: '"other"', ifModifiedSince: LATER }, validators)).toBe('proceed')
    })

    it('answers 304 when If-Match passes and If-None-Match matches', () => {
      expect(evaluatePreconditions({ ...none, ifMatch: etag, ifNoneMatch: etag }, validators)).toBe('not-modified')
    })
  })
})

describe('ifRangeAllowsPartial', () => {
  it.each([
    [undefined, true],
    [etag, true],
    ['W/' + etag, false],
    ['"other"', false],
    [LM, true],
    [EARLIER, false],
    [LATER, false],
    ['not a date', false],
  ])('If-Range %s → %s', (ifRange, expected) => {
    expect(ifRangeAllowsPartial(ifRange, validators)).toBe(expected)
  })
})

describe('parseHttpDateSeconds', () => {
  it.each([
    ['Sun, 06 Nov 1994 08:49:37 GMT', 784111777],
    ['Sunday, 06-Nov-94 08:49:37 GMT', 784111777],
    ['Sun Nov  6 08:49:37 1994', undefined === undefined ? Math.floor(Date.parse('Sun Nov  6 08:49:37 1994') / 1000) : 0],
  ])('reads %s', (value, seconds) => {
    expect(parseHttpDateSeconds(value)).toBe(seconds)
  })

  it('ignores a list of dates', () => {
    expect(parseHttpDateSeconds('Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT')).toBeUndefined()
  })
})
