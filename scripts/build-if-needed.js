#!/usr/bin/env node
// `npm start` runs this first: compile TypeScript only when dist/ is missing or
// older than any source file, so a fresh clone starts with one command.
'use strict'
const { execFileSync } = require('node:child_process')
const { existsSync, readdirSync, statSync } = require('node:fs')
const { join } = require('node:path')

const root = join(__dirname, '..')

function newestMtime(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full))
    else newest = Math.max(newest, statSync(full).mtimeMs)
  }
  return newest
}

const stamp = join(root, 'dist', '.build-stamp')
const mtimeOf = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0)
const sources = Math.max(
  newestMtime(join(root, 'src')),
  existsSync(join(root, 'console', 'src')) ? newestMtime(join(root, 'console', 'src')) : 0,
  ...['tsconfig.json', 'tsconfig.build.json', 'tsconfig.console.json', 'tsconfig.api-types.json'].map((name) => mtimeOf(join(root, name))),
)
if (!existsSync(stamp) || statSync(stamp).mtimeMs < sources) {
  process.stderr.write('crossport: building (tsc)...\n')
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root })
  const consoleConfig = join(root, 'tsconfig.console.json')
  if (existsSync(consoleConfig)) {
    // -b: the console's type-only imports need the declarations of tsconfig.api-types.json built first.
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', consoleConfig], { stdio: 'inherit', cwd: root })
  }
  require('node:fs').writeFileSync(stamp, new Date().toISOString() + '\n')
}
