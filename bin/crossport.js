#!/usr/bin/env node
// `npx crossport …`: the operator CLI. It runs the compiled dist/cli; from a
// fresh checkout (no dist yet) it builds first, like `npm start` does.
'use strict'
const { execFileSync } = require('node:child_process')
const { existsSync } = require('node:fs')
const { join } = require('node:path')

const root = join(__dirname, '..')
const entry = join(root, 'dist', 'cli', 'index.js')

if (!existsSync(entry)) {
  try {
    // The build's own output goes to stderr so that stdout stays clean for --json.
    execFileSync(process.execPath, [join(root, 'scripts', 'build-if-needed.js')], { stdio: ['ignore', 2, 2], cwd: root })
  } catch {
    process.stderr.write('crossport: building the CLI failed (see above); run `npm run build`\n')
    process.exit(1)
  }
}

require(entry)
  .main()
  .catch((error) => {
    process.stderr.write(`crossport: ${error && error.message ? error.message : String(error)}\n`)
    process.exitCode = 1
  })
