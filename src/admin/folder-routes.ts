import type Router from '@koa/router'
import type { Context } from 'koa'
import type { AdminContext } from './context'
import { NO_PURGES } from '../cdn/change-purges'
import { AuditRepo } from '../db/audit-repo'
import { FolderRepo } from '../db/folder-repo'
import type { SqlExecutor } from '../db/sql'
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
  const body = (ctx: Context) => readJsonObject(ctx, config.adminBodyLimitBytes)

  // Every change: repo write + audit row in one transaction (only database
  // work inside; retried whole while another process holds SQLite's write
  // lock or PostgreSQL reports a conflict), then the policy table reloads
  // before the answer goes out, so the very next public request sees the
  // change. The CDN's purge is written in the same transaction and sent once
  // the table has reloaded: a request the purge lets through to the origin
  // then gets the new policy. The answer waits for the purge (briefly), so
  // the next request through the CDN sees it.
  const write = <T>(work: (tx: Tx) => Promise<T>): Promise<T> =>
    db.transaction((executor) => work({ executor, folders: new FolderRepo(executor), audit: new AuditRepo(executor) }))
  const changed = async (): Promise<void> => {
    events.emit('policy-changed')
    await context.policies.invalidate()
    await purges.committed()
  }
  const change = async <T>(work: (tx: Tx) => Promise<T>): Promise<T> => {
    const result = await write(work)
    await changed()
    return result
  }
  /** The audit row and the purge of everything under the folder, in the caller's transaction. */
  const record = async (tx: Tx, actor: string, action: string, path: string, before: Folder | null, after: Folder | null): Promise<void> => {
    await tx.audit.record(actor, action, path, before, after)
    await purges.folderChanged(tx.executor, path)
  }

  const load = async (ctx: { params: Record<string, string> }, repo: FolderRepo = folders): Promise<Folder> => {
    const raw = ctx.params.id ?? ''
    const folder = ID.test(raw) ? await repo.get(Number(raw)) : undefined
    if (!folder) throw folderNotFound(raw)
    return folder
  }

  router.get('/folders', requireScope('read'), async (ctx) => {
    const { path } = parseInput(folderLookupQuery, ctx.query)
    if (path !== undefined) {
      const folder = await folders.findByPath(path)
      ctx.body = { items: folder ? [folder] : [], nextCursor: null } satisfies Answer<FolderPage>
      return
    }
    // Pages by path, so one answer never carries every folder.
    const { prefix, cursor, limit } = parseInput(folderPageQuery, ctx.query)
    // One more than asked says whether another page follows, so the last page says so.
    const items = await folders.page({ limit: limit + 1, after: cursor, prefix })
    const hasMore = items.length > limit
    if (hasMore) items.length = limit
    const last = items[items.length - 1]
    ctx.body = { items, nextCursor: hasMore && last !== undefined ? encodeCursor(last.path) : null } satisfies Answer<FolderPage>
  })

  router.post('/folders', requireScope('write'), async (ctx) => {
    const input = parseInput(createFolderSchema, await body(ctx))
    assertPolicyValid(input.policy, 'policy.')
    const actor = getActor(ctx)
    const created = await change(async (tx) => {
      if (await tx.folders.findByPath(input.path)) throw folderExists(input.path)
      const folder = await tx.folders.create(input.path, input.policy)
      await record(tx, actor.name, 'folder.create', folder.path, null, folder)
      return folder
    })
    ctx.status = 201
    ctx.set('Location', `${ADMIN_PREFIX}/folders/${created.id}`)
    ctx.body = created
  })

  router.get('/folders/:id', requireScope('read'), async (ctx) => {
    ctx.body = await load(ctx)
  })

  router.put('/folders/:id', requireScope('write'), async (ctx) => {
    await load(ctx)
    const input = parseInput(replaceFolderSchema, await body(ctx))
    assertPolicyValid(input.policy, 'policy.')
    ctx.body = await replace(ctx, input.policy, 'folder.replace')
  })

  router.patch('/folders/:id', requireScope('write'), async (ctx) => {
    await load(ctx)
    const patch = parseInput(policyPatchSchema, await body(ctx))
    const actor = getActor(ctx)
    ctx.body = await change(async (tx) => {
      // Read inside the transaction so two concurrent patches cannot lose each other's fields.
      const before = await load(ctx, tx.folders)
      const policy: Policy = { ...before.policy, ...patch }
      assertPolicyValid(policy, '')
      const after = (await tx.folders.replacePolicy(before.id, policy)) as Folder
      await record(tx, actor.name, 'folder.patch', before.path, before, after)
      return after
    })
  })

  router.delete('/folders/:id', requireScope('write'), async (ctx) => {
    const actor = getActor(ctx)
    await change(async (tx) => {
      const before = await load(ctx, tx.folders)
      if (before.path === '/') {
        throw new CrossportError('ROOT_FOLDER_PROTECTED', 'The root folder / always exists; change its policy instead (PUT or PATCH)')
      }
      await tx.folders.delete(before.id)
      await record(tx, actor.name, 'folder.delete', before.path, before, null)
    })
    ctx.status = 204
  })

  router.post('/folders/:id/origins', requireScope('write'), async (ctx) => {
    await load(ctx)
    const { origin } = parseInput(addOriginSchema, await body(ctx))
    const actor = getActor(ctx)
    const result = await write(async (tx) => {
      const before = await load(ctx, tx.folders)
      // Already allowed: nothing changes, so no audit row and no reload (200, not 201).
      if (before.policy.origins.includes(origin)) return { folder: before, isAdded: false }
      assertPolicyValid({ ...before.policy, origins: [...before.policy.origins, origin] }, '')
      await tx.folders.addOrigin(before.id, origin)
      const after = (await tx.folders.get(before.id)) as Folder
      await record(tx, actor.name, 'origin.add', before.path, before, after)
      return { folder: after, isAdded: true }
    })
    if (result.isAdded) await changed()
    ctx.body = result.folder
    ctx.status = result.isAdded ? 201 : 200
  })

  router.delete('/folders/:id/origins/:origin', requireScope('write'), async (ctx) => {
    await load(ctx)
    const raw = ctx.params.origin ?? ''
    const parsed = parseOriginRule(raw)
    if (!parsed.ok) throw refuseField('origin', parsed.reason)
    const actor = getActor(ctx)
    await change(async (tx) => {
      const before = await load(ctx, tx.folders)
      if (!(await tx.folders.removeOrigin(before.id, parsed.rule))) {
        throw new CrossportError('ORIGIN_NOT_FOUND', `Folder ${before.path} does not allow ${parsed.rule}`)
      }
      await record(tx, actor.name, 'origin.remove', before.path, before, (await tx.folders.get(before.id)) ?? null)
    })
    ctx.status = 204
  })

  function replace(ctx: Context & { params: Record<string, string> }, policy: Policy, action: string): Promise<Folder> {
    const actor = getActor(ctx)
    return change(async (tx) => {
      const before = await load(ctx, tx.folders)
      const after = (await tx.folders.replacePolicy(before.id, policy)) as Folder
      await record(tx, actor.name, action, before.path, before, after)
      return after
    })
  }
}

/** One transaction's view: its executor and the repositories built on it. */
interface Tx {
  readonly executor: SqlExecutor
  readonly folders: FolderRepo
  readonly audit: AuditRepo
}
