import type Router from '@koa/router'
import { NO_PURGES } from '../cdn/change-purges'
import { AuditRepo } from '../db/audit-repo'
import { PurgeOutboxRepo, type OutboxPurge } from '../db/purge-outbox-repo'
import { CrossportError } from '../http/errors'
import { parseSafePath } from '../http/safe-path'
import { getActor, requireScope } from './auth'
import { readJsonObject } from './body'
import type { AdminContext } from './context'
import type { Answer, Purge, PurgePage } from './schemas/api-types'
import { parseInput, refuseField } from './schemas/parse'
import { encodeCursor, purgePageQuery } from './schemas/queries'
import { purgeRequestSchema } from './schemas/requests'

/** `/purges` (what the CDN is still owed) and `/purge` (purge by hand) of the admin API. */
export function registerPurgeRoutes(router: Router, context: AdminContext): void {
  const { db, config } = context
  const purges = context.purges ?? NO_PURGES
  const outbox = new PurgeOutboxRepo(db)

  router.get('/purges', requireScope('read'), async (ctx) => {
    const { cursor, limit } = parseInput(purgePageQuery, ctx.query)
    // One more than asked says whether another page follows.
    const items = await outbox.pageUndone(cursor, limit + 1)
    const hasMore = items.length > limit
    if (hasMore) items.length = limit
    const last = items[items.length - 1]
    const counts = await outbox.counts()
    ctx.body = {
      items: items.map(describe),
      pending: counts.pending,
      failed: counts.failed,
      nextCursor: hasMore && last !== undefined ? encodeCursor(String(last.id)) : null,
    } satisfies Answer<PurgePage>
  })

  router.post('/purge', requireScope('write'), async (ctx) => {
    const input = parseInput(purgeRequestSchema, await readJsonObject(ctx, config.adminBodyLimitBytes))
    // The body holds the decoded path; parseSafePath reads a URL's encoded one.
    const safe = parseSafePath(input.path.split('/').map(encodeURIComponent).join('/'))
    if (!safe.ok) throw refuseField('path', `not a path the public listener serves: ${safe.reason}`)
    const actor = getActor(ctx)
    const id = await db.transaction(async (tx) => {
      const queued = await purges.pathChanged(tx, safe.path)
      if (queued === undefined) throw new CrossportError('NOT_IMPLEMENTED', 'No CDN is configured (CDN=none): nothing caches, so nothing needs a purge')
      await new AuditRepo(tx).record(actor.name, 'cdn.purge', safe.path, null, { purge: queued })
      return queued
    })
    await purges.committed()
    ctx.status = 202
    ctx.body = describe((await outbox.get(id)) as OutboxPurge)
  })
}

const iso = (ms: number): string => new Date(ms).toISOString()

function describe(purge: OutboxPurge): Answer<Purge> {
  return {
    id: purge.id,
    tags: purge.tags,
    paths: purge.paths,
    state: purge.state,
    createdAt: iso(purge.createdAtMs),
    attempts: purge.attempts,
    nextAttemptAt: iso(purge.nextAttemptAtMs),
    lastError: purge.lastError,
  }
}
