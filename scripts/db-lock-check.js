#!/usr/bin/env node
// Database-lock check: another connection holds the SQLite write lock
// (BEGIN EXCLUSIVE plus a pending write) for a few seconds while the public
// listener keeps answering, with the right CORS headers, from the policy table
// in memory. Passes when every request during the lock is answered correctly
// and quickly. Loopback only, bounded in time.
//
//   node scripts/db-lock-check.js [--hold-s 3] [--max-latency-ms 500]
//
// In WAL mode a writer never blocks readers, so the cheap `PRAGMA data_version`
// poll keeps working; what this guards against is a request path that starts
// writing, or waiting on busy_timeout, while another process holds the lock.
'use strict'
const Database = require('better-sqlite3')
const { numberOption, spawnCrossport } = require('./lib/spawn-crossport')

const holdS = numberOption('hold-s', 'DB_LOCK_HOLD_S', 3)
const maxLatencyMs = numberOption('max-latency-ms', 'DB_LOCK_MAX_LATENCY_MS', 500)
const ORIGIN = 'https://shop.example'
/** Parallel request loops while the lock is held. */
const CLIENTS = 4

async function probe(publicUrl) {
  const startedAt = performance.now()
  const res = await fetch(`${publicUrl}/locked/a.txt`, { headers: { origin: ORIGIN }, signal: AbortSignal.timeout(10_000) })
  const body = await res.text()
  return { status: res.status, allowOrigin: res.headers.get('access-control-allow-origin'), body, ms: performance.now() - startedAt }
}

async function main() {
  const server = await spawnCrossport({ assets: { 'locked/a.txt': 'still here\n' } })
  const problems = []
  let summary = ''
  let lock
  try {
    const created = await server.admin('POST', '/folders', { path: '/locked/', policy: { origins: [ORIGIN] } })
    if (created.status !== 201) throw new Error(`creating the /locked/ policy failed: ${created.status}`)
    const before = await probe(server.publicUrl)
    if (before.status !== 200 || before.allowOrigin !== ORIGIN) throw new Error(`policy not in force before the lock: ${before.status} ${before.allowOrigin}`)

    lock = new Database(server.databasePath)
    lock.pragma('busy_timeout = 5000')
    lock.exec('BEGIN EXCLUSIVE')
    // A real pending change, as a competing writer would hold; rolled back afterwards.
    lock.prepare('UPDATE policy_version SET version = version WHERE id = 1').run()

    const results = []
    const lockedUntil = Date.now() + holdS * 1000
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (Date.now() < lockedUntil) results.push(await probe(server.publicUrl).catch((e) => ({ status: 0, error: e.message, ms: NaN })))
      }),
    )
    lock.exec('ROLLBACK')
    lock.close()
    lock = undefined

    const wrong = results.filter((r) => r.status !== 200 || r.allowOrigin !== ORIGIN || r.body !== 'still here\n')
    const slow = results.filter((r) => r.ms > maxLatencyMs)
    const worst = Math.max(...results.map((r) => r.ms))
    if (results.length === 0) problems.push('no request completed while the lock was held')
    if (wrong.length > 0) problems.push(`${wrong.length} of ${results.length} answers wrong during the lock (first: ${wrong[0].status} ${wrong[0].error ?? wrong[0].allowOrigin})`)
    if (slow.length > 0) problems.push(`${slow.length} answers slower than ${maxLatencyMs} ms (worst ${worst.toFixed(0)} ms)`)

    // Once the lock is gone, writes work again and reach the public side.
    const patched = await server.admin('POST', `/folders/${(await created.json()).id}/origins`, { origin: 'https://other.example' })
    if (patched.status !== 201) problems.push(`admin write after the lock: ${patched.status}`)
    summary = `${results.length} requests during a ${holdS}s write lock, worst ${worst.toFixed(0)} ms`
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error))
  } finally {
    if (lock) {
      if (lock.inTransaction) lock.exec('ROLLBACK')
      lock.close()
    }
    const code = await server.stop()
    if (code !== 0) problems.push(`server exited with ${code} on SIGTERM`)
  }
  if (problems.length > 0) {
    process.stdout.write(`db-lock-check: FAIL ${problems.join('; ')}${summary ? ` | ${summary}` : ''}\n`)
    process.exit(1)
  }
  process.stdout.write(`db-lock-check: PASS ${summary}\n`)
}

main().catch((error) => {
  process.stdout.write(`db-lock-check: FAIL ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
