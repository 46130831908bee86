import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

const ROOT = join(__dirname, '..', '..')
const DEMO_DIR = join(ROOT, 'assets', 'demo')

/**
 * The shipped demo set as `{ 'demo/css/site.css': bytes, … }`, for a fresh
 * asset store: the files git tracks, as a fresh clone has them, so uploads
 * left in `assets/demo/` by trying the tour by hand are not copied. Outside a
 * git checkout, every file there.
 */
export function shippedDemoAssets(): Record<string, Buffer> {
  const files: Record<string, Buffer> = {}
  for (const path of trackedOrAll()) files[relative(join(ROOT, 'assets'), path)] = readFileSync(path)
  return files
}

function trackedOrAll(): string[] {
  try {
    const listed = execFileSync('git', ['ls-files', '-z', 'assets/demo'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    const tracked = listed.split('\0').filter((path) => path !== '').map((path) => join(ROOT, path))
    if (tracked.length > 0) return tracked
  } catch {
    // not a git checkout (or no git): fall through
  }
  const all: string[] = []
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(folder, entry.name))
      else all.push(join(folder, entry.name))
    }
  }
  walk(DEMO_DIR)
  return all
}
