import { parseInput, toFieldProblems } from '../../../src/admin/schemas/parse'
import { folderPathProblem, policyPatchSchema, policyProblems, policySchema } from '../../../src/admin/schemas/policy'
import { createFolderSchema } from '../../../src/admin/schemas/requests'
import { CrossportError } from '../../../src/http/errors'
import { DEFAULT_POLICY } from '../../../src/policy/types'

function fieldsOf(schema: Parameters<typeof parseInput>[0], value: unknown): { field: string; message: string }[] {
  const result = schema.safeParse(value)
  if (result.success) throw new Error(`expected ${JSON.stringify(value)} to be refused`)
  return toFieldProblems(result.error)
}

describe('policySchema', () => {
  it('fills every field but origins from DEFAULT_POLICY', () => {
    const policy = parseInput(policySchema, { origins: ['https://shop.example'] })
    expect(policy).toEqual({ ...DEFAULT_POLICY, origins: ['https://shop.example'] })
  })

  it('stores origins normalised and de-duplicated', () => {
    const policy = parseInput(policySchema, { origins: ['https://SHOP.example:443', 'https://shop.example', 'https://*.shop.example'] })
    expect(policy.origins).toEqual(['https://shop.example', 'https://*.shop.example'])
  })

  it('upper-cases methods and drops duplicates', () => {
    expect(parseInput(policySchema, { origins: [], methods: ['get', 'GET', 'put'] }).methods).toEqual(['GET', 'PUT'])
  })

  it('drops header names that differ only in case, keeping the first spelling', () => {
    expect(parseInput(policySchema, { origins: [], allowHeaders: ['Range', 'range', 'X-Trace-Id'] }).allowHeaders).toEqual(['Range', 'X-Trace-Id'])
  })

  it.each([
    ['shop.example'],
    ['https://shop.example/path'],
    ['javascript:alert(1)'],
    ['*.example'],
    ['https://*.'],
  ])('refuses the origin %s, naming policy.origins.0 with a reason', (origin) => {
    const problems = fieldsOf(createFolderSchema, { path: '/brand/', policy: { origins: [origin] } })
    expect(problems).toHaveLength(1)
    expect(problems[0]?.field).toBe('policy.origins.0')
    expect(problems[0]?.message.length).toBeGreaterThan(5)
  })

  it.each([
    [{ origins: [], methods: ['GET SP'] }, 'methods.0'],
    [{ origins: [], methods: ['TRACE'] }, 'methods.0'],
    [{ origins: [], methods: [] }, 'methods'],
    [{ origins: [], allowHeaders: ['X Bad'] }, 'allowHeaders.0'],
    [{ origins: [], exposeHeaders: ['Bad:Header'] }, 'exposeHeaders.0'],
    [{ origins: [], maxAge: -1 }, 'maxAge'],
    [{ origins: [], maxAge: 86_401 }, 'maxAge'],
    [{ origins: [], maxAge: 1.5 }, 'maxAge'],
    [{ origins: [], maxAge: '600' }, 'maxAge'],
    [{ origins: [], credentials: 'true' }, 'credentials'],
    [{ origins: [], mode: 'lax' }, 'mode'],
    [{ origins: [], cacheControl: '' }, 'cacheControl'],
    [{ origins: [], cacheControl: '   ' }, 'cacheControl'],
    [{ origins: [], cacheControl: 'max-age=1\r\nSet-Cookie: a=b' }, 'cacheControl'],
    [{ origins: [], cacheControl: 'x'.repeat(257) }, 'cacheControl'],
    [{ origins: [], cdnCacheControl: '' }, 'cdnCacheControl'],
    [{ origins: [], cdnCacheControl: 'max-age=1\r\nSet-Cookie: a=b' }, 'cdnCacheControl'],
    [{ origins: [], cdnCacheControl: 'x'.repeat(257) }, 'cdnCacheControl'],
    [{ origins: [], cdnCacheControl: 86_400 }, 'cdnCacheControl'],
    [{ origins: 'https://shop.example' }, 'origins'],
    [{}, 'origins'],
  ])('refuses %j naming %s', (policy, field) => {
    expect(fieldsOf(policySchema, policy).map((p) => p.field)).toContain(field)
  })

  it('takes cdnCacheControl as a Cache-Control value or null (no CDN header), null by default', () => {
    expect(parseInput(policySchema, { origins: [] }).cdnCacheControl).toBeNull()
    expect(parseInput(policySchema, { origins: [], cdnCacheControl: 'public, max-age=86400' }).cdnCacheControl).toBe('public, max-age=86400')
    expect(parseInput(policySchema, { origins: [], cdnCacheControl: null }).cdnCacheControl).toBeNull()
    expect(parseInput(policyPatchSchema, { cdnCacheControl: null })).toEqual({ cdnCacheControl: null })
  })

  it('names each unknown field on its own', () => {
    const problems = fieldsOf(createFolderSchema, { path: '/a/', policy: { origins: [], origin: 'x', colour: 1 }, extra: true })
    expect(problems.map((p) => p.field).sort()).toEqual(['extra', 'policy.colour', 'policy.origin'])
    expect(problems.every((p) => p.message === 'unknown field')).toBe(true)
  })
})

describe('policyPatchSchema', () => {
  it('accepts one field and leaves the others out', () => {
    expect(parseInput(policyPatchSchema, { mode: 'strict' })).toEqual({ mode: 'strict' })
  })

  it('refuses an empty patch', () => {
    expect(() => parseInput(policyPatchSchema, {})).toThrow(CrossportError)
  })

  it('refuses unknown fields', () => {
    expect(fieldsOf(policyPatchSchema, { mode: 'strict', modes: 'cors' }).map((p) => p.field)).toEqual(['modes'])
  })
})

describe('policyProblems', () => {
  it('refuses credentials together with the * origin, citing Fetch', () => {
    const problems = policyProblems({ ...DEFAULT_POLICY, origins: ['*'], credentials: true }, 'policy.')
    expect(problems).toEqual([{ field: 'policy.credentials', message: expect.stringContaining('Fetch') }])
  })

  it('accepts credentials with exact origins', () => {
    expect(policyProblems({ ...DEFAULT_POLICY, origins: ['https://shop.example'], credentials: true }, '')).toEqual([])
  })
})

describe('folderPathProblem', () => {
  it.each(['/', '/brand/', '/brand/logos/', '/my folder/', '/ünï/'])('accepts %s', (path) => {
    expect(folderPathProblem(path)).toBeUndefined()
  })

  it.each([
    ['brand/', 'start'],
    ['/brand', 'end'],
    ['/a/../b/', 'dot segment'],
    ['/a/./', 'dot segment'],
    ['/.git/', 'dotfiles'],
    ['/a//b/', 'empty path segment'],
    ['/a\\b/', 'backslash'],
    ['/a\u0001/', 'control'],
    ['/a%2Fb/', 'encoded'],
    ['/my%20folder/', 'decoded'],
    ['/' + 'a/'.repeat(600), '1024'],
  ])('refuses %j (%s)', (path, words) => {
    expect(folderPathProblem(path)).toEqual(expect.stringContaining(words))
  })
})
