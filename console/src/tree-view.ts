import { h } from './dom.js'
import { parentPath, type TreeNode } from './folder-tree.js'

/** Children rendered per node before a "show more" button: 10,000 siblings must not become 10,000 rows. */
export const CHILDREN_PER_PAGE = 200

/**
 * What the operator opened in the tree. Only expanded nodes render their
 * children, so the DOM grows with what is looked at, not with the number of
 * folders (a platform with a folder per customer site has 100,000).
 */
export interface TreeView {
  readonly expanded: Set<string>
  /** How many children each expanded node shows (CHILDREN_PER_PAGE until "show more"). */
  readonly shown: Map<string, number>
  selectedPath: string
}

export interface TreeActions {
  select(path: string): void
  /** Re-render after expanding, collapsing or showing more; `focus` is the control to focus again. */
  changed(focus: string): void
  /** Badge and summary after the path button. */
  extras(node: TreeNode): (Node | string)[]
}

export const newTreeView = (): TreeView => ({ expanded: new Set(['/']), shown: new Map(), selectedPath: '/' })

/** Expands every ancestor of `path`, so a node chosen elsewhere (search, creation) is visible. */
export function expandTo(view: TreeView, path: string): void {
  for (let parent = parentPath(path); parent !== undefined; parent = parentPath(parent)) view.expanded.add(parent)
}

export function renderTree(root: TreeNode, view: TreeView, actions: TreeActions): HTMLUListElement {
  return h('ul', { class: 'tree' }, renderNode(root, view, actions))
}

function renderNode(node: TreeNode, view: TreeView, actions: TreeActions): HTMLLIElement {
  const isSelected = node.path === view.selectedPath
  const open = view.expanded.has(node.path)
  const button = h('button', { type: 'button', class: 'tree-path', 'aria-current': isSelected ? 'true' : null, 'data-path': node.path }, node.path)
  button.addEventListener('click', () => actions.select(node.path))
  return h(
    'li',
    {},
    h('div', { class: isSelected ? 'tree-row selected' : 'tree-row' }, toggle(node, open, view, actions), button, ' ', ...actions.extras(node)),
    open && node.children.length > 0 ? renderChildren(node, view, actions) : null,
  )
}

function toggle(node: TreeNode, open: boolean, view: TreeView, actions: TreeActions): HTMLElement {
  if (node.children.length === 0) return h('span', { class: 'tree-toggle leaf', 'aria-hidden': 'true' })
  const count = `${node.children.length} ${node.children.length === 1 ? 'subfolder' : 'subfolders'}`
  const button = h(
    'button',
    { type: 'button', class: 'tree-toggle', 'aria-expanded': open ? 'true' : 'false', 'aria-label': `${open ? 'Collapse' : 'Expand'} ${node.path} (${count})`, 'data-toggle': node.path },
    open ? '▾' : '▸',
  )
  button.addEventListener('click', () => {
    if (open) view.expanded.delete(node.path)
    else view.expanded.add(node.path)
    actions.changed(`[data-toggle="${CSS.escape(node.path)}"]`)
  })
  return button
}

function renderChildren(node: TreeNode, view: TreeView, actions: TreeActions): HTMLUListElement {
  const limit = view.shown.get(node.path) ?? CHILDREN_PER_PAGE
  const items: HTMLLIElement[] = node.children.slice(0, limit).map((child) => renderNode(child, view, actions))
  const rest = node.children.length - limit
  if (rest > 0) {
    const more = h('button', { type: 'button', class: 'secondary small tree-more', 'data-more': node.path }, `Show ${Math.min(rest, CHILDREN_PER_PAGE)} more of ${rest} in ${node.path}`)
    more.addEventListener('click', () => {
      view.shown.set(node.path, limit + CHILDREN_PER_PAGE)
      // Focus the first child that was hidden, where reading (or tabbing) goes on.
      actions.changed(`button[data-path="${CSS.escape(node.children[limit]?.path ?? node.path)}"]`)
    })
    items.push(h('li', {}, more))
  }
  return h('ul', {}, items)
}
