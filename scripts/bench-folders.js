#!/usr/bin/env node
// `npm run bench:folders`: what a policy change, start-up and the
// policy table cost with many folders. For each N in BENCH_FOLDERS (default
// 1000,10000,100000) it fills a fresh database with N folders × 20 origins
// directly (one transaction), starts the real server (dist/main.js) and
// measures: start-up to /readyz, RSS after start-up (compare with N=0 for the
// policy table's share), the first folder create through the admin API (cold:
// code not yet optimised), p50/p99 of the BENCH_CREATES (default 200) creates
// after it, and public request latency p99 without changes and
// during a burst of BENCH_CHANGE_RATE (default 100) changes/s. Last, resolve()
// cost in-process for each N, and the 1-minute load average when each row was
// done (on a shared machine, read latency figures next to it). Prints a
// markdown table.
'use strict'
const { freePort } = require('./lib/free-port')
const { spawn } = require('node:child_process')
const { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs')
const { request } = require('node:http')
const { loadavg, tmpdir } = require('node:os')
const { join } = require('node:path')
const { DIST, ensureBuilt } = require('./bench/prepare')

const COUNTS = (process.env.BENCH_FOLDERS || '1000,10000,100000').split(',').map(Number)
const CREATES = Number(process.env.BENCH_CREATES || 200)
const CHANGE_RATE = Number(process.env.BENCH_CHANGE_RATE || 100)
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS || 3)
const ORIGINS = 20
const TOKEN = 'bench-folders-token-0123456789abcdef'

const origins = (i) => Array.from({ length: ORIGINS }, (_, k) => `https://site-${k}.tenant-${i}.example`)


function call(port, method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const headers = { authorization: `Bearer ${TOKEN}` }
    if (payload !== undefined) headers['content-type'] = 'application/json'
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end(payload)
  })
}

/** N folders /t<i>/ × 20 origins, written the way FolderRepo writes them, in one transaction. */
function fill(databasePath, n) {
  const { openDb } = require(join(DIST, 'db', 'sqlite', 'open.js'))
  const { migrate } = require(join(DIST, 'db', 'sqlite', 'migrate.js'))
  const db = openDb(databasePath)
  try {
    migrate(db)
    const now = new Date().toISOString()
    const insertFolder = db.prepare(`INSERT INTO folders
      (path, methods, allow_headers, expose_headers, max_age, credentials, private_network, mode, cache_control, created_at, updated_at)
      VALUES (?, '["GET","HEAD"]', '["Range"]', '["ETag"]', 600, 0, 0, 'cors', 'public, max-age=3600', ?, ?)`)
    const insertOrigin = db.prepare('INSERT INTO folder_origins (folder_id, origin, position) VALUES (?, ?, ?)')
    db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const id = Number(insertFolder.run(`/t${i}/`, now, now).lastInsertRowid)
        origins(i).forEach((origin, position) => insertOrigin.run(id, origin, position))
      }
    })()
  } finally {
    db.close()
  }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
const ms = (v) => (v === undefined ? '–' : v.toFixed(1))

async function waitReady(port, child, timeoutMs = 600000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`)
    try {
      if ((await call(port, 'GET', '/readyz')).status === 200) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('server did not become ready')
    await new Promise((r) => setTimeout(r, 20))
  }
}

const rssMiB = (pid) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
  return line ? Number(line.replace(/[^0-9]/g, '')) / 1024 : NaN
}

/** Sequential public GETs for `seconds`: latency p99 in ms. */
async function publicP99(port, seconds) {
  const latencies = []
  const until = performance.now() + seconds * 1000
  while (performance.now() < until) {
    const t = performance.now()
    await call(port, 'GET', `/t${latencies.length % 7}/sub/x.txt`)
    latencies.push(performance.now() - t)
  }
  latencies.sort((a, b) => a - b)
  return percentile(latencies, 99)
}

async function measure(n) {
  const dir = mkdtempSync(join(tmpdir(), 'crossport-bench-folders-'))
  try {
    const databasePath = join(dir, 'crossport.db')
    const assetsDir = join(dir, 'assets')
    mkdirSync(assetsDir)
    const t0 = performance.now()
    fill(databasePath, n)
    const fillMs = performance.now() - t0
    const [port, adminPort] = [await freePort(), await freePort()]
    const env = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ADMIN_PORT: String(adminPort),
      ADMIN_HOST: '127.0.0.1',
      ASSETS_DIR: assetsDir,
      DATABASE_PATH: databasePath,
      CACHE_DIR: join(dir, 'cache'),
      ADMIN_TOKEN: TOKEN,
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      WORKERS: '1',
    }
    const started = performance.now()
    const child = spawn(process.execPath, [join(DIST, 'main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] })
    try {
      await waitReady(port, child)
      const startupMs = performance.now() - started
      const rss = rssMiB(child.pid)

      const creates = []
      for (let i = 0; i <= CREATES; i++) {
        const t = performance.now()
        const res = await call(adminPort, 'POST', '/admin/v1/folders', { path: `/bench-${i}/`, policy: { origins: origins(n + i) } })
        creates.push(performance.now() - t)
        if (res.status !== 201) throw new Error(`create answered ${res.status}: ${res.body}`)
      }
      const firstCreate = creates.shift()
      creates.sort((a, b) => a - b)

      const quietP99 = await publicP99(port, LOAD_SECONDS)
      // The burst: PATCHes of one folder at CHANGE_RATE/s while the public side is measured.
      let changing = true
      const changes = (async () => {
        let k = 0
        while (changing) {
          const t = performance.now()
          await call(adminPort, 'PATCH', '/admin/v1/folders/2', { maxAge: 600 + (k++ % 2) })
          const wait = 1000 / CHANGE_RATE - (performance.now() - t)
          if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        }
        return k
      })()
      const burstP99 = await publicP99(port, LOAD_SECONDS)
      changing = false
      const changed = await changes
      return { n, fillMs, startupMs, rss, firstCreate, load: loadavg()[0], p50: percentile(creates, 50), p99: percentile(creates, 99), quietP99, burstP99, rate: changed / LOAD_SECONDS }
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)))
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** resolve() in-process: µs per lookup of a 4-deep path, for a table of N folders. */
function resolveCost(n) {
  const { compilePolicyTable } = require(join(DIST, 'policy', 'table.js'))
  const { DEFAULT_POLICY } = require(join(DIST, 'policy', 'types.js'))
  const folders = Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    path: `/t${i}/`,
    policy: { ...DEFAULT_POLICY, origins: ['https://a.example'] },
    createdAt: '',
    updatedAt: '',
  }))
  const table = compilePolicyTable(folders)
  // Folders compile on first use: do that before timing, so only lookups are measured.
  for (let i = 0; i < n; i++) table.resolve(`/t${i}/x`)
  const rounds = 1_000_000
  let hits = 0
  const t = performance.now()
  for (let i = 0; i < rounds; i++) if (table.resolve(`/t${i % n}/a/b/c.png`).folder.id > 0) hits++
  return ((performance.now() - t) * 1000) / rounds + (hits < 0 ? 1 : 0)
}

async function main() {
  ensureBuilt()
  const rows = []
  for (const n of [0, ...COUNTS]) {
    const r = await measure(n)
    rows.push({ ...r, resolveUs: n > 0 ? resolveCost(n) : undefined })
    process.stderr.write(`bench-folders: ${n} folders done\n`)
  }
  const lines = [
    `| folders (×${ORIGINS} origins) | fill (ms) | start-up to ready (ms) | RSS (MiB) | first create (ms) | create p50 (ms) | create p99 (ms) | public p99 quiet (ms) | public p99 during changes (ms) | changes/s | resolve (µs) | load avg |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.n} | ${r.fillMs.toFixed(0)} | ${r.startupMs.toFixed(0)} | ${r.rss.toFixed(0)} | ${ms(r.firstCreate)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.quietP99)} | ${ms(r.burstP99)} | ${r.rate.toFixed(0)} | ${r.resolveUs === undefined ? '–' : r.resolveUs.toFixed(3)} | ${r.load.toFixed(1)} |`,
    ),
  ]
  process.stdout.write(lines.join('\n') + '\n')
  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, lines.join('\n') + '\n')
}

main().catch((error) => {
  process.stderr.write(`bench-folders: ${error.stack || error}\n`)
  process.exit(1)
})
