/**
 * A statement written with PostgreSQL's `$1, $2…` placeholders, as SQLite's
 * driver takes it: `?` in their place and, for each `?` in order, the index
 * of the parameter it binds. A statement may use `$1` twice or out of order;
 * `?NNN` would keep the numbers, but then better-sqlite3 wants an object.
 */
export interface PositionalSql {
  readonly sql: string
  /** `order[i]` is the zero-based parameter bound to the i-th `?`. */
  readonly order: readonly number[]
}

/**
 * Rewrites `$n` outside quoted text and comments. Crossport's statements keep
 * their literals free of `$`, but an audit `LIKE … ESCAPE '\'` shows why the
 * scan steps over quotes rather than replacing blindly.
 */
export function toPositional(text: string): PositionalSql {
  const order: number[] = []
  let sql = ''
  for (let i = 0; i < text.length; ) {
    const c = text[i] as string
    if (c === "'" || c === '"') {
      const end = closingQuote(text, i, c)
      sql += text.slice(i, end)
      i = end
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i)
      const stop = end === -1 ? text.length : end
      sql += text.slice(i, stop)
      i = stop
    } else if (c === '$' && isDigit(text[i + 1])) {
      let j = i + 1
      while (isDigit(text[j])) j++
      order.push(Number(text.slice(i + 1, j)) - 1)
      sql += '?'
      i = j
    } else {
      sql += c
      i++
    }
  }
  return { sql, order }
}

/** The parameters in the order the `?`s want them. */
export function bindOrder<T>(order: readonly number[], params: readonly T[]): T[] {
  return order.map((index) => {
    if (index >= params.length) throw new RangeError(`statement uses $${index + 1} but only ${params.length} parameters were given`)
    return params[index] as T
  })
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9'

/** Index just past the quote that closes the one at `start`; a doubled quote is part of the text. */
function closingQuote(text: string, start: number, quote: string): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] !== quote) continue
    if (text[i + 1] === quote) i++
    else return i + 1
  }
  return text.length
}
