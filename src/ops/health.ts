// PLACEHOLDER (replaced by the operations helper).
import type { ServerResponse } from 'node:http'
import type { AppContext } from '../app-context'

/** Answers `/healthz` and `/readyz`; returns false for any other path. */
export function handleHealthRequest(_context: AppContext, _pathname: string, _method: string, _res: ServerResponse): boolean {
  return false
}
