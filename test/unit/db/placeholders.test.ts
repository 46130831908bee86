import { bindOrder, toPositional } from '../../../src/db/sqlite/placeholders'

describe('toPositional(sql): $n placeholders for SQLite', () => {
  it('turns each $n into ? and remembers which parameter it binds, a reused $1 included', () => {
    const { sql, order } = toPositional('SELECT * FROM t WHERE a = $2 AND (b = $1 OR c = $1) LIMIT $10')
    expect(sql).toBe('SELECT * FROM t WHERE a = ? AND (b = ? OR c = ?) LIMIT ?')
    expect(order).toEqual([1, 0, 0, 9])
    expect(bindOrder(order, ['x', 'y', 3, 4, 5, 6, 7, 8, 9, 10])).toEqual(['y', 'x', 'x', 10])
  })

  it('leaves $ inside quoted text and comments alone', () => {
    const { sql, order } = toPositional(`SELECT '$1', "a$2", 'it''s $3' FROM t -- $4\nWHERE x LIKE $1 ESCAPE '\\'`)
    expect(sql).toBe(`SELECT '$1', "a$2", 'it''s $3' FROM t -- $4\nWHERE x LIKE ? ESCAPE '\\'`)
    expect(order).toEqual([0])
  })

  it('refuses a statement that uses more parameters than it was given', () => {
    expect(() => bindOrder(toPositional('SELECT $2').order, ['only one'])).toThrow(/\$2/)
  })
})
