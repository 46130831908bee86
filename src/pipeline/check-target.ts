/**
 * Path safety, the first step after the request facts: only GET, HEAD and
 * OPTIONS, and only a path that decodes to something inside the store
 * (see `parseSafePath`). Pure.
 */
import { parseSafePath } from '../http/safe-path'
import { ALLOWED_METHODS } from './allowed-methods'
import { emptyAnswer, type ErrorAnswer } from './write-error'

export type TargetCheck = { readonly path: string; readonly answer: undefined } | { readonly path: undefined; readonly answer: ErrorAnswer }

const METHOD_NOT_ALLOWED = emptyAnswer(405, { Allow: ALLOWED_METHODS })
const REFUSED_PATHS: Readonly<Record<number, ErrorAnswer>> = Object.freeze({
  400: emptyAnswer(400, {}),
  404: emptyAnswer(404, {}),
  414: emptyAnswer(414, {}),
})

export function checkTarget(method: string, rawPath: string): TargetCheck {
  if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') return { path: undefined, answer: METHOD_NOT_ALLOWED }
  const safe = parseSafePath(rawPath)
  if (!safe.ok) return { path: undefined, answer: REFUSED_PATHS[safe.status] as ErrorAnswer }
  return { path: safe.path, answer: undefined }
}
