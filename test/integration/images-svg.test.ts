/**
 * Issue #14 (1): rasterising an SVG must read nothing but the SVG's own bytes.
 * Every SVG here sits next to a `.env`, a dot-folder image and two ordinary
 * files; whatever it points at, the public answer is a 422 problem that shows
 * none of those files, and a harmless SVG still renders.
 */
import sharp from 'sharp'
import { startTestCrossport, type TestCrossport } from '../helpers/crossport'

const SECRET = 'SECRET_TOKEN=hunter2-do-not-leak'
const SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'
const XLINK_NS = 'xmlns:xlink="http://www.w3.org/1999/xlink"'
const XI_NS = 'xmlns:xi="http://www.w3.org/2001/XInclude"'

const textInclude = (href: string, prefix = 'xi', ns = XI_NS.replace('xi=', `${prefix}=`)) =>
  `<svg ${SVG_NS} ${ns} width="400" height="40"><text x="0" y="20"><${prefix}:include href="${href}" parse="text"/></text></svg>`
const imageRef = (href: string, attr = 'href') =>
  `<svg ${SVG_NS} ${XLINK_NS} width="20" height="20"><image ${attr}="${href}" width="20" height="20"/></svg>`

/** name → SVG source; each must be refused. */
const HOSTILE: Record<string, string> = {
  'include-env': textInclude('.env'),
  'include-txt': textInclude('b.txt'),
  'include-absolute': textInclude('/etc/hostname'),
  'include-file-url': textInclude('file:///etc/hostname'),
  'include-other-prefix': textInclude('.env', 'q'),
  'include-charref-href': textInclude('&#x2e;env'),
  'include-charref-namespace': textInclude('b.txt', 'xi', 'xmlns:xi="http://www.w3.org/2001/X&#x49;nclude"'),
  'image-dotfile': imageRef('.secret/x.png'),
  'image-png': imageRef('a.png'),
  'image-xlink-dotfile': imageRef('.secret/x.png', 'xlink:href'),
  'image-uppercase-spaced': `<svg ${SVG_NS} width="20" height="20"><image HREF = ' a.png ' width="20" height="20"/></svg>`,
  'image-network': imageRef('http://127.0.0.1:1/a.png'),
  'image-data-svg': imageRef(`data:image/svg+xml;base64,${Buffer.from(imageRef('.secret/x.png')).toString('base64')}`),
  'feimage-png': `<svg ${SVG_NS} width="20" height="20"><filter id="f"><feImage href="a.png"/></filter><rect width="20" height="20" filter="url(#f)"/></svg>`,
  'use-other-file': `<svg ${SVG_NS} width="20" height="20"><use href="other.svg#x"/></svg>`,
  'css-import': `<svg ${SVG_NS} width="20" height="20"><style>@import url(b.css);</style><rect width="20" height="20" class="a"/></svg>`,
  'css-import-escaped': `<svg ${SVG_NS} width="20" height="20"><style><![CDATA[\\40 import "b.css";]]></style><rect width="20" height="20"/></svg>`,
  'css-url-in-style-attribute': `<svg ${SVG_NS} width="20" height="20"><rect width="20" height="20" style="fill: URL( 'a.png' )"/></svg>`,
  'css-url-in-cdata': `<svg ${SVG_NS} width="20" height="20"><style><![CDATA[rect { fill: url(.secret/x.png) }]]></style><rect width="20" height="20"/></svg>`,
  'external-entity': `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY e SYSTEM ".env">]><svg ${SVG_NS} width="400" height="40"><text y="20">&e;</text></svg>`,
  'doctype-only': `<!doctype svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg ${SVG_NS} width="20" height="20"/>`,
  'xml-stylesheet': `<?xml version="1.0"?><?xml-stylesheet href="b.css" type="text/css"?><svg ${SVG_NS} width="20" height="20"/>`,
  'latin1-declared': `<?xml version="1.0" encoding="ISO-8859-1"?><svg ${SVG_NS} width="20" height="20"/>`,
}

let cp: TestCrossport
let red: Buffer

function problemOf(res: Response): Promise<{ type: string; status: number; detail: string }> {
  return res.json() as Promise<{ type: string; status: number; detail: string }>
}

beforeAll(async () => {
  red = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#ff0000' } }).png().toBuffer()
  const assets: Record<string, string | Buffer> = {
    'brand/.env': SECRET,
    'brand/.secret/x.png': red,
    'brand/a.png': red,
    'brand/b.txt': SECRET,
    'brand/b.css': 'rect { fill: #ff0000 }',
    'brand/other.svg': `<svg ${SVG_NS} width="20" height="20"><rect id="x" width="20" height="20" fill="#ff0000"/></svg>`,
    'brand/plain.svg': `<svg ${SVG_NS} width="20" height="20" viewBox="0 0 20 20"><defs><linearGradient id="g"><stop offset="0" stop-color="#00f"/></linearGradient></defs><rect width="20" height="20" fill="url(#g)"/><a href="https://example.com/"><circle r="2"/></a></svg>`,
    'brand/utf16.svg': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(textInclude('.env'), 'utf16le')]),
    // A vector under a raster name: sharp detects the content, so the checks must not trust the extension.
    'brand/disguised.png': imageRef('.secret/x.png'),
  }
  for (const [name, svg] of Object.entries(HOSTILE)) assets[`brand/${name}.svg`] = svg
  cp = await startTestCrossport({ assets })
})

afterAll(async () => {
  await cp.close()
})

describe('an SVG rasterised with fmt=png', () => {
  it('still renders an SVG that only refers to itself (fragments, gradients, links)', async () => {
    const res = await fetch(`${cp.publicUrl}/brand/plain.svg?w=64&fmt=png`)
    expect(res.status).toBe(200)
    const { data, info } = await sharp(Buffer.from(await res.arrayBuffer())).raw().toBuffer({ resolveWithObject: true })
    expect(info.width).toBe(64)
    // The gradient is blue: the fragment reference was followed (the corner holds the link's circle).
    const centre = (32 * 64 + 32) * info.channels
    expect([data[centre], data[centre + 1], data[centre + 2]]).toEqual([0, 0, 255])
  })

  it.each(Object.keys(HOSTILE))('refuses %s with a 422 problem that shows no file', async (name) => {
    const res = await fetch(`${cp.publicUrl}/brand/${name}.svg?w=64&fmt=png`)
    expect(res.status).toBe(422)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await res.text()
    expect(body).not.toContain('hunter2')
    expect(body).not.toContain(cp.dir)
    expect(JSON.parse(body)).toMatchObject({ status: 422, type: expect.stringContaining('image-svg-refused') })
  })

  it('refuses a UTF-16 SVG hiding a text include of .env', async () => {
    const res = await fetch(`${cp.publicUrl}/brand/utf16.svg?w=64&fmt=png`)
    expect(res.status).toBe(422)
    expect(await res.text()).not.toContain('hunter2')
  })

  it('refuses an SVG stored under a raster name that refers to a dot-folder image', async () => {
    const res = await fetch(`${cp.publicUrl}/brand/disguised.png?w=16&fmt=png`)
    expect(res.status).toBe(422)
    expect((await problemOf(res)).type).toContain('image-svg-refused')
  })

  it('leaves the dotfiles themselves unserved', async () => {
    expect((await fetch(`${cp.publicUrl}/brand/.env`)).status).toBe(404)
    expect((await fetch(`${cp.publicUrl}/brand/.secret/x.png?w=16`)).status).toBe(404)
  })
})
