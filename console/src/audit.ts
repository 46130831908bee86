import { api } from './api.js'
import { byId, describeError, field, formatTime, h, replaceChildren } from './dom.js'
import { describeChange, summariseEntry } from './audit-summary.js'
import type { AuditEntry, AuditList } from './types.js'

const PAGE_SIZE = 50
let target = ''
let oldestId: number | undefined
/** Only the latest request's answer is shown (a slow unfiltered load must not replace a filtered one). */
let sequence = 0

export function setUpAudit(): void {
  const filter = field('Folder or path', h('input', { id: 'audit-target', name: 'target', placeholder: '/brand/ (empty: everything)', autocomplete: 'off', list: 'folder-paths' }), 'Shows changes to this path and everything below it.')
  const form = byId<HTMLFormElement>('audit-form')
  replaceChildren(form, filter.wrapper, h('button', { type: 'submit' }, 'Filter'))
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    target = filter.control.value.trim()
    void showAudit(false)
  })
  const older = h('button', { type: 'button', id: 'audit-older', class: 'secondary', hidden: true }, 'Older entries')
  older.addEventListener('click', () => void showAudit(true))
  byId('audit-more-holder').replaceChildren(older)
}

/** Newest first, as the API answers; "Older entries" pages back with `before=`. */
export async function showAudit(isMore = false): Promise<void> {
  const error = byId('audit-error')
  error.textContent = ''
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) })
  if (target !== '') query.set('target', target)
  if (isMore && oldestId !== undefined) query.set('before', String(oldestId))
  const mine = ++sequence
  try {
    const list = await api<AuditList>('GET', `/audit?${query}`)
    if (mine !== sequence) return
    const rows = list.items.map(renderEntry)
    const holder = byId('audit-list')
    if (isMore) holder.append(...rows)
    else replaceChildren(holder, rows.length === 0 ? h('li', { class: 'empty' }, 'No changes recorded.') : rows)
    oldestId = list.items.at(-1)?.id ?? oldestId
    byId('audit-older').hidden = list.items.length < PAGE_SIZE
  } catch (e) {
    if (mine === sequence) error.textContent = describeError(e)
  }
}

function renderEntry(entry: AuditEntry): HTMLLIElement {
  const changes = describeChange(entry.before, entry.after)
  const target = entry.targetName === null ? entry.target : `${entry.targetName} (${entry.target})`
  return h(
    'li',
    { class: 'audit-entry', 'data-action': entry.action },
    h('p', { class: 'audit-summary' }, summariseEntry(entry)),
    h('p', { class: 'meta' }, h('time', { datetime: entry.at }, formatTime(entry.at)), ' · ', h('span', { class: 'action' }, entry.action), ' · ', h('code', { class: 'audit-target' }, target)),
    changes.length > 1 ? h('ul', { class: 'changes' }, changes.map((line) => h('li', {}, line))) : null,
    h('details', {}, h('summary', {}, 'Before and after'), h('pre', {}, JSON.stringify({ before: entry.before, after: entry.after }, null, 2))),
  )
}
