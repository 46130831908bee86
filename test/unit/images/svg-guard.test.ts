import { checkSvgFilterCost, checkSvgSource, looksLikeMarkup, measureFilterCost } from '../../../src/images/svg-guard'

const svg = (body: string, attrs = '') => `<svg xmlns="http://www.w3.org/2000/svg"${attrs} width="10" height="10">${body}</svg>`
const bytes = (text: string) => Buffer.from(text)

describe('checkSvgSource(bytes)', () => {
  it.each([
    ['a fragment reference', svg('<use href="#a"/><rect id="a" width="1" height="1"/>')],
    ['a spaced fragment in xlink:href', svg('<use xlink:href=" #a "/>', ' xmlns:xlink="http://www.w3.org/1999/xlink"')],
    ['an inline PNG', svg('<image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>')],
    ['a gradient by url(#g)', svg('<linearGradient id="g"/><rect fill="url(#g)" style="stroke:url( \'#g\' )"/>')],
    ['an outward link', svg('<a href="https://example.com/"><rect/></a>')],
    ['an XML declaration in UTF-8', `<?xml version="1.0" encoding="UTF-8"?>${svg('')}`],
  ])('accepts %s', (_name, text) => {
    expect(checkSvgSource(bytes(text))).toBe(text)
  })

  it.each([
    ['a relative image', svg('<image href="a.png"/>')],
    ['an absolute image', svg('<image href="/etc/x.png"/>')],
    ['a file: URL', svg('<image href="file:///etc/passwd"/>')],
    ['an entity-encoded path', svg('<image href="&#46;env"/>')],
    ['an uppercase SRC', svg('<foreignObject><img SRC="x.png"/></foreignObject>')],
    ['a nested SVG data: URI', svg('<image href="data:image/svg+xml,%3Csvg%3E"/>')],
    ['another file\'s fragment', svg('<use href="other.svg#x"/>')],
    ['XInclude under any prefix', svg('<z:include href="#x"/>', ' xmlns:z="http://www.w3.org/2001/XInclude"')],
    ['a DOCTYPE', `<!DOCTYPE svg>${svg('')}`],
    ['a processing instruction', `${svg('<?php x ?>')}`],
    ['@import written with a CSS escape', svg('<style>\\40 import "x.css";</style>')],
    ['url() to a file in a style attribute', svg('<rect style="fill:u\\72l(x.png)"/>')],
    ['an unreadable url(', svg('<rect style="fill:url(x"/>')],
    ['Latin-1 declared', `<?xml version="1.0" encoding="ISO-8859-1"?>${svg('')}`],
    ['bytes that are not UTF-8', Buffer.concat([bytes(svg('<text>')), Buffer.from([0xc3, 0x28]), bytes('</text>')])],
    ['UTF-16 without a byte-order mark', Buffer.from(svg(''), 'utf16le')],
    ['gzip (svgz)', Buffer.from([0x1f, 0x8b, 8, 0])],
  ])('refuses %s with IMAGE_SVG_REFUSED', (_name, input) => {
    expect(() => checkSvgSource(typeof input === 'string' ? bytes(input) : input)).toThrow(expect.objectContaining({ code: 'IMAGE_SVG_REFUSED', status: 422 }))
  })

  it('reads UTF-16 with a byte-order mark, and checks it', () => {
    const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
    expect(checkSvgSource(utf16(svg('<use href="#a"/>')))).toContain('#a')
    expect(() => checkSvgSource(utf16(svg('<image href=".env"/>')))).toThrow(expect.objectContaining({ code: 'IMAGE_SVG_REFUSED' }))
  })
})

describe('looksLikeMarkup(bytes)', () => {
  it.each([
    ['  \n<svg/>', true],
    ['\uFEFF<svg/>', true],
    ['GIF89a', false],
  ])('%j → %s', (text, expected) => {
    expect(looksLikeMarkup(bytes(text))).toBe(expected)
  })
})

describe('filter cost', () => {
  const filtered = (primitives: string, uses = 1) => svg(`<filter id="f">${primitives}</filter>${'<rect filter="url(#f)"/>'.repeat(uses)}`)

  it('weighs blurs 2, neighbourhood primitives 4, others 1, times the applications', () => {
    expect(measureFilterCost(svg('<rect/>'))).toEqual({ primitives: 0, work: 0 })
    expect(measureFilterCost(filtered('<feGaussianBlur/><feOffset/><feMerge><feMergeNode/><feMergeNode in="SourceGraphic"/></feMerge>'))).toEqual({ primitives: 3, work: 4 })
    expect(measureFilterCost(filtered('<feMorphology radius="1"/>', 3))).toEqual({ primitives: 1, work: 12 })
  })

  it('refuses more than 16 primitives whatever the size', () => {
    expect(() => checkSvgFilterCost(filtered('<feOffset/>'.repeat(17)), 100)).toThrow(expect.objectContaining({ code: 'IMAGE_SVG_TOO_COSTLY', status: 422 }))
  })

  it('refuses work × megapixels past the budget of 8, and renders within it', () => {
    const blur = filtered('<feGaussianBlur/>')
    expect(() => checkSvgFilterCost(blur, 1920 * 1920)).not.toThrow()
    expect(() => checkSvgFilterCost(blur, 3000 * 3000)).toThrow(expect.objectContaining({ code: 'IMAGE_SVG_TOO_COSTLY' }))
    expect(() => checkSvgFilterCost(filtered('<feMorphology/>'), 1920 * 1920)).toThrow(expect.objectContaining({ code: 'IMAGE_SVG_TOO_COSTLY' }))
  })
})
