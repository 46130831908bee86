import Database from 'better-sqlite3'
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import sharp from 'sharp'
import { createFolder, startTestCrossport, type TestCrossport } from '../helpers/crossport'

// The CLI runs as operators run it: `node bin/crossport.js`, over the dist/
// build that test/global-setup.js keeps current.
const BIN = join(__dirname, '..', '..', 'bin', 'crossport.js')

interface Run {
  code: number
  stdout: string
  stderr: string
}

let cp: TestCrossport
let work: string

beforeAll(async () => {
  cp = await startTestCrossport({ assets: { 'existing/keep.txt': 'kept' } })
  work = mkdtempSync(join(tmpdir(), 'crossport-cli-'))
})

afterAll(async () => {
  await cp.close()
  rmSync(work, { recursive: true, force: true })
})

function crossport(args: readonly string[], env: Record<string, string> = {}, cwd: string = work): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        // Only what the CLI needs: no inherited CROSSPORT_* from the developer's
        // shell, and a working folder without a developer's .env.
        env: { PATH: process.env.PATH ?? '', CROSSPORT_URL: cp.adminUrl, CROSSPORT_TOKEN: cp.token, ...env },
        cwd,
        timeout: 30_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
        resolve({ code, stdout, stderr })
      },
    )
  })
}

/** A loopback port nobody listens on: bound, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

const writeLocal = (path: string, content: string | Buffer) => {
  const full = join(work, path)
  mkdirSync(dirname(full), { recursive: true })
  writeFileSync(full, content)
  return full
}

describe('crossport folders', () => {
  it('add creates a folder with origins and list shows it as a table', async () => {
    const add = await crossport(['folders', 'add', '/brand/', '--origin', 'https://shop.example', '--origin', 'https://*.shop.example', '--mode', 'strict'])
    expect(add.stderr).toBe('')
    expect(add.code).toBe(0)
    expect(add.stdout).toMatch(/^created folder \/brand\/ \(id \d+\)/)

    const list = await crossport(['folders', 'list'])
    expect(list.code).toBe(0)
    const lines = list.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID\s+PATH\s+MODE\s+CREDENTIALS\s+ORIGINS\s+CACHE-CONTROL$/)
    expect(lines.find((l) => l.includes('/brand/'))).toMatch(/\/brand\/\s+strict\s+no\s+https:\/\/shop\.example https:\/\/\*\.shop\.example/)
  })

  it('list --json prints the API objects', async () => {
    const list = await crossport(['folders', 'list', '--json'])
    const folders = JSON.parse(list.stdout) as Array<{ path: string; policy: { origins: string[] } }>
    expect(folders.map((f) => f.path)).toContain('/')
    expect(folders.find((f) => f.path === '/brand/')?.policy.origins).toEqual(['https://shop.example', 'https://*.shop.example'])
  })

  it('add of an existing folder fails with the problem detail on one line and exit code 1', async () => {
    const again = await crossport(['folders', 'add', '/brand/', '--origin', 'https://shop.example'])
    expect(again.code).toBe(1)
    expect(again.stdout).toBe('')
    expect(again.stderr).toBe('crossport: 409 Folder already exists: Folder /brand/ already exists\n')
  })

  it('remove deletes a folder by path', async () => {
    await crossport(['folders', 'add', 'temporary', '--origin', 'https://t.example'])
    const removed = await crossport(['folders', 'remove', '/temporary/'])
    expect(removed.code).toBe(0)
    expect(removed.stdout).toBe('removed folder /temporary/\n')
    expect((await cp.admin('GET', '/folders?path=/temporary/').then((r) => r.json())) as unknown).toEqual({ items: [], nextCursor: null })
  })
})

describe('crossport folders set', () => {
  it('changes only the named policy fields of an existing folder (PATCH), taking brand for /brand/', async () => {
    await createFolder(cp, '/settable/', { origins: ['https://shop.example'], credentials: true, methods: ['GET'] })
    const res = await crossport([
      'folders', 'set', 'settable',
      '--mode', 'strict',
      '--cache-control', 'public, max-age=60',
      '--methods', 'get,head,put',
      '--no-credentials',
      '--max-age', '120',
      '--allow-headers', 'Range, X-Trace',
      '--expose-headers', '',
    ])
    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    expect(res.stdout).toMatch(/^updated folder \/settable\/ \(id \d+\): mode, methods, credentials, maxAge, cacheControl, allowHeaders, exposeHeaders\n/)
    expect(res.stdout).toContain('  mode:            strict\n')

    const { items } = (await (await cp.admin('GET', '/folders?path=/settable/')).json()) as { items: Array<{ policy: Record<string, unknown> }> }
    expect(items[0]?.policy).toEqual({
      origins: ['https://shop.example'],
      mode: 'strict',
      cacheControl: 'public, max-age=60',
      methods: ['GET', 'HEAD', 'PUT'],
      credentials: false,
      privateNetwork: false,
      maxAge: 120,
      allowHeaders: ['Range', 'X-Trace'],
      exposeHeaders: [],
      signedUrls: 'off',
      cdnCacheControl: null,
    })

    const on = JSON.parse((await crossport(['folders', 'set', '/settable/', '--credentials', '--signed-urls', 'derivatives', '--json'])).stdout) as {
      policy: { credentials: boolean; mode: string; signedUrls: string }
    }
    expect(on.policy).toMatchObject({ credentials: true, mode: 'strict', signedUrls: 'derivatives' })
  })

  it('sets the CDN\'s own Cache-Control with --cdn-cache-control (add and set) and clears it with --no-cdn-cache-control', async () => {
    const added = await crossport(['folders', 'add', 'cdnlife', '--origin', 'https://shop.example', '--cdn-cache-control', 'public, max-age=86400', '--json'])
    expect(added.code).toBe(0)
    expect((JSON.parse(added.stdout) as { policy: { cdnCacheControl: unknown } }).policy.cdnCacheControl).toBe('public, max-age=86400')
    const set = await crossport(['folders', 'set', 'cdnlife', '--cdn-cache-control', 'max-age=600'])
    expect(set.code).toBe(0)
    expect(set.stdout).toContain(': cdnCacheControl\n')
    expect(set.stdout).toContain('  cdn-cache-ctrl:  max-age=600\n')
    const cleared = await crossport(['folders', 'set', 'cdnlife', '--no-cdn-cache-control'])
    expect(cleared.code).toBe(0)
    expect(cleared.stdout).toContain('  cdn-cache-ctrl:  (none)\n')
    const { items } = (await (await cp.admin('GET', '/folders?path=/cdnlife/')).json()) as { items: Array<{ policy: Record<string, unknown> }> }
    expect(items[0]?.policy.cdnCacheControl).toBeNull()
  })

  it('refuses a call that names no field as a usage error (exit 2)', async () => {
    const res = await crossport(['folders', 'set', '/settable/'])
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(/^crossport: folders set: name at least one field to change/)
  })

  it('passes the server refusal of a bad value on (422)', async () => {
    const res = await crossport(['folders', 'set', '/settable/', '--cache-control', ' '])
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/^crossport: 422 Validation failed: cacheControl: /)
  })

  it('folders remove / points at folders set instead of PATCH', async () => {
    const res = await crossport(['folders', 'remove', '/'])
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/^crossport: the root folder \/ always exists .*crossport folders set \//)
    expect(res.stderr).not.toMatch(/PATCH/)
  })
})

describe('crossport origins', () => {
  it('allow adds one origin and revoke removes it', async () => {
    await createFolder(cp, '/fonts/', { origins: [] })
    const allow = await crossport(['origins', 'allow', '/fonts/', 'https://app.example'])
    expect(allow.code).toBe(0)
    expect(allow.stdout).toBe('allowed https://app.example on /fonts/\n')
    const again = await crossport(['origins', 'allow', '/fonts/', 'https://app.example'])
    expect(again.stdout).toBe('https://app.example was already allowed on /fonts/\n')

    const listed = JSON.parse((await crossport(['folders', 'list', '--json'])).stdout) as Array<{ path: string; policy: { origins: string[] } }>
    expect(listed.find((f) => f.path === '/fonts/')?.policy.origins).toEqual(['https://app.example'])

    const revoke = await crossport(['origins', 'revoke', '/fonts/', 'https://app.example'])
    expect(revoke.code).toBe(0)
    const after = JSON.parse((await crossport(['folders', 'list', '--json'])).stdout) as Array<{ path: string; policy: { origins: string[] } }>
    expect(after.find((f) => f.path === '/fonts/')?.policy.origins).toEqual([])
  })

  it('names the missing folder when it does not exist', async () => {
    const res = await crossport(['origins', 'allow', '/nope/', 'https://app.example'])
    expect(res.code).toBe(1)
    expect(res.stderr).toBe('crossport: no folder /nope/ (crossport folders list shows them)\n')
  })
})

describe('crossport explain', () => {
  it('says which folder applies and which headers an allowed origin gets', async () => {
    await createFolder(cp, '/explained/', { origins: ['https://shop.example'] })
    const res = await crossport(['explain', '/explained/logo.png', '--origin', 'https://shop.example'])
    expect(res.code).toBe(0)
    expect(res.stdout).toContain('folder:  /explained/')
    expect(res.stdout).toMatch(/Access-Control-Allow-Origin: https:\/\/shop\.example/)
  })

  it('shows the CDN\'s own Cache-Control beside Cache-Control when the folder sets one, and no such line otherwise', async () => {
    await createFolder(cp, '/explained-cdn/', { origins: [], cacheControl: 'public, max-age=60', cdnCacheControl: 'public, max-age=86400' })
    const res = await crossport(['explain', '/explained-cdn/a.css'])
    expect(res.stdout).toContain('caching: Cache-Control: public, max-age=60; CDN-Cache-Control: public, max-age=86400\n')
    expect((await crossport(['explain', '/explained/logo.png'])).stdout).not.toContain('caching:')
  })

  it('--json prints the API answer', async () => {
    const res = await crossport(['explain', '/explained/logo.png', '--origin', 'https://evil.example', '--json'])
    const explanation = JSON.parse(res.stdout) as { folder: { path: string }; headers: Record<string, string> }
    expect(explanation.folder.path).toBe('/explained/')
    expect(explanation.headers['Access-Control-Allow-Origin']).toBeUndefined()
  })
})

describe('crossport explain request facts', () => {
  beforeAll(async () => {
    await createFolder(cp, '/hotlinked/', { origins: ['https://shop.example'], mode: 'strict', allowHeaders: ['Range'] })
  })

  const explain = async (args: readonly string[]) => {
    const res = await crossport(['explain', '/hotlinked/a.png', ...args, '--json'])
    expect(res.stderr).toBe('')
    return JSON.parse(res.stdout) as { preflight: boolean; method: string; outcome: string; status: number; reasons: string[] }
  }

  it('--referer: strict mode refuses a Referer from another site and serves an allowed one', async () => {
    expect(await explain(['--referer', 'https://evil.example/page'])).toMatchObject({ outcome: 'refused', status: 403 })
    expect(await explain(['--referer', 'https://shop.example/page'])).toMatchObject({ status: 200 })
  })

  it('--sec-fetch-site: a cross-site fetch without Origin or Referer is refused in strict mode', async () => {
    expect(await explain(['--sec-fetch-site', 'cross-site'])).toMatchObject({ outcome: 'refused', status: 403 })
    expect(await explain(['--sec-fetch-site', 'none'])).toMatchObject({ status: 200 })
  })

  it('--headers makes it a preflight and judges each header', async () => {
    const allowed = await explain(['--origin', 'https://shop.example', '--headers', 'Range'])
    expect(allowed).toMatchObject({ preflight: true, outcome: 'allowed', status: 204 })
    const refused = await explain(['--origin', 'https://shop.example', '--headers', 'X-Secret'])
    expect(refused).toMatchObject({ preflight: true, outcome: 'refused', status: 403 })
  })

  it('--preflight and --no-preflight choose which request is explained', async () => {
    expect(await explain(['--origin', 'https://shop.example', '--preflight'])).toMatchObject({ preflight: true, status: 204 })
    expect(await explain(['--origin', 'https://shop.example', '--method', 'PUT', '--no-preflight'])).toMatchObject({ preflight: false, method: 'PUT' })
  })

  it('refuses a --sec-fetch-site outside its choices as a usage error (exit 2)', async () => {
    const res = await crossport(['explain', '/hotlinked/a.png', '--sec-fetch-site', 'elsewhere'])
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(/'elsewhere' is invalid\. Allowed choices are same-origin, same-site, cross-site, none/)
  })
})

describe('crossport tokens', () => {
  it('create prints the secret once, and the new token works', async () => {
    const res = await crossport(['tokens', 'create', 'ci', '--scope', 'read', '--json'])
    expect(res.code).toBe(0)
    const created = JSON.parse(res.stdout) as { id: string; token: string; scope: string }
    expect(created.scope).toBe('read')
    const list = await crossport(['folders', 'list', '--json'], { CROSSPORT_TOKEN: created.token })
    expect(list.code).toBe(0)
    const write = await crossport(['folders', 'add', '/by-reader/', '--origin', 'https://x.example'], { CROSSPORT_TOKEN: created.token })
    expect(write.code).toBe(1)
    expect(write.stderr).toMatch(/^crossport: 403 Forbidden: /)
  })

  it('list shows tokens without secrets, and revoke makes a token useless', async () => {
    const created = JSON.parse((await crossport(['tokens', 'create', 'temp', '--scope', 'write', '--json'])).stdout) as { id: string; token: string }
    const list = await crossport(['tokens', 'list'])
    expect(list.stdout).toContain(created.id)
    expect(list.stdout).not.toContain(created.token)
    expect((await crossport(['tokens', 'revoke', created.id])).code).toBe(0)
    const refused = await crossport(['folders', 'list'], { CROSSPORT_TOKEN: created.token })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^crossport: 401 /)
  })

  describe('create --database (offline recovery)', () => {
    it('mints a token straight in the database, which the running server accepts at once, audited as the offline CLI', async () => {
      const port = await closedPort()
      // No server address and no token: the database file is all it needs.
      const res = await crossport(['tokens', 'create', 'rescue', '--scope', 'write', '--database', cp.databasePath], {
        CROSSPORT_URL: `http://127.0.0.1:${port}`,
        CROSSPORT_TOKEN: '',
      })
      expect(res.stderr).toBe('')
      expect(res.code).toBe(0)
      expect(res.stdout).toMatch(/^created write token "rescue" \(id [0-9a-f-]+\) in .+crossport\.db\nsecret \(shown only now\): cpt_[A-Za-z0-9_-]{43}\n$/)
      const secret = /secret \(shown only now\): (\S+)/.exec(res.stdout)?.[1] as string
      const id = /\(id ([0-9a-f-]+)\)/.exec(res.stdout)?.[1] as string

      expect((await cp.admin('POST', '/folders', { path: '/rescued/', policy: { origins: [] } }, secret)).status).toBe(201)
      const { items } = (await (await cp.admin('GET', `/audit?target=${id}`)).json()) as { items: Array<{ actor: string; action: string; after: unknown }> }
      expect(items).toEqual([expect.objectContaining({ actor: 'cli (offline)', action: 'token.create' })])
      expect(JSON.stringify(items)).not.toContain(secret)
    })

    it('says a postgres:// URL is not supported yet (exit 2)', async () => {
      const res = await crossport(['tokens', 'create', 'x', '--scope', 'write', '--database', 'postgres://crossport@db.internal/crossport'])
      expect(res.code).toBe(2)
      expect(res.stderr).toMatch(/^crossport: --database: PostgreSQL is not supported yet/)
    })

    it('refuses a file that does not exist, and creates none', async () => {
      const missing = join(work, 'missing', 'nothing.db')
      const res = await crossport(['tokens', 'create', 'x', '--scope', 'write', '--database', missing])
      expect(res.code).toBe(1)
      expect(res.stderr).toBe(`crossport: database ${missing} does not exist (--database: the SQLite file the server uses, DATABASE_PATH)\n`)
      expect(existsSync(missing)).toBe(false)
    })

    it('refuses a SQLite file without the Crossport schema', async () => {
      const other = join(work, 'other.db')
      const plain = new Database(other)
      plain.exec('CREATE TABLE notes (body TEXT)')
      plain.close()
      const res = await crossport(['tokens', 'create', 'x', '--scope', 'write', '--database', other])
      expect(res.code).toBe(1)
      expect(res.stderr).toMatch(/is not a Crossport database/)
    })
  })

  it('refuses a missing --scope as a usage error (exit 2)', async () => {
    const res = await crossport(['tokens', 'create', 'x'])
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(/--scope/)
  })

  it('refuses a --scope outside its choices as a usage error (exit 2)', async () => {
    const res = await crossport(['tokens', 'create', 'x', '--scope', 'admin'])
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(/--scope.*admin/)
  })
})

describe('crossport assets', () => {
  it('upload sends a local folder, then only what changed', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer()
    writeLocal('site/index.txt', 'v1')
    writeLocal('site/img/logo.png', png)
    writeLocal('site/.DS_Store', 'junk')

    const first = await crossport(['assets', 'upload', join(work, 'site'), '--to', '/web/'])
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('uploaded  /web/img/logo.png')
    expect(first.stdout).toContain('uploaded  /web/index.txt')
    expect(first.stdout).toMatch(/2 uploaded \(.+\), 0 unchanged, 1 skipped, 0 failed\n$/)
    expect(first.stdout).toContain('skipped   /web/.DS_Store (dotfile)\n')
    expect(readFileSync(join(cp.assetsDir, 'web/img/logo.png')).equals(png)).toBe(true)

    const second = JSON.parse((await crossport(['assets', 'upload', join(work, 'site'), '--to', '/web/', '--json'])).stdout) as { uploaded: string[]; unchanged: string[] }
    expect(second.uploaded).toEqual([])
    expect(second.unchanged.sort()).toEqual(['/web/img/logo.png', '/web/index.txt'])

    // A change of content (and so of mtime) is uploaded again.
    const changed = writeLocal('site/index.txt', 'v2 is longer')
    const later = new Date(Date.now() + 5_000)
    utimesSync(changed, later, later)
    const third = JSON.parse((await crossport(['assets', 'upload', join(work, 'site'), '--to', '/web/', '--json'])).stdout) as { uploaded: string[]; unchanged: string[] }
    expect(third.uploaded).toEqual(['/web/index.txt'])
    expect(readFileSync(join(cp.assetsDir, 'web/index.txt'), 'utf8')).toBe('v2 is longer')
  })

  it('upload fails with exit 1 and names the file the server refused', async () => {
    writeLocal('bad/fake.png', 'not a png at all')
    const res = await crossport(['assets', 'upload', join(work, 'bad'), '--to', '/bad/'])
    expect(res.code).toBe(1)
    expect(res.stdout).toContain('FAILED    /bad/fake.png: 415 Content does not match its media type')
    expect(res.stderr).toMatch(/^crossport: 1 file\(s\) failed to upload; first: \/bad\/fake\.png/)
  })

  it('upload --dry-run counts the bytes it would send and sends nothing', async () => {
    writeLocal('dry/a.txt', '12345')
    writeLocal('dry/b/c.txt', '1234567')
    const res = await crossport(['assets', 'upload', join(work, 'dry'), '--to', '/dry/', '--dry-run'])
    expect(res.code).toBe(0)
    expect(res.stdout).toContain('would upload  /dry/a.txt')
    expect(res.stdout).toMatch(/\n2 to upload \(12 B\), 0 unchanged, 0 skipped, 0 failed\n$/)
    const json = JSON.parse((await crossport(['assets', 'upload', join(work, 'dry'), '--to', '/dry/', '--dry-run', '--json'])).stdout) as { bytes: number }
    expect(json.bytes).toBe(12)
    expect(existsSync(join(cp.assetsDir, 'dry'))).toBe(false)
  })

  it('ls lists assets as a table, and --json as objects', async () => {
    const table = await crossport(['assets', 'ls', '/web/'])
    expect(table.code).toBe(0)
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^PATH\s+SIZE\s+TYPE\s+MODIFIED\s+ETAG$/)
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['/web/img/logo.png', '/web/index.txt'])
    const json = JSON.parse((await crossport(['assets', 'ls', '--json'])).stdout) as Array<{ path: string }>
    expect(json.map((a) => a.path)).toEqual(expect.arrayContaining(['/existing/keep.txt', '/web/index.txt']))
  })

  it('rm deletes an asset, and a second rm fails with the 404 detail', async () => {
    const rm = await crossport(['assets', 'rm', '/web/index.txt'])
    expect(rm.code).toBe(0)
    expect(rm.stdout).toBe('removed /web/index.txt\n')
    const again = await crossport(['assets', 'rm', '/web/index.txt'])
    expect(again.code).toBe(1)
    expect(again.stderr).toBe('crossport: 404 Asset not found: No asset at /web/index.txt\n')
  })
})

describe('crossport errors', () => {
  it('says clearly when the server cannot be reached', async () => {
    const port = await closedPort()
    const res = await crossport(['folders', 'list'], { CROSSPORT_URL: `http://127.0.0.1:${port}` })
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(new RegExp(`^crossport: cannot reach the admin API at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`))
    expect(res.stderr.trimEnd().split('\n')).toHaveLength(1)
  })

  it('says so when no token is given', async () => {
    const res = await crossport(['folders', 'list'], { CROSSPORT_TOKEN: '' })
    expect(res.code).toBe(2)
    expect(res.stderr).toBe('crossport: No admin token: pass --token or set CROSSPORT_TOKEN\n')
  })

  it('takes --url and --token over the environment', async () => {
    const res = await crossport(['--url', cp.adminUrl, '--token', cp.token, 'folders', 'list', '--json'], { CROSSPORT_URL: 'http://127.0.0.1:1', CROSSPORT_TOKEN: 'wrong' })
    expect(res.code).toBe(0)
  })

  it('rejects an unknown command with a usage error (exit 2)', async () => {
    const res = await crossport(['frobnicate'])
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(/unknown command 'frobnicate'/)
  })

  it('rejects an unknown option with a usage error (exit 2)', async () => {
    const res = await crossport(['folders', 'list', '--frobnicate'])
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(/unknown option '--frobnicate'/)
  })

  it('says so when --url is the public listener, which answers a bare 404 (reads) or 405 (writes)', async () => {
    for (const args of [['folders', 'list'], ['folders', 'add', '/x/']]) {
      const res = await crossport(['--url', cp.publicUrl, ...args])
      expect(res.code).toBe(1)
      expect(res.stderr).toMatch(/^crossport: 40[45] from http:\/\/127\.0\.0\.1:\d+ without a problem\+json body: that is not the admin API, maybe the public listener \(PORT\)\?/)
      expect(res.stderr).toContain('ADMIN_PORT')
    }
  })

  it('prints the package version and exits 0 for --version and -V', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }
    for (const flag of ['--version', '-V']) {
      const res = await crossport([flag])
      expect({ flag, code: res.code, stdout: res.stdout }).toEqual({ flag, code: 0, stdout: `${version}\n` })
    }
  })

  it('exits 0 for --help', async () => {
    const res = await crossport(['--help'])
    expect(res.code).toBe(0)
    expect(res.stdout).toContain('Usage: crossport')
  })
})

describe('crossport migrate and backup', () => {
  it('migrate reports an up-to-date database', async () => {
    const res = await crossport(['migrate', '--database', cp.databasePath])
    expect(res.code).toBe(0)
    expect(res.stdout).toMatch(/^up to date \(schema version \d+\)\n$/)
  })

  it('migrate creates and migrates a new database file from DATABASE_PATH', async () => {
    const fresh = join(work, 'fresh', 'new.db')
    const res = await crossport(['migrate', '--json'], { DATABASE_PATH: fresh })
    expect(res.code).toBe(0)
    expect((JSON.parse(res.stdout) as { applied: string[] }).applied).toContain('0001_init.sql')
  })

  describe('with a .env in the working folder', () => {
    let project: string

    beforeAll(() => {
      project = join(work, 'project')
      mkdirSync(project)
      writeFileSync(join(project, '.env'), 'DATABASE_PATH=./from-dotenv.db\n')
    })

    it('migrate uses the DATABASE_PATH of .env', async () => {
      const res = await crossport(['migrate', '--json'], {}, project)
      expect(res.stderr).toBe('')
      expect(res.code).toBe(0)
      expect(existsSync(join(project, 'from-dotenv.db'))).toBe(true)
    })

    it('backup copies the database .env names', async () => {
      const res = await crossport(['backup', 'copy.db'], {}, project)
      expect(res.stderr).toBe('')
      expect(res.code).toBe(0)
      expect(res.stdout).toContain(`backed up ${join(project, 'from-dotenv.db')} to ${join(project, 'copy.db')}: `)
    })

    it('takes the environment over .env, and --database over both', async () => {
      const fromEnv = await crossport(['migrate'], { DATABASE_PATH: join(project, 'from-env.db') }, project)
      expect(fromEnv.code).toBe(0)
      expect(existsSync(join(project, 'from-env.db'))).toBe(true)
      const fromFlag = await crossport(['migrate', '--database', 'from-flag.db'], { DATABASE_PATH: join(project, 'from-env-2.db') }, project)
      expect(fromFlag.code).toBe(0)
      expect(existsSync(join(project, 'from-flag.db'))).toBe(true)
      expect(existsSync(join(project, 'from-env-2.db'))).toBe(false)
    })
  })

  it('backup makes a copy that opens and holds the policies, while the server keeps writing', async () => {
    await createFolder(cp, '/backed-up/', { origins: ['https://kept.example'] })
    const folder = ((await (await cp.admin('GET', '/folders?path=/backed-up/')).json()) as { items: Array<{ id: number }> }).items[0]
    let writes = 0
    let isWriting = true
    // Policy changes keep landing in the database for the whole time the backup runs.
    const writer = (async () => {
      while (isWriting) {
        const res = await cp.admin('POST', `/folders/${folder?.id}/origins`, { origin: `https://w${writes}.example` })
        if (res.status !== 201) throw new Error(`write failed: ${res.status}`)
        writes++
      }
    })()
    const file = join(work, 'backup.db')
    const res = await crossport(['backup', file, '--database', cp.databasePath])
    isWriting = false
    await writer

    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    expect(res.stdout).toMatch(/^backed up .+ to .+backup\.db: .+, \d+ folders, schema version \d+\n$/)
    expect(writes).toBeGreaterThan(0)

    const copy = new Database(file, { readonly: true, fileMustExist: true })
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok')
      const paths = copy.prepare<[], { path: string }>('SELECT path FROM folders ORDER BY path').all().map((r) => r.path)
      expect(paths).toEqual(expect.arrayContaining(['/', '/backed-up/', '/brand/']))
      const origins = copy
        .prepare<[string], { origin: string }>('SELECT origin FROM folder_origins JOIN folders ON folders.id = folder_id WHERE path = ? ORDER BY position')
        .all('/backed-up/')
        .map((r) => r.origin)
      // A snapshot: the first origin, then some prefix of the concurrent writes, in order, with no gaps.
      expect(origins[0]).toBe('https://kept.example')
      expect(origins.slice(1)).toEqual(origins.slice(1).map((_, i) => `https://w${i}.example`))
    } finally {
      copy.close()
    }
  })

  it('backup refuses to overwrite an existing file without --force', async () => {
    const file = join(work, 'exists.db')
    writeFileSync(file, 'precious')
    const res = await crossport(['backup', file, '--database', cp.databasePath])
    expect(res.code).toBe(1)
    expect(res.stderr).toBe(`crossport: ${file} already exists; pass --force to overwrite it\n`)
    expect(readFileSync(file, 'utf8')).toBe('precious')
  })
})
