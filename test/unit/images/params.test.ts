import { CrossportError } from '../../../src/http/errors'
import {
  chooseFormat,
  parseAccept,
  parseImageParams,
  sourceFormatOf,
  wantsDerivative,
  type AcceptedFormats,
  type ImageLimits,
  type OutputFormat,
  type RequestedFormat,
  type SourceFormat,
} from '../../../src/images/params'

const limits: ImageLimits = {
  widths: [16, 32, 48, 64, 96, 128, 256, 384, 640, 750, 828, 1080, 1200, 1920, 2048, 3840],
  qualities: [50, 75, 90],
}

const parse = (query: string, l: ImageLimits = limits) => parseImageParams(new URLSearchParams(query), l)

const problemFields = (query: string, l: ImageLimits = limits): string[] => {
  try {
    parse(query, l)
  } catch (error) {
    expect(error).toBeInstanceOf(CrossportError)
    const e = error as CrossportError
    expect(e.code).toBe('INVALID_IMAGE_PARAMS')
    expect(e.status).toBe(400)
    return (e.fields ?? []).map((f) => f.field)
  }
  throw new Error(`expected ${query} to be refused`)
}

describe('wantsDerivative(query, path)', () => {
  it.each([
    ['w=640', true],
    ['h=640', true],
    ['q=75', true],
    ['fmt=auto', true],
    ['fit=cover', true],
    ['dpr=2', true],
    ['v=3&w=640', true],
    ['v=3', false],
    ['', false],
    ['width=640', false],
    ['W=640', false],
  ])('for /hero.jpg?%s answers %s', (query, expected) => {
    expect(wantsDerivative(new URLSearchParams(query), '/brand/hero.jpg')).toBe(expected)
  })

  it.each([
    ['/brand/site.css', 'w=640', false],
    ['/brand/clip.mp4', 'w=640&fmt=webp', false],
    ['/brand/noext', 'w=640', false],
    ['/brand/logo.svg', 'w=640', false],
    ['/brand/logo.svg', 'w=640&fmt=auto', false],
    ['/brand/logo.svg', 'w=640&fmt=png', true],
    ['/brand/photo.PNG', 'w=640', true],
    ['/brand/anim.gif', 'fmt=webp', true],
  ])('for %s?%s answers %s: only renderable images are rendered', (path, query, expected) => {
    expect(wantsDerivative(new URLSearchParams(query), path)).toBe(expected)
  })
})

describe('parseImageParams(query, limits)', () => {
  it.each([
    ['w=640', { width: 640, height: undefined, fit: 'inside', quality: 75, format: undefined }],
    ['h=384', { width: undefined, height: 384, fit: 'inside', quality: 75, format: undefined }],
    ['w=640&h=384', { width: 640, height: 384, fit: 'cover', quality: 75, format: undefined }],
    ['w=640&h=384&fit=contain', { width: 640, height: 384, fit: 'contain', quality: 75, format: undefined }],
    ['w=640&h=384&fit=inside', { width: 640, height: 384, fit: 'inside', quality: 75, format: undefined }],
    ['w=640&fit=cover', { width: 640, height: undefined, fit: 'inside', quality: 75, format: undefined }],
    ['w=640&q=90', { width: 640, height: undefined, fit: 'inside', quality: 90, format: undefined }],
    ['fmt=webp', { width: undefined, height: undefined, fit: 'inside', quality: 75, format: 'webp' }],
    ['w=640&fmt=auto', { width: 640, height: undefined, fit: 'inside', quality: 75, format: 'auto' }],
    ['w=640&fmt=avif', { width: 640, height: undefined, fit: 'inside', quality: 75, format: 'avif' }],
    ['w=640&fmt=jpeg', { width: 640, height: undefined, fit: 'inside', quality: 75, format: 'jpeg' }],
    ['w=640&fmt=png', { width: 640, height: undefined, fit: 'inside', quality: 75, format: 'png' }],
    ['w=640&dpr=2', { width: 1280, height: undefined, fit: 'inside', quality: 75, format: undefined }],
    ['w=640&h=384&dpr=3', { width: 1920, height: 1152, fit: 'cover', quality: 75, format: undefined }],
    ['w=640&dpr=1', { width: 640, height: undefined, fit: 'inside', quality: 75, format: undefined }],
    // dpr past the largest width: capped there, box shrunk as a whole.
    ['w=3840&dpr=2', { width: 3840, height: undefined, fit: 'inside', quality: 75, format: undefined }],
    ['w=1920&h=1080&dpr=3', { width: 3840, height: 2160, fit: 'cover', quality: 75, format: undefined }],
    // dpr without a size has nothing to multiply.
    ['fmt=webp&dpr=2', { width: undefined, height: undefined, fit: 'inside', quality: 75, format: 'webp' }],
    // The cache buster is allowed next to image parameters and ignored.
    ['w=640&v=3', { width: 640, height: undefined, fit: 'inside', quality: 75, format: undefined }],
  ])('normalises ?%s', (query, expected) => {
    expect(parse(query)).toMatchObject(expected)
  })

  it('gives one key to queries that ask for the same picture', () => {
    expect(parse('w=640&dpr=3').key).toBe(parse('w=1920').key)
    expect(parse('w=640&fit=cover').key).toBe(parse('w=640').key)
    expect(parse('q=75&w=640').key).toBe(parse('w=640').key)
    expect(parse('w=640&v=9').key).toBe(parse('w=640').key)
  })

  it('gives different keys to different pictures', () => {
    const keys = ['w=640', 'w=750', 'h=640', 'w=640&h=640', 'w=640&h=640&fit=contain', 'w=640&q=90', 'w=640&fmt=auto', 'w=640&fmt=webp'].map(
      (q) => parse(q).key,
    )
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('defaults quality to the allowed value closest to 75 when 75 is not allowed', () => {
    expect(parse('w=640', { widths: [640], qualities: [40, 80] }).quality).toBe(80)
  })

  it.each([
    ['w=641', ['w']],
    ['w=0', ['w']],
    ['w=-640', ['w']],
    ['w=0640', ['w']],
    ['w=640.0', ['w']],
    ['w=6.4e2', ['w']],
    ['w=0x280', ['w']],
    ['w=', ['w']],
    ['w=abc', ['w']],
    ['w=99999999999999999999', ['w']],
    ['h=500', ['h']],
    ['q=80', ['q']],
    ['q=100', ['q']],
    ['fmt=gif', ['fmt']],
    ['fmt=jpg', ['fmt']],
    ['fmt=AUTO', ['fmt']],
    ['fit=fill', ['fit']],
    ['w=640&fit=outside', ['fit']],
    ['w=640&dpr=4', ['dpr']],
    ['w=640&dpr=0', ['dpr']],
    ['w=640&dpr=1.5', ['dpr']],
    ['w=640&width=640', ['width']],
    ['w=640&blur=5', ['blur']],
    ['w=640&w=750', ['w']],
    ['w=641&q=1&fmt=tiff&foo=1', ['foo', 'w', 'q', 'fmt']],
  ])('refuses ?%s naming %j', (query, fields) => {
    expect(problemFields(query).sort()).toEqual([...fields].sort())
  })

  it('says which values are allowed', () => {
    expect(() => parse('w=641')).toThrow(/w: must be one of 16, 32.*3840/)
  })
})

describe('parseAccept(accept)', () => {
  it.each<[string | undefined, AcceptedFormats]>([
    [undefined, { avif: false, webp: false }],
    ['', { avif: false, webp: false }],
    ['*/*', { avif: false, webp: false }],
    ['image/*', { avif: false, webp: false }],
    ['image/webp,*/*', { avif: false, webp: true }],
    ['image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8', { avif: true, webp: true }],
    ['IMAGE/AVIF', { avif: true, webp: false }],
    [' image/avif ; q=0.5 , image/webp;q=0', { avif: true, webp: false }],
    ['image/avif;q=0.0', { avif: false, webp: false }],
    ['image/avif;q=abc', { avif: false, webp: false }],
    ['image/avifx,image/web', { avif: false, webp: false }],
    ['image/avif;q=0, image/avif', { avif: true, webp: false }],
    ['text/html;note="x,image/avif"', { avif: false, webp: false }],
    ['image/webp;q=0.5;level=1', { avif: false, webp: true }],
    ['image/avif ;q = 0.5', { avif: true, webp: false }],
  ])('reads %j as %j', (accept, expected) => {
    expect(parseAccept(accept)).toEqual(expected)
  })
})

describe('chooseFormat(requested, accepted, source)', () => {
  const none = { avif: false, webp: false }
  const webp = { avif: false, webp: true }
  const both = { avif: true, webp: true }
  const avifOnly = { avif: true, webp: false }
  // [fmt, Accept, source format, animated, alpha, expected]
  it.each<[RequestedFormat | undefined, AcceptedFormats, SourceFormat, boolean, boolean, OutputFormat]>([
    ['auto', both, 'jpeg', false, false, 'avif'],
    ['auto', avifOnly, 'png', false, true, 'avif'],
    ['auto', webp, 'jpeg', false, false, 'webp'],
    ['auto', webp, 'png', false, true, 'webp'],
    // Neither AVIF nor WebP: JPEG, which every client decodes, unless JPEG would lose transparency or animation.
    ['auto', none, 'jpeg', false, false, 'jpeg'],
    ['auto', none, 'png', false, false, 'jpeg'],
    ['auto', none, 'png', false, true, 'png'],
    ['auto', none, 'gif', false, true, 'gif'],
    ['auto', none, 'webp', false, false, 'jpeg'],
    ['auto', none, 'webp', false, true, 'png'],
    ['auto', none, 'avif', false, false, 'jpeg'],
    ['auto', none, 'heif', false, false, 'jpeg'],
    ['auto', none, 'tiff', false, false, 'jpeg'],
    ['auto', none, 'tiff', false, true, 'png'],
    // Animations: sharp writes AVIF as a still, so auto skips it.
    ['auto', both, 'gif', true, true, 'webp'],
    ['auto', avifOnly, 'gif', true, true, 'gif'],
    ['auto', none, 'webp', true, false, 'gif'],
    // Explicit formats win, whatever Accept says.
    ['webp', none, 'jpeg', false, false, 'webp'],
    ['avif', none, 'png', false, true, 'avif'],
    ['jpeg', both, 'png', false, true, 'jpeg'],
    ['png', both, 'jpeg', false, false, 'png'],
    ['png', both, 'gif', true, true, 'png'],
    // No fmt: keep the source's format where browsers read it.
    [undefined, both, 'jpeg', false, false, 'jpeg'],
    [undefined, both, 'png', false, false, 'png'],
    [undefined, both, 'webp', false, false, 'webp'],
    [undefined, both, 'webp', true, false, 'webp'],
    [undefined, both, 'avif', false, false, 'avif'],
    [undefined, both, 'gif', true, true, 'gif'],
    [undefined, both, 'tiff', false, false, 'png'],
    [undefined, both, 'heif', false, false, 'jpeg'],
  ])('fmt=%s with %j for a %s source (animated: %s, alpha: %s) gives %s', (requested, accepted, format, isAnimated, hasAlpha, expected) => {
    expect(chooseFormat(requested, accepted, { format, isAnimated, hasAlpha })).toBe(expected)
  })
})

describe('sourceFormatOf(urlPath)', () => {
  it.each<[string, SourceFormat | undefined]>([
    ['/brand/hero.jpg', 'jpeg'],
    ['/brand/HERO.JPEG', 'jpeg'],
    ['/a.png', 'png'],
    ['/a.webp', 'webp'],
    ['/a.avif', 'avif'],
    ['/a.gif', 'gif'],
    ['/a.tiff', 'tiff'],
    ['/a.heic', 'heif'],
    ['/logo.svg', 'svg'],
    ['/style.css', undefined],
    ['/video.mp4', undefined],
    ['/no-extension', undefined],
    ['/dir.jpg/file', undefined],
  ])('%s is %s', (path, expected) => {
    expect(sourceFormatOf(path)).toBe(expected)
  })
})
