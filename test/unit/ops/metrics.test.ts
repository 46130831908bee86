import { statusClass } from '../../../src/ops/request-tally'

describe('statusClass(status)', () => {
  it.each([
    [101, '1xx'],
    [200, '2xx'],
    [206, '2xx'],
    [304, '3xx'],
    [403, '4xx'],
    [416, '4xx'],
    [500, '5xx'],
    [503, '5xx'],
  ])('puts %i in %s', (status, expected) => {
    expect(statusClass(status)).toBe(expected)
  })
})
