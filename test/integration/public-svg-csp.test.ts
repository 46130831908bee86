import { request } from 'node:http'
import { gzipSync, brotliCompressSync } from 'node:zlib'
import { SVG_CSP } from '../../src/pipeline/plan'
import { startTestCrossport, type TestCrossport } from '../helpers/crossport'

const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'

let cp: TestCrossport

beforeAll(async () => {
  cp = await startTestCrossport({
    assets: {
      'svg/plain.svg': SVG,
      'svg/packed.svgz': gzipSync(SVG),
      'svg/sibling.svg': SVG,
      'svg/sibling.svg.gz': gzipSync(SVG),
      'svg/sibling.svg.br': brotliCompressSync(SVG),
    },
  })
})

afterAll(async () => {
  await cp.close()
})

/** GET without decoding the body (fetch would), so the coding chosen stays visible. */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${cp.publicUrl}${path}`, { headers }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the SVG sandbox CSP on every SVG representation', () => {
  it.each([
    ['a plain .svg', '/svg/plain.svg', {}, undefined],
    ['a .svgz file', '/svg/packed.svgz', {}, undefined],
    ['the gzip sibling of an .svg', '/svg/sibling.svg', { 'accept-encoding': 'gzip' }, 'gzip'],
    ['the brotli sibling of an .svg', '/svg/sibling.svg', { 'accept-encoding': 'br' }, 'br'],
    ['an .svg.gz asked for by its own name', '/svg/sibling.svg.gz', {}, undefined],
    ['an .svg.br asked for by its own name', '/svg/sibling.svg.br', {}, undefined],
  ])('sends it for %s', async (_name, path, headers, coding) => {
    // Twice: the first answer comes from the disk, the second from memory.
    for (let i = 0; i < 2; i++) {
      const res = await get(path, headers)
      expect(res.status).toBe(200)
      expect(res.headers['content-encoding']).toBe(coding)
      expect(res.headers['content-security-policy']).toBe(SVG_CSP)
    }
  })

  it('serves .svgz as image/svg+xml', async () => {
    expect((await get('/svg/packed.svgz')).headers['content-type']).toBe('image/svg+xml; charset=utf-8')
  })
})
