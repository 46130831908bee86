#!/usr/bin/env node
// Database-lock check: another connection holds the SQLite write lock
// (BEGIN EXCLUSIVE plus a pending write) for a few seconds while admin
// requests arrive and the public listener keeps answering. Passes when:
// - every public request during the lock is answered correctly (CORS headers
//   from the policy table in memory) and fast: p99 and worst latency within bounds;
// - admin reads succeed during the lock, fast, with a token used for the first
//   time (its last_used_at must not need a write);
// - an admin write sent as the lock is taken retries for DB_BUSY_RETRY_MS and
//   then answers 503 problem+json with Retry-After, changing nothing;
// - an admin write sent shortly before the lock is released succeeds after it.
// Loopback only, bounded in time.
//
//   node scripts/db-lock-check.js [--hold-s 3] [--retry-ms 1000] [--p99-latency-ms 250] [--max-latency-ms 500]
//
// What this guards against: the serving process waiting on the lock
// synchronously (busy_timeout), which stalls its event loop and with it every
// public request, or an admin read that writes.
'use strict'
const Database = require('better-sqlite3')
const { numberOption, spawnCrossport } = require('./lib/spawn-crossport')

const holdS = numberOption('hold-s', 'DB_LOCK_HOLD_S', 3)
const retryMs = numberOption('retry-ms', 'DB_LOCK_RETRY_MS', 1000)
const p99LatencyMs = numberOption('p99-latency-ms', 'DB_LOCK_P99_LATENCY_MS', 250)
const maxLatencyMs = numberOption('max-latency-ms', 'DB_LOCK_MAX_LATENCY_MS', 500)
const ORIGIN = 'https://shop.example'
const REFUSED_ORIGIN = 'https://refused.example'
const LATE_ORIGIN = 'https://late.example'
/** Parallel public request loops while the lock is held. */
const CLIENTS = 4

const holdMs = holdS * 1000
if (holdMs < retryMs * 1.5) {
  process.stderr.write('--hold-s must be at least 1.5 x --retry-ms: one write must run out of retries before the lock goes\n')
  process.exit(2)
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** A request with its latency; a failed fetch counts as status 0. */
async function timed(request) {
  const startedAt = performance.now()
  try {
    const res = await request()
    const body = await res.text()
    return { status: res.status, headers: res.headers, body, ms: performance.now() - startedAt, settledAt: performance.now() }
  } catch (error) {
    return { status: 0, headers: new Headers(), body: '', error: error.message, ms: performance.now() - startedAt, settledAt: performance.now() }
  }
}

const probe = (publicUrl, origin = ORIGIN) =>
  timed(() => fetch(`${publicUrl}/locked/a.txt`, { headers: { origin }, signal: AbortSignal.timeout(10_000) }))

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

async function main() {
  const server = await spawnCrossport({ assets: { 'locked/a.txt': 'still here\n' }, env: { DB_BUSY_RETRY_MS: String(retryMs) } })
  const problems = []
  let summary = ''
  let lock
  try {
    const created = await server.admin('POST', '/folders', { path: '/locked/', policy: { origins: [ORIGIN] } })
    if (created.status !== 201) throw new Error(`creating the /locked/ policy failed: ${created.status}`)
    const folderId = (await created.json()).id
    // A token whose first use falls inside the lock: recording it must not need the lock.
    const watcherRes = await server.admin('POST', '/tokens', { name: 'lock-watcher', scope: 'read' })
    if (watcherRes.status !== 201) throw new Error(`creating a read token failed: ${watcherRes.status}`)
    const watcher = (await watcherRes.json()).token
    const before = await probe(server.publicUrl)
    if (before.status !== 200 || before.headers.get('access-control-allow-origin') !== ORIGIN) {
      throw new Error(`policy not in force before the lock: ${before.status} ${before.headers.get('access-control-allow-origin')}`)
    }

    lock = new Database(server.databasePath)
    lock.exec('BEGIN EXCLUSIVE')
    // A real pending change, as a competing writer would hold; rolled back afterwards.
    lock.prepare('UPDATE policy_version SET version = version WHERE id = 1').run()
    const lockedAt = performance.now()
    const lockedUntil = lockedAt + holdMs

    const addOrigin = (origin) => timed(() => server.admin('POST', `/folders/${folderId}/origins`, { origin }))
    // Sent as the lock is taken: runs out of retries (retry-ms) before the lock goes.
    const earlyWrite = addOrigin(REFUSED_ORIGIN)
    // Sent retry-ms/2 before the release: still retrying when the lock goes.
    const lateWrite = sleep(holdMs - retryMs / 2).then(() => addOrigin(LATE_ORIGIN))
    const adminReads = []
    const readLoop = (async () => {
      while (performance.now() < lockedUntil) {
        adminReads.push(
          await timed(() =>
            fetch(`${server.adminUrl}/admin/v1/folders`, { headers: { authorization: `Bearer ${watcher}` }, signal: AbortSignal.timeout(10_000) }),
          ),
        )
        await sleep(100)
      }
    })()
    const results = []
    const publicLoops = Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < lockedUntil) results.push(await probe(server.publicUrl))
    })
    await Promise.all([...publicLoops, readLoop])
    lock.exec('ROLLBACK')
    lock.close()
    lock = undefined
    const releasedAt = performance.now()
    const [early, late] = await Promise.all([earlyWrite, lateWrite])

    const wrong = results.filter((r) => r.status !== 200 || r.headers.get('access-control-allow-origin') !== ORIGIN || r.body !== 'still here\n')
    const sorted = results.map((r) => r.ms).sort((a, b) => a - b)
    const p50 = percentile(sorted, 50)
    const p99 = percentile(sorted, 99)
    const worst = sorted[sorted.length - 1] ?? NaN
    if (results.length === 0) problems.push('no public request completed while the lock was held')
    if (wrong.length > 0) {
      const first = wrong[0]
      problems.push(`${wrong.length} of ${results.length} public answers wrong during the lock (first: ${first.status} ${first.error ?? first.headers.get('access-control-allow-origin')})`)
    }
    if (p99 > p99LatencyMs) problems.push(`public p99 ${p99.toFixed(0)} ms over ${p99LatencyMs} ms`)
    if (worst > maxLatencyMs) problems.push(`public worst ${worst.toFixed(0)} ms over ${maxLatencyMs} ms`)

    const failedReads = adminReads.filter((r) => r.status !== 200)
    const worstRead = Math.max(...adminReads.map((r) => r.ms))
    if (adminReads.length === 0) problems.push('no admin read completed while the lock was held')
    if (failedReads.length > 0) problems.push(`${failedReads.length} of ${adminReads.length} admin reads failed during the lock (first: ${failedReads[0].status})`)
    if (worstRead > maxLatencyMs) problems.push(`admin read worst ${worstRead.toFixed(0)} ms over ${maxLatencyMs} ms`)

    const earlyOk =
      early.status === 503 &&
      /^[1-9][0-9]*$/.test(early.headers.get('retry-after') ?? '') &&
      (early.headers.get('content-type') ?? '').startsWith('application/problem+json') &&
      early.settledAt < releasedAt
    if (!earlyOk) {
      problems.push(`admin write during the whole lock: expected 503 problem+json with Retry-After before the release, got ${early.status} after ${early.ms.toFixed(0)} ms (retry-after ${early.headers.get('retry-after')})`)
    }
    if (late.status !== 201 || late.settledAt < releasedAt) {
      problems.push(`admin write shortly before the release: expected 201 after it, got ${late.status} ${late.settledAt < releasedAt ? 'before' : 'after'} it`)
    }

    // Once the lock is gone, the refused write left nothing and the late one reached the public side.
    const refused = await probe(server.publicUrl, REFUSED_ORIGIN)
    if (refused.headers.get('access-control-allow-origin') !== null) problems.push('the write answered 503 was applied anyway')
    const allowed = await probe(server.publicUrl, LATE_ORIGIN)
    if (allowed.headers.get('access-control-allow-origin') !== LATE_ORIGIN) problems.push('the write made after the release is not in force on the public side')

    summary =
      `${results.length} public requests during a ${holdS}s write lock: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, worst ${worst.toFixed(0)} ms; ` +
      `${adminReads.length} admin reads, worst ${worstRead.toFixed(0)} ms; ` +
      `write under the lock ${early.status} after ${early.ms.toFixed(0)} ms, write before the release ${late.status}`
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
