import type Router from '@koa/router'
import type { Context } from 'koa'
import type { AdminContext } from './context'
import { NO_PURGES } from '../cdn/change-purges'
import { AuditRepo } from '../db/audit-repo'
import { FolderRepo } from '../db/folder-repo'
import { writeTransaction } from '../db/sqlite/retry-busy'
import { CrossportError, folderExists, folderNotFound } from '../http/errors'
import { parseOriginRule } from '../policy/origin-rule'
import type { Folder, Policy } from '../policy/types'
import { getActor, requireScope } from './auth'
import { readJsonObject } from './body'
import { assertPolicyValid, parseInput, refuseField } from './schemas/parse'
import { policyPatchSchema } from './schemas/policy'
import { encodeCursor, folderLookupQuery, folderPageQuery } from './schemas/queries'
import { addOriginSchema, createFolderSchema, replaceFolderSchema } from './schemas/requests'
import type { Answer, FolderPage } from './schemas/api-types'

export const ADMIN_PREFIX = '/admin/v1'
const ID = /^[1-9][0-9]{0,15}$/

/** Folders, their policies and single origins: the `/folders` routes of the admin API (v1). */
export function registerFolderRoutes(router: Router, context: AdminContext): void {
  const { db, config, events } = context
  const purges = context.purges ?? NO_PURGES
  const folders = new FolderRepo(db)
  const audit = new AuditRepo(db)
  const body = (ctx: Context) => readJsonObject(ctx, config.adminBodyLimitBytes)

  // Every change: repo write + audit row in one transaction (synchronous, no
  // await inside; retried whole while another process holds the write lock),
  // then the policy table reloads before the answer goes out, so the very
  // next public request sees the change. The CDN's purge is written in the
  // same transaction and sent once the table has reloaded: a request the
  // purge lets through to the origin then gets the new policy. The answer
  // waits for the purge (briefly), so the next request through the CDN sees it.
  const write = <T>(work: () => T): Promise<T> => writeTransaction(db, config.dbBusyRetryMs, work)
  const changed = (): Promise<void> => {
    events.emit('policy-changed')
    return purges.committed()
  }
  const change = async <T>(work: () => T): Promise<T> => {
    const result = await write(work)
    await changed()
    return result
  }
  /** The audit row and the purge of everything under the folder, in the caller's transaction. */
  const record = (actor: string, action: string, path: string, before: Folder | null, after: Folder | null): void => {
    audit.record(actor, action, path, before, after)
    purges.folderChanged(path)
  }

  const load = (ctx: { params: Record<string, string> }): Folder => {
    const raw = ctx.params.id ?? ''
    const folder = ID.test(raw) ? folders.get(Number(raw)) : undefined
    if (!folder) throw folderNotFound(raw)
    return folder
  }

  router.get('/folders', requireScope('read'), (ctx) => {
    const { path } = parseInput(folderLookupQuery, ctx.query)
    if (path !== undefined) {
      const folder = folders.findByPath(path)
      ctx.body = { items: folder ? [folder] : [], nextCursor: null } satisfies Answer<FolderPage>
      return
    }
    // Pages by path, so one answer never carries every folder.
    const { prefix, cursor, limit } = parseInput(folderPageQuery, ctx.query)
    // One more than asked says whether another page follows, so the last page says so.
    const items = folders.page({ limit: limit + 1, after: cursor, prefix })
    const hasMore = items.length > limit
    if (hasMore) items.length = limit
    const last = items[items.length - 1]
    ctx.body = { items, nextCursor: hasMore && last !== undefined ? encodeCursor(last.path) : null } satisfies Answer<FolderPage>
  })

  router.post('/folders', requireScope('write'), async (ctx) => {
    const input = parseInput(createFolderSchema, await body(ctx))
    assertPolicyValid(input.policy, 'policy.')
    const actor = getActor(ctx)
    const created = await change(() => {
      if (folders.findByPath(input.path)) throw folderExists(input.path)
      const folder = folders.create(input.path, input.policy)
      record(actor.name, 'folder.create', folder.path, null, folder)
      return folder
    })
    ctx.status = 201
    ctx.set('Location', `${ADMIN_PREFIX}/folders/${created.id}`)
    ctx.body = created
  })

  router.get('/folders/:id', requireScope('read'), (ctx) => {
    ctx.body = load(ctx)
  })

  router.put('/folders/:id', requireScope('write'), async (ctx) => {
    load(ctx)
    const input = parseInput(replaceFolderSchema, await body(ctx))
    assertPolicyValid(input.policy, 'policy.')
    ctx.body = await replace(ctx, input.policy, 'folder.replace')
  })

  router.patch('/folders/:id', requireScope('write'), async (ctx) => {
    load(ctx)
    const patch = parseInput(policyPatchSchema, await body(ctx))
    const actor = getActor(ctx)
    ctx.body = await change(() => {
      // Read inside the transaction so two concurrent patches cannot lose each other's fields.
      const before = load(ctx)
      const policy: Policy = { ...before.policy, ...patch }
      assertPolicyValid(policy, '')
      const after = folders.replacePolicy(before.id, policy) as Folder
      record(actor.name, 'folder.patch', before.path, before, after)
      return after
    })
  })

  router.delete('/folders/:id', requireScope('write'), async (ctx) => {
    const actor = getActor(ctx)
    await change(() => {
      const before = load(ctx)
      if (before.path === '/') {
        throw new CrossportError('ROOT_FOLDER_PROTECTED', 'The root folder / always exists; change its policy instead (PUT or PATCH)')
      }
      folders.delete(before.id)
      record(actor.name, 'folder.delete', before.path, before, null)
    })
    ctx.status = 204
  })

  router.post('/folders/:id/origins', requireScope('write'), async (ctx) => {
    load(ctx)
    const { origin } = parseInput(addOriginSchema, await body(ctx))
    const actor = getActor(ctx)
    const result = await write(() => {
      const before = load(ctx)
      // Already allowed: nothing changes, so no audit row and no reload (200, not 201).
      if (before.policy.origins.includes(origin)) return { folder: before, isAdded: false }
      assertPolicyValid({ ...before.policy, origins: [...before.policy.origins, origin] }, '')
      folders.addOrigin(before.id, origin)
      const after = folders.get(before.id) as Folder
      record(actor.name, 'origin.add', before.path, before, after)
      return { folder: after, isAdded: true }
    })
    if (result.isAdded) await changed()
    ctx.body = result.folder
    ctx.status = result.isAdded ? 201 : 200
  })

  router.delete('/folders/:id/origins/:origin', requireScope('write'), async (ctx) => {
    load(ctx)
    const raw = ctx.params.origin ?? ''
    const parsed = parseOriginRule(raw)
    if (!parsed.ok) throw refuseField('origin', parsed.reason)
    const actor = getActor(ctx)
    await change(() => {
      const before = load(ctx)
      if (!folders.removeOrigin(before.id, parsed.rule)) {
        throw new CrossportError('ORIGIN_NOT_FOUND', `Folder ${before.path} does not allow ${parsed.rule}`)
      }
      record(actor.name, 'origin.remove', before.path, before, folders.get(before.id) ?? null)
    })
    ctx.status = 204
  })

  function replace(ctx: Context & { params: Record<string, string> }, policy: Policy, action: string): Promise<Folder> {
    const actor = getActor(ctx)
    return change(() => {
      const before = load(ctx)
      const after = folders.replacePolicy(before.id, policy) as Folder
      record(actor.name, action, before.path, before, after)
      return after
    })
  }
}
