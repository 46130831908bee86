import { decideRange } from '../../../src/http/range'

describe('decideRange(header, size)', () => {
  const size = 10_000

  it.each([
    ['bytes=0-499', 0, 499],
    ['bytes=500-999', 500, 999],
    ['bytes=-500', 9500, 9999],
    ['bytes=9500-', 9500, 9999],
    ['bytes=0-0', 0, 0],
    ['bytes=9000-20000', 9000, 9999],
    ['bytes=-20000', 0, 9999],
    ['BYTES=1-2', 1, 2],
    ['bytes= 1 - 2 ', 1, 2],
    ['bytes=0-10,5-20', 0, 20],
    ['bytes=0-10,11-20', 0, 20],
  ])('answers one partial range for %s', (header, start, end) => {
    expect(decideRange(header, size)).toEqual({ kind: 'partial', start, end })
  })

  it.each(['bytes=10000-', 'bytes=20000-30000', 'bytes=-0'])('answers unsatisfiable for %s', (header) => {
    expect(decideRange(header, size)).toEqual({ kind: 'unsatisfiable' })
  })

  it('answers unsatisfiable for any range of an empty file', () => {
    expect(decideRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' })
  })

  it.each([
    [undefined],
    ['items=0-5'],
    ['bytes'],
    ['bytes='],
    ['bytes=abc'],
    ['bytes=5-2'],
    ['bytes=-'],
    ['bytes=1-2;3-4'],
    ['bytes=0x10-20'],
    ['bytes=0-1, bytes=2-3'],
    ['bytes=' + '1-2,'.repeat(400) + '1-2'],
  ])('ignores a missing or malformed header (%s) and answers the full file', (header) => {
    expect(decideRange(header, size)).toEqual({ kind: 'full' })
  })

  it('answers the full file for several disjoint ranges (no multipart)', () => {
    expect(decideRange('bytes=0-10,100-200', size)).toEqual({ kind: 'full' })
  })
})
