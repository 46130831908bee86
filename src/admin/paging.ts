import { validationFailed } from '../http/errors'

/** Folder list pages: the same sizes as the asset list. */
export const DEFAULT_PAGE_SIZE = 100
export const MAX_PAGE_SIZE = 1000

const refuse = (field: string, message: string) => validationFailed(`${field}: ${message}`, [{ field, message }])

/** `limit=`: a whole number from 1 to `MAX_PAGE_SIZE`, `DEFAULT_PAGE_SIZE` when absent. */
export function pageLimit(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_PAGE_SIZE
  const n = typeof value === 'string' && /^[0-9]{1,5}$/.test(value) ? Number(value) : NaN
  if (!(n >= 1 && n <= MAX_PAGE_SIZE)) throw refuse('limit', `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
  return n
}

// The cursor is the last path of the previous page. Opaque to clients so it
// can change shape later; stable because pages are sorted by path, so a folder
// added or removed elsewhere never shifts the next page.
export const encodeCursor = (path: string): string => Buffer.from(path, 'utf8').toString('base64url')

/** `cursor=`: the folder path it stands for, or undefined for the first page. */
export function decodeCursor(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined
  const path = typeof value === 'string' && /^[A-Za-z0-9_-]+$/.test(value) ? Buffer.from(value, 'base64url').toString('utf8') : ''
  if (!path.startsWith('/') || !path.endsWith('/')) throw refuse('cursor', 'is not one this server gave out; start again without it')
  return path
}
