import type { Folder } from './types.js'

/** One line of the folder tree: a folder with its own policy, or a path in between that inherits one. */
export interface TreeNode {
  readonly path: string
  /** The folder at exactly this path, when there is one (it then has its own policy). */
  readonly folder: Folder | undefined
  /** The folder whose policy applies here: this one, or the nearest parent folder (longest prefix). */
  readonly source: Folder | undefined
  readonly children: TreeNode[]
}

const segmentsOf = (path: string): string[] => path.split('/').filter((part) => part !== '')

/** The path one level up: `/a/b/` → `/a/`; the root has none. */
export function parentPath(path: string): string | undefined {
  if (path === '/') return undefined
  const segments = segmentsOf(path)
  segments.pop()
  return segments.length === 0 ? '/' : `/${segments.join('/')}/`
}

/**
 * The tree of every folder path and every path between them, rooted at `/`.
 * Each node knows whose policy it uses, the same longest-prefix rule the
 * public listener applies, so inheritance is visible.
 */
export function buildFolderTree(folders: readonly Folder[]): TreeNode {
  const byPath = new Map(folders.map((folder) => [folder.path, folder]))
  const paths = new Set<string>(['/'])
  for (const folder of folders) {
    let prefix = '/'
    for (const segment of segmentsOf(folder.path)) {
      prefix += `${segment}/`
      paths.add(prefix)
    }
  }
  const nodes = new Map<string, TreeNode>()
  const ordered = [...paths].sort((a, b) => a.length - b.length)
  for (const path of ordered) {
    const folder = byPath.get(path)
    const parent = parentPath(path)
    const parentNode = parent === undefined ? undefined : nodes.get(parent)
    const node: TreeNode = { path, folder, source: folder ?? parentNode?.source, children: [] }
    nodes.set(path, node)
    parentNode?.children.push(node)
  }
  for (const node of nodes.values()) node.children.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return nodes.get('/') as TreeNode
}

export function flattenTree(root: TreeNode): TreeNode[] {
  return [root, ...root.children.flatMap(flattenTree)]
}
