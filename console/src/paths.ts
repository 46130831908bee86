/**
 * Folder paths as the CLI accepts them (`crossport folder add brand` means
 * `/brand/`): a leading and a trailing slash are added when missing.
 * An empty input is the root.
 */
export function folderOf(text: string): string {
  const trimmed = text.trim()
  if (trimmed === '') return '/'
  const leading = trimmed.startsWith('/') ? trimmed : `/${trimmed}`
  return leading.endsWith('/') ? leading : `${leading}/`
}

/** `/brand/logos/` → [`/`, `/brand/`, `/brand/logos/`]: every folder from the root down. */
export function folderChain(folder: string): string[] {
  const chain = ['/']
  let path = '/'
  for (const segment of folder.split('/').filter((part) => part !== '')) {
    path += `${segment}/`
    chain.push(path)
  }
  return chain
}

/** The last segment: `/brand/logo.png` → `logo.png`, `/brand/logos/` → `logos/`. */
export function nameOf(path: string): string {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path
  const name = trimmed.slice(trimmed.lastIndexOf('/') + 1)
  return path.endsWith('/') && name !== '' ? `${name}/` : name || '/'
}

/** The folder whose policy applies to `path`: the longest folder path that is a prefix of it (a request uses the policy of its longest folder prefix). */
export function nearestFolder<T extends { readonly path: string }>(path: string, folders: readonly T[]): T | undefined {
  let best: T | undefined
  for (const folder of folders) {
    if (path.startsWith(folder.path) && (best === undefined || folder.path.length > best.path.length)) best = folder
  }
  return best
}
