/** `crossport sign` and the CLI's knowledge of signedUrls, in process against a listening server. */
import { runCliAgainst } from '../helpers/cli'
import { startTestCrossport, type TestCrossport } from '../helpers/crossport'

const SECRET = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'

let cp: TestCrossport

beforeAll(async () => {
  cp = await startTestCrossport({ env: { URL_SIGNING_KEYS: `k1:${SECRET}` }, assets: { 'paid/a.txt': 'paid' } })
})

afterAll(async () => {
  await cp.close()
})

const crossport = (args: readonly string[], token = cp.token) => runCliAgainst(cp, args, token)

describe('crossport sign', () => {
  it('creates a folder with --signed-urls, then prints a signed URL the public listener serves', async () => {
    const added = await crossport(['folders', 'add', '/paid/', '--signed-urls', 'required'])
    expect(added.code).toBe(0)
    expect((await fetch(`${cp.publicUrl}/paid/a.txt`)).status).toBe(403)

    const run = await crossport(['sign', '/paid/a.txt', '--expires', '10m', '--query', 'v=3'])
    expect(run).toMatchObject({ code: 0, stderr: '' })
    const [url, expires] = run.stdout.trim().split('\n')
    expect(url).toMatch(/^\/paid\/a\.txt\?v=3&expires=\d+&kid=k1&sig=/)
    expect(expires).toMatch(/^expires \d{4}-/)
    const res = await fetch(`${cp.publicUrl}${url ?? ''}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toMatch(/max-age=(600|59\d)\b/)
  })

  it('works with a sign-scoped token created by the CLI, and answers --json', async () => {
    const created = await crossport(['--json', 'tokens', 'create', 'web', '--scope', 'sign'])
    expect(created.code).toBe(0)
    const { token } = JSON.parse(created.stdout) as { token: string }
    const run = await crossport(['--json', 'sign', '/paid/a.txt'], token)
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({ url: expect.stringMatching(/^\/paid\/a\.txt\?expires=/), expiresAt: expect.any(String) })
  })

  it('refuses a bad duration as a usage error (exit 2)', async () => {
    expect((await crossport(['sign', '/paid/a.txt', '--expires', 'soon'])).code).toBe(2)
  })

  it('explain prints the signature verdict', async () => {
    const run = await crossport(['explain', '/paid/a.txt?expires=1&kid=k1&sig=' + 'A'.repeat(43)])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('signature: bad-signature')
  })
})

it('folders add refuses an unknown --signed-urls mode', async () => {
  expect((await crossport(['folders', 'add', '/x/', '--signed-urls', 'sometimes'])).code).toBe(2)
})
