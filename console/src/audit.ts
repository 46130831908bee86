import { api } from './api.js'
import { byId, describeError, field, formatTime, h, replaceChildren } from './dom.js'
import type { AuditEntry, ItemList } from './types.js'

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
    const list = await api<ItemList<AuditEntry>>('GET', `/audit?${query}`)
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
  return h(
    'li',
    { class: 'audit-entry' },
    h('p', {}, h('time', { datetime: entry.at }, formatTime(entry.at)), ' · ', h('strong', {}, entry.actor), ' · ', h('span', { class: 'action' }, entry.action), ' · ', h('code', {}, entry.target)),
    changes.length > 0 ? h('ul', { class: 'changes' }, changes.map((line) => h('li', {}, line))) : null,
    h('details', {}, h('summary', {}, 'Before and after'), h('pre', {}, JSON.stringify({ before: entry.before, after: entry.after }, null, 2))),
  )
}

const policyOf = (value: unknown): Record<string, unknown> | undefined => {
  if (typeof value !== 'object' || value === null) return undefined
  const policy = (value as { policy?: unknown }).policy
  return typeof policy === 'object' && policy !== null ? (policy as Record<string, unknown>) : undefined
}

/** Plain-words summary of a policy change: origins added/removed, other fields old → new. */
function describeChange(before: unknown, after: unknown): string[] {
  const old = policyOf(before)
  const now = policyOf(after)
  if (old === undefined || now === undefined) return []
  const lines: string[] = []
  const oldOrigins = Array.isArray(old.origins) ? (old.origins as string[]) : []
  const newOrigins = Array.isArray(now.origins) ? (now.origins as string[]) : []
  for (const origin of newOrigins) if (!oldOrigins.includes(origin)) lines.push(`origin added: ${origin}`)
  for (const origin of oldOrigins) if (!newOrigins.includes(origin)) lines.push(`origin removed: ${origin}`)
  for (const key of Object.keys(now)) {
    if (key === 'origins') continue
    const a = JSON.stringify(old[key])
    const b = JSON.stringify(now[key])
    if (a !== b) lines.push(`${key}: ${a} → ${b}`)
  }
  return lines
}
