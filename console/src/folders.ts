import { api } from './api.js'
import { announce, byId, confirmButton, describeError, field, formatTime, h, replaceChildren, setUpForm, showProblem, splitList, clearProblems } from './dom.js'
import { buildFolderTree, flattenTree, type TreeNode } from './folder-tree.js'
import { setUpFolderSearch } from './folder-search.js'
import { folderOf } from './paths.js'
import { expandTo, newTreeView, renderTree, type TreeActions } from './tree-view.js'
import { describePolicy, renderPolicyForm } from './policy-form.js'
import type { Folder, FolderPage, Policy } from './types.js'

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
    const page: FolderPage = await api('GET', `/folders?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
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
  setUpForm(
    'create-folder-form',
    'Create a folder',
    { path, origins },
    'Create folder',
    async (form) => {
      const newPath = folderOf(path.control.value)
      await api('POST', '/folders', { path: newPath, policy: { origins: splitList(origins.control.value) } })
      form.reset()
      view.selectedPath = newPath
      expandTo(view, newPath)
      announce(`Folder ${newPath} created.`)
      await showFolders()
    },
    { prefix: 'policy.', fallback: 'path' },
  )
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
    renderPolicyForm(folder, showFolders),
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
