#!/usr/bin/env node
// `npm run bench`: Crossport's own load benchmark, independent of ../shared.
// Generates fixtures in a temp dir, starts `scripts/bench-server.js` (the real
// server, dist/main.js) on a loopback port, runs bounded autocannon scenarios
// and prints a markdown table. Knobs: BENCH_DURATION (s, default 5),
// BENCH_CONNECTIONS (default 64), BENCH_DL_CONNECTIONS (default 4), BENCH_COLD_RENDERS
// (default 24), WORKERS (default 1), BENCH_STORE=s3 (file store vs S3 store on a private Ceph RGW).
'use strict'
const { freePort } = require('./lib/free-port')
const { spawn } = require('node:child_process')
const { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } = require('node:fs')
const { request } = require('node:http')
const { cpus, tmpdir } = require('node:os')
const { join } = require('node:path')
const autocannon = require('autocannon')
const { DIST, ROOT, SITE_A, ensureBuilt, generateFixtures } = require('./bench/prepare')

const DURATION = Number(process.env.BENCH_DURATION || 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 64)
const DL_CONNECTIONS = Number(process.env.BENCH_DL_CONNECTIONS || 4)
const EVIL = 'https://evil.example'
// Cold renders: this many copies of the 1600×1200 JPEG, each rendered once to 640 px WebP.
const COLD_RENDERS = Number(process.env.BENCH_COLD_RENDERS || 24)
const MIB = 1024 * 1024
// A fixed key for the /signed/ folder: the bench measures verifying, not key handling.
const SIGNING_KEYS = 'bench:' + Buffer.alloc(32, 7).toString('base64url')


function probe(url, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let bytes = 0
      res.on('data', (c) => (bytes += c.length))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, bytes }))
    })
    req.on('error', reject)
    req.end()
  })
}

async function waitUntilUp(url, child, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`)
    try {
      const res = await probe(url)
      if (res.status === 200) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('server did not come up')
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The server process and its cluster workers, from /proc. */
function processTree(pid) {
  const pids = [pid]
  for (let i = 0; i < pids.length; i++) {
    try {
      const children = readFileSync(`/proc/${pids[i]}/task/${pids[i]}/children`, 'utf8').trim()
      if (children) pids.push(...children.split(/\s+/).map(Number))
    } catch {
      // gone
    }
  }
  return pids
}

function rssBytes(pids) {
  let total = 0
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m) total += Number(m[1]) * 1024
    } catch {
      // exited
    }
  }
  return total
}

function run(scenario, baseUrl, pid) {
  return new Promise((resolve, reject) => {
    let peak = 0
    const pids = processTree(pid)
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pids))), 50)
    const instance = autocannon(
      {
        url: baseUrl + scenario.path,
        method: scenario.method || 'GET',
        headers: scenario.headers,
        connections: scenario.connections || CONNECTIONS,
        duration: scenario.duration || DURATION,
        timeout: 20,
      },
      (error, result) => {
        clearInterval(sampler)
        if (error) return reject(error)
        resolve({ result, peakRss: Math.max(peak, rssBytes(pids)) })
      },
    )
    // autocannon prints nothing by itself when used as a library; keep it that way.
    void instance
  })
}

/** Renders/s of first requests for distinct sources: nothing is cached, every request renders. */
async function measureColdRenders(base) {
  process.stderr.write(`bench: ${COLD_RENDERS} cold renders...\n`)
  let next = 0
  const startedAt = performance.now()
  const worker = async () => {
    while (next < COLD_RENDERS) {
      const i = next++
      const res = await probe(`${base}/public/img/cold-${i}.jpg?w=640&fmt=webp`, { headers: { origin: SITE_A } })
      if (res.status !== 200) throw new Error(`cold render ${i}: status ${res.status}`)
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()])
  return COLD_RENDERS / ((performance.now() - startedAt) / 1000)
}

async function main() {
  ensureBuilt()
  const dir = mkdtempSync(join(tmpdir(), 'crossport-bench-run-'))
  let child
  const cleanup = () => {
    if (child && child.exitCode === null) child.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
  process.on('SIGINT', () => {
    cleanup()
    process.exit(130)
  })
  try {
    process.stderr.write('bench: generating fixtures...\n')
    const fixtures = join(dir, 'fixtures')
    await generateFixtures(fixtures)
    for (let i = 0; i < COLD_RENDERS; i++) copyFileSync(join(fixtures, 'public/img/photo.jpg'), join(fixtures, `public/img/cold-${i}.jpg`))
    const videoSize = statSync(join(fixtures, 'public/video/video.mp4')).size
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    child = spawn(process.execPath, [join(ROOT, 'scripts', 'bench-server.js')], {
      env: { ...process.env, BENCH_FIXTURES: fixtures, BENCH_PORT: String(port), URL_SIGNING_KEYS: SIGNING_KEYS },
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    await waitUntilUp(`${base}/public/css/app.css`, child)
    if (process.env.BENCH_STORE === 's3') {
      // BENCH_STORE=s3: the file store against the S3 store on a private RGW (scripts/bench/s3.js), instead of the table below.
      const tools = { run, probe, waitUntilUp }
      return await require('./bench/s3').compareStores({ fixtures, fs: { base, pid: child.pid }, videoSize, ok: { origin: SITE_A }, dlConnections: DL_CONNECTIONS, durationSeconds: DURATION, tools })
    }
    const { headers: cssHeaders } = await probe(`${base}/public/css/app.css`, { headers: { origin: SITE_A } })

    const ok = { origin: SITE_A }
    const { parseSigningKeys, signQuery } = require(join(DIST, 'signing'))
    const keyring = parseSigningKeys(SIGNING_KEYS).keyring
    const signed = signQuery(keyring, '/signed/css/app.css', [], Math.floor(Date.now() / 1000) + 3600)
    // A plain file as large as the warm derivative: the two should stay within 20 %.
    const derivativeSize = (await probe(`${base}/public/img/photo.jpg?w=640&fmt=webp`, { headers: ok })).bytes
    writeFileSync(join(fixtures, 'public/img/plain-same-size.bin'), Buffer.alloc(derivativeSize, 7))
    const scenarios = [
      { id: 'css', name: '1 KB CSS, allowed Origin', path: '/public/css/app.css', headers: ok, want: 200, acao: true },
      // The same file in a folder with signedUrls "required": the row above minus this one is the cost of verifying.
      { id: 'css-signed', name: '1 KB CSS, signed URL', path: `/signed/css/app.css?${signed.query}`, headers: ok, want: 200, acao: true },
      { id: 'jpg', name: '200 KB JPEG', path: '/public/img/photo.jpg', headers: ok, want: 200, acao: true },
      { id: '304', name: '304 revalidation (If-None-Match)', path: '/public/css/app.css', headers: { ...ok, 'if-none-match': cssHeaders.etag }, want: 304, acao: true },
      { id: 'range-start', name: '1 MB range at the start of 20 MB', path: '/public/video/video.mp4', headers: { ...ok, range: `bytes=0-${MIB - 1}` }, want: 206, acao: true },
      { id: 'range-end', name: '1 MB range at the end of 20 MB', path: '/public/video/video.mp4', headers: { ...ok, range: `bytes=${videoSize - MIB}-${videoSize - 1}` }, want: 206, acao: true },
      { id: 'preflight', name: 'preflight (OPTIONS)', path: '/public/css/app.css', method: 'OPTIONS', headers: { ...ok, 'access-control-request-method': 'GET' }, want: 204, acao: true },
      // The probe below renders it once; the measured requests are warm cache hits.
      { id: 'derivative', name: 'warm image derivative (w=640, webp)', path: '/public/img/photo.jpg?w=640&fmt=webp', headers: ok, want: 200, acao: true },
      { id: 'same-size', name: `plain file of the derivative's size (${derivativeSize} B)`, path: '/public/img/plain-same-size.bin', headers: ok, want: 200, acao: true },
      { id: 'refused', name: 'refused Origin (CSS)', path: '/public/css/app.css', headers: { origin: EVIL }, want: 200, acao: false },
      { id: 'download', name: 'full 20 MB download', path: '/public/video/video.mp4', headers: ok, want: 200, acao: true, connections: DL_CONNECTIONS },
    ]

    const rows = []
    for (const s of scenarios) {
      const check = await probe(base + s.path, { method: s.method, headers: s.headers })
      const hasAcao = check.headers['access-control-allow-origin'] !== undefined
      const checkNote = check.status === s.want && hasAcao === s.acao ? 'ok' : `MISMATCH: ${check.status}${hasAcao ? ' +ACAO' : ''}`
      process.stderr.write(`bench: ${s.name} (${DURATION}s, ${s.connections || CONNECTIONS} connections)...\n`)
      const { result, peakRss } = await run(s, base, child.pid)
      const failed = (result['4xx'] || 0) + (result['5xx'] || 0)
      rows.push(
        `| ${s.name} | ${s.connections || CONNECTIONS} | ${Math.round(result.requests.average).toLocaleString('en-US')} | ${result.latency.p99} | ` +
          `${(result.throughput.average / MIB).toFixed(1)} | ${(peakRss / MIB).toFixed(0)} | ${result.errors + result.timeouts} | ${failed} | ${checkNote} |`,
      )
    }

    // Last: libvips' working memory would otherwise show in every row's peak RSS.
    const coldRendersPerSecond = await measureColdRenders(base)

    const cpu = cpus()[0]
    console.log(`\n### npm run bench — ${new Date().toISOString()}\n`)
    console.log(`Machine: ${cpus().length} × ${cpu ? cpu.model : 'cpu'}, node ${process.version}, WORKERS=${process.env.WORKERS || 1}, ${DURATION} s per scenario, autocannon on the same machine.\n`)
    console.log('| scenario | conns | req/s | p99 ms | MiB/s | server peak RSS MiB | socket errors | 4xx/5xx | check |')
    console.log('|---|--:|--:|--:|--:|--:|--:|--:|---|')
    for (const row of rows) console.log(row)
    console.log(`\nCold renders (1600×1200 JPEG → 640 px WebP, ${COLD_RENDERS} distinct sources, 4 at a time): ${coldRendersPerSecond.toFixed(1)} renders/s`)
  } finally {
    cleanup()
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error.stack || error}\n`)
  process.exit(1)
})
