// A private Ceph cluster with a RADOS Gateway, for the S3 store's tests and
// benchmarks: one monitor, one OSD on memstore (nothing on disk but logs),
// no authentication inside the cluster, pools of size 1, RGW on the beast
// frontend, and one S3 user with keys chosen here. Everything lives in one
// temp folder on free loopback ports; stop() kills the daemons and removes it.
// The daemons come from scripts/ensure-ceph.sh. As a script it starts one and
// prints its settings as .env lines until Ctrl-C.
'use strict'
const { execFile, spawn } = require('node:child_process')
const { randomUUID } = require('node:crypto')
const { mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs')
const { request } = require('node:http')
const { tmpdir } = require('node:os')
const { join } = require('node:path')
const { promisify } = require('node:util')
const aws4 = require('aws4')
const { freePort } = require('./lib/free-port.js')

const runFile = promisify(execFile)
const run = (file, args, options) => {
  if (process.env.RGW_DEBUG) console.error(new Date().toISOString(), file, args.slice(0, 4).join(' '))
  return runFile(file, args, options)
}
const ACCESS_KEY_ID = 'crossporttestkey'
const SECRET_ACCESS_KEY = 'crossport-test-secret-0123456789'
const READY_MS = 90_000

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function cephConf(dir, fsid, monPort, rgwPort) {
  return `[global]
fsid = ${fsid}
mon host = v1:127.0.0.1:${monPort}
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = 2147483648
osd crush chooseleaf type = 0
ms bind ipv6 = false
run dir = ${dir}/run
log file = ${dir}/log/$name.log
admin socket = ${dir}/run/$name.asok
pid file = ${dir}/run/$name.pid
mon data = ${dir}/mon/$id
osd data = ${dir}/osd/$id
keyring = /dev/null

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw data = ${dir}/rgw
rgw enable usage log = false
`
}

/**
 * Runs `work` until it succeeds, a few times: right after the OSD starts,
 * the first pool creations can fail while its placement groups settle.
 */
async function retried(work, attempts = 5) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      if (attempt >= attempts) throw error
      await sleep(1000)
    }
  }
}

/** Signed S3 request to the gateway; resolves with the status code. */
function s3(port, method, path) {
  return new Promise((resolve) => {
    const options = aws4.sign(
      { host: `127.0.0.1:${port}`, method, path, service: 's3', region: 'us-east-1', headers: {} },
      { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    )
    const req = request({ ...options, host: '127.0.0.1', port }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', () => resolve(0))
    req.setTimeout(5000, () => req.destroy())
    req.end()
  })
}

/**
 * Starts the cluster and creates `bucket`.
 * @returns {Promise<{endpoint: string, port: number, bucket: string, accessKeyId: string, secretAccessKey: string, dir: string, stopGateway(): Promise<void>, startGateway(): Promise<void>, stop(): Promise<void>}>}
 */
async function startRgw(options = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startCluster(options)
    } catch (error) {
      // Now and then a brand-new cluster refuses its own members at boot ("wrong fsid":
      // the OSD exits, or the first command gets EPERM); a fresh cluster in a fresh
      // folder on fresh ports then starts.
      if (attempt >= 3) throw error
    }
  }
}

/** Resolves once the monitor counts the OSD as up; rejects when it exited instead. */
async function osdUp(ceph, isRunning) {
  const deadline = Date.now() + READY_MS
  for (;;) {
    if (!isRunning()) throw new Error('ceph-osd exited while joining the cluster')
    const { stdout } = await ceph(['osd', 'stat', '--format', 'json']).catch(() => ({ stdout: '{}' }))
    if ((JSON.parse(stdout).num_up_osds ?? 0) >= 1) return
    if (Date.now() > deadline) throw new Error('ceph-osd did not come up')
    await sleep(250)
  }
}

async function startCluster({ bucket = 'crossport' }) {
  const dir = mkdtempSync(join(tmpdir(), 'crossport-rgw-'))
  for (const sub of ['run', 'log', 'mon/a', 'osd/0', 'rgw']) mkdirSync(join(dir, sub), { recursive: true })
  const [monPort, rgwPort] = [await freePort(), await freePort()]
  const conf = join(dir, 'ceph.conf')
  // One cluster id in the config, the monitor map and the OSD's superblock; an OSD
  // that sees two refuses to join ("wrong fsid") and the gateway never starts.
  const fsid = randomUUID()
  const osdUuid = randomUUID()
  writeFileSync(conf, cephConf(dir, fsid, monPort, rgwPort))
  const children = new Map()
  const ceph = (args) => run('ceph', ['-c', conf, '--connect-timeout', '20', ...args], { timeout: 30_000 })
  const daemon = (name, binary, args) => {
    const child = spawn(binary, ['-c', conf, '-f', ...args], { stdio: 'ignore' })
    children.set(name, child)
    child.once('exit', () => children.get(name) === child && children.delete(name))
  }
  const kill = async (name) => {
    const child = children.get(name)
    if (child === undefined) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
  // A test runner that exits without stop() (a crash, a timeout) must not leave daemons behind.
  const killAllNow = () => {
    for (const child of children.values()) child.kill('SIGKILL')
  }
  process.once('exit', killAllNow)
  const stop = async () => {
    process.off('exit', killAllNow)
    for (const name of [...children.keys()]) await kill(name)
    rmSync(dir, { recursive: true, force: true })
  }
  const gatewayAnswers = async () => {
    const deadline = Date.now() + READY_MS
    // 404 NoSuchBucket or 200: the gateway is up and knows the user.
    while ((await s3(rgwPort, 'HEAD', `/${bucket}`)) === 0 || !children.has('rgw')) {
      if (!children.has('rgw') || Date.now() > deadline) throw new Error(`radosgw did not answer on port ${rgwPort}; see ${dir}/log`)
      await sleep(200)
    }
  }
  const startGateway = async () => {
    daemon('rgw', 'radosgw', ['-n', 'client.rgw'])
    await gatewayAnswers()
  }
  try {
    await run('monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v1:127.0.0.1:${monPort}]`, join(dir, 'monmap')])
    await run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap')])
    daemon('mon', 'ceph-mon', ['-i', 'a'])
    const { stdout } = await ceph(['osd', 'create', osdUuid])
    const osdId = stdout.trim()
    await run('ceph-osd', ['-c', conf, '-i', osdId, '--mkfs', '--osd-uuid', osdUuid], { timeout: 60_000 })
    daemon('osd', 'ceph-osd', ['-i', osdId])
    await osdUp(ceph, () => children.has('osd'))
    await retried(() =>
      run('radosgw-admin', ['-c', conf, 'user', 'create', '--uid=crossport', '--display-name=crossport', `--access-key=${ACCESS_KEY_ID}`, `--secret=${SECRET_ACCESS_KEY}`], { timeout: 30_000 }),
    )
    await startGateway()
    const created = await s3(rgwPort, 'PUT', `/${bucket}`)
    if (created !== 200) throw new Error(`creating bucket ${bucket} answered ${created}`)
  } catch (error) {
    await stop()
    const detail = [error.message, error.stderr].filter(Boolean).join('\n')
    throw new Error(`The Ceph RADOS Gateway did not start (scripts/ensure-ceph.sh installs it): ${detail}`, { cause: error })
  }
  return {
    endpoint: `http://127.0.0.1:${rgwPort}`,
    port: rgwPort,
    bucket,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    dir,
    /** Stops the gateway only (the cluster keeps its objects), as an outage would. */
    stopGateway: () => kill('rgw'),
    startGateway,
    stop,
  }
}

module.exports = { startRgw }

if (require.main === module) {
  const started = Date.now()
  startRgw().then(
    (rgw) => {
      process.stdout.write(
        `# ready in ${Date.now() - started} ms; Ctrl-C stops it\nASSET_STORE=s3\nS3_ENDPOINT=${rgw.endpoint}\nS3_BUCKET=${rgw.bucket}\nS3_ACCESS_KEY_ID=${rgw.accessKeyId}\nS3_SECRET_ACCESS_KEY=${rgw.secretAccessKey}\n`,
      )
      const shutdown = () => rgw.stop().then(() => process.exit(0))
      process.on('SIGINT', shutdown)
      process.on('SIGTERM', shutdown)
    },
    (error) => {
      console.error(error.message)
      process.exit(1)
    },
  )
}
