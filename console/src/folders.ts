import { api } from './api.js'
import {
  announce,
  byId,
  clearProblems,
  confirmButton,
  describeError,
  field,
  formatTime,
  h,
  replaceChildren,
  showProblem,
  splitList,
  type Field,
} from './dom.js'
import { buildFolderTree, flattenTree, type TreeNode } from './folder-tree.js'
import { setUpFolderSearch } from './folder-search.js'
import { folderOf } from './paths.js'
import { expandTo, newTreeView, renderTree, type TreeActions } from './tree-view.js'
import type { Folder, ItemList, Policy, SignedUrlsMode } from './types.js'

/** Last list the API gave; re-fetched after every change, never edited locally. */
let folders: readonly Folder[] = []
/** The tree of the last listing, and every node of it by path (built once per listing, not per click). */
let tree: TreeNode = buildFolderTree([])
let nodesByPath = new Map<string, TreeNode>()
const view = newTreeView()
let refreshSearch: () => void = () => {}
let onExplain: (path: string) => void = () => {}

/** The folders of the last listing (for the asset browser's policy line). */
export const knownFolders = (): readonly Folder[] => folders

export function setExplainHandler(handler: (path: string) => void): void {
  onExplain = handler
}

/** GET /folders, every page of it, and keeps the folder suggestions of the other panels in step. */
export async function fetchFolders(): Promise<readonly Folder[]> {
  const all: Folder[] = []
  let cursor: string | null | undefined
  do {
    const page: ItemList<Folder> & { nextCursor?: string | null } = await api('GET', `/folders?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    all.push(...page.items)
    cursor = page.nextCursor
  } while (cursor)
  folders = all
  tree = buildFolderTree(folders)
  nodesByPath = new Map(flattenTree(tree).map((node) => [node.path, node]))
  // Suggestions only: a datalist of 100,000 options would cost more than it helps.
  const options = byId('folder-paths')
  replaceChildren(options, folders.slice(0, MAX_SUGGESTIONS).map((folder) => h('option', { value: folder.path })))
  return folders
}

const MAX_SUGGESTIONS = 500

export async function showFolders(): Promise<void> {
  const general = byId('folders-error')
  try {
    await fetchFolders()
    general.textContent = ''
    render()
    refreshSearch()
  } catch (error) {
    general.textContent = describeError(error)
  }
}

export function setUpFolders(): void {
  refreshSearch = setUpFolderSearch(byId('folder-search-box'), () => [...nodesByPath.keys()], (path) => {
    expandTo(view, path)
    select(path)
    byId('folder-tree').querySelector(`button[data-path="${CSS.escape(path)}"]`)?.scrollIntoView({ block: 'nearest' })
  })
  const path = field('Folder path', h('input', { id: 'new-folder-path', name: 'path', placeholder: '/brand/', autocomplete: 'off', required: true }), 'e.g. brand/logos (read as /brand/logos/)')
  const origins = field(
    'Allowed origins (optional)',
    h('input', { id: 'new-folder-origins', name: 'origins', placeholder: 'https://shop.example https://*.shop.example', autocomplete: 'off' }),
    'Separate several with spaces or commas. Empty: no cross-origin access.',
  )
  const general = h('p', { class: 'form-error', 'aria-live': 'polite' })
  const form = byId<HTMLFormElement>('create-folder-form')
  replaceChildren(form, h('h3', {}, 'Create a folder'), path.wrapper, origins.wrapper, h('button', { type: 'submit' }, 'Create folder'), general)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    clearProblems({ path, origins }, general)
    const newPath = folderOf(path.control.value)
    try {
      await api('POST', '/folders', { path: newPath, policy: { origins: splitList(origins.control.value) } })
      form.reset()
      view.selectedPath = newPath
      expandTo(view, newPath)
      announce(`Folder ${newPath} created.`)
      await showFolders()
    } catch (error) {
      showProblem(error, { path, origins }, general, { prefix: 'policy.', fallback: 'path' })
    }
  })
}

const treeActions: TreeActions = {
  select,
  changed(focus) {
    // Expanding or collapsing leaves the editor alone: unsaved edits there survive.
    renderTreeOnly()
    byId('folder-tree').querySelector<HTMLElement>(focus)?.focus()
  },
  extras: (node) => [sourceBadge(node), ' ', h('span', { class: 'summary' }, summarise(node.source?.policy))],
}

function select(path: string): void {
  view.selectedPath = path
  render()
  byId('folder-detail').querySelector<HTMLElement>('h3')?.focus()
}

function renderTreeOnly(): void {
  replaceChildren(byId('folder-tree'), renderTree(tree, view, treeActions))
}

function render(): void {
  const selected = nodesByPath.get(view.selectedPath) ?? tree
  view.selectedPath = selected.path
  renderTreeOnly()
  replaceChildren(byId('folder-detail'), selected.folder !== undefined ? renderFolder(selected.folder) : renderInherited(selected))
}

export function sourceBadge(node: Pick<TreeNode, 'folder' | 'source'>): HTMLElement {
  if (node.folder !== undefined) return h('span', { class: 'badge own' }, 'own policy')
  if (node.source !== undefined) return h('span', { class: 'badge inherited' }, `inherited from ${node.source.path}`)
  return h('span', { class: 'badge inherited' }, 'built-in default')
}

export function summarise(policy: Policy | undefined): string {
  if (policy === undefined || policy.origins.length === 0) return 'no cross-origin access'
  const parts = [policy.origins.join(', ')]
  if (policy.mode === 'strict') parts.push('strict (hotlink protection)')
  if (policy.credentials) parts.push('with credentials')
  return parts.join(' · ')
}

/** A path between folders: it has no policy of its own and uses its nearest parent's. */
function renderInherited(node: TreeNode): HTMLElement {
  const source = node.source
  const general = h('p', { class: 'form-error', 'aria-live': 'polite' })
  const create = h('button', { type: 'button' }, source === undefined ? `Give ${node.path} its own policy` : `Give ${node.path} its own policy (a copy of ${source.path})`)
  create.addEventListener('click', async () => {
    general.textContent = ''
    try {
      await api('POST', '/folders', { path: node.path, policy: source?.policy ?? { origins: [] } })
      announce(`Folder ${node.path} created.`)
      await showFolders()
    } catch (error) {
      general.textContent = describeError(error)
    }
  })
  return h(
    'div',
    { class: 'panel' },
    h('h3', { tabindex: -1 }, node.path, ' ', sourceBadge(node)),
    h(
      'p',
      {},
      source === undefined
        ? 'No folder policy applies here: the built-in default refuses every cross-origin request.'
        : `No policy of its own: requests under ${node.path} use the policy of ${source.path}.`,
    ),
    source === undefined ? null : describePolicy(source.policy),
    h('div', { class: 'actions' }, create, ' ', explainButton(node.path)),
    general,
  )
}

function describePolicy(policy: Policy): HTMLElement {
  const row = (term: string, value: string) => [h('dt', {}, term), h('dd', {}, value)]
  return h(
    'dl',
    { class: 'policy' },
    row('Origins', policy.origins.length === 0 ? 'none (no cross-origin access)' : policy.origins.join(', ')),
    row('Methods', policy.methods.join(', ')),
    row('Allowed request headers', policy.allowHeaders.join(', ') || 'none'),
    row('Exposed response headers', policy.exposeHeaders.join(', ') || 'none'),
    row('Preflight max-age', `${policy.maxAge} s`),
    row('Credentials', policy.credentials ? 'allowed' : 'not allowed'),
    row('Private Network Access', policy.privateNetwork ? 'answered' : 'not answered'),
    row('Mode', policy.mode === 'strict' ? 'strict (also refuses hotlinks)' : 'cors (browser-enforced)'),
    row('Cache-Control', policy.cacheControl),
    row('Signed URLs', SIGNED_URLS_LABELS[policy.signedUrls]),
  )
}

function explainButton(path: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'secondary' }, 'Explain a request here')
  button.addEventListener('click', () => onExplain(path))
  return button
}

function renderFolder(folder: Folder): HTMLElement {
  return h(
    'div',
    { class: 'panel' },
    h('h3', { tabindex: -1, id: 'folder-detail-title' }, folder.path, ' ', h('span', { class: 'badge own' }, 'own policy')),
    h('p', { class: 'meta' }, `Folder #${folder.id} · created ${formatTime(folder.createdAt)} · changed ${formatTime(folder.updatedAt)}`),
    renderOrigins(folder),
    renderPolicyForm(folder),
    h(
      'div',
      { class: 'actions' },
      explainButton(folder.path),
      ' ',
      folder.path === '/'
        ? h('span', { class: 'hint' }, 'The root folder always exists; change its policy instead of deleting it.')
        : confirmButton('Delete folder', `Delete ${folder.path} and its policy? Its assets stay and fall back to the parent's policy.`, async () => {
            try {
              await api('DELETE', `/folders/${folder.id}`)
              announce(`Folder ${folder.path} deleted.`)
            } catch (error) {
              announce(describeError(error))
            }
            await showFolders()
          }),
    ),
  )
}

function renderOrigins(folder: Folder): HTMLElement {
  const general = h('p', { class: 'form-error', 'aria-live': 'polite' })
  const items = folder.policy.origins.map((origin) => {
    const remove = h('button', { type: 'button', class: 'danger small', 'aria-label': `Remove origin ${origin}` }, 'Remove')
    remove.addEventListener('click', async () => {
      remove.disabled = true
      try {
        await api('DELETE', `/folders/${folder.id}/origins/${encodeURIComponent(origin)}`)
        announce(`${origin} removed from ${folder.path}.`)
        await showFolders()
      } catch (error) {
        remove.disabled = false
        general.textContent = describeError(error)
      }
    })
    return h('li', {}, h('code', {}, origin), ' ', remove)
  })
  const origin = field('Add origin', h('input', { id: 'add-origin', name: 'origin', placeholder: 'https://shop.example', autocomplete: 'off', required: true }), 'Exact (https://shop.example), wildcard subdomain (https://*.shop.example), * or null.')
  const form = h('form', { class: 'inline-form', 'aria-label': `Add an origin to ${folder.path}` }, origin.wrapper, h('button', { type: 'submit' }, 'Add'), general)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    clearProblems({ origin }, general)
    const value = origin.control.value.trim()
    try {
      await api('POST', `/folders/${folder.id}/origins`, { origin: value })
      announce(`${value} may now use ${folder.path}.`)
      await showFolders()
      byId('add-origin').focus()
    } catch (error) {
      showProblem(error, { origin }, general, { fallback: 'origin' })
    }
  })
  return h(
    'section',
    { class: 'origins', 'aria-label': 'Allowed origins' },
    h('h4', {}, 'Allowed origins'),
    items.length === 0 ? h('p', { class: 'empty' }, 'None: no site may use these assets cross-origin.') : h('ul', { class: 'origin-list' }, items),
    form,
  )
}

const LIST_FIELDS = ['methods', 'allowHeaders', 'exposeHeaders'] as const

function renderPolicyForm(folder: Folder): HTMLElement {
  const policy = folder.policy
  const text = (id: string, value: string) => h('input', { id, autocomplete: 'off', value })
  const fields = {
    methods: field('Methods', text('policy-methods', policy.methods.join(', ')), 'e.g. GET, HEAD'),
    allowHeaders: field('Allowed request headers', text('policy-allow-headers', policy.allowHeaders.join(', ')), 'Access-Control-Allow-Headers, e.g. Range'),
    exposeHeaders: field('Exposed response headers', text('policy-expose-headers', policy.exposeHeaders.join(', ')), 'Access-Control-Expose-Headers'),
    maxAge: field('Preflight max-age (seconds)', h('input', { id: 'policy-max-age', type: 'number', min: 0, step: 1, value: policy.maxAge })),
    credentials: field('Allow credentials (cookies, HTTP auth)', h('input', { id: 'policy-credentials', type: 'checkbox', checked: policy.credentials })),
    privateNetwork: field('Answer Private Network Access preflights', h('input', { id: 'policy-private-network', type: 'checkbox', checked: policy.privateNetwork })),
    mode: field(
      'Mode',
      h(
        'select',
        { id: 'policy-mode' },
        h('option', { value: 'cors', selected: policy.mode === 'cors' }, 'cors: browsers enforce the allow-list'),
        h('option', { value: 'strict', selected: policy.mode === 'strict' }, 'strict: also refuse other sites (hotlink protection)'),
      ),
    ),
    cacheControl: field('Cache-Control', text('policy-cache-control', policy.cacheControl)),
    signedUrls: field(
      'Signed URLs',
      h(
        'select',
        { id: 'policy-signed-urls' },
        (Object.keys(SIGNED_URLS_LABELS) as SignedUrlsMode[]).map((mode) => h('option', { value: mode, selected: policy.signedUrls === mode }, `${mode}: ${SIGNED_URLS_LABELS[mode]}`)),
      ),
      'Needs URL_SIGNING_KEYS; mint URLs with POST /admin/v1/sign or crossport sign',
    ),
  } satisfies Record<string, Field<HTMLElement>>
  const general = h('p', { class: 'form-error', 'aria-live': 'polite' })
  const form = h(
    'form',
    { class: 'policy-form', 'aria-label': `Policy of ${folder.path}` },
    h('h4', {}, 'Policy'),
    Object.values(fields).map((f) => f.wrapper),
    h('button', { type: 'submit' }, 'Save policy'),
    general,
  )
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    clearProblems(fields, general)
    const patch = changedFields(policy, {
      methods: splitList(fields.methods.control.value),
      allowHeaders: splitList(fields.allowHeaders.control.value),
      exposeHeaders: splitList(fields.exposeHeaders.control.value),
      maxAge: numberOrRaw(fields.maxAge.control.value),
      credentials: fields.credentials.control.checked,
      privateNetwork: fields.privateNetwork.control.checked,
      mode: fields.mode.control.value,
      cacheControl: fields.cacheControl.control.value,
      signedUrls: fields.signedUrls.control.value,
    })
    if (Object.keys(patch).length === 0) {
      general.textContent = 'Nothing changed.'
      return
    }
    try {
      await api('PATCH', `/folders/${folder.id}`, patch)
      announce(`Policy of ${folder.path} saved.`)
      await showFolders()
    } catch (error) {
      showProblem(error, fields, general)
    }
  })
  return form
}

const SIGNED_URLS_LABELS: Readonly<Record<SignedUrlsMode, string>> = {
  off: 'not needed',
  derivatives: 'needed for image parameters (w, q, fmt…)',
  required: 'needed for every request',
}

/** A number when the input holds one; otherwise the raw text, so the API says what is wrong with it. */
function numberOrRaw(value: string): number | string {
  const trimmed = value.trim()
  const n = Number(trimmed)
  return trimmed !== '' && Number.isFinite(n) ? n : trimmed
}

/** Only the fields the operator changed: one PATCH, and an audit entry that says what changed. */
function changedFields(policy: Policy, form: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(form)) {
    const current = (policy as unknown as Record<string, unknown>)[name]
    const isList = (LIST_FIELDS as readonly string[]).includes(name)
    const same = isList ? JSON.stringify(current) === JSON.stringify(value) : current === value
    if (!same) patch[name] = value
  }
  return patch
}
