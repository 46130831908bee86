/**
 * Every admin change purges what it made stale, through the outbox written in
 * the change's transaction: folder changes purge the folder's tag, asset
 * changes the asset's (and a sibling's identity path). With CDN=none nothing
 * is written at all.
 */
import Database from 'better-sqlite3'
import { assetChangeTags, folderChangeTags } from '../../src/cdn/tags'
import { runCliAgainst } from '../helpers/cli'
import { createFolder, startTestCrossport, type TestCrossport } from '../helpers/crossport'
import { startPurgeReceiver, type PurgeReceiver } from '../helpers/purge-receiver'

let receiver: PurgeReceiver
let cp: TestCrossport
let plain: TestCrossport

beforeAll(async () => {
  receiver = await startPurgeReceiver()
  cp = await startTestCrossport({ env: { CDN: 'webhook', CDN_PURGE_URLS: receiver.url }, assets: { 'site/app.js': 'js', 'site/app.js.br': 'br' } })
  plain = await startTestCrossport({ assets: { 'site/app.js': 'js' } })
})

afterAll(async () => {
  await Promise.all([cp.close(), plain.close(), receiver.close()])
})

/** Runs `change` and returns the purge it caused, as the webhook received it. */
async function purgeOf(change: () => Promise<Response>, status: number): Promise<{ tags: string[]; paths: string[] }> {
  const seen = receiver.received.length
  const res = await change()
  expect(res.status).toBe(status)
  await receiver.waitFor(seen + 1)
  return JSON.parse((receiver.received[seen] as { body: string }).body) as { tags: string[]; paths: string[] }
}

const upload = (t: TestCrossport, path: string, body: string) =>
  fetch(`${t.adminUrl}/admin/v1/assets${path}`, { method: 'PUT', headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/octet-stream' }, body })

describe('folder changes purge everything under the folder', () => {
  let id: number | string
  it('create (the folder’s own tag covers what it takes from its parent)', async () => {
    const purge = await purgeOf(async () => {
      const res = await cp.admin('POST', '/folders', { path: '/site/', policy: { origins: ['https://a.example'] } })
      id = ((await res.clone().json()) as { id: number }).id
      return res
    }, 201)
    expect(purge).toEqual({ tags: folderChangeTags('/site/'), paths: ['/site/'] })
  })

  it.each([
    ['replace', () => cp.admin('PUT', `/folders/${id}`, { policy: { origins: ['https://b.example'] } }), 200],
    ['patch', () => cp.admin('PATCH', `/folders/${id}`, { cacheControl: 'public, max-age=60' }), 200],
    ['origin added', () => cp.admin('POST', `/folders/${id}/origins`, { origin: 'https://c.example' }), 201],
    ['origin removed', () => cp.admin('DELETE', `/folders/${id}/origins/${encodeURIComponent('https://c.example')}`), 204],
    ['delete', () => cp.admin('DELETE', `/folders/${id}`), 204],
  ])('%s', async (_name, change, status) => {
    expect(await purgeOf(change, status)).toEqual({ tags: folderChangeTags('/site/'), paths: ['/site/'] })
  })

  it('a refused change (rolled back) and a no-op purge nothing', async () => {
    const folder = await createFolder(cp, '/keep/', { origins: ['https://a.example'] })
    const before = outboxRows(cp)
    expect((await cp.admin('POST', '/folders', { path: '/keep/', policy: { origins: [] } })).status).toBe(409)
    expect((await cp.admin('POST', `/folders/${folder.id}/origins`, { origin: 'https://a.example' })).status).toBe(200)
    expect(outboxRows(cp)).toBe(before)
  })
})

describe('asset changes purge every response for the asset', () => {
  it.each([
    ['upload', () => upload(cp, '/site/new.css', 'a{}'), 201, ['/site/new.css']],
    ['replace', () => upload(cp, '/site/new.css', 'b{}'), 200, ['/site/new.css']],
    ['delete', () => fetch(`${cp.adminUrl}/admin/v1/assets/site/new.css`, { method: 'DELETE', headers: { authorization: `Bearer ${cp.token}` } }), 204, ['/site/new.css']],
  ])('%s', async (_name, change, status, paths) => {
    expect(await purgeOf(change, status)).toEqual({ tags: assetChangeTags('/site/new.css'), paths })
  })

  it('a sibling’s upload purges its identity path too; deleting a file purges its siblings', async () => {
    expect((await purgeOf(() => upload(cp, '/site/app.js.br', 'br2'), 200)).tags).toEqual(assetChangeTags('/site/app.js.br'))
    expect(assetChangeTags('/site/app.js.br')).toEqual(expect.arrayContaining(assetChangeTags('/site/app.js')))
    const purge = await purgeOf(() => fetch(`${cp.adminUrl}/admin/v1/assets/site/app.js`, { method: 'DELETE', headers: { authorization: `Bearer ${cp.token}` } }), 204)
    expect(purge.paths).toEqual(['/site/app.js', '/site/app.js.br'])
    expect(purge.tags).toEqual(expect.arrayContaining([...assetChangeTags('/site/app.js'), ...assetChangeTags('/site/app.js.br')]))
  })
})

/** Rows ever written to the outbox (delivered rows are kept for a day). */
function outboxRows(t: TestCrossport): number {
  const db = new Database(t.databasePath, { readonly: true })
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM purge_outbox').get() as { n: number }).n
  } finally {
    db.close()
  }
}

it('with CDN=none changes write nothing to the outbox', async () => {
  await createFolder(plain, '/site/', { origins: ['https://a.example'] })
  expect((await upload(plain, '/site/new.css', 'a{}')).status).toBe(201)
  expect(outboxRows(plain)).toBe(0)
})

describe('crossport purge <path>', () => {
  it('purges a folder by hand and says so; --json prints the purge', async () => {
    const seen = receiver.received.length
    const run = await runCliAgainst(cp, ['purge', '/cli/'])
    expect(run).toEqual({ code: 0, stdout: '/cli/: purged (1 tag)\n', stderr: '' })
    expect(JSON.parse((receiver.received[seen] as { body: string }).body)).toEqual({ tags: folderChangeTags('/cli/'), paths: ['/cli/'] })
    const json = await runCliAgainst(cp, ['--json', 'purge', '/cli/app.js.br'])
    expect(JSON.parse(json.stdout)).toMatchObject({ state: 'done', tags: assetChangeTags('/cli/app.js.br'), paths: ['/cli/app.js.br'] })
  })

  it('fails with the API’s problem for a bad path', async () => {
    const run = await runCliAgainst(cp, ['purge', 'relative/path'])
    expect(run.code).not.toBe(0)
    expect(run.stderr).toMatch(/path/)
  })
})

describe('GET /purges and POST /purge', () => {
  const read = async (t: TestCrossport, query = '') => {
    const res = await t.admin('GET', `/purges${query}`)
    expect(res.status).toBe(200)
    return (await res.json()) as { items: { id: number; state: string; tags: string[] }[]; pending: number; failed: number; nextCursor: string | null }
  }

  it('purges a folder path by hand (everything under it) and a file path (every response for it), audited', async () => {
    const folder = await purgeOf(() => cp.admin('POST', '/purge', { path: '/by-hand/' }), 202)
    expect(folder).toEqual({ tags: folderChangeTags('/by-hand/'), paths: ['/by-hand/'] })
    const file = await purgeOf(() => cp.admin('POST', '/purge', { path: '/by-hand/a b.css' }), 202)
    expect(file).toEqual({ tags: assetChangeTags('/by-hand/a b.css'), paths: ['/by-hand/a b.css'] })
    const audit = (await (await cp.admin('GET', '/audit?target=/by-hand/')).json()) as { items: { action: string; target: string }[] }
    expect(audit.items.map((e) => [e.action, e.target])).toEqual([
      ['cdn.purge', '/by-hand/a b.css'],
      ['cdn.purge', '/by-hand/'],
    ])
  })

  it('answers 422 for a path the public listener would refuse, 403 to a read token, 501 without a CDN', async () => {
    for (const path of ['/a/../b', 'no-slash', '/a\u0000b']) expect({ path, status: (await cp.admin('POST', '/purge', { path })).status }).toEqual({ path, status: 422 })
    const token = (await (await cp.admin('POST', '/tokens', { name: 'reader', scope: 'read' })).json()) as { token: string }
    expect((await cp.admin('POST', '/purge', { path: '/x/' }, token.token)).status).toBe(403)
    expect((await cp.admin('GET', '/purges', undefined, token.token)).status).toBe(200)
    expect((await plain.admin('POST', '/purge', { path: '/x/' })).status).toBe(501)
  })

  // Last in the file: it leaves purges pending, whose retries would mix with later purges.
  it('lists pending and failed purges, paged, with their counts', async () => {
    expect(await read(cp)).toMatchObject({ items: [], pending: 0, failed: 0, nextCursor: null })
    receiver.answerWith(403) // the CDN refuses for good: failed
    await cp.admin('POST', '/purge', { path: '/refused/' })
    receiver.answerWith(503) // the CDN is down: pending, retried
    await cp.admin('POST', '/purge', { path: '/later/one/' })
    await cp.admin('POST', '/purge', { path: '/later/two/' })
    receiver.answerWith(200)
    const first = await read(cp, '?limit=2')
    expect(first).toMatchObject({ pending: 2, failed: 1 })
    expect(first.items.map((p) => p.state)).toEqual(['failed', 'pending'])
    const second = await read(cp, `?limit=2&cursor=${first.nextCursor as string}`)
    expect(second.items.map((p) => [p.state, p.tags])).toEqual([['pending', folderChangeTags('/later/two/')]])
    expect(second.nextCursor).toBeNull()
    expect((await cp.admin('GET', '/purges?cursor=nonsense')).status).toBe(422)
  })
})

it('metrics count purges sent, retried and failed, their delay, and the outbox; none without a CDN', async () => {
  const text = await (await fetch(`${cp.adminUrl}/metrics`, { headers: { authorization: `Bearer ${cp.token}` } })).text()
  const value = (name: string) => Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)
  expect(value('crossport_cdn_purges_sent_total')).toBeGreaterThanOrEqual(15)
  expect(value('crossport_cdn_purges_failed_total')).toBe(1)
  expect(value('crossport_cdn_purges_retried_total')).toBeGreaterThanOrEqual(2)
  expect(value('crossport_cdn_purge_delay_seconds_count')).toBe(value('crossport_cdn_purges_sent_total'))
  expect(value('crossport_cdn_purge_outbox{state="failed"}')).toBe(1)
  expect(value('crossport_cdn_purge_outbox{state="pending"}')).toBeGreaterThanOrEqual(0)
  const plainText = await (await fetch(`${plain.adminUrl}/metrics`, { headers: { authorization: `Bearer ${plain.token}` } })).text()
  expect(plainText).not.toContain('crossport_cdn_')
})
