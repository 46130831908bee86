// Suites that spawn the real CLI or server (`node dist/...`) need a current
// build. Building once here, before any worker starts, keeps parallel suites
// from compiling into dist/ at the same time.
'use strict'
const { execFileSync } = require('node:child_process')
const { join } = require('node:path')

module.exports = async function globalSetup() {
  execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'build-if-needed.js')], { stdio: 'inherit' })
}
