import { LastUsedRecorder } from '../../../src/admin/last-used'

const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
const MINUTE = 60_000
const T0 = Date.parse('2026-01-01T12:00:00.000Z')

describe('LastUsedRecorder', () => {
  let nowMs: number
  let written: [string, string][]
  let failNext: Error[]
  let errors: unknown[]
  let recorder: LastUsedRecorder

  beforeEach(() => {
    jest.useFakeTimers()
    nowMs = T0
    written = []
    failNext = []
    errors = []
    recorder = new LastUsedRecorder({
      write: async (id, at) => {
        const failure = failNext.shift()
        if (failure) throw failure
        written.push([id, at])
      },
      onError: (error) => errors.push(error),
      now: () => nowMs,
      retryMs: 1000,
    })
  })

  afterEach(() => {
    jest.useRealTimers()
  })

  it('writes nothing while the request runs: the time goes out on a timer', async () => {
    recorder.used('ci', null)
    expect(written).toEqual([])
    await jest.advanceTimersByTimeAsync(0)
    expect(written).toEqual([['ci', '2026-01-01T12:00:00.000Z']])
  })

  it('skips a token whose stored time is less than a minute old', async () => {
    recorder.used('ci', new Date(T0 - MINUTE + 1).toISOString())
    await jest.runOnlyPendingTimersAsync()
    expect(written).toEqual([])
    recorder.used('ci', new Date(T0 - MINUTE).toISOString())
    await jest.runOnlyPendingTimersAsync()
    expect(written).toEqual([['ci', '2026-01-01T12:00:00.000Z']])
  })

  it('keeps a time the database was too busy for and writes the latest one later', async () => {
    failNext.push(busy())
    recorder.used('ci', null)
    await jest.advanceTimersByTimeAsync(0)
    expect(written).toEqual([])
    nowMs += 500
    recorder.used('ci', null)
    await jest.advanceTimersByTimeAsync(999)
    expect(written).toEqual([])
    await jest.advanceTimersByTimeAsync(1)
    expect(written).toEqual([['ci', '2026-01-01T12:00:00.500Z']])
    expect(errors).toEqual([])
  })

  it('writes several tokens in one go, and one that fails for another reason is reported and dropped', async () => {
    const broken = new Error('disk I/O error')
    failNext.push(broken)
    recorder.used('a', null)
    recorder.used('b', null)
    await jest.advanceTimersByTimeAsync(0)
    expect(errors).toEqual([broken])
    expect(written).toEqual([['b', '2026-01-01T12:00:00.000Z']])
    await jest.runAllTimersAsync()
    expect(written).toHaveLength(1)
  })
})
