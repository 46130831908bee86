import Router from '@koa/router'
import type { AdminContext } from './context'
import { registerAssetRoutes } from './assets-routes'
import { registerAuditRoutes } from './audit-routes'
import { registerExplainRoutes } from './explain-routes'
import { ADMIN_PREFIX, registerFolderRoutes } from './folder-routes'
import { openApiDocument } from './openapi'
import { registerPurgeRoutes } from './purge-routes'
import { registerSessionRoutes } from './session-routes'
import { registerSignRoutes } from './sign-routes'
import { registerTokenRoutes } from './token-routes'

export { ADMIN_PREFIX }
export const OPENAPI_PATH = `${ADMIN_PREFIX}/openapi.json`

/** Every `/admin/v1` route. Authentication runs before this router (see admin-app.ts). */
export function createAdminRouter(context: AdminContext): Router {
  const router = new Router({ prefix: ADMIN_PREFIX })
  router.get('/openapi.json', (ctx) => {
    ctx.body = openApiDocument()
  })
  registerFolderRoutes(router, context)
  registerExplainRoutes(router, context)
  registerTokenRoutes(router, context)
  registerSessionRoutes(router)
  registerAuditRoutes(router, context)
  registerAssetRoutes(router, context)
  registerSignRoutes(router, context)
  registerPurgeRoutes(router, context)
  return router
}
