import { startTestCrossport, type TestCrossport } from '../helpers/crossport'

// A file the server may not read. Tests run as root here, where chmod cannot
// deny anything, so the file system answers EACCES for this one name.
jest.mock('node:fs/promises', () => {
  const actual = jest.requireActual<typeof import('node:fs/promises')>('node:fs/promises')
  const realpath = (path: string, ...rest: unknown[]) =>
    String(path).endsWith('locked.txt')
      ? Promise.reject(Object.assign(new Error(`EACCES: permission denied, realpath '${path}'`), { code: 'EACCES', syscall: 'realpath' }))
      : (actual.realpath as (...args: unknown[]) => Promise<string>)(path, ...rest)
  return { ...actual, realpath }
})

let cp: TestCrossport
beforeAll(async () => {
  cp = await startTestCrossport({ assets: { 'locked.txt': 'secret', 'open.txt': 'fine' } })
})
afterAll(() => cp.close())

describe('a file the server may not read', () => {
  it('is a plain 404 on the public side, like a missing file', async () => {
    const locked = await fetch(`${cp.publicUrl}/locked.txt`)
    expect(locked.status).toBe(404)
    expect(await locked.text()).not.toContain('EACCES')
    expect((await fetch(`${cp.publicUrl}/open.txt`)).status).toBe(200)
  })

  it('is a 500 problem on the admin side, where the operator has to fix it', async () => {
    const locked = await cp.admin('GET', '/assets/locked.txt')
    expect(locked.status).toBe(500)
    expect(locked.headers.get('content-type')).toContain('application/problem+json')
    expect((await cp.admin('GET', '/assets/open.txt')).status).toBe(200)
  })
})
