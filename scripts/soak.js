#!/usr/bin/env node
// Soak test: steady load on a real Crossport (node dist/main.js) for a bounded
// time, sampling the server's RSS and open file descriptors from /proc. Fails
// when either keeps growing, when any request errors, or when an answer has an
// unexpected status. Loopback only.
//
//   node scripts/soak.js [--duration 30] [--rate 300] [--connections 8] [--rss-growth-mib 64] [--fd-growth 4]
//   SOAK_DURATION_S=600 node scripts/soak.js      # the 10-minute run
'use strict'
const autocannon = require('autocannon')
const { readdirSync, readFileSync } = require('node:fs')
const { numberOption, spawnCrossport } = require('./lib/spawn-crossport')

const durationS = numberOption('duration', 'SOAK_DURATION_S', 30)
const connections = numberOption('connections', 'SOAK_CONNECTIONS', 8)
// Steady, not saturating: a soak looks for leaks over time, and must not starve
// whatever else shares the machine (CI runs it beside the test suite). 0 = as fast as possible.
const ratePerSecond = numberOption('rate', 'SOAK_RATE', 300)
// RSS settles after the caches (memory cache, policy table, V8 heap) warm up;
// beyond that, growth in proportion to requests served is a leak.
const rssGrowthLimitMiB = numberOption('rss-growth-mib', 'SOAK_RSS_GROWTH_MIB', 64)
const fdGrowthLimit = numberOption('fd-growth', 'SOAK_FD_GROWTH', 4)
const SAMPLE_EVERY_MS = 1000
const ORIGIN = 'https://shop.example'

const MIB = 1024 * 1024
const small = Buffer.alloc(4 * 1024, 'a')
const medium = Buffer.alloc(2 * MIB, 'b')

function sampleProcess(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN)
  return { rssMiB: rssKiB / 1024, fds: readdirSync(`/proc/${pid}/fd`).length }
}

/** Every answer this traffic mix should get: 200, 206 (range), 204 (preflight), 404 (the miss). */
const EXPECTED_STATUSES = new Set([200, 204, 206, 404])

function runLoad(url, seconds, statuses) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: seconds,
        ...(ratePerSecond > 0 ? { overallRate: ratePerSecond } : {}),
        // One round of the traffic a shared CDN origin sees: a small asset cross-origin,
        // a range of a larger one, a preflight, a miss. (No HEAD: autocannon's parser
        // would wait for the Content-Length body a HEAD answer never has.)
        requests: [
          { method: 'GET', path: '/soak/small.txt', headers: { origin: ORIGIN } },
          { method: 'GET', path: '/soak/medium.bin', headers: { origin: ORIGIN, range: 'bytes=1000000-1065535' } },
          { method: 'OPTIONS', path: '/soak/small.txt', headers: { origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' } },
          { method: 'GET', path: '/soak/missing.txt' },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    )
    instance.on('response', (_client, statusCode) => statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1))
  })
}

async function main() {
  const server = await spawnCrossport({ assets: { 'soak/small.txt': small, 'soak/medium.bin': medium } })
  const problems = []
  let summary = ''
  try {
    const created = await server.admin('POST', '/folders', { path: '/soak/', policy: { origins: [ORIGIN], allowHeaders: ['Range'] } })
    if (created.status !== 201) throw new Error(`creating the /soak/ policy failed: ${created.status}`)
    const idle = sampleProcess(server.pid)

    // Warm-up: caches fill, the JIT settles, sockets are opened; the baseline is taken after it.
    const warmupS = Math.min(10, Math.max(2, Math.round(durationS * 0.15)))
    const statuses = new Map()
    await runLoad(server.publicUrl, warmupS, statuses)
    const baseline = sampleProcess(server.pid)

    const samples = []
    const sampler = setInterval(() => samples.push(sampleProcess(server.pid)), SAMPLE_EVERY_MS)
    const result = await runLoad(server.publicUrl, Math.max(1, durationS - warmupS), statuses)
    clearInterval(sampler)
    samples.push(sampleProcess(server.pid))

    // After the load stops, every socket and file it opened must be closed again.
    let settled = sampleProcess(server.pid)
    for (let i = 0; i < 50 && settled.fds > idle.fds; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      settled = sampleProcess(server.pid)
    }

    const peakRss = Math.max(...samples.map((s) => s.rssMiB))
    const endRss = samples[samples.length - 1].rssMiB
    const peakFds = Math.max(...samples.map((s) => s.fds))
    const rssGrowth = endRss - baseline.rssMiB
    const fdsLeaked = settled.fds - idle.fds
    const total = result.requests.total
    const unexpected = [...statuses].filter(([status]) => !EXPECTED_STATUSES.has(status))
    if (result.errors > 0 || result.timeouts > 0) problems.push(`${result.errors} errors, ${result.timeouts} timeouts`)
    if (unexpected.length > 0) problems.push(`unexpected statuses ${unexpected.map(([s, n]) => `${s}×${n}`).join(' ')}`)
    if (total === 0) problems.push('no requests completed')
    if (rssGrowth > rssGrowthLimitMiB) problems.push(`RSS grew ${rssGrowth.toFixed(1)} MiB after warm-up (limit ${rssGrowthLimitMiB})`)
    if (peakFds - baseline.fds > fdGrowthLimit + connections) problems.push(`open fds peaked at ${peakFds} (baseline ${baseline.fds})`)
    if (fdsLeaked > fdGrowthLimit) problems.push(`${fdsLeaked} fds still open after the load stopped`)

    summary =
      `${durationS}s ${connections} conns, ${total} req (${Math.round(result.requests.average)}/s, p99 ${result.latency.p99} ms), ` +
      `rss ${baseline.rssMiB.toFixed(0)}→${endRss.toFixed(0)} MiB (peak ${peakRss.toFixed(0)}), ` +
      `fds idle ${idle.fds} peak ${peakFds} after ${settled.fds}`
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error))
  } finally {
    const code = await server.stop()
    if (code !== 0) problems.push(`server exited with ${code} on SIGTERM`)
  }
  if (problems.length > 0) {
    process.stdout.write(`soak: FAIL ${problems.join('; ')}${summary ? ` | ${summary}` : ''}\n`)
    process.exit(1)
  }
  process.stdout.write(`soak: PASS ${summary}\n`)
}

main().catch((error) => {
  process.stdout.write(`soak: FAIL ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
