import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

// The layout the code keeps (docs/development.md): each folder of src/ has a
// rank, and a module may import only from its own folder or from a folder of a
// lower rank. Equal ranks may not import each other, so no cycle between
// folders can form. main.ts (the entry point) is above everything.
const RANK: Record<string, number> = {
  util: 0,
  http: 1,
  policy: 2,
  signing: 2,
  cors: 3,
  config: 3,
  store: 4,
  db: 4,
  images: 4,
  cdn: 5,
  pipeline: 6,
  ops: 7,
  admin: 8,
  server: 9,
  cli: 9,
  '.': 10,
}

const MAX_LINES = 350
const ROOT = resolve(__dirname, '../..')
const SRC = join(ROOT, 'src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return name.endsWith('.ts') ? [path] : []
  })
}

/** The folder of src/ a module belongs to: its first path segment below src/, or `.` for src/*.ts. */
function folderOf(file: string): string {
  const rel = relative(SRC, file).split('/')
  return rel.length === 1 ? '.' : (rel[0] as string)
}

/** Relative imports of a module (static `import`/`export … from`, and `import()`), resolved to files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']*)'/g)].map((m) => m[1] as string)
  return specs.map((spec) => {
    const base = resolve(dirname(file), spec)
    for (const candidate of [base + '.ts', join(base, 'index.ts'), base]) if (existsSync(candidate) && statSync(candidate).isFile()) return candidate
    throw new Error(`${relative(ROOT, file)}: cannot resolve '${spec}'`)
  })
}

describe('source structure', () => {
  const files = [...sourceFiles(SRC), ...sourceFiles(join(ROOT, 'console/src'))]

  it(`keeps every source file at ${MAX_LINES} lines or fewer`, () => {
    const long = files
      .map((file) => ({ file: relative(ROOT, file), lines: readFileSync(file, 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES)
    expect(long).toEqual([])
  })

  it('gives every folder of src/ a rank', () => {
    const folders = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory())
    expect(folders.filter((folder) => RANK[folder] === undefined)).toEqual([])
  })

  it('never imports from a folder of equal or higher rank', () => {
    const violations: string[] = []
    for (const file of sourceFiles(SRC)) {
      const from = folderOf(file)
      for (const target of importsOf(file)) {
        const to = folderOf(target)
        if (to === from) continue
        if ((RANK[to] ?? Infinity) >= (RANK[from] ?? -Infinity)) violations.push(`${relative(SRC, file)} → ${relative(SRC, target)}`)
      }
    }
    expect(violations).toEqual([])
  })

  it('sees the imports it judges (the check itself works)', () => {
    // A module known to import a lower folder: if the parser missed it, the rule above would pass vacuously.
    const edges = importsOf(join(SRC, 'cors/decide.ts')).map((target) => folderOf(target))
    expect(edges).toContain('policy')
  })
})
