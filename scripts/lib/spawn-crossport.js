// Starts the built server (`node dist/main.js`) in a throwaway folder on
// loopback ports, for the operations scripts (soak, slow-client, db-lock-check).
// A child process, so /proc/<pid> shows the server alone, not the load generator.
'use strict'
const { freePort } = require('./free-port')
const { execFileSync, spawn } = require('node:child_process')
const { mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs')
const { tmpdir } = require('node:os')
const { dirname, join } = require('node:path')

const ROOT = join(__dirname, '..', '..')
const ADMIN_TOKEN = 'ops-script-admin-token-0123456789'

/**
 * @param {{ assets?: Record<string, string | Buffer>, env?: Record<string, string>, startTimeoutMs?: number,
 *   onLine?: (line: string) => void }} [options] onLine: each line the server writes to stdout (its log)
 * @returns {Promise<{ publicUrl: string, adminUrl: string, pid: number, dir: string, databasePath: string,
 *   admin(method: string, path: string, body?: unknown): Promise<Response>, stop(): Promise<number | null> }>}
 */
async function spawnCrossport(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'crossport-ops-'))
  const assetsDir = join(dir, 'assets')
  mkdirSync(assetsDir, { recursive: true })
  for (const [path, content] of Object.entries(options.assets ?? {})) {
    mkdirSync(dirname(join(assetsDir, path)), { recursive: true })
    writeFileSync(join(assetsDir, path), content)
  }
  const databasePath = join(dir, 'crossport.db')
  // Ports chosen here rather than PORT=0: the startup line that names them is
  // info level, and these scripts run the server at warn to keep logging cheap.
  const ports = [await freePort(), await freePort()]
  // CROSSPORT_ENTRY: run another build (e.g. an older release) under the same checks.
  const entry = process.env.CROSSPORT_ENTRY ?? join(ROOT, 'dist', 'main.js')
  if (entry === join(ROOT, 'dist', 'main.js')) {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-if-needed.js')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
  }
  const child = spawn(process.execPath, [entry], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(ports[0]),
      HOST: '127.0.0.1',
      ADMIN_PORT: String(ports[1]),
      ADMIN_HOST: '127.0.0.1',
      ASSETS_DIR: assetsDir,
      DATABASE_PATH: databasePath,
      CACHE_DIR: join(dir, 'cache'),
      ADMIN_TOKEN,
      SEED_DEMO: 'false',
      // Access lines would cost the load generator's pipe more than the server; warnings still show.
      LOG_LEVEL: 'warn',
      WORKERS: '1',
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)))

  const urls = { publicUrl: `http://127.0.0.1:${ports[0]}`, adminUrl: `http://127.0.0.1:${ports[1]}` }
  // Drain stdout so a chatty server never blocks on a full pipe.
  if (options.onLine) require('node:readline').createInterface({ input: child.stdout }).on('line', options.onLine)
  else child.stdout.resume()
  await waitUntilReady(urls.publicUrl, exited, options.startTimeoutMs ?? 30_000)

  return {
    ...urls,
    pid: child.pid,
    dir,
    databasePath,
    admin(method, path, body) {
      return fetch(`${urls.adminUrl}/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      const code = await exited
      rmSync(dir, { recursive: true, force: true })
      return code
    },
  }
}


/** Polls /healthz until it answers 200: there is no other signal a child at warn level gives. */
async function waitUntilReady(publicUrl, exited, timeoutMs) {
  let exitCode
  exited.then((code) => (exitCode = code ?? 'signal'))
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`server exited with ${exitCode} while starting`)
    try {
      const res = await fetch(`${publicUrl}/healthz`)
      await res.arrayBuffer()
      if (res.status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('server did not become healthy in time')
}

/** `--name value` or `--name=value` from argv, else the environment variable, else the fallback. */
function option(name, envName, fallback) {
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1] ?? fallback
    if (argv[i]?.startsWith(`--${name}=`)) return argv[i].slice(name.length + 3)
  }
  return process.env[envName] ?? fallback
}

function numberOption(name, envName, fallback) {
  const value = Number(option(name, envName, String(fallback)))
  if (!Number.isFinite(value) || value < 0) {
    process.stderr.write(`--${name} must be a non-negative number\n`)
    process.exit(2)
  }
  return value
}

module.exports = { spawnCrossport, option, numberOption, ADMIN_TOKEN }
