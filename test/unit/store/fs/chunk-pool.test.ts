import { ChunkPool, LARGE_CHUNK_BYTES, SMALL_CHUNK_BYTES } from '../../../../src/store/fs/chunk-pool'

describe('ChunkPool', () => {
  it('reads a small remainder into a small buffer and a large body 1 MiB at a time', () => {
    const pool = new ChunkPool(4 * LARGE_CHUNK_BYTES)
    expect(pool.sizeFor(1)).toBe(SMALL_CHUNK_BYTES)
    expect(pool.sizeFor(SMALL_CHUNK_BYTES)).toBe(SMALL_CHUNK_BYTES)
    expect(pool.sizeFor(SMALL_CHUNK_BYTES + 1)).toBe(LARGE_CHUNK_BYTES)
    expect(pool.sizeFor(1_000_001)).toBe(LARGE_CHUNK_BYTES)
    expect(pool.take(20 * LARGE_CHUNK_BYTES).length).toBe(LARGE_CHUNK_BYTES)
    expect(pool.take(100).length).toBe(SMALL_CHUNK_BYTES)
  })

  it('lends large buffers up to the budget, then small ones, and reuses what comes back', () => {
    const pool = new ChunkPool(2 * LARGE_CHUNK_BYTES)
    const [a, b, c] = [pool.take(1e9), pool.take(1e9), pool.take(1e9)]
    expect([a.length, b.length, c.length]).toEqual([LARGE_CHUNK_BYTES, LARGE_CHUNK_BYTES, SMALL_CHUNK_BYTES])
    expect(pool.largeBytesLent).toBe(2 * LARGE_CHUNK_BYTES)
    pool.give(a)
    expect(pool.largeBytesLent).toBe(LARGE_CHUNK_BYTES)
    expect(pool.take(1e9)).toBe(a)
    expect(pool.largeBytesHeld).toBe(2 * LARGE_CHUNK_BYTES)
  })

  it('never reuses a buffer given back as still in use, and frees its place in the budget', () => {
    const pool = new ChunkPool(LARGE_CHUNK_BYTES)
    const a = pool.take(1e9)
    pool.give(a, false)
    expect(pool.largeBytesHeld).toBe(0)
    const b = pool.take(1e9)
    expect(b).not.toBe(a)
    expect(b.length).toBe(LARGE_CHUNK_BYTES)
  })
})
