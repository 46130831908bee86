import { adminHostAllowList, hostNameOf, isAllowedHost } from '../../../src/server/admin-hosts'

const base = { adminHost: '127.0.0.1', adminOnMain: false, adminAllowedHosts: undefined }

describe('hostNameOf(host)', () => {
  it.each([
    ['localhost:8081', 'localhost'],
    ['LOCALHOST', 'localhost'],
    ['[::1]:8081', '::1'],
    ['admin.example.:443', 'admin.example'],
    ['127.0.0.1:', '127.0.0.1'],
  ])('reads %j as %j', (host, name) => {
    expect(hostNameOf(host)).toBe(name)
  })

  it.each(['', ':8081', 'a:b:c', '[::1', 'evil.example@localhost', 'localhost:80x', 'a b'])('refuses %j', (host) => {
    expect(hostNameOf(host)).toBeUndefined()
  })
})

describe('adminHostAllowList(config) with isAllowedHost', () => {
  it('accepts the loopback names and ADMIN_HOST on any port by default', () => {
    const list = adminHostAllowList({ ...base, adminHost: 'ops.internal' })
    for (const host of ['localhost:8081', '127.0.0.1', '[::1]:9999', 'ops.internal:8081']) expect(isAllowedHost(host, list)).toBe(true)
  })

  it('refuses any other name, a DNS-rebinding page included, and a missing Host', () => {
    const list = adminHostAllowList(base)
    for (const host of ['evil.example:8081', '127.0.0.2', 'localhost.evil.example', undefined]) expect(isAllowedHost(host, list)).toBe(false)
  })

  it('does not add a bind-all ADMIN_HOST as a name', () => {
    expect(adminHostAllowList({ ...base, adminHost: '0.0.0.0' })).toEqual(new Set(['localhost', '127.0.0.1', '::1']))
    expect(adminHostAllowList({ ...base, adminHost: '::' })).toEqual(new Set(['localhost', '127.0.0.1', '::1']))
  })

  it('adds the names of ADMIN_ALLOWED_HOSTS', () => {
    const list = adminHostAllowList({ ...base, adminAllowedHosts: ['admin.example', 'fd00::1'] })
    expect(isAllowedHost('Admin.Example:8081', list)).toBe(true)
    expect(isAllowedHost('[fd00::1]:8081', list)).toBe(true)
    expect(isAllowedHost('localhost', list)).toBe(true)
  })

  it('accepts every Host with ADMIN_ALLOWED_HOSTS=*, and with ADMIN_ON_MAIN unless ADMIN_ALLOWED_HOSTS is set', () => {
    expect(adminHostAllowList({ ...base, adminAllowedHosts: ['*'] })).toBeUndefined()
    expect(adminHostAllowList({ ...base, adminOnMain: true })).toBeUndefined()
    expect(isAllowedHost('cdn.example', undefined)).toBe(true)
    const onMain = adminHostAllowList({ ...base, adminOnMain: true, adminAllowedHosts: ['cdn.example'] })
    expect(isAllowedHost('cdn.example', onMain)).toBe(true)
    expect(isAllowedHost('evil.example', onMain)).toBe(false)
  })
})
