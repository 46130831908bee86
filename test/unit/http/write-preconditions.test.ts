import { evaluateWritePreconditions } from '../../../src/http/conditional'

const ETAG = '"5-18c2"'
/** `current` null: nothing is stored at that path yet. */
const check = (ifMatch: string | undefined, ifNoneMatch: string | undefined, current: string | null = ETAG) =>
  evaluateWritePreconditions({ ifMatch, ifNoneMatch }, current ?? undefined)

describe('evaluateWritePreconditions (an upload replacing the resource)', () => {
  it('proceeds without conditions, present or not', () => {
    expect(check(undefined, undefined)).toBeUndefined()
    expect(check(undefined, undefined, null)).toBeUndefined()
  })

  it('If-Match: strong comparison against the current ETag; * needs a current version', () => {
    expect(check(ETAG, undefined)).toBeUndefined()
    expect(check(`"other", ${ETAG}`, undefined)).toBeUndefined()
    expect(check(`W/${ETAG}`, undefined)).toBe('if-match')
    expect(check('"other"', undefined)).toBe('if-match')
    expect(check('*', undefined)).toBeUndefined()
    expect(check('*', undefined, null)).toBe('if-match')
    expect(check(ETAG, undefined, null)).toBe('if-match')
  })

  it('If-None-Match: weak comparison; * fails when a version exists', () => {
    expect(check(undefined, '*', null)).toBeUndefined()
    expect(check(undefined, '*')).toBe('if-none-match')
    expect(check(undefined, `W/${ETAG}`)).toBe('if-none-match')
    expect(check(undefined, '"other"')).toBeUndefined()
    expect(check(undefined, ETAG, null)).toBeUndefined()
  })

  it('looks at If-Match first', () => {
    expect(check('"other"', '*')).toBe('if-match')
    expect(check(ETAG, ETAG)).toBe('if-none-match')
  })
})
