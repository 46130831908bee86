// Shared by bench.js and bench-server.js: the benchmark's database (folders
// /public/ and /private/ with the origins the peers allow) and its fixtures.
'use strict'
const { execFileSync } = require('node:child_process')
const { existsSync, mkdirSync, writeFileSync } = require('node:fs')
const { randomBytes } = require('node:crypto')
const { join } = require('node:path')

const ROOT = join(__dirname, '..', '..')
const DIST = join(ROOT, 'dist')

const SITE_A = 'https://site-a.example'
const SITE_B = 'https://site-b.example'

/** Builds dist/ when it is missing or stale (a fresh clone after `npm install`). */
function ensureBuilt() {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-if-needed.js')], { stdio: 'inherit' })
  if (!existsSync(join(DIST, 'main.js'))) throw new Error('dist/main.js is missing after the build')
}

/**
 * Creates (or reuses) a database with /public/ (site-a, site-b), /private/ (site-a) and
 * /signed/ (site-a, every request signed: what verifying a signature costs).
 */
async function prepareDatabase(databasePath) {
  const { openDb } = require(join(DIST, 'db', 'sqlite', 'open.js'))
  const { migrate } = require(join(DIST, 'db', 'sqlite', 'migrate.js'))
  const { SqliteDatabase } = require(join(DIST, 'db', 'sqlite', 'sqlite-database.js'))
  const { FolderRepo } = require(join(DIST, 'db', 'folder-repo.js'))
  const { DEFAULT_POLICY } = require(join(DIST, 'policy', 'types.js'))
  const raw = openDb(databasePath)
  const db = new SqliteDatabase(raw, { busyBudgetMs: 5000 })
  try {
    migrate(raw)
    const folders = new FolderRepo(db)
    const policy = (origins) => ({ ...DEFAULT_POLICY, origins, cacheControl: 'public, max-age=86400' })
    if (!(await folders.findByPath('/public/'))) await folders.create('/public/', policy([SITE_A, SITE_B]))
    if (!(await folders.findByPath('/private/'))) await folders.create('/private/', policy([SITE_A]))
    if (!(await folders.findByPath('/signed/'))) await folders.create('/signed/', { ...policy([SITE_A]), signedUrls: 'required' })
  } finally {
    await db.close()
  }
}

/**
 * The peers' fixture layout (../shared/bench/gen-fixtures.mjs) so paths match:
 * 1 KB CSS, ~200 KB JPEG (1600x1200), 20 MB "video" of random bytes.
 */
async function generateFixtures(dir) {
  const sharp = require('sharp')
  for (const sub of ['public/css', 'public/img', 'public/video', 'private/css', 'signed/css']) mkdirSync(join(dir, sub), { recursive: true })
  const rule = '.card { margin: 0 auto; padding: 1rem 2rem; color: #1f2933; }\n'
  const css = rule.repeat(Math.ceil(1024 / rule.length)).slice(0, 1024)
  writeFileSync(join(dir, 'public/css/app.css'), css)
  writeFileSync(join(dir, 'private/css/app.css'), css)
  writeFileSync(join(dir, 'signed/css/app.css'), css)
  // Noise compresses badly, which keeps a 1600x1200 JPEG near 200 KB at q=40.
  const width = 1600
  const height = 1200
  const pixels = Buffer.alloc(width * height * 3)
  let seed = 42
  for (let i = 0; i < pixels.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0
    pixels[i] = ((i / 3) % width) / 7 + (seed >>> 28)
  }
  await sharp(pixels, { raw: { width, height, channels: 3 } }).blur(2).jpeg({ quality: 60 }).toFile(join(dir, 'public/img/photo.jpg'))
  writeFileSync(join(dir, 'public/video/video.mp4'), randomBytes(20 * 1024 * 1024))
}

module.exports = { ROOT, DIST, SITE_A, SITE_B, ensureBuilt, prepareDatabase, generateFixtures }
