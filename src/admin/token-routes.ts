import type Router from '@koa/router'
import type { AdminContext } from './context'
import { AuditRepo } from '../db/audit-repo'
import { TokenRepo } from '../db/token-repo'
import { CrossportError } from '../http/errors'
import { getActor, requireScope } from './auth'
import { readJsonObject } from './body'
import { parseInput } from './schemas/parse'
import { createTokenSchema } from './schemas/requests'
import type { Answer, CreatedToken, TokenList } from './schemas/api-types'

/** Admin tokens: the secret is in the 201 answer and nowhere else, ever (only its SHA-256 is stored). */
export function registerTokenRoutes(router: Router, context: AdminContext): void {
  const { db, config } = context

  router.get('/tokens', requireScope('read'), async (ctx) => {
    ctx.body = { items: await new TokenRepo(db).list() } satisfies Answer<TokenList>
  })

  router.post('/tokens', requireScope('write'), async (ctx) => {
    const input = parseInput(createTokenSchema, await readJsonObject(ctx, config.adminBodyLimitBytes))
    const actor = getActor(ctx)
    const { info, secret } = await db.transaction(async (tx) => {
      const created = await new TokenRepo(tx).create(input.name, input.scope)
      // The audit row describes the token, never its secret.
      await new AuditRepo(tx).record(actor.name, 'token.create', created.info.id, null, created.info)
      return created
    })
    ctx.status = 201
    ctx.body = { id: info.id, name: info.name, scope: info.scope, token: secret, createdAt: info.createdAt } satisfies Answer<CreatedToken>
  })

  router.delete('/tokens/:id', requireScope('write'), async (ctx) => {
    const id = ctx.params.id ?? ''
    const actor = getActor(ctx)
    await db.transaction(async (tx) => {
      const tokens = new TokenRepo(tx)
      const before = await tokens.get(id)
      if (!before || before.revokedAt !== null) throw new CrossportError('TOKEN_NOT_FOUND', `No active token with id ${id}`)
      // Without an active write token nobody could create another one: every call would be refused until a restart.
      if (before.scope === 'write' && (await tokens.activeWriteCount()) <= 1) {
        throw new CrossportError(
          'LAST_WRITE_TOKEN',
          `Token ${id} ("${before.name}") is the last active write-scoped token; revoking it would lock every admin out. Create another write token first, then revoke this one`,
        )
      }
      await tokens.revoke(id)
      await new AuditRepo(tx).record(actor.name, 'token.revoke', id, before, (await tokens.get(id)) ?? null)
    })
    ctx.status = 204
  })
}
