import { DatabaseUnavailableError, isDatabaseUnavailable, isRetryableConflict, redactUrl, startupError } from '../../../src/db/postgres/errors'
import { encodeNotice, parseNotice } from '../../../src/db/postgres/notices'

describe('change notices', () => {
  it.each([
    [{ kind: 'policy' } as const],
    [{ kind: 'token' } as const],
    [{ kind: 'asset', path: '/brand/logo.png' } as const],
    [{ kind: 'asset', path: undefined } as const],
  ])('round-trips %j', (notice) => {
    expect(parseNotice(encodeNotice(notice))).toEqual(notice)
  })

  it('sends an asset path too long for a NOTIFY payload as "every asset"', () => {
    const payload = encodeNotice({ kind: 'asset', path: `/${'a'.repeat(8000)}` })
    expect(Buffer.byteLength(payload)).toBeLessThan(8000)
    expect(parseNotice(payload)).toEqual({ kind: 'asset', path: undefined })
  })

  it.each([undefined, '', 'not json', '42', 'null', '{"kind":"resync"}', '{"kind":"other"}'])('ignores the payload %j', (payload) => {
    expect(parseNotice(payload)).toBeUndefined()
  })
})

describe('PostgreSQL errors', () => {
  const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code })

  it.each(['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '08006', '53300'])('counts %s as the database being unavailable', (code) => {
    expect(isDatabaseUnavailable(withCode(code))).toBe(true)
  })

  it('counts the client\'s own messages for a lost connection, and its wrapper', () => {
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true)
    expect(isDatabaseUnavailable(new DatabaseUnavailableError(new Error('gone')))).toBe(true)
  })

  it.each(['42P01', '23505', '40001'])('does not count %s (a statement problem)', (code) => {
    expect(isDatabaseUnavailable(withCode(code))).toBe(false)
  })

  it('retries serialization failures and deadlocks only', () => {
    expect([isRetryableConflict(withCode('40001')), isRetryableConflict(withCode('40P01')), isRetryableConflict(withCode('23505'))]).toEqual([true, true, false])
  })

  it('never shows the password', () => {
    expect(redactUrl('postgres://u:s3cret@db:5432/x')).toBe('postgres://u:***@db:5432/x')
    expect(startupError('postgres://u:s3cret@db/x', withCode('28P01', 'password authentication failed for user "u"')).message).toBe(
      'DATABASE_URL: PostgreSQL refused the login at postgres://u:***@db/x (password authentication failed for user "u")',
    )
  })
})
