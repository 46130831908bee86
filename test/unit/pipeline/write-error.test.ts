import { decideCors } from '../../../src/cors/decide'
import { CrossportError } from '../../../src/http/errors'
import { decidedAnswer, NOT_FOUND_CACHE_CONTROL, problemAnswer } from '../../../src/pipeline/write-error'
import { compilePolicyTable } from '../../../src/policy/table'
import { DEFAULT_POLICY } from '../../../src/policy/types'
import { corsRequest } from '../../helpers/records'

const SHOP = 'https://shop.example'
const compiled = compilePolicyTable([{ id: 1, path: '/', policy: { ...DEFAULT_POLICY, origins: [SHOP] }, createdAt: '', updatedAt: '' }]).resolve('/a.jpg')
const allowed = decideCors(corsRequest({ origin: SHOP }), compiled)
const refused = decideCors(corsRequest({ origin: 'https://evil.example' }), compiled)

describe('decidedAnswer(decision, kind)', () => {
  it('gives a 404 the CORS headers, Vary, no-cache and nosniff', () => {
    const answer = decidedAnswer(allowed, 'not-found')
    expect(answer.status).toBe(404)
    expect(answer.headers).toMatchObject({ 'Access-Control-Allow-Origin': SHOP, Vary: 'Origin', 'Cache-Control': NOT_FOUND_CACHE_CONTROL, 'X-Content-Type-Options': 'nosniff', 'Content-Length': 0 })
  })

  it('answers a plain OPTIONS 204 with Allow and no Content-Length', () => {
    const answer = decidedAnswer(allowed, 'options')
    expect(answer.status).toBe(204)
    expect(answer.headers.Allow).toBe('GET, HEAD, OPTIONS')
    expect(answer.headers['Content-Length']).toBeUndefined()
  })

  it('refuses a render 403, never stored, keeping the folder’s Vary', () => {
    expect(decidedAnswer(refused, 'refused-render')).toMatchObject({ status: 403, headers: { 'Cache-Control': 'no-store', Vary: 'Origin' } })
  })

  it('sends no CORS headers with a 403 for a missing signature', () => {
    expect(decidedAnswer(allowed, 'unsigned').headers['Access-Control-Allow-Origin']).toBeUndefined()
  })

  it('builds each answer once per decision, frozen', () => {
    const answer = decidedAnswer(allowed, 'not-found')
    expect(decidedAnswer(allowed, 'not-found')).toBe(answer)
    expect(Object.isFrozen(answer.headers)).toBe(true)
  })
})

describe('problemAnswer(decision, error)', () => {
  it('writes problem+json with the CORS headers and no-store', () => {
    const answer = problemAnswer(allowed, new CrossportError('INVALID_IMAGE_PARAMS', 'w must be one of …'))
    expect(answer.status).toBe(400)
    expect(answer.headers).toMatchObject({ 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': SHOP })
    expect(JSON.parse(answer.body ?? '')).toMatchObject({ status: 400, detail: 'w must be one of …' })
  })

  it('answers 503 with Retry-After when the derivative vanished', () => {
    expect(problemAnswer(allowed, undefined)).toMatchObject({ status: 503, headers: { 'Retry-After': '1' } })
  })
})
