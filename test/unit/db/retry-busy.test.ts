import { isDatabaseBusy, retryWhileBusy } from '../../../src/db/sqlite/retry-busy'

const busy = (code = 'SQLITE_BUSY') => Object.assign(new Error('database is locked'), { code })

/** An attempt that fails with `errors` in turn, then returns 'done'; counts its calls. */
function failing(...errors: Error[]) {
  const attempt = () => {
    attempt.calls++
    const error = errors[attempt.calls - 1]
    if (error) throw error
    return 'done'
  }
  attempt.calls = 0
  return attempt
}

describe('isDatabaseBusy(error)', () => {
  it.each([
    ['SQLITE_BUSY', true],
    ['SQLITE_BUSY_SNAPSHOT', true],
    ['SQLITE_BUSY_RECOVERY', true],
    ['SQLITE_LOCKED', true],
    ['SQLITE_CONSTRAINT_UNIQUE', false],
    ['EBUSY', false],
  ])('%s → %s', (code, expected) => {
    expect(isDatabaseBusy(busy(code))).toBe(expected)
  })

  it.each([null, undefined, 'SQLITE_BUSY', new Error('SQLITE_BUSY')])('is false for %p', (value) => {
    expect(isDatabaseBusy(value)).toBe(false)
  })
})

describe('retryWhileBusy(attempt, budgetMs)', () => {
  it('returns what the first attempt returns, without pausing', async () => {
    const attempt = failing()
    await expect(retryWhileBusy(attempt, 1000)).resolves.toBe('done')
    expect(attempt.calls).toBe(1)
  })

  it('runs the attempt again while it fails with SQLITE_BUSY, then returns its value', async () => {
    const attempt = failing(busy(), busy('SQLITE_BUSY_SNAPSHOT'), busy())
    await expect(retryWhileBusy(attempt, 1000)).resolves.toBe('done')
    expect(attempt.calls).toBe(4)
  })

  it('throws any other error at once', async () => {
    const unique = Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_UNIQUE' })
    const attempt = failing(unique)
    await expect(retryWhileBusy(attempt, 1000)).rejects.toBe(unique)
    expect(attempt.calls).toBe(1)
  })

  it('gives up with the last SQLITE_BUSY once the budget is spent', async () => {
    const thrown: Error[] = []
    const startedAtMs = performance.now()
    const outcome = retryWhileBusy(() => {
      thrown.push(busy())
      throw thrown[thrown.length - 1]
    }, 40)
    await outcome.catch(() => undefined)
    expect(performance.now() - startedAtMs).toBeGreaterThanOrEqual(39)
    expect(thrown.length).toBeGreaterThan(1)
    await expect(outcome).rejects.toBe(thrown[thrown.length - 1])
  })

  it('tries exactly once with a budget of 0', async () => {
    const attempt = failing(busy())
    await expect(retryWhileBusy(attempt, 0)).rejects.toMatchObject({ code: 'SQLITE_BUSY' })
    expect(attempt.calls).toBe(1)
  })
})
