// `npm run bench`, images: Crossport's derivatives against ipx (unjs, on sharp:
// what nuxt/image uses) in one run, on the same source files and parameters.
//   cold: every (source, width) pair once, BENCH_IPX_CONCURRENCY requests at a
//         time on both sides — each request is a render (Crossport's cache is
//         empty for these sources; ipx keeps none);
//   warm: one derivative URL for BENCH_DURATION seconds at BENCH_IPX_WARM_CONNECTIONS
//         connections — Crossport answers from its derivative cache, ipx renders again.
// Like for like: WebP at q=75, effort 4 on both (sharp's default, which both
// use), the same widths, the source read from the same local folder.
// Knobs: BENCH_IPX=0 leaves the comparison out; BENCH_IPX_SOURCES (8), BENCH_IPX_CONCURRENCY (2),
// BENCH_IPX_WARM_CONNECTIONS (8).
'use strict'
const { spawn } = require('node:child_process')
const { copyFileSync, mkdirSync, readFileSync } = require('node:fs')
const { Agent, request } = require('node:http')
const { join } = require('node:path')
const autocannon = require('autocannon')
const { freePort } = require('../lib/free-port')

const SOURCES = Number(process.env.BENCH_IPX_SOURCES || 8)
const CONCURRENCY = Number(process.env.BENCH_IPX_CONCURRENCY || 2)
const WARM_CONNECTIONS = Number(process.env.BENCH_IPX_WARM_CONNECTIONS || 8)
// In Crossport's default IMAGE_WIDTHS, so neither side rounds or refuses them.
const WIDTHS = [256, 384, 640, 750, 828, 1080]
const QUALITY = 75
const FOLDER = 'public/img/vs-ipx'

/** The two URL shapes for one derivative. */
const crossportUrl = (base, name, width) => `${base}/${FOLDER}/${name}?w=${width}&fmt=webp&q=${QUALITY}`
const ipxUrl = (base, name, width) => `${base}/w_${width}&f_webp&q_${QUALITY}/${FOLDER}/${name}`

function timedGet(url, agent, headers) {
  const startedAt = performance.now()
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      let bytes = 0
      res.on('data', (chunk) => (bytes += chunk.length))
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], bytes, ms: performance.now() - startedAt }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** CPU seconds (user + system) the processes have used so far, from /proc (0 where it cannot be read). */
function cpuSeconds(pids) {
  let ticks = 0
  for (const pid of pids) {
    try {
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // not Linux, or gone
    }
  }
  return ticks / 100
}

/** Runs `work` and adds the CPU seconds `pids` spent meanwhile, per request. */
async function withCpu(pids, count, work) {
  const before = cpuSeconds(pids)
  const result = await work()
  return { ...result, cpuMsPerRequest: ((cpuSeconds(pids) - before) * 1000) / count(result) }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]

/** Every URL once, `CONCURRENCY` in flight; throws on anything but a 200 WebP. */
async function cold(urls, headers) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const latencies = []
  let bytes = 0
  let next = 0
  const startedAt = performance.now()
  const worker = async () => {
    while (next < urls.length) {
      const url = urls[next++]
      const res = await timedGet(url, agent, headers)
      if (res.status !== 200 || res.type !== 'image/webp') throw new Error(`${url}: ${res.status} ${res.type}`)
      latencies.push(res.ms)
      bytes += res.bytes
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const seconds = (performance.now() - startedAt) / 1000
  agent.destroy()
  latencies.sort((a, b) => a - b)
  return { requests: urls.length, rps: urls.length / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), meanBytes: bytes / urls.length }
}

function warm(url, headers, duration) {
  return new Promise((resolve, reject) => {
    autocannon({ url, headers, connections: WARM_CONNECTIONS, duration, timeout: 20 }, (error, result) => {
      if (error) return reject(error)
      const failed = (result['4xx'] || 0) + (result['5xx'] || 0) + result.errors + result.timeouts
      if (failed > 0) return reject(new Error(`${url}: ${failed} failed requests`))
      resolve({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total })
    })
  })
}

async function startIpx(fixtures) {
  const port = await freePort()
  const child = spawn(process.execPath, [join(__dirname, 'ipx-server.js'), fixtures, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`ipx exited with ${code}`)))
    child.stdout.once('data', resolve)
  })
  return { base: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => child.kill('SIGTERM') }
}

/**
 * Runs the comparison against a running Crossport at `base` serving `fixtures`
 * (where `public/img/photo.jpg` is) and returns the report as markdown lines.
 * `serverPids()` lists Crossport's processes, for its CPU time per request.
 */
async function compareWithIpx({ base, fixtures, headers, duration, serverPids = () => [] }) {
  mkdirSync(join(fixtures, FOLDER), { recursive: true })
  const names = Array.from({ length: SOURCES }, (_, i) => `p${i}.jpg`)
  for (const name of names) copyFileSync(join(fixtures, 'public/img/photo.jpg'), join(fixtures, FOLDER, name))
  const ipx = await startIpx(fixtures)
  try {
    const pairs = names.flatMap((name) => WIDTHS.map((width) => [name, width]))
    process.stderr.write(`bench: images vs ipx: ${pairs.length} cold renders each, ${CONCURRENCY} at a time...\n`)
    const total = (r) => r.requests
    const crossportCold = await withCpu(serverPids(), total, () => cold(pairs.map(([n, w]) => crossportUrl(base, n, w)), headers))
    const ipxCold = await withCpu([ipx.pid], total, () => cold(pairs.map(([n, w]) => ipxUrl(ipx.base, n, w)), headers))
    process.stderr.write(`bench: images vs ipx: warm derivative, ${duration}s each at ${WARM_CONNECTIONS} connections...\n`)
    // names[0] at 640 px was rendered by the cold run: a cache hit for Crossport from the first request.
    const crossportWarm = await withCpu(serverPids(), total, () => warm(crossportUrl(base, names[0], 640), headers, duration))
    const ipxWarm = await withCpu([ipx.pid], total, () => warm(ipxUrl(ipx.base, names[0], 640), headers, duration))
    const f = (n) => n.toFixed(1)
    const ratio = (a, b) => `${(a / b).toFixed(2)}×`
    const cpu = (r) => (r.cpuMsPerRequest > 0 ? r.cpuMsPerRequest.toFixed(r.cpuMsPerRequest < 1 ? 3 : 1) : 'n/a')
    return [
      `\n#### Images: Crossport vs ipx (same ${SOURCES} sources 1600×1200 JPEG, WebP q=${QUALITY} effort 4, widths ${WIDTHS.join('/')})\n`,
      `Cold: ${pairs.length} distinct renders per side, ${CONCURRENCY} requests in flight on both (Crossport: IMAGE_CONCURRENCY default = cores). ` +
        `Warm: one derivative for ${duration} s at ${WARM_CONNECTIONS} connections (Crossport: derivative cache; ipx has none and renders each time).\n`,
      '| run | Crossport req/s | ipx req/s | Crossport/ipx | Crossport p50 / p99 ms | ipx p50 / p99 ms | server CPU ms/request Crossport / ipx | mean bytes Crossport / ipx |',
      '|---|--:|--:|--:|--:|--:|--:|--:|',
      `| cold renders | ${f(crossportCold.rps)} | ${f(ipxCold.rps)} | ${ratio(crossportCold.rps, ipxCold.rps)} | ${f(crossportCold.p50)} / ${f(crossportCold.p99)} | ${f(ipxCold.p50)} / ${f(ipxCold.p99)} | ${cpu(crossportCold)} / ${cpu(ipxCold)} | ${Math.round(crossportCold.meanBytes)} / ${Math.round(ipxCold.meanBytes)} |`,
      `| warm derivative | ${f(crossportWarm.rps)} | ${f(ipxWarm.rps)} | ${ratio(crossportWarm.rps, ipxWarm.rps)} | ${crossportWarm.p50} / ${crossportWarm.p99} | ${ipxWarm.p50} / ${ipxWarm.p99} | ${cpu(crossportWarm)} / ${cpu(ipxWarm)} | |`,
    ]
  } finally {
    ipx.stop()
  }
}

module.exports = { compareWithIpx }
