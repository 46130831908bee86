#!/usr/bin/env node
// Slowloris check: many sockets send their request headers one byte at a time.
// Passes when the server still answers a normal request quickly while they
// trickle, and closes every slow socket once HEADERS_TIMEOUT_MS has passed
// (Node answers 408 and destroys it). Loopback only, bounded in time.
//
//   node scripts/slow-client.js [--sockets 200] [--headers-timeout-ms 2000] [--deadline-s 45]
'use strict'
const { connect } = require('node:net')
const { numberOption, spawnCrossport } = require('./lib/spawn-crossport')

const socketCount = numberOption('sockets', 'SLOW_SOCKETS', 200)
const headersTimeoutMs = numberOption('headers-timeout-ms', 'SLOW_HEADERS_TIMEOUT_MS', 2000)
// Node checks header deadlines on a timer (http.Server connectionsCheckingInterval,
// 30 s unless the server sets it lower), so a slow socket may live up to
// headersTimeout + that interval. The default deadline allows for the worst case.
const deadlineS = numberOption('deadline-s', 'SLOW_DEADLINE_S', 45)
const BYTE_EVERY_MS = 500
const NORMAL_REQUEST_LIMIT_MS = 2000

const REQUEST_HEAD = 'GET /slow/a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\nX-Padding: ' + 'x'.repeat(4096)

/** One socket that never finishes its headers; resolves how it ended. */
function slowSocket(port) {
  return new Promise((resolveConnected) => {
    const socket = connect(port, '127.0.0.1')
    const startedAt = Date.now()
    let sent = 0
    let answer = ''
    let timer
    const ended = new Promise((resolveEnded) => {
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')))
      socket.on('error', () => {})
      socket.on('close', () => {
        clearInterval(timer)
        resolveEnded({ lifetimeMs: Date.now() - startedAt, status: /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] })
      })
    })
    socket.once('connect', () => {
      timer = setInterval(() => {
        if (socket.destroyed || sent >= REQUEST_HEAD.length) return
        socket.write(REQUEST_HEAD[sent++])
      }, BYTE_EVERY_MS)
      resolveConnected({ socket, ended })
    })
    socket.once('error', () => resolveConnected({ socket, ended }))
  })
}

async function timedFetch(url) {
  const startedAt = Date.now()
  const res = await fetch(url, { signal: AbortSignal.timeout(NORMAL_REQUEST_LIMIT_MS) })
  await res.arrayBuffer()
  return { status: res.status, ms: Date.now() - startedAt }
}

async function main() {
  const server = await spawnCrossport({
    assets: { 'slow/a.txt': 'hello\n' },
    env: { HEADERS_TIMEOUT_MS: String(headersTimeoutMs), REQUEST_TIMEOUT_MS: String(headersTimeoutMs * 2) },
  })
  const port = Number(new URL(server.publicUrl).port)
  const problems = []
  let summary = ''
  const slow = []
  try {
    for (let i = 0; i < socketCount; i++) slow.push(await slowSocket(port))
    const during = await timedFetch(`${server.publicUrl}/slow/a.txt`).catch((e) => ({ status: 0, ms: NaN, error: e }))
    if (during.status !== 200) problems.push(`normal request while ${socketCount} slow sockets were open: ${during.error ? during.error.message : during.status}`)

    const deadline = new Promise((resolve) => setTimeout(resolve, deadlineS * 1000, 'deadline').unref())
    const outcomes = await Promise.race([Promise.all(slow.map((s) => s.ended)), deadline])
    if (outcomes === 'deadline') {
      const open = slow.filter((s) => !s.socket.destroyed).length
      problems.push(`${open} of ${socketCount} slow sockets still open after ${deadlineS}s`)
    } else {
      const early = outcomes.filter((o) => o.lifetimeMs < headersTimeoutMs - 100).length
      if (early > 0) problems.push(`${early} slow sockets closed before HEADERS_TIMEOUT_MS (${headersTimeoutMs} ms)`)
      const lifetimes = outcomes.map((o) => o.lifetimeMs)
      const with408 = outcomes.filter((o) => o.status === '408').length
      summary = `${socketCount} slow sockets closed after ${Math.min(...lifetimes)}–${Math.max(...lifetimes)} ms (${with408} with 408)`
    }
    const after = await timedFetch(`${server.publicUrl}/slow/a.txt`).catch((e) => ({ status: 0, ms: NaN, error: e }))
    if (after.status !== 200) problems.push(`normal request afterwards: ${after.error ? after.error.message : after.status}`)
    summary += `, normal request ${during.ms} ms during / ${after.ms} ms after`
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error))
  } finally {
    for (const s of slow) s.socket.destroy()
    const code = await server.stop()
    if (code !== 0) problems.push(`server exited with ${code} on SIGTERM`)
  }
  if (problems.length > 0) {
    process.stdout.write(`slow-client: FAIL ${problems.join('; ')}${summary ? ` | ${summary}` : ''}\n`)
    process.exit(1)
  }
  process.stdout.write(`slow-client: PASS ${summary}\n`)
}

main().catch((error) => {
  process.stdout.write(`slow-client: FAIL ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
