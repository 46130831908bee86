import { compilePolicyTable, normaliseMethod } from '../../../src/policy/table'
import { DEFAULT_POLICY, type Folder, type Policy } from '../../../src/policy/types'

let nextId = 1
function folder(path: string, policy: Partial<Policy> = {}): Folder {
  return {
    id: nextId++,
    path,
    policy: { ...DEFAULT_POLICY, origins: [], ...policy },
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
  }
}

describe('compilePolicyTable(folders).resolve(urlPath)', () => {
  const table = compilePolicyTable([
    folder('/', { origins: ['https://root.example'] }),
    folder('/brand/', { origins: ['https://shop.example'] }),
    folder('/brand/logos/', { origins: ['*'] }),
    folder('/a/b/c/'),
  ])

  it.each([
    ['/brand/x.png', '/brand/'],
    ['/brand/sub/y', '/brand/'],
    ['/brand/', '/brand/'],
    ['/brand/logos/a.svg', '/brand/logos/'],
    ['/brand/logos/deep/er/a.svg', '/brand/logos/'],
    ['/brand/logos', '/brand/'],
    ['/brand', '/'],
    ['/brandnew.png', '/'],
    ['/brandnew/x.png', '/'],
    ['/Brand/x.png', '/'],
    ['/a/b/x', '/'],
    ['/a/b/c/x', '/a/b/c/'],
    ['/', '/'],
    ['/x.css', '/'],
    ['', '/'],
    ['relative/path', '/'],
  ])('resolves %j to the folder %s', (urlPath, expected) => {
    expect(table.resolve(urlPath).folder.path).toBe(expected)
  })

  it('keeps the stored root folder when there is one', () => {
    expect(table.resolve('/x').folder.policy.origins).toEqual(['https://root.example'])
  })

  it('lists every folder, / first', () => {
    expect(table.folders.map((f) => f.folder.path)).toEqual(['/', '/a/b/c/', '/brand/', '/brand/logos/'])
  })
})

describe('compilePolicyTable without a / folder', () => {
  const table = compilePolicyTable([folder('/brand/', { origins: ['https://shop.example'] })])

  it('synthesises / with no origins and the default policy', () => {
    const root = table.resolve('/other.css')
    expect(root.folder.path).toBe('/')
    expect(root.folder.policy).toEqual({ ...DEFAULT_POLICY, origins: [] })
    expect(root.isShared).toBe(false)
    expect(root.dependsOnOrigin).toBe(false)
  })

  it('works for an empty database too', () => {
    expect(compilePolicyTable([]).resolve('/a/b.css').folder.path).toBe('/')
  })
})

describe('a compiled folder', () => {
  it('precomputes the header values of its policy', () => {
    const [compiled] = compilePolicyTable([
      folder('/', {
        origins: ['https://shop.example'],
        methods: ['GET', 'HEAD', 'PUT'],
        allowHeaders: ['Range', 'X-Trace-Id'],
        exposeHeaders: ['ETag'],
        maxAge: 120,
      }),
    ]).folders
    expect(compiled).toMatchObject({
      isShared: true,
      allowsAnyOrigin: false,
      dependsOnOrigin: true,
      allowMethodsHeader: 'GET, HEAD, PUT',
      allowHeadersHeader: 'Range, X-Trace-Id',
      exposeHeadersHeader: 'ETag',
      maxAgeHeader: '120',
    })
    expect([...(compiled?.allowHeaderNames ?? [])]).toEqual(['range', 'x-trace-id'])
  })

  it.each([
    [{ origins: [] }, false],
    [{ origins: [], mode: 'strict' as const }, true],
    [{ origins: ['*'] }, true],
    [{ origins: ['https://shop.example'] }, true],
  ])('depends on Origin for %j: %s', (policy, expected) => {
    expect(compilePolicyTable([folder('/', policy)]).resolve('/').dependsOnOrigin).toBe(expected)
  })

  it('treats * in allowHeaders as a wildcard only without credentials', () => {
    expect(compilePolicyTable([folder('/', { allowHeaders: ['*'] })]).resolve('/').allowsAnyHeader).toBe(true)
    expect(compilePolicyTable([folder('/', { allowHeaders: ['*'], credentials: true })]).resolve('/').allowsAnyHeader).toBe(false)
  })
})

describe('normaliseMethod(method)', () => {
  it.each([
    ['get', 'GET'],
    ['Post', 'POST'],
    ['patch', 'PATCH'],
    ['delete', 'DELETE'],
    ['PURGE', 'PURGE'],
    ['purge', 'purge'],
  ])('normalises %s to %s', (method, expected) => {
    expect(normaliseMethod(method)).toBe(expected)
  })
})
