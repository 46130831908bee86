import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { problemForStatus, toProblemResponse } from '../../../src/admin/problem'
import { CrossportError, problemType, validationFailed } from '../../../src/http/errors'

describe('toProblemResponse', () => {
  it('keeps a CrossportError status, type, message, fields and headers', () => {
    const error = validationFailed('policy.maxAge: too big', [{ field: 'policy.maxAge', message: 'too big' }])
    expect(toProblemResponse(error)).toEqual({
      problem: {
        type: problemType('VALIDATION_FAILED'),
        title: 'Validation failed',
        status: 422,
        detail: 'policy.maxAge: too big',
        errors: [{ field: 'policy.maxAge', message: 'too big' }],
      },
      headers: {},
      isUnexpected: false,
    })
    const limited = new CrossportError('TOO_MANY_ATTEMPTS', 'wait', { headers: { 'Retry-After': '30' } })
    expect(toProblemResponse(limited).headers).toEqual({ 'Retry-After': '30' })
  })

  it('hides everything about an unexpected error behind a generic 500', () => {
    const response = toProblemResponse(new TypeError('secret internals at /srv/x.js'))
    expect(response.problem.status).toBe(500)
    expect(JSON.stringify(response.problem)).not.toContain('secret')
    expect(response.isUnexpected).toBe(true)
  })

  it('answers a real SQLITE_BUSY from a locked database file with 503 and Retry-After', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crossport-busy-'))
    const holder = new Database(join(dir, 'x.db'))
    const writer = new Database(join(dir, 'x.db'), { timeout: 0 })
    try {
      holder.exec('CREATE TABLE t (x)')
      holder.exec('BEGIN IMMEDIATE')
      let busy: unknown
      try {
        writer.exec('INSERT INTO t VALUES (1)')
      } catch (error) {
        busy = error
      }
      const response = toProblemResponse(busy)
      expect(response.problem).toMatchObject({ status: 503, type: problemType('OVERLOADED') })
      expect(response.problem.detail).toMatch(/locked/)
      expect(response.headers['Retry-After']).toBe('1')
      expect(response.isUnexpected).toBe(false)
    } finally {
      holder.close()
      writer.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('shows an exposed HTTP error of a framework with its status', () => {
    const error = Object.assign(new Error('Bad thing'), { status: 400, expose: true })
    expect(toProblemResponse(error).problem).toMatchObject({ status: 400, detail: 'Bad thing', type: problemType('BAD_REQUEST') })
  })

  it('does not show the message of an unexposed HTTP error', () => {
    const error = Object.assign(new Error('internal detail'), { status: 404, expose: false })
    expect(toProblemResponse(error).problem.detail).not.toContain('internal detail')
  })
})

describe('problemForStatus', () => {
  it('uses the catalogue type for statuses it knows', () => {
    expect(problemForStatus(405, 'no').type).toBe(problemType('METHOD_NOT_ALLOWED'))
  })

  it('uses about:blank for other statuses (RFC 9457 §4.2.1)', () => {
    expect(problemForStatus(418, 'teapot').type).toBe('about:blank')
  })
})
