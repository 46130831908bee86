import { MatchCache } from '../../../src/policy/match-cache'

describe('MatchCache: least recently used goes first', () => {
  it('holds at most max entries, dropping the one used longest ago', () => {
    const cache = new MatchCache<number>(3)
    for (const [key, value] of [['a', 1], ['b', 2], ['c', 3]] as const) cache.set(key, value)
    expect(cache.get('a')).toBe(1) // a is now the most recently used
    cache.set('d', 4)
    expect(cache.get('b')).toBeUndefined()
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([1, 3, 4])
  })

  it('counts setting an existing key as a use, keeping one entry for it', () => {
    const cache = new MatchCache<number>(2)
    cache.set('a', 1)
    cache.set('b', 2)
    cache.set('a', 10)
    cache.set('c', 3)
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([10, undefined, 3])
  })

  it('keeps the newest key fresh when it is asked for again and again', () => {
    const cache = new MatchCache<number>(2)
    cache.set('hot', 1)
    for (let i = 0; i < 10; i++) {
      expect(cache.get('hot')).toBe(1)
      cache.set(`cold${i}`, i)
      expect(cache.get('hot')).toBe(1)
    }
  })
})
