import type Router from '@koa/router'
import { getActor, requireScope } from './auth'
import type { Answer, Session } from './schemas/api-types'

/**
 * `GET /whoami`: the token this request was authenticated with (id, name,
 * scope; never the secret). The console uses it to warn before revoking the
 * token its own tab is signed in with.
 */
export function registerSessionRoutes(router: Router): void {
  router.get('/whoami', requireScope('read'), (ctx) => {
    const { id, name, scope } = getActor(ctx)
    ctx.body = { id, name, scope } satisfies Answer<Session>
  })
}
