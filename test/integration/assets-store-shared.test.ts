import { startTestCrossport, type TestCrossport } from '../helpers/crossport'

let cp: TestCrossport
beforeAll(async () => {
  cp = await startTestCrossport({ assets: { 'shared.txt': 'one store' } })
})
afterAll(() => cp.close())

describe('one asset store for both listeners', () => {
  it('serves public reads and admin metadata from the very store object of the context', async () => {
    const { store } = cp.running.context
    const lookup = jest.spyOn(store, 'lookup')
    const stat = jest.spyOn(store, 'stat')
    try {
      expect((await fetch(`${cp.publicUrl}/shared.txt`)).status).toBe(200)
      expect(lookup).toHaveBeenCalledWith('/shared.txt')
      expect((await cp.admin('GET', '/assets/shared.txt')).status).toBe(200)
      expect(stat).toHaveBeenCalledWith('/shared.txt')
    } finally {
      lookup.mockRestore()
      stat.mockRestore()
    }
  })

  it('stores uploads through that object, and the public side serves them at once', async () => {
    const { store } = cp.running.context
    const put = jest.spyOn(store, 'put')
    try {
      const uploaded = await fetch(`${cp.adminUrl}/admin/v1/assets/new.txt`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${cp.token}`, 'content-type': 'text/plain' },
        body: 'fresh',
      })
      expect(uploaded.status).toBe(201)
      expect(put).toHaveBeenCalledTimes(1)
      expect(await (await fetch(`${cp.publicUrl}/new.txt`)).text()).toBe('fresh')
    } finally {
      put.mockRestore()
    }
  })
})
