import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { startTestCrossport, type TestCrossport } from '../helpers/crossport'

const upload = (cp: TestCrossport, path: string) =>
  fetch(`${cp.adminUrl}/admin/v1/assets${path}`, { method: 'PUT', headers: { authorization: `Bearer ${cp.token}`, 'content-type': 'text/plain' }, body: 'never served' })

async function expectReserved(cp: TestCrossport, path: string): Promise<void> {
  const res = await upload(cp, path)
  expect(res.status).toBe(409)
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  const problem = (await res.json()) as { type: string; status: number; detail: string }
  expect(problem.type).toBe('https://crossport.dev/problems/path-reserved')
  expect(problem.status).toBe(409)
  expect(existsSync(join(cp.assetsDir, path))).toBe(false)
}

describe('uploads to paths the server answers itself', () => {
  let cp: TestCrossport
  beforeAll(async () => {
    cp = await startTestCrossport()
  })
  afterAll(async () => {
    await cp.close()
  })

  it.each(['/healthz', '/readyz'])('refuses %s with 409 and stores nothing', async (path) => {
    await expectReserved(cp, path)
  })

  it('accepts names that merely start like a probe, and serves them', async () => {
    for (const path of ['/healthz.txt', '/healthz/status.txt', '/readyz2']) {
      expect((await upload(cp, path)).status).toBe(201)
      expect(await (await fetch(`${cp.publicUrl}${path}`)).text()).toBe('never served')
    }
  })

  it('accepts /admin/… when the admin side has its own listener', async () => {
    expect((await upload(cp, '/admin/logo.txt')).status).toBe(201)
  })
})

describe('uploads under /admin/ with ADMIN_ON_MAIN', () => {
  let cp: TestCrossport
  beforeAll(async () => {
    cp = await startTestCrossport({ env: { ADMIN_ON_MAIN: 'true' } })
  })
  afterAll(async () => {
    await cp.close()
  })

  it.each(['/admin', '/admin/logo.txt', '/healthz'])('refuses %s with 409: the admin app or a probe owns it on the one listener', async (path) => {
    await expectReserved(cp, path)
  })

  it('accepts /administration.txt', async () => {
    expect((await upload(cp, '/administration.txt')).status).toBe(201)
  })
})
