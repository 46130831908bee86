// Suites that spawn the real CLI or server (`node dist/...`) need a current
// build. Building once here, before any worker starts, keeps parallel suites
// from compiling into dist/ at the same time.
'use strict'
const { execFileSync } = require('node:child_process')
const { join } = require('node:path')

/**
 * The engines the real-part suites start (Varnish with xkey, Ceph's RADOS
 * Gateway, PostgreSQL): installed here
 * once, before any suite's time limit runs, when they are missing and this
 * user may install them. When that is impossible the suites that need them
 * fail with a message naming the script; they never skip.
 */
function ensureEngines() {
  for (const script of ['ensure-varnish.sh', 'ensure-ceph.sh', 'ensure-postgres.sh']) {
    try {
      execFileSync('bash', [join(__dirname, '..', 'scripts', script)], { stdio: 'inherit' })
    } catch {
      // Said by the script; the suite that needs the engine fails with its own message.
    }
  }
}

/**
 * One PostgreSQL server for the whole run (about 1.5 s); the workers inherit
 * its URL through process.env, or the reason it could not start (the suites
 * that need it then fail with it).
 */
async function startPostgres() {
  try {
    const started = await require('./engines/postgres.js').start()
    Object.assign(process.env, started.env)
    globalThis.__crossportPg = started
  } catch (error) {
    process.env.CROSSPORT_TEST_PG_ERROR = error instanceof Error ? error.message : String(error)
  }
}

module.exports = async function globalSetup() {
  ensureEngines()
  execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'build-if-needed.js')], { stdio: 'inherit' })
  await startPostgres()
}
