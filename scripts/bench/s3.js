// The S3 store in the benchmarks. `uploadFixtures` puts a fixture folder into
// the bucket named by S3_* (bench-server.js does it when ASSET_STORE=s3, so
// ../shared/bench/run.sh can run the project on S3); `compareStores` is what
// `BENCH_STORE=s3 npm run bench` runs: a private Ceph RADOS Gateway
// (scripts/start-rgw.js), a second server on it, and the same scenarios on
// the file store and the S3 store, interleaved, with the ratios S3/fs.
'use strict'
const { spawn } = require('node:child_process')
const { readdirSync, readFileSync } = require('node:fs')
const { join, relative } = require('node:path')
const { freePort } = require('../lib/free-port')
const { DIST, ROOT } = require('./prepare')

const MIB = 1024 * 1024
// Each scenario runs this many times per store, alternating fs and s3; the best round counts (the machine is shared).
const ROUNDS = Number(process.env.BENCH_ROUNDS || 2)
const DOWNLOAD_SECONDS = Math.max(Number(process.env.BENCH_DURATION || 5), 20)
// Linux reports process CPU time in clock ticks of 1/100 s.
const TICKS_PER_SECOND = 100

/** CPU seconds the process `pid` has used so far (user + system), from /proc. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return 0
  }
}

/** The bucket settings of S3_* in `env`, as the store takes them. */
function s3OptionsOf(env) {
  return {
    endpoint: env.S3_ENDPOINT,
    bucket: env.S3_BUCKET,
    region: env.S3_REGION || 'us-east-1',
    accessKeyId: env.S3_ACCESS_KEY_ID || env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY || env.AWS_SECRET_ACCESS_KEY,
    forcePathStyle: env.S3_FORCE_PATH_STYLE ? /^(true|1)$/.test(env.S3_FORCE_PATH_STYLE) : env.S3_ENDPOINT !== undefined,
    timeoutMs: 60_000,
  }
}

/** PUTs every file under `dir` to `S3_PREFIX + its relative path` (a few at a time). */
async function uploadFixtures(dir, env = process.env) {
  const { S3Client } = require(join(DIST, 'store', 's3', 'client.js'))
  const client = new S3Client(s3OptionsOf(env))
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
  try {
    for (let i = 0; i < files.length; i += 8) {
      await Promise.all(
        files.slice(i, i + 8).map((file) => client.expectOk({ method: 'PUT', key: (env.S3_PREFIX || '') + relative(dir, file), body: readFileSync(file) })),
      )
    }
  } finally {
    client.close()
  }
  return files.length
}

/** The scenarios the issue sets targets for: ratio S3/fs of req/s (or MiB/s, `by`) at least `target`. */
function comparedScenarios(videoSize, ok, dlConnections) {
  return [
    { id: 'css', name: 'hot 1 KB CSS', path: '/public/css/app.css', headers: ok, target: 0.9 },
    { id: 'range', name: '1 MB range of 20 MB', path: '/public/video/video.mp4', headers: { ...ok, range: `bytes=${videoSize - MIB}-${videoSize - 1}` }, target: 0.5 },
    // autocannon counts completed responses only, and a 20 MB one takes seconds on a busy machine: run
    // long enough for several, and compare bytes per second.
    { id: 'download', name: `full 20 MB download (${dlConnections} conns)`, path: '/public/video/video.mp4', headers: ok, connections: dlConnections, target: 0.5, by: 'mibs', duration: DOWNLOAD_SECONDS },
  ]
}

/**
 * Starts RGW and a bench server on it, then runs each scenario on the fs
 * server (`fs`: its base URL and pid) and the S3 one, one after the other.
 * `tools` are bench.js's own load runner and probes, so both stores are
 * measured the same way. Prints a markdown table.
 */
async function compareStores({ fixtures, fs, videoSize, ok, dlConnections, durationSeconds, tools }) {
  const { startRgw } = require(join(ROOT, 'scripts', 'start-rgw.js'))
  process.stderr.write('bench: starting a Ceph RADOS Gateway (scripts/start-rgw.js)...\n')
  const rgw = await startRgw({ bucket: 'crossport-bench' })
  let child
  try {
    const port = await freePort()
    const s3Env = {
      ASSET_STORE: 's3',
      S3_ENDPOINT: rgw.endpoint,
      S3_BUCKET: rgw.bucket,
      S3_ACCESS_KEY_ID: rgw.accessKeyId,
      S3_SECRET_ACCESS_KEY: rgw.secretAccessKey,
    }
    child = spawn(process.execPath, [join(ROOT, 'scripts', 'bench-server.js')], {
      env: { ...process.env, ...s3Env, BENCH_FIXTURES: fixtures, BENCH_PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    const s3 = { base: `http://127.0.0.1:${port}`, pid: child.pid }
    await tools.waitUntilUp(`${s3.base}/public/css/app.css`, child, 120_000)
    const rows = []
    for (const scenario of comparedScenarios(videoSize, ok, dlConnections)) {
      const results = {}
      for (let round = 1; round <= ROUNDS; round++) {
        for (const [store, server] of [['fs', fs], ['s3', s3]]) {
          const check = await tools.probe(server.base + scenario.path, { headers: scenario.headers })
          if (check.status >= 300) throw new Error(`${scenario.name} on ${store}: status ${check.status}`)
          process.stderr.write(`bench: ${scenario.name} on ${store}, round ${round} (${scenario.duration ?? durationSeconds}s)...\n`)
          const cpuBefore = cpuSeconds(server.pid)
          const { result, peakRss } = await tools.run(scenario, server.base, server.pid)
          const cpuMsPerRequest = ((cpuSeconds(server.pid) - cpuBefore) * 1000) / Math.max(1, result.requests.total)
          const best = results[store]
          const failed = result.errors + result.timeouts + (result['5xx'] || 0) + (best?.failed ?? 0)
          const measured = { rps: result.requests.average, mibs: result.throughput.average / MIB, p99: result.latency.p99, cpuMsPerRequest, failed }
          const by = scenario.by ?? 'rps'
          results[store] = { ...(best === undefined || measured[by] > best[by] ? measured : best), failed, peakRss: Math.max(peakRss, best?.peakRss ?? 0) }
        }
      }
      rows.push({ scenario, ...results })
    }
    printComparison(rows, durationSeconds)
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    await rgw.stop()
  }
}

function printComparison(rows, durationSeconds) {
  const fmt = (n) => Math.round(n).toLocaleString('en-US')
  console.log(`\n### File store vs S3 store (Ceph RGW on this machine) — ${new Date().toISOString()}\n`)
  console.log(
    `${durationSeconds} s per run (${DOWNLOAD_SECONDS} s for the download), best of ${ROUNDS} rounds alternating fs and s3. RGW shares the CPU with the server and autocannon, ` +
      'so req/s on S3 includes the gateway\'s work; CPU ms per request is the Crossport process alone.\n',
  )
  console.log('| scenario | fs req/s | s3 req/s | s3/fs | target | fs MiB/s | s3 MiB/s | fs / s3 p99 ms | fs / s3 CPU ms per req | fs / s3 peak RSS MiB | errors fs/s3 |')
  console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|')
  for (const { scenario, fs, s3 } of rows) {
    const by = scenario.by ?? 'rps'
    const ratio = s3[by] / fs[by]
    const verdict = `${ratio >= scenario.target ? 'ok' : 'BELOW'}${by === 'mibs' ? ' (MiB/s)' : ''}`
    console.log(
      `| ${scenario.name} | ${fmt(fs.rps)} | ${fmt(s3.rps)} | ${ratio.toFixed(2)} | ≥ ${scenario.target} ${verdict} | ${fs.mibs.toFixed(1)} | ${s3.mibs.toFixed(1)} | ` +
        `${fs.p99} / ${s3.p99} | ${fs.cpuMsPerRequest.toFixed(3)} / ${s3.cpuMsPerRequest.toFixed(3)} | ${(fs.peakRss / MIB).toFixed(0)} / ${(s3.peakRss / MIB).toFixed(0)} | ${fs.failed}/${s3.failed} |`,
    )
  }
  const download = rows.find((row) => row.scenario.id === 'download')
  if (download) console.log(`\nPeak RSS of the S3 server during the parallel 20 MB downloads: ${(download.s3.peakRss / MIB).toFixed(0)} MiB (target < 200 MB).`)
}

module.exports = { uploadFixtures, compareStores }

if (require.main === module && process.argv[2] === 'upload') {
  uploadFixtures(process.argv[3]).then(
    (count) => process.stderr.write(`bench: ${count} fixtures uploaded to S3_BUCKET=${process.env.S3_BUCKET}\n`),
    (error) => {
      process.stderr.write(`bench: uploading ${process.argv[3]} into S3_BUCKET=${process.env.S3_BUCKET} failed: ${error.message}\n`)
      process.exit(1)
    },
  )
}
