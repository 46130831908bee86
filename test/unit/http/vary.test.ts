import { joinVary } from '../../../src/http/vary'

describe('joinVary(...lists)', () => {
  it('joins lists without case-insensitive duplicates, keeping the first spelling', () => {
    expect(joinVary(['Origin'], ['Accept-Encoding', 'origin'])).toBe('Origin, Accept-Encoding')
  })

  it('keeps the order in which names first appear', () => {
    expect(joinVary(['Origin', 'Access-Control-Request-Method'], ['Accept-Encoding'], ['Accept', 'ORIGIN'])).toBe(
      'Origin, Access-Control-Request-Method, Accept-Encoding, Accept',
    )
  })

  it('answers undefined when nothing varies', () => {
    expect(joinVary([], [])).toBeUndefined()
    expect(joinVary()).toBeUndefined()
  })
})
