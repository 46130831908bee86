import { folderChain, folderOf, nameOf, nearestFolder } from '../../../console/src/paths'

describe('console folder paths', () => {
  it.each([
    ['brand', '/brand/'],
    ['/brand', '/brand/'],
    ['brand/', '/brand/'],
    ['  brand/logos ', '/brand/logos/'],
    ['/', '/'],
    ['', '/'],
  ])('reads %j as the folder %s, as the CLI does', (typed, folder) => {
    expect(folderOf(typed)).toBe(folder)
  })

  it('lists every folder from the root down (the breadcrumbs)', () => {
    expect(folderChain('/brand/logos/')).toEqual(['/', '/brand/', '/brand/logos/'])
    expect(folderChain('/')).toEqual(['/'])
  })

  it('names the last segment of a file or folder', () => {
    expect(nameOf('/brand/logo.png')).toBe('logo.png')
    expect(nameOf('/brand/logos/')).toBe('logos/')
    expect(nameOf('/')).toBe('/')
  })

  it('finds the folder whose policy applies by the longest prefix, never a sibling with a longer name', () => {
    const folders = [{ path: '/' }, { path: '/brand/' }, { path: '/brand/logos/' }, { path: '/brandnew/' }]
    expect(nearestFolder('/brand/logos/icons/', folders)?.path).toBe('/brand/logos/')
    expect(nearestFolder('/brand/', folders)?.path).toBe('/brand/')
    expect(nearestFolder('/brandx/', folders)?.path).toBe('/')
    expect(nearestFolder('/x/', [{ path: '/brand/' }])).toBeUndefined()
  })
})
