import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { prepareDatabase, startCrossport, type RunningCrossport } from '../../src/server/app'
import { loadConfig, type Config } from '../../src/config/config'
import { createLogger } from '../../src/ops/log'

export const TEST_ADMIN_TOKEN = 'test-bootstrap-token-0123456789'

export interface TestCrossport {
  readonly publicUrl: string
  readonly adminUrl: string
  /** The bootstrap (write-scope) admin token. */
  readonly token: string
  readonly dir: string
  readonly assetsDir: string
  readonly databasePath: string
  readonly cacheDir: string
  readonly config: Readonly<Config>
  readonly running: RunningCrossport
  /** Writes a file into the asset store (creating folders). */
  writeAsset(path: string, content: string | Buffer): string
  /** Calls the admin API with the bootstrap token (or `token`), JSON body when given. */
  admin(method: string, path: string, body?: unknown, token?: string | null): Promise<Response>
  close(): Promise<void>
}

export interface StartOptions {
  /** Files to create in the asset store: `{ 'brand/logo.svg': '<svg…' }`. */
  readonly assets?: Readonly<Record<string, string | Buffer>>
  /** Extra environment (the configuration names of docs/configuration.md). */
  readonly env?: Readonly<Record<string, string>>
}

/**
 * Starts a real Crossport (both listeners on ephemeral loopback ports) over a
 * fresh temp folder holding the SQLite file, the asset store and the cache.
 */
export async function startTestCrossport(options: StartOptions = {}): Promise<TestCrossport> {
  const dir = mkdtempSync(join(tmpdir(), 'crossport-test-'))
  const assetsDir = join(dir, 'assets')
  const cacheDir = join(dir, 'cache')
  const databasePath = join(dir, 'crossport.db')
  mkdirSync(assetsDir, { recursive: true })
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_PORT: '0',
    ADMIN_HOST: '127.0.0.1',
    ASSETS_DIR: assetsDir,
    DATABASE_PATH: databasePath,
    CACHE_DIR: cacheDir,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    SEED_DEMO: 'false',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...options.env,
  })
  const writeAsset = (path: string, content: string | Buffer) => {
    const full = join(assetsDir, path)
    mkdirSync(dirname(full), { recursive: true })
    writeFileSync(full, content)
    return full
  }
  for (const [path, content] of Object.entries(options.assets ?? {})) writeAsset(path, content)

  const logger = createLogger(config)
  const { database } = await prepareDatabase(config, logger)
  const running = await startCrossport(config, logger, { database })
  const publicUrl = running.publicUrl as string
  const adminUrl = running.adminUrl as string

  const admin = (method: string, path: string, body?: unknown, token: string | null = TEST_ADMIN_TOKEN) => {
    const headers: Record<string, string> = {}
    if (token !== null) headers.authorization = `Bearer ${token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    return fetch(`${adminUrl}/admin/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
  }

  return {
    publicUrl,
    adminUrl,
    token: TEST_ADMIN_TOKEN,
    dir,
    assetsDir,
    databasePath,
    cacheDir,
    config,
    running,
    writeAsset,
    admin,
    async close() {
      await running.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Creates a folder with a policy through the admin API and returns its JSON. */
export async function createFolder(
  cp: TestCrossport,
  path: string,
  policy: Record<string, unknown>,
): Promise<{ id: number | string; path: string; policy: Record<string, unknown> }> {
  const res = await cp.admin('POST', '/folders', { path, policy })
  if (res.status !== 201) throw new Error(`creating ${path} failed: ${res.status} ${await res.text()}`)
  return (await res.json()) as { id: number | string; path: string; policy: Record<string, unknown> }
}
