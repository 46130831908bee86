// A private PostgreSQL server for the tests and benchmarks: `initdb` into a
// temp folder, `postgres` on a free loopback port (TCP on 127.0.0.1 only, its
// unix socket inside the folder), durability off (fsync, synchronous_commit,
// full_page_writes) because the data is thrown away. Never the system
// service. PostgreSQL refuses to run as root, so as root it runs as the
// `postgres` user, which then owns the folder. The binaries come from
// scripts/ensure-postgres.sh. As a script it starts one and prints its URL
// until Ctrl-C.
'use strict'
const { execFile, spawn } = require('node:child_process')
const { chownSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, closeSync } = require('node:fs')
const { tmpdir } = require('node:os')
const { join } = require('node:path')
const { promisify } = require('node:util')
const { Client } = require('pg')
const { freePort } = require('./lib/free-port.js')

const runFile = promisify(execFile)
const READY_MS = 30_000
/** The superuser's password: the server checks it on TCP (scram-sha-256), so a wrong one is refused as in production. */
const PASSWORD = 'crossport-test'
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** The directory holding initdb and postgres: Debian's versioned folder (newest first), else PATH. */
function binDir() {
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const majors = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a))
    for (const major of majors) {
      const dir = join(root, major, 'bin')
      if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir
    }
  }
  return undefined
}

/** uid/gid to run the server as: the `postgres` user when this process is root, else this user. */
async function serverUser() {
  if (process.getuid?.() !== 0) return {}
  const id = async (flag) => Number((await runFile('id', [flag, 'postgres'])).stdout.trim())
  try {
    return { uid: await id('-u'), gid: await id('-g') }
  } catch {
    throw new Error('running as root, but there is no `postgres` user to run the server as (apt-get install postgresql creates it)')
  }
}

/** Resolves once a client can log in; rejects when the server exited or the time ran out. */
async function accepting(url, isRunning, logFile) {
  const deadline = Date.now() + READY_MS
  for (;;) {
    if (!isRunning()) throw new Error(`postgres exited during start-up; see ${logFile}`)
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 })
    try {
      await client.connect()
      await client.end()
      return
    } catch {
      await client.end().catch(() => {})
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within ${READY_MS} ms; see ${logFile}`)
      await sleep(50)
    }
  }
}

/**
 * Starts a server with a fresh cluster.
 * @returns {Promise<{url: string, port: number, dir: string, stopServer(): Promise<void>, startServer(): Promise<void>, stop(): Promise<void>}>}
 *   url: the superuser on database `postgres`; stopServer/startServer stop and start the same server on the same
 *   port and data (an outage); stop() ends it and removes the folder.
 */
async function startPostgres() {
  const bin = binDir()
  const tool = (name) => (bin === undefined ? name : join(bin, name))
  const user = await serverUser()
  const dir = mkdtempSync(join(tmpdir(), 'crossport-pg-'))
  const data = join(dir, 'data')
  const logFile = join(dir, 'postgres.log')
  const pwFile = join(dir, 'password')
  writeFileSync(pwFile, `${PASSWORD}\n`)
  if (user.uid !== undefined) {
    chownSync(dir, user.uid, user.gid)
    chownSync(pwFile, user.uid, user.gid)
  }
  const port = await freePort()
  const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`
  let child
  const killNow = () => child?.kill('SIGKILL')
  // A runner that exits without stop() (a crash, a timeout) must not leave a server behind.
  process.once('exit', killNow)
  const stopServer = async () => {
    const running = child
    if (running === undefined || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    // SIGINT is PostgreSQL's fast shutdown: clients are cut off at once, as in an outage.
    running.kill('SIGINT')
    await exited
  }
  const startServer = async () => {
    const log = openSync(logFile, 'a')
    if (user.uid !== undefined) chownSync(logFile, user.uid, user.gid)
    const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1']
    for (const setting of ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=300']) args.push('-c', setting)
    child = spawn(tool('postgres'), args, { ...user, cwd: dir, stdio: ['ignore', log, log] })
    closeSync(log)
    const started = child
    await accepting(url, () => started.exitCode === null && started.signalCode === null, logFile)
  }
  const stop = async () => {
    process.off('exit', killNow)
    await stopServer()
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await runFile(
      tool('initdb'),
      ['-D', data, '-U', 'postgres', '--pwfile', pwFile, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { ...user, cwd: dir, timeout: 60_000 },
    )
    await startServer()
  } catch (error) {
    await stop()
    const detail = [error.message, error.stderr].filter(Boolean).join('\n')
    throw new Error(`PostgreSQL did not start (scripts/ensure-postgres.sh installs it): ${detail}`, { cause: error })
  }
  return { url, port, dir, stopServer, startServer, stop }
}

module.exports = { startPostgres }

if (require.main === module) {
  const started = Date.now()
  startPostgres().then(
    (pg) => {
      process.stdout.write(`# ready in ${Date.now() - started} ms; Ctrl-C stops it\nDATABASE_URL=${pg.url}\n`)
      const shutdown = () => pg.stop().then(() => process.exit(0))
      process.on('SIGINT', shutdown)
      process.on('SIGTERM', shutdown)
    },
    (error) => {
      console.error(error.message)
      process.exit(1)
    },
  )
}
