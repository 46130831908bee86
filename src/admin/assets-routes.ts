// PLACEHOLDER (replaced by the assets helper).
import type Router from '@koa/router'
import type { AppContext } from '../app-context'

export function registerAssetRoutes(_router: Router, _context: AppContext): void {}
