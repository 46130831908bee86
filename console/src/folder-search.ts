import { field, h, replaceChildren } from './dom.js'

/** Matches listed at once; more means the operator should type more. */
export const SEARCH_RESULTS_SHOWN = 50

export interface SearchResult {
  readonly paths: readonly string[]
  readonly total: number
}

/**
 * Paths containing `query` (case-insensitive), shortest first so `/a/` comes
 * before everything under it. A plain scan over what is loaded: 100,000 short
 * strings take a few milliseconds, less than one request to the API would.
 */
export function searchPaths(paths: readonly string[], query: string, shown = SEARCH_RESULTS_SHOWN): SearchResult {
  const needle = query.trim().toLowerCase()
  if (needle === '') return { paths: [], total: 0 }
  const hits = paths.filter((path) => path.toLowerCase().includes(needle))
  hits.sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0))
  return { paths: hits.slice(0, shown), total: hits.length }
}

/**
 * The search box above the tree. `paths` is read on every keystroke (the
 * latest listing); choosing a result calls `choose`.
 */
export function setUpFolderSearch(holder: HTMLElement, paths: () => readonly string[], choose: (path: string) => void): () => void {
  const search = field('Find a folder', h('input', { id: 'folder-search', type: 'search', placeholder: 'part of a path, e.g. logos', autocomplete: 'off' }))
  const results = h('ul', { id: 'folder-search-results', class: 'search-results', 'aria-label': 'Matching folders' })
  const count = h('p', { class: 'hint', 'aria-live': 'polite' })
  const update = () => {
    const found = searchPaths(paths(), search.control.value)
    const buttons = found.paths.map((path) => {
      const button = h('button', { type: 'button', class: 'tree-path', 'data-result': path }, path)
      button.addEventListener('click', () => choose(path))
      return h('li', {}, button)
    })
    replaceChildren(results, buttons)
    count.textContent =
      search.control.value.trim() === ''
        ? ''
        : found.total === 0
          ? 'No folder path contains that.'
          : found.total > found.paths.length
            ? `${found.total} matches; the first ${found.paths.length} are shown, type more to narrow them.`
            : `${found.total} ${found.total === 1 ? 'match' : 'matches'}.`
  }
  search.control.addEventListener('input', update)
  replaceChildren(holder, search.wrapper, count, results)
  return update
}
