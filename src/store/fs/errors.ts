/**
 * What a failed file-system call means. The same error code can mean two
 * things depending on who asked, so every caller says which side it serves.
 */
import { CrossportError } from '../../http/errors'

/**
 * `public`: a visitor asked for a file. Anything that keeps it from being
 * served is a miss (404), and the answer reveals nothing about the disk.
 * `admin`: an operator manages the store. Only "nothing there" is a miss;
 * a file that exists but cannot be read is a fault to report (500), since
 * the operator has to fix it.
 */
export type Audience = 'public' | 'admin'

/** Nothing at that path. ENOTDIR: a parent "folder" is a file, so the path cannot exist either. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR'])
/**
 * There, but not servable: a folder, a symlink loop, a name too long, or a
 * file the server may not read (EACCES, EPERM).
 */
const NOT_SERVABLE = new Set(['EISDIR', 'ELOOP', 'ENAMETOOLONG', 'EACCES', 'EPERM'])

const codeOf = (error: unknown): string => (error as NodeJS.ErrnoException | undefined)?.code ?? ''

/** Whether `error` means "no such file" for `audience` (see `Audience`); anything else is rethrown by the caller. */
export function isMissing(error: unknown, audience: Audience): boolean {
  const code = codeOf(error)
  return ABSENT.has(code) || (audience === 'public' && NOT_SERVABLE.has(code))
}

/** A failed upload as the admin API reports it; the system error (with its server path) stays in the log. */
export function toStoreError(error: unknown, path: string): unknown {
  const code = codeOf(error)
  // The temp file is gone and the old version untouched.
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new CrossportError('STORAGE_FULL', `Not enough storage space left to store ${path}; nothing was changed`, { cause: error })
  }
  // rename onto a folder, or a parent "folder" that is a file.
  if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST' || code === 'ENOTEMPTY') {
    return new CrossportError('ASSET_PATH_CONFLICT', `${path} collides with an existing folder or file of the same name`, { cause: error })
  }
  return error
}
