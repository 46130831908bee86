/**
 * Checks an SVG before librsvg sees it, so rendering one can never read
 * another file. Pure: bytes in, text or a typed refusal out.
 *
 * librsvg resolves `<xi:include href=… parse="text">`, `<image href=…>`,
 * `<use href="other.svg#x">`, `@import`, `url(other.svg#f)` and external
 * entities relative to the SVG's own folder, so a rasterised SVG could
 * publish `.env` or a dot-folder image that the public side never serves.
 * Rendering from a buffer already leaves librsvg without a base folder; this
 * check is the second wall and does not depend on librsvg's loading rules:
 * a derivative may read nothing but the SVG's own bytes.
 *
 * The rules are deliberately blunt and err towards refusing:
 * - the bytes must be UTF-8 (a UTF-8 or UTF-16 byte-order mark is allowed) and
 *   declare no other encoding, so what is checked is what libxml2 parses;
 * - no DOCTYPE or ENTITY declaration (external entities), no processing
 *   instruction but the XML declaration (`<?xml-stylesheet?>`);
 * - no XInclude: neither its namespace nor any element named `include`;
 * - every `href`/`src` attribute (any prefix, any case; character references
 *   decoded) is a same-document fragment `#id` or an inline raster `data:`
 *   image, except on `<a>`, whose links librsvg never follows;
 * - CSS (in `<style>`, CDATA, `style` and presentation attributes; CSS escapes
 *   decoded) has no `@import` and every `url(…)` is a fragment or a raster `data:` image.
 *
 * Filter cost is capped here too, before anything renders (see `checkSvgFilterCost`).
 */
import { CrossportError } from '../http/errors'

/** Larger SVG sources are refused: they are read whole into memory and checked on the event loop (~0.4 s per MiB of dense markup). */
export const SVG_MAX_BYTES = 4 * 1024 * 1024


/** Encodings whose bytes mean what UTF-8 decoding says they mean. */
const UTF8_NAMES = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii'])
const UTF16_NAMES = new Set(['utf-16', 'utf16', 'utf-16le', 'utf-16be'])

/** Raster `data:` images are decoded by gdk-pixbuf alone; a nested SVG would need checking in turn. */
const RASTER_DATA_URI = /^data:image\/(?:png|jpeg|jpg|gif|webp)[;,]/i

/** Whether bytes start like XML (after a byte-order mark and white space): checked before sharp parses them. */
export function looksLikeMarkup(bytes: Uint8Array): boolean {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return true
  // svgz: librsvg inflates it itself.
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return true
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++
  return bytes[i] === 0x3c
}

/** Returns the SVG's text, or throws IMAGE_SVG_REFUSED (422) naming the first rule it breaks. */
export function checkSvgSource(bytes: Uint8Array): string {
  const text = decodeSvg(bytes)
  checkDeclarations(text)
  const decoded = decodeXmlReferences(text)
  // Checked on the decoded text too: stricter, never looser.
  checkDeclarations(decoded)
  if (/xinclude/i.test(decoded) || /<(?:[^\s<>/:]+:)?include[\s/>]/i.test(decoded)) refuse('it uses XInclude')
  checkReferenceAttributes(text)
  checkCss(decodeCssEscapes(decoded))
  return text
}

function refuse(why: string): never {
  throw new CrossportError('IMAGE_SVG_REFUSED', `The SVG cannot be rendered: ${why}`)
}

function decodeSvg(bytes: Uint8Array): string {
  const b0 = bytes[0]
  const b1 = bytes[1]
  if (b0 === 0x1f && b1 === 0x8b) refuse('compressed SVG (svgz) is not rendered; store it uncompressed')
  let text: string
  let isUtf16 = false
  try {
    if (b0 === 0xff && b1 === 0xfe) {
      text = new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2))
      isUtf16 = true
    } else if (b0 === 0xfe && b1 === 0xff) {
      text = new TextDecoder('utf-16be', { fatal: true }).decode(bytes.subarray(2))
      isUtf16 = true
    } else {
      // TextDecoder drops a UTF-8 byte-order mark itself.
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    }
  } catch {
    refuse('it is not valid UTF-8 (or UTF-16 with a byte-order mark)')
  }
  // UTF-16/32 without a byte-order mark, which libxml2 would still detect.
  if (text.includes('\0')) refuse('it contains NUL characters; store it as UTF-8')
  const declared = /^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([^"']*)["']/.exec(text)?.[1]?.toLowerCase()
  if (declared !== undefined && !(isUtf16 ? UTF16_NAMES : UTF8_NAMES).has(declared)) {
    refuse(`it declares the encoding "${declared}"; store it as UTF-8`)
  }
  return text
}

function checkDeclarations(text: string): void {
  if (/<!\s*(?:doctype|entity)/i.test(text)) refuse('it has a DOCTYPE or ENTITY declaration')
  for (const match of text.matchAll(/<\?/g)) {
    // Only the XML declaration, and only at the very start.
    const isDeclaration = /^\s*$/.test(text.slice(0, match.index)) && /^<\?xml\s/.test(text.slice(match.index, match.index + 6))
    if (!isDeclaration) refuse('it has a processing instruction (such as xml-stylesheet)')
  }
}

/** `&#x2e;`, `&#46;` and the five predefined entities, in one pass (as the XML parser does). */
function decodeXmlReferences(text: string): string {
  return text.replace(/&(?:#x([0-9a-f]+)|#([0-9]+)|(lt|gt|amp|quot|apos));/gi, (whole, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (name !== undefined) return PREDEFINED[name.toLowerCase()] ?? whole
    const code = hex !== undefined ? parseInt(hex, 16) : Number(dec)
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\uFFFD'
  })
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

/** CSS escapes (`\40`, `\72 `, `\@`) decoded, so `\40 import` is seen as `@import`. */
function decodeCssEscapes(text: string): string {
  return text.replace(/\\([0-9a-f]{1,6})\s?|\\([^\n])/gi, (_whole, hex: string | undefined, char: string | undefined) => {
    if (hex === undefined) return char ?? ''
    const code = parseInt(hex, 16)
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\uFFFD'
  })
}

const isLocalReference = (value: string): boolean => {
  const v = value.trim()
  return v.startsWith('#') || RASTER_DATA_URI.test(v)
}

function checkReferenceAttributes(text: string): void {
  // Every quoted attribute anywhere (comments and CDATA included: stricter).
  for (const match of text.matchAll(/([^\s<>"'=/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    const name = (match[1] ?? '').toLowerCase()
    const local = name.slice(name.lastIndexOf(':') + 1)
    if (local !== 'href' && local !== 'src') continue
    const value = decodeXmlReferences(match[2] ?? match[3] ?? '')
    if (isLocalReference(value)) continue
    if (elementNameBefore(text, match.index) === 'a') continue
    refuse(`it refers to "${shorten(value)}"; only #fragments and inline raster data: images are allowed`)
  }
}

/** Local name (lower case) of the element whose start tag holds position `index`. */
function elementNameBefore(text: string, index: number): string | undefined {
  const open = text.lastIndexOf('<', index)
  if (open < 0) return undefined
  const name = /^<([^\s/>]+)/.exec(text.slice(open, index))?.[1]?.toLowerCase()
  return name?.slice(name.lastIndexOf(':') + 1)
}

function checkCss(css: string): void {
  if (/@\s*import/i.test(css)) refuse('its CSS uses @import')
  const opened = css.match(/url\s*\(/gi)?.length ?? 0
  let checked = 0
  for (const match of css.matchAll(/url\s*\(\s*(?:"([^"]*)"|'([^']*)'|([^)"']*))\s*\)/gi)) {
    const value = match[1] ?? match[2] ?? match[3] ?? ''
    if (!isLocalReference(value)) refuse(`it refers to "${shorten(value)}" in url(); only #fragments and inline raster data: images are allowed`)
    checked++
  }
  // A url( that the pattern could not read is not one we could check.
  if (checked !== opened) refuse('it has a url() reference that cannot be read')
}

/** For messages: a reference as written, cut short (never a server path: it is the client's own text). */
const shorten = (value: string) => {
  const v = value.trim()
  return v.length > 60 ? `${v.slice(0, 57)}…` : v
}

/**
 * Filter cost. librsvg renders an SVG in strips and runs each filter over its
 * whole region for every strip, so cost grows faster than the output's pixel
 * count: one blur at 1920 px wide took 4 s, a radius-1 feMorphology 106 s,
 * ten stacked blurs at 3840 px five minutes (one core, sharp 0.35).
 *
 * A primitive weighs 1, a blur 2, the neighbourhood primitives 4 (morphology,
 * convolution, turbulence, lighting, displacement); the sum is multiplied by
 * how many times filters are applied (each `filter` attribute or CSS property
 * and each `<use>`). An SVG is refused when it has more than
 * SVG_MAX_FILTER_PRIMITIVES primitives, or when that work times the rendered
 * megapixels passes SVG_FILTER_BUDGET. IMAGE_RENDER_TIMEOUT_MS bounds the rest.
 */
const SVG_MAX_FILTER_PRIMITIVES = 16
/** Work units × rendered megapixels: a drop shadow (6 units) renders up to ≈1000×1300 px. */
const SVG_FILTER_BUDGET = 8

const HEAVY_PRIMITIVES = new Set(['feMorphology', 'feConvolveMatrix', 'feTurbulence', 'feDiffuseLighting', 'feSpecularLighting', 'feDisplacementMap'])
const BLUR_PRIMITIVES = new Set(['feGaussianBlur', 'feDropShadow'])
/** Children of primitives, not primitives themselves. */
const PRIMITIVE_CHILDREN = new Set(['feFuncR', 'feFuncG', 'feFuncB', 'feFuncA', 'feMergeNode', 'feDistantLight', 'fePointLight', 'feSpotLight'])

export interface FilterCost {
  readonly primitives: number
  /** Weighted primitives × applications. */
  readonly work: number
}

export function measureFilterCost(text: string): FilterCost {
  let primitives = 0
  let weight = 0
  for (const match of text.matchAll(/<(?:[^\s<>/:]+:)?(fe[A-Z][A-Za-z]*)/g)) {
    const name = match[1] as string
    if (PRIMITIVE_CHILDREN.has(name)) continue
    primitives++
    weight += HEAVY_PRIMITIVES.has(name) ? 4 : BLUR_PRIMITIVES.has(name) ? 2 : 1
  }
  if (primitives === 0) return { primitives, work: 0 }
  const applications = (text.match(/\bfilter\s*[=:]/gi)?.length ?? 0) + (text.match(/<(?:[^\s<>/:]+:)?use[\s/>]/g)?.length ?? 0)
  return { primitives, work: weight * Math.max(1, applications) }
}

/** Throws IMAGE_SVG_TOO_COSTLY (422) when the filters would cost too much at `renderedPixels`. */
export function checkSvgFilterCost(text: string, renderedPixels: number): void {
  const cost = measureFilterCost(text)
  if (cost.primitives > SVG_MAX_FILTER_PRIMITIVES) {
    throw new CrossportError('IMAGE_SVG_TOO_COSTLY', `The SVG has ${cost.primitives} filter primitives; at most ${SVG_MAX_FILTER_PRIMITIVES} are rendered`)
  }
  const megapixels = renderedPixels / 1_000_000
  if (cost.work * megapixels > SVG_FILTER_BUDGET) {
    throw new CrossportError(
      'IMAGE_SVG_TOO_COSTLY',
      `The SVG's filters are too costly to render at ${megapixels.toFixed(2)} megapixels; ask for a smaller size or simplify its filters`,
    )
  }
}
