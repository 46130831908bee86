import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

/**
 * Keeps the documentation in step with the code: every setting the config
 * schema or .env.example knows is documented in docs/configuration.md, every
 * relative link in the README and docs/ leads somewhere, and the demo store's
 * git rules keep uploads out of `git status`.
 */

const ROOT = join(__dirname, '..', '..')
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')

/** The keys of the zod object `schema` in src/config/config.ts: one `  NAME: …` line each. */
function schemaKeys(source: string): string[] {
  const start = source.indexOf('const schema = z.object({')
  const end = source.indexOf('\n})', start)
  if (start === -1 || end === -1) throw new Error('src/config/config.ts: `const schema = z.object({ … })` not found')
  return [...source.slice(start, end).matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1] as string)
}

/** `NAME=…` lines of .env.example, commented out or not. */
function envExampleKeys(source: string): string[] {
  return [...source.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string)
}

describe('docs/configuration.md', () => {
  const documented = read('docs/configuration.md')
  const fromSchema = schemaKeys(read('src/config/config.ts'))
  const fromExample = envExampleKeys(read('.env.example'))

  it('finds the settings to check (the parsers still fit the files)', () => {
    expect(fromSchema.length).toBeGreaterThanOrEqual(30)
    expect(fromSchema).toContain('PORT')
    expect(fromSchema).toContain('MAX_CONNECTIONS')
    expect(fromExample).toContain('PORT')
  })

  it('has a table row for every setting of src/config/config.ts and .env.example', () => {
    const keys = [...new Set([...fromSchema, ...fromExample])]
    const missing = keys.filter((key) => !documented.includes(`| \`${key}\` |`))
    expect(missing).toEqual([])
  })

  it('lists no setting that the config schema does not know', () => {
    const rows = [...documented.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1] as string)
    expect(rows.filter((key) => !fromSchema.includes(key))).toEqual([])
  })
})

describe('links in README.md and docs/', () => {
  const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]

  /** GitHub's heading anchors: lower case, punctuation other than - and _ dropped, spaces to -. */
  const anchorsOf = (markdown: string): Set<string> => {
    const anchors = new Set<string>()
    let fence = false
    for (const line of markdown.split('\n')) {
      if (line.startsWith('```')) fence = !fence
      const heading = fence ? null : /^#{1,6} (.+)$/.exec(line)
      if (heading) anchors.add((heading[1] as string).toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'))
    }
    return anchors
  }

  it.each(pages)('%s links only to files and headings that exist', (page) => {
    // Code (fenced blocks, `spans`) may hold `](` that is no link: a regular expression, say.
    const prose = read(page).replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '')
    const broken: string[] = []
    for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (target === undefined || /^[a-z]+:/i.test(target)) continue
      const [file, anchor] = target.split('#') as [string, string | undefined]
      const path = file === '' ? join(ROOT, page) : resolve(ROOT, dirname(page), file)
      if (!existsSync(path)) broken.push(`${target}: no such file`)
      else if (anchor !== undefined && path.endsWith('.md') && !anchorsOf(readFileSync(path, 'utf8')).has(anchor)) broken.push(`${target}: no such heading`)
    }
    expect(broken).toEqual([])
  })
})

describe('assets/ in git', () => {
  const isIgnored = (path: string) => {
    try {
      execFileSync('git', ['check-ignore', '-q', '--no-index', path], { cwd: ROOT, stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  }

  it('tracks every shipped demo file and ignores what uploads add under assets/', () => {
    const shipped = execFileSync('git', ['ls-files', 'assets'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((f) => f !== '')
    expect(shipped).toContain('assets/demo/try.html')
    expect(shipped.filter(isIgnored)).toEqual([])
    for (const upload of ['assets/demo/copy/crossport.png', 'assets/brand/logo.png', 'assets/demo/css/site.css.br', 'assets/.crossport-tmp/upload-1']) {
      expect({ upload, ignored: isIgnored(upload) }).toEqual({ upload, ignored: true })
    }
  })
})
