import { summariseEntry } from '../../../console/src/audit-summary'
import type { AuditEntry } from '../../../console/src/types'

const entry = (fields: Partial<AuditEntry>): AuditEntry => ({
  id: 1,
  at: '2026-01-01T00:00:00.000Z',
  actor: 'bootstrap',
  action: 'folder.patch',
  target: '/demo/',
  targetName: null,
  before: null,
  after: null,
  ...fields,
})
const folder = (origins: string[], extra: Record<string, unknown> = {}) => ({ path: '/demo/', policy: { origins, maxAge: 600, ...extra } })

describe('summariseEntry (one line per audit entry)', () => {
  it('names the origin added or removed and the folder', () => {
    const added = entry({ action: 'origin.add', before: folder(['https://shop.example']), after: folder(['https://shop.example', 'https://blog.example']) })
    expect(summariseEntry(added)).toBe('bootstrap added https://blog.example to /demo/')
    const removed = entry({ action: 'origin.remove', before: folder(['https://shop.example']), after: folder([]) })
    expect(summariseEntry(removed)).toBe('bootstrap removed https://shop.example from /demo/')
  })

  it('names a token by its name, never its id', () => {
    const id = '6f1c2a3e-0000-4000-8000-000000000000'
    const created = entry({ action: 'token.create', target: id, targetName: 'ci', after: { id, name: 'ci', scope: 'read' } })
    expect(summariseEntry(created)).toBe('bootstrap created the read token ci')
    // A token deleted from the database since: the name recorded in the entry itself.
    const revoked = entry({ action: 'token.revoke', target: id, targetName: null, before: { id, name: 'old-ci' } })
    expect(summariseEntry(revoked)).toBe('bootstrap revoked the token old-ci')
  })

  it('says what a policy change changed, and what a folder was created with', () => {
    const patched = entry({ before: folder([], { maxAge: 600 }), after: folder([], { maxAge: 60, credentials: true }) })
    expect(summariseEntry(patched)).toBe('bootstrap changed maxAge, credentials of /demo/')
    expect(summariseEntry(entry({ action: 'folder.create', after: folder(['https://shop.example']) }))).toBe('bootstrap created /demo/ shared with https://shop.example')
    expect(summariseEntry(entry({ action: 'folder.create', after: folder([]) }))).toBe('bootstrap created /demo/ (not shared cross-origin)')
  })

  it('tells an upload from a replacement', () => {
    expect(summariseEntry(entry({ action: 'asset.upload', target: '/demo/a.png', before: null, after: { size: 1 } }))).toBe('bootstrap uploaded /demo/a.png')
    expect(summariseEntry(entry({ action: 'asset.upload', target: '/demo/a.png', before: { size: 1 }, after: { size: 2 } }))).toBe('bootstrap replaced /demo/a.png')
  })
})
