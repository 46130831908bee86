/**
 * PostgreSQL could not be reached, or cut the connection, while running a
 * statement: nothing says whether the change was made (for a transaction: it
 * was not committed). The admin API maps it to 503 with Retry-After; delivery
 * never sees it, because it never waits for the database.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError'

  constructor(cause: unknown) {
    const message = (cause as { message?: unknown } | null)?.message
    super(`PostgreSQL is unavailable: ${typeof message === 'string' ? message : String(cause)}`, { cause })
  }
}

/** Socket errors of Node: the server is not there (any more). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'])
/**
 * SQLSTATEs that mean the server, not the statement: shutting down or
 * starting up (57P01-57P03), too many connections (53300), and the whole
 * class 08 (connection exception).
 */
const SERVER_STATES = new Set(['57P01', '57P02', '57P03', '53300'])
/** What node-postgres itself throws when the socket closes or connecting times out; these carry no code. */
const CLIENT_MESSAGES = [/^Connection terminated/, /timeout exceeded when trying to connect/i, /Client has encountered a connection error/, /Client was closed/]

/** True for errors that say the database is unreachable rather than that a statement is wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true
  // Not `instanceof Error`: socket errors are made by Node's core, which may be another realm (a test's VM context).
  if (typeof error !== 'object' || error === null) return false
  const { code, message } = error as { code?: unknown; message?: unknown }
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || SERVER_STATES.has(code) || code.startsWith('08'))) return true
  return typeof message === 'string' && CLIENT_MESSAGES.some((pattern) => pattern.test(message))
}

/** `error` as a DatabaseUnavailableError when it is one, else unchanged. */
export function asUnavailable(error: unknown): unknown {
  return isDatabaseUnavailable(error) && !(error instanceof DatabaseUnavailableError) ? new DatabaseUnavailableError(error) : error
}

/** PostgreSQL said the transaction conflicted with another (serialization failure, deadlock): run it again. */
export function isRetryableConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === '40001' || code === '40P01'
}

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(not a URL)'
  }
}

/**
 * Start-up could not use DATABASE_URL: one line that says which of the usual
 * causes it was (bad URL, server unreachable, login refused, no such
 * database), without the password.
 */
export class DatabaseStartupError extends Error {
  override readonly name = 'DatabaseStartupError'
}

export function startupError(url: string, error: unknown): DatabaseStartupError {
  const where = redactUrl(url)
  const code = (error as { code?: unknown } | null)?.code
  const message = (error as { message?: unknown } | null)?.message
  const detail = typeof message === 'string' ? message : String(error)
  if (code === '28P01' || code === '28000') return new DatabaseStartupError(`DATABASE_URL: PostgreSQL refused the login at ${where} (${detail})`, { cause: error })
  if (code === '3D000') return new DatabaseStartupError(`DATABASE_URL: ${detail} at ${where}`, { cause: error })
  if (isDatabaseUnavailable(error)) return new DatabaseStartupError(`DATABASE_URL: cannot reach PostgreSQL at ${where} (${detail})`, { cause: error })
  return new DatabaseStartupError(`DATABASE_URL: PostgreSQL at ${where} failed: ${detail}`, { cause: error })
}
