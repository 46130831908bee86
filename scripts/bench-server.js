#!/usr/bin/env node
// PROJECT_CMD for ../shared/bench/run.sh:
//   PROJECT_CMD='exec node /path/to/crossport/scripts/bench-server.js'
// Serves BENCH_FIXTURES on BENCH_PORT with a fresh temp database holding the
// benchmark's folders. The server runs in THIS process (no child), so the
// harness measures the server's own RSS and CPU. WORKERS is honoured. With
// ASSET_STORE=s3 and S3_* (scripts/start-rgw.js prints them), the fixtures
// are first uploaded into the bucket and served from there.
'use strict'
const { execFileSync } = require('node:child_process')
const { mkdtempSync, rmSync } = require('node:fs')
const { randomBytes } = require('node:crypto')
const { tmpdir } = require('node:os')
const { join, resolve } = require('node:path')
const { DIST, ensureBuilt, prepareDatabase } = require('./bench/prepare')

const fixtures = process.env.BENCH_FIXTURES
const port = process.env.BENCH_PORT
if (!fixtures || !port) {
  process.stderr.write('bench-server: BENCH_FIXTURES and BENCH_PORT are required\n')
  process.exit(2)
}

// Cluster workers run this file again: they inherit the primary's environment
// (database, ports) and only need the server itself.
if (require('node:cluster').isPrimary) {
  prepare().then(
    () => {
      // In a child process, so the fixtures' buffers never count in this server's RSS.
      if (process.env.ASSET_STORE === 's3') execFileSync(process.execPath, [join(__dirname, 'bench', 's3.js'), 'upload', resolve(fixtures)], { stdio: 'inherit' })
      require(join(DIST, 'main.js'))
    },
    (error) => {
      process.stderr.write(`bench-server: ${error.message}\n`)
      process.exit(1)
    },
  )
} else {
  require(join(DIST, 'main.js'))
}

async function prepare() {
  ensureBuilt()
  const dir = mkdtempSync(join(tmpdir(), 'crossport-bench-'))
  const databasePath = join(dir, 'crossport.db')
  await prepareDatabase(databasePath)

  Object.assign(process.env, {
    PORT: port,
    HOST: process.env.HOST || '127.0.0.1',
    ADMIN_PORT: process.env.ADMIN_PORT || '0',
    ADMIN_HOST: '127.0.0.1',
    ASSETS_DIR: resolve(fixtures),
    DATABASE_PATH: databasePath,
    CACHE_DIR: join(dir, 'cache'),
    ADMIN_TOKEN: process.env.ADMIN_TOKEN || randomBytes(24).toString('hex'),
    SEED_DEMO: 'false',
    // The peers log nothing per request either; an access log line costs ~10% here.
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
    WORKERS: process.env.WORKERS || '1',
  })
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
}
