// How long a change made through one Crossport host takes to be in force on
// another on the same PostgreSQL: change a folder's origin through A's admin
// API, then ask B's public side (with that Origin) until it answers with it.
// Shared by scripts/bench-propagation.js and the two-host test.
'use strict'
const { mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs')
const { tmpdir } = require('node:os')
const { dirname, join } = require('node:path')
const { spawnCrossport } = require('./spawn-crossport')

/** Gives up on one change after this long: it never arrived. */
const GIVE_UP_MS = 10_000

/**
 * Two Crossport processes (own ports, own CACHE_DIR) on one PostgreSQL and
 * one asset folder (what a shared bucket or volume would be), started at
 * the same moment, as hosts behind a load balancer are.
 * @param {{ databaseUrl: string, assets?: Record<string, string | Buffer>, env?: Record<string, string> }} options
 */
async function startHostPair({ databaseUrl, assets = {}, env = {} }) {
  const assetsDir = mkdtempSync(join(tmpdir(), 'crossport-shared-assets-'))
  for (const [path, content] of Object.entries(assets)) {
    mkdirSync(dirname(join(assetsDir, path)), { recursive: true })
    writeFileSync(join(assetsDir, path), content)
  }
  const hostEnv = { DATABASE_URL: databaseUrl, ASSETS_DIR: assetsDir, ...env }
  const started = await Promise.allSettled([spawnCrossport({ env: hostEnv }), spawnCrossport({ env: hostEnv })])
  const hosts = started.filter((result) => result.status === 'fulfilled').map((result) => result.value)
  const stop = async () => {
    for (const host of hosts) await host.stop()
    rmSync(assetsDir, { recursive: true, force: true })
  }
  const failed = started.find((result) => result.status === 'rejected')
  if (failed !== undefined) {
    await stop()
    throw failed.reason
  }
  return { a: hosts[0], b: hosts[1], assetsDir, stop }
}

/** Polls `check` (async) until it returns true; resolves with the ms it took. */
async function timeUntil(check, giveUpMs = GIVE_UP_MS) {
  const started = performance.now()
  while (!(await check())) {
    if (performance.now() - started > giveUpMs) throw new Error(`not in force after ${giveUpMs} ms`)
    // A breath between asks: back-to-back requests would take the CPU the host needs to apply the change.
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  return performance.now() - started
}

/** The Access-Control-Allow-Origin B's public side answers `path` with for `origin`. */
async function allowedOrigin(host, path, origin) {
  const res = await fetch(`${host.publicUrl}${path}`, { headers: { origin } })
  await res.arrayBuffer()
  return res.headers.get('access-control-allow-origin')
}

/**
 * `count` changes of the origin of `folder` (a folder path such as /p/, with
 * `file` in it) through A; for each, the ms from A's answer until B answers
 * with the new origin.
 */
async function measurePropagation({ a, b, folder, file, count }) {
  const created = await a.admin('POST', '/folders', { path: folder, policy: { origins: ['https://start.example'] } })
  if (created.status !== 201) throw new Error(`creating ${folder} answered ${created.status}: ${await created.text()}`)
  const { id } = await created.json()
  const samples = []
  for (let i = 0; i < count; i++) {
    const origin = `https://change-${i}.example`
    const res = await a.admin('PATCH', `/folders/${id}`, { origins: [origin] })
    if (res.status !== 200) throw new Error(`PATCH answered ${res.status}: ${await res.text()}`)
    await res.arrayBuffer()
    samples.push(await timeUntil(async () => (await allowedOrigin(b, `${folder}${file}`, origin)) === origin))
  }
  return samples
}

/** The p-th percentile (0-100) by nearest rank. */
function percentile(samples, p) {
  const sorted = [...samples].sort((x, y) => x - y)
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]
}

module.exports = { startHostPair, measurePropagation, timeUntil, allowedOrigin, percentile }
