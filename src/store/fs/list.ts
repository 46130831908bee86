import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { ListOptions, ListPage, StoredFile } from '../asset-store'
import { isMissing } from './errors'
import { toStoredFile, type FsRoot } from './root'

/**
 * One page of the files below `root`, in sorted path order.
 *
 * Depth-first with each directory's entries sorted by `name` (files) or
 * `name/` (folders): that visits paths in exactly their sorted string order,
 * so a page can start after the cursor and stop at `limit` without reading
 * the rest of the tree.
 */
export async function listFiles(root: FsRoot, options: ListOptions): Promise<ListPage> {
  const { prefix, after, limit, delimiter } = options
  const items: StoredFile[] = []
  const folders: string[] = []
  let last: string | undefined
  let hasMore = false

  const walk = async (folder: string): Promise<boolean> => {
    let entries
    try {
      entries = await readdir(join(root.dir, ...folder.split('/')), { withFileTypes: true })
    } catch (error: unknown) {
      if (isMissing(error, 'admin')) return false
      throw error
    }
    const keyed = entries
      // Dotfiles (and the temp folder) are never served, so never listed; symlinks are left to the public side's checks.
      .filter((entry) => !entry.name.startsWith('.') && (entry.isFile() || entry.isDirectory()))
      .map((entry) => ({ isFolder: entry.isDirectory(), key: entry.name + (entry.isDirectory() ? '/' : '') }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    for (const { isFolder, key } of keyed) {
      const path = folder + key
      if (isFolder) {
        if (!path.startsWith(prefix) && !prefix.startsWith(path)) continue
        if (delimiter !== undefined && path.startsWith(prefix)) {
          // One level only: the folder is an entry of its own, in the same order as a file.
          if (after !== undefined && path <= after) continue
          if (folders.length + items.length >= limit) return (hasMore = true)
          folders.push(path)
          last = path
          continue
        }
        // Everything below `path` sorts before the cursor: skip the whole subtree.
        if (after !== undefined && after > path && !after.startsWith(path)) continue
        if (await walk(path)) return true
        continue
      }
      if (!path.startsWith(prefix) || (after !== undefined && path <= after)) continue
      if (folders.length + items.length >= limit) return (hasMore = true)
      const stats = await stat(join(root.dir, ...path.split('/'))).catch((error: unknown) =>
        isMissing(error, 'admin') ? undefined : Promise.reject(error),
      )
      if (stats?.isFile()) {
        items.push(toStoredFile(path, root.keyFor(path), stats))
        last = path
      }
    }
    return false
  }

  await walk(prefix.slice(0, prefix.lastIndexOf('/') + 1) || '/')
  return { items, folders, hasMore, last }
}
