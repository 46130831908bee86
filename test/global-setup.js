// Suites that spawn the real CLI or server (`node dist/...`) need a current
// build. Building once here, before any worker starts, keeps parallel suites
// from compiling into dist/ at the same time.
'use strict'
const { execFileSync } = require('node:child_process')
const { readdirSync, readFileSync } = require('node:fs')
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

/** The test files this run selected (all of them without a path pattern on the command line). */
function selectedTestFiles(globalConfig) {
  const patterns = (globalConfig.testPathPatterns?.patterns ?? []).map((pattern) => new RegExp(pattern, 'i'))
  const files = []
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.name.endsWith('.test.ts') && (patterns.length === 0 || patterns.some((p) => p.test(full)))) files.push(full)
    }
  }
  walk(__dirname)
  return files
}

/**
 * One engine for the whole run, when a selected suite needs it: the workers
 * inherit its address through process.env, or the reason it could not start
 * in `errorVariable` (those suites then fail with it).
 */
async function startEngine(sources, { module, uses, errorVariable, key }) {
  if (!sources.some((source) => uses.test(source))) return
  try {
    const started = await require(module).start()
    Object.assign(process.env, started.env)
    delete process.env[errorVariable]
    globalThis[key] = started
  } catch (error) {
    process.env[errorVariable] = error instanceof Error ? error.message : String(error)
  }
}

module.exports = async function globalSetup(globalConfig) {
  ensureEngines()
  execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'build-if-needed.js')], { stdio: 'inherit' })
  const sources = selectedTestFiles(globalConfig).map((file) => readFileSync(file, 'utf8'))
  await Promise.all([
    startEngine(sources, {
      module: './engines/rgw.js',
      uses: require('./engines/rgw.js').USES_RGW,
      errorVariable: 'CROSSPORT_TEST_S3_ERROR',
      key: '__crossportRgw',
    }),
    startEngine(sources, {
      module: './engines/postgres.js',
      uses: /helpers\/(postgres|each-database)['"]|CROSSPORT_TEST_PG/,
      errorVariable: 'CROSSPORT_TEST_PG_ERROR',
      key: '__crossportPg',
    }),
  ])
}
