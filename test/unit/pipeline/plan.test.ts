import { assetBaseHeaders, planAssetResponse, SVG_CSP, type DeliveryRequest, type Representation } from '../../../src/pipeline/plan'

const rep: Representation = {
  sizeBytes: 1000,
  etag: '"3e8-1"',
  lastModified: 'Tue, 15 Nov 1994 12:45:26 GMT',
  lastModifiedSeconds: Date.parse('Tue, 15 Nov 1994 12:45:26 GMT') / 1000,
  contentType: 'text/css; charset=utf-8',
  contentEncoding: undefined,
}
const get: DeliveryRequest = {
  method: 'GET',
  range: undefined,
  ifRange: undefined,
  ifMatch: undefined,
  ifNoneMatch: undefined,
  ifModifiedSince: undefined,
  ifUnmodifiedSince: undefined,
}
const base = { 'Access-Control-Allow-Origin': 'https://a.example', Vary: 'Origin', 'Cache-Control': 'public, max-age=60' }

describe('planAssetResponse', () => {
  it('answers 200 with validators, type, length and the whole body', () => {
    const plan = planAssetResponse(get, rep, base)
    expect(plan.status).toBe(200)
    expect(plan.body).toEqual({ start: 0, end: 999 })
    expect(plan.headers).toMatchObject({
      ...base,
      ETag: rep.etag,
      'Last-Modified': rep.lastModified,
      'Content-Type': rep.contentType,
      'Content-Length': 1000,
      'Accept-Ranges': 'bytes',
    })
  })

  it('answers HEAD with the same headers as GET and no body', () => {
    const head = planAssetResponse({ ...get, method: 'HEAD' }, rep, base)
    expect(head.headers).toEqual(planAssetResponse(get, rep, base).headers)
    expect(head.body).toBeUndefined()
  })

  it('answers 304 keeping CORS, Vary, Cache-Control and ETag, without Content-Length', () => {
    const plan = planAssetResponse({ ...get, ifNoneMatch: rep.etag }, rep, base)
    expect(plan.status).toBe(304)
    expect(plan.body).toBeUndefined()
    expect(plan.headers).toEqual({ ...base, ETag: rep.etag, 'Last-Modified': rep.lastModified })
  })

  it('answers 412 keeping the CORS headers, not storable by shared caches, when If-Match fails', () => {
    const plan = planAssetResponse({ ...get, ifMatch: '"nope"' }, rep, base)
    expect(plan.status).toBe(412)
    expect(plan.headers).toMatchObject({ ...base, 'Cache-Control': 'no-store', 'Content-Length': 0 })
  })

  it('answers 206 with Content-Range for one range', () => {
    const plan = planAssetResponse({ ...get, range: 'bytes=100-199' }, rep, base)
    expect(plan.status).toBe(206)
    expect(plan.body).toEqual({ start: 100, end: 199 })
    expect(plan.headers).toMatchObject({ 'Content-Range': 'bytes 100-199/1000', 'Content-Length': 100 })
  })

  it('answers 416 with bytes */size, not storable by shared caches, for an unsatisfiable range', () => {
    const plan = planAssetResponse({ ...get, range: 'bytes=5000-' }, rep, base)
    expect(plan.status).toBe(416)
    expect(plan.headers).toMatchObject({ ...base, 'Cache-Control': 'no-store', 'Content-Range': 'bytes */1000', 'Content-Length': 0 })
    expect(plan.body).toBeUndefined()
  })

  it('keeps the CDN\'s lifetimes on a 304 and drops them on 412 and 416, which no cache may keep', () => {
    const cdnBase = { ...base, 'CDN-Cache-Control': 'max-age=86400', 'Surrogate-Control': 'max-age=86400' }
    expect(planAssetResponse({ ...get, ifNoneMatch: rep.etag }, rep, cdnBase).headers).toMatchObject(cdnBase)
    for (const failing of [{ ...get, ifMatch: '"nope"' }, { ...get, range: 'bytes=5000-' }]) {
      const headers = planAssetResponse(failing, rep, cdnBase).headers
      expect(headers['Cache-Control']).toBe('no-store')
      expect(Object.keys(headers)).not.toContain('CDN-Cache-Control')
      expect(Object.keys(headers)).not.toContain('Surrogate-Control')
    }
  })

  it('sends the full 200 when If-Range names another version', () => {
    const plan = planAssetResponse({ ...get, range: 'bytes=0-9', ifRange: '"old"' }, rep, base)
    expect(plan.status).toBe(200)
    expect(plan.headers['Content-Range']).toBeUndefined()
  })

  it('ignores Range on HEAD (RFC 9110 §14.2)', () => {
    expect(planAssetResponse({ ...get, method: 'HEAD', range: 'bytes=0-9' }, rep, base).status).toBe(200)
  })

  it('never applies a range to an encoded representation', () => {
    const plan = planAssetResponse({ ...get, range: 'bytes=0-9' }, { ...rep, contentEncoding: 'br' }, base)
    expect(plan.status).toBe(200)
    expect(plan.headers['Content-Encoding']).toBe('br')
  })

  it('checks preconditions before the range: a 304 wins over Range', () => {
    expect(planAssetResponse({ ...get, range: 'bytes=0-9', ifNoneMatch: rep.etag }, rep, base).status).toBe(304)
  })

  it('answers an empty file with 200 and no body range', () => {
    const plan = planAssetResponse(get, { ...rep, sizeBytes: 0 }, base)
    expect(plan.status).toBe(200)
    expect(plan.headers['Content-Length']).toBe(0)
    expect(plan.body).toBeUndefined()
  })
})

describe('assetBaseHeaders', () => {
  it('adds nosniff and the SVG sandbox CSP', () => {
    const headers = assetBaseHeaders({ corsHeaders: {}, vary: 'Origin', cacheControl: 'no-cache', isSvg: true })
    expect(headers).toEqual({ 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff', Vary: 'Origin', 'Content-Security-Policy': SVG_CSP })
  })

  it('sandboxes every other asset only when asked (admin console on the same origin)', () => {
    const plain = { corsHeaders: {}, vary: undefined, cacheControl: 'no-cache', isSvg: false }
    expect(assetBaseHeaders(plain)['Content-Security-Policy']).toBeUndefined()
    expect(assetBaseHeaders({ ...plain, sandboxAll: true })['Content-Security-Policy']).toBe('sandbox')
    expect(assetBaseHeaders({ ...plain, isSvg: true, sandboxAll: true })['Content-Security-Policy']).toBe(SVG_CSP)
  })
})

describe('planAssetResponse: remembered answers', () => {
  it('gives the same 200 and 304 plan objects for the same representation and base headers', () => {
    const sharedBase = { ...base }
    expect(planAssetResponse(get, rep, sharedBase)).toBe(planAssetResponse(get, rep, sharedBase))
    const notModified = { ...get, ifNoneMatch: rep.etag }
    expect(planAssetResponse(notModified, rep, sharedBase)).toBe(planAssetResponse({ ...get, ifModifiedSince: rep.lastModified }, rep, sharedBase))
  })

  it('keeps GET, HEAD and 304 apart, and plans afresh for another representation or other base headers', () => {
    const sharedBase = { ...base }
    const plan = planAssetResponse(get, rep, sharedBase)
    expect(planAssetResponse({ ...get, method: 'HEAD' }, rep, sharedBase).body).toBeUndefined()
    expect(planAssetResponse({ ...get, ifNoneMatch: rep.etag }, rep, sharedBase).status).toBe(304)
    expect(plan.status).toBe(200)

    const replaced: Representation = { ...rep, sizeBytes: 2000, etag: '"7d0-2"' }
    expect(planAssetResponse(get, replaced, sharedBase).headers).toMatchObject({ ETag: '"7d0-2"', 'Content-Length': 2000 })
    const otherBase = { ...base, 'Access-Control-Allow-Origin': 'https://b.example' }
    expect(planAssetResponse(get, rep, otherBase).headers['Access-Control-Allow-Origin']).toBe('https://b.example')
  })

  it('plans every range request for itself', () => {
    const sharedBase = { ...base }
    const first = planAssetResponse({ ...get, range: 'bytes=0-9' }, rep, sharedBase)
    const second = planAssetResponse({ ...get, range: 'bytes=10-19' }, rep, sharedBase)
    expect(first.body).toEqual({ start: 0, end: 9 })
    expect(second.body).toEqual({ start: 10, end: 19 })
    expect(second.headers['Content-Range']).toBe('bytes 10-19/1000')
  })
})
