import { FailedAuthLimiter } from '../../../src/admin/auth'

function limiterAt(startMs: number, maxFailures = 3, windowMs = 60_000, maxClients = 100) {
  const clock = { now: startMs }
  const limiter = new FailedAuthLimiter(maxFailures, windowMs, () => clock.now, maxClients)
  return { clock, limiter }
}

describe('FailedAuthLimiter', () => {
  it('lets a client fail up to the limit before blocking it', () => {
    const { limiter } = limiterAt(0)
    limiter.recordFailure('10.0.0.1')
    limiter.recordFailure('10.0.0.1')
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0)
    limiter.recordFailure('10.0.0.1')
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(60)
  })

  it('blocks for the rest of the window only, rounding the wait up to whole seconds', () => {
    const { clock, limiter } = limiterAt(1_000)
    for (let i = 0; i < 3; i++) limiter.recordFailure('10.0.0.1')
    clock.now = 1_000 + 59_500
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(1)
    clock.now = 1_000 + 60_000
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0)
  })

  it('counts each client address apart', () => {
    const { limiter } = limiterAt(0)
    for (let i = 0; i < 3; i++) limiter.recordFailure('10.0.0.1')
    expect(limiter.retryAfterSeconds('10.0.0.2')).toBe(0)
  })

  it('starts a fresh window after the old one ended', () => {
    const { clock, limiter } = limiterAt(0)
    limiter.recordFailure('10.0.0.1')
    limiter.recordFailure('10.0.0.1')
    clock.now = 60_000
    limiter.recordFailure('10.0.0.1')
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0)
  })

  it('forgets the oldest client first when it tracks too many', () => {
    const { limiter } = limiterAt(0, 1, 60_000, 2)
    limiter.recordFailure('a')
    limiter.recordFailure('b')
    limiter.recordFailure('c')
    expect(limiter.retryAfterSeconds('a')).toBe(0)
    expect(limiter.retryAfterSeconds('b')).toBe(60)
    expect(limiter.retryAfterSeconds('c')).toBe(60)
  })

  it('drops ended windows before a live one when it tracks too many', () => {
    const { clock, limiter } = limiterAt(0, 1, 60_000, 2)
    limiter.recordFailure('old')
    clock.now = 30_000
    limiter.recordFailure('live')
    clock.now = 61_000
    limiter.recordFailure('new')
    expect(limiter.retryAfterSeconds('live')).toBe(29)
    expect(limiter.retryAfterSeconds('new')).toBe(60)
  })
})
