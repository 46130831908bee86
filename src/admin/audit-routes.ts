import type Router from '@koa/router'
import type { AdminContext } from './context'
import { AuditRepo } from '../db/audit-repo'
import { requireScope } from './auth'
import { parseInput } from './schemas/parse'
import { auditQuerySchema } from './schemas/queries'
import type { Answer, AuditList } from './schemas/api-types'

/** The change log, newest first; `before=<id>` pages backwards, `target=` narrows to a path and below. */
export function registerAuditRoutes(router: Router, context: AdminContext): void {
  const audit = new AuditRepo(context.db)
  router.get('/audit', requireScope('read'), async (ctx) => {
    const query = parseInput(auditQuerySchema, ctx.query)
    ctx.body = {
      items: await audit.list({
        limit: query.limit,
        ...(query.target !== undefined ? { target: query.target } : {}),
        ...(query.before !== undefined ? { beforeId: query.before } : {}),
      }),
    } satisfies Answer<AuditList>
  })
}
