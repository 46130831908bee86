import { isOrphanedTemp, isProcessAlive, parseTempFileName, tempFileName, type SweepFacts } from '../../../../src/store/fs/temp-files'

const self = { host: 'aaaaaaaaaaaa', pid: 100 }
const MINUTE = 60_000
const facts = (overrides: Partial<SweepFacts> = {}): SweepFacts => ({
  self,
  isLive: () => false,
  isProcessAlive: (pid) => pid === 200,
  graceMs: 5 * MINUTE,
  staleMs: 60 * MINUTE,
  ...overrides,
})
const name = (host: string, pid: number) => tempFileName({ host, pid })

describe('tempFileName / parseTempFileName', () => {
  it('round-trips the owner', () => {
    expect(parseTempFileName(name('0123456789ab', 4242))).toEqual({ host: '0123456789ab', pid: 4242 })
  })

  it.each(['3f2c9a7e-1b2c-4d5e-8f90-123456789abc.part', 'x.part', 'aaaaaaaaaaaa.12.notauuid.part', '.part'])('gives no owner for %s', (n) => {
    expect(parseTempFileName(n)).toBeUndefined()
  })
})

describe('isOrphanedTemp(name, ageMs, facts)', () => {
  it.each([
    ['a file of a live upload of this process, however old', name(self.host, self.pid), 120 * MINUTE, facts({ isLive: () => true }), false],
    ['a file written within the grace period, even by a dead process', name(self.host, 999), 1 * MINUTE, facts(), false],
    ['a file of a dead process of this host, past the grace period', name(self.host, 999), 10 * MINUTE, facts(), true],
    ['a file of a live process of this host', name(self.host, 200), 10 * MINUTE, facts(), false],
    ['a file with our pid that no live upload owns (an earlier process had the pid)', name(self.host, self.pid), 10 * MINUTE, facts(), true],
    ['a file of another host, before the stale age', name('bbbbbbbbbbbb', 999), 10 * MINUTE, facts(), false],
    ['a file of another host, past the stale age', name('bbbbbbbbbbbb', 200), 61 * MINUTE, facts(), true],
    ['a file named by an older version, before the stale age', '3f2c9a7e-1b2c-4d5e-8f90-123456789abc.part', 10 * MINUTE, facts(), false],
    ['a file named by an older version, past the stale age', '3f2c9a7e-1b2c-4d5e-8f90-123456789abc.part', 61 * MINUTE, facts(), true],
  ])('%s → %s', (_what, n, ageMs, f, expected) => {
    expect(isOrphanedTemp(n, ageMs, f)).toBe(expected)
  })
})

describe('isProcessAlive(pid)', () => {
  it('is true for this process and false for pids that cannot be a process', () => {
    expect(isProcessAlive(process.pid)).toBe(true)
    expect(isProcessAlive(0)).toBe(false)
    expect(isProcessAlive(-1)).toBe(false)
  })
})
