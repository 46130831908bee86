import { api, encodePath } from './api.js'
import { announce, byId, confirmButton, copyButton, describeError, field, formatBytes, formatTime, h, replaceChildren } from './dom.js'
import { prefillExplain } from './explain.js'
import { knownFolders, sourceBadge, summarise } from './folders.js'
import { folderChain, folderOf, nameOf, nearestFolder } from './paths.js'
import { chosenFiles, droppedFiles, uploadAll, type PendingUpload } from './uploads.js'
import type { Asset, AssetPage } from './types.js'

// Remembered for the tab only, like the token: a display preference, not API state.
const PUBLIC_URL_KEY = 'crossport.publicUrl'
const PAGE_SIZE = 50
/** One of the default IMAGE_WIDTHS, so the public side renders (and caches) it. */
const PREVIEW_WIDTH = 128
/** Typing in the filter lists again after this pause, not on every key. */
const FILTER_DELAY_MS = 250

/** What the browser shows: one folder, a name filter, and the cursors of the pages before this one. */
const state = {
  folder: '/',
  filter: '',
  /** cursors[i] opens page i (undefined: the first page). */
  cursors: [undefined] as (string | undefined)[],
  page: 0,
  nextCursor: null as string | null,
}
/** Answers to an older listing request are dropped: only the latest asked-for page is shown. */
let listingSequence = 0

/**
 * Where browsers fetch the assets: needed for previews and snippets. The
 * admin API cannot say (behind a CDN it is another host), so the operator can
 * correct the guess: this host on the public listener's default port.
 */
export function publicBaseUrl(): string {
  const stored = sessionStorage.getItem(PUBLIC_URL_KEY)
  return (stored ?? `${location.protocol}//${location.hostname}:8080`).replace(/\/+$/, '')
}

export function setUpAssets(): void {
  const publicUrl = field('Public URL of the assets', h('input', { id: 'public-url', type: 'url', autocomplete: 'off', value: publicBaseUrl() }), 'Used for previews and snippets, e.g. https://cdn.example.')
  publicUrl.control.addEventListener('change', () => {
    const value = publicUrl.control.value.trim()
    if (/^https?:\/\/[^/?#\s]+\/?$/i.test(value)) {
      sessionStorage.setItem(PUBLIC_URL_KEY, value)
      publicUrl.showError(undefined)
      void showAssets()
    } else {
      publicUrl.showError('Give an origin such as https://cdn.example (scheme and host, no path).')
    }
  })
  const prefix = field('Folder', h('input', { id: 'asset-prefix', value: '/', autocomplete: 'off', list: 'folder-paths' }), 'e.g. brand (read as /brand/)')
  const browse = h('form', { class: 'inline-form', 'aria-label': 'Open a folder' }, prefix.wrapper, h('button', { type: 'submit' }, 'Open folder'))
  browse.addEventListener('submit', (event) => {
    event.preventDefault()
    void showAssets(folderOf(prefix.control.value))
  })
  const filter = field('Filter by name', h('input', { id: 'asset-filter', type: 'search', autocomplete: 'off', placeholder: 'logo' }), 'Names in this folder that start with this text.')
  let filterTimer: ReturnType<typeof setTimeout> | undefined
  filter.control.addEventListener('input', () => {
    clearTimeout(filterTimer)
    filterTimer = setTimeout(() => {
      state.filter = filter.control.value.trim().replace(/^\/+/, '')
      void loadPage(0)
    }, FILTER_DELAY_MS)
  })

  const files = h('input', { id: 'upload-files', type: 'file', multiple: true })
  files.addEventListener('change', () => {
    if (files.files !== null) void upload(chosenFiles(files.files))
    files.value = ''
  })
  const folderPicker = h('input', { id: 'upload-folder', type: 'file', webkitdirectory: true })
  folderPicker.addEventListener('change', () => {
    if (folderPicker.files !== null) void upload(chosenFiles(folderPicker.files))
    folderPicker.value = ''
  })
  const drop = h(
    'div',
    { class: 'dropzone', id: 'dropzone' },
    h('p', { class: 'dropzone-title' }, 'Drop files or folders here to upload them into ', h('code', { id: 'upload-target' }, state.folder)),
    h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: 'upload-files' }, 'Choose files'), files), h('div', { class: 'field' }, h('label', { for: 'upload-folder' }, 'Choose a folder'), folderPicker)),
  )
  drop.addEventListener('dragover', (event) => {
    event.preventDefault()
    drop.classList.add('dragging')
  })
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'))
  drop.addEventListener('drop', async (event) => {
    event.preventDefault()
    drop.classList.remove('dragging')
    if (event.dataTransfer !== null) await upload(await droppedFiles(event.dataTransfer))
  })

  const previous = h('button', { type: 'button', id: 'assets-previous', class: 'secondary', disabled: true }, 'Previous page')
  const next = h('button', { type: 'button', id: 'assets-next', class: 'secondary', disabled: true }, 'Next page')
  previous.addEventListener('click', () => void loadPage(state.page - 1))
  next.addEventListener('click', () => void loadPage(state.page + 1))
  replaceChildren(
    byId('assets-controls'),
    publicUrl.wrapper,
    h('div', { class: 'folder-bar' }, h('nav', { id: 'asset-breadcrumbs', class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' }), h('p', { id: 'asset-folder-policy', class: 'folder-policy' })),
    h('div', { class: 'row' }, browse, filter.wrapper),
    drop,
    h('p', { id: 'upload-summary', class: 'upload-summary', role: 'status' }),
    h('ul', { id: 'upload-list', class: 'uploads', 'aria-label': 'Uploads' }),
  )
  byId('assets-more-holder').replaceChildren(h('div', { class: 'pager actions' }, previous, h('span', { id: 'assets-page', class: 'meta' }), next))
}

async function upload(uploads: readonly PendingUpload[]): Promise<void> {
  await uploadAll(state.folder, uploads, byId('upload-list'), byId('upload-summary'))
  await loadPage(state.page)
}

/**
 * Lists one folder: `folder` when given, else the one shown now (a refresh).
 * Opening a folder starts at its first page, without a filter.
 */
export async function showAssets(folder?: string): Promise<void> {
  if (folder !== undefined && folder !== state.folder) {
    state.folder = folder
    state.filter = ''
    byId<HTMLInputElement>('asset-filter').value = ''
  }
  byId<HTMLInputElement>('asset-prefix').value = state.folder
  byId('upload-target').textContent = state.folder
  renderFolderBar()
  await loadPage(folder === undefined ? state.page : 0)
}

function renderFolderBar(): void {
  const crumbs = folderChain(state.folder).map((path, i, chain) => {
    const label = path === '/' ? '/ (root)' : nameOf(path)
    if (i === chain.length - 1) return h('li', {}, h('span', { 'aria-current': 'location', class: 'crumb-current' }, label))
    return h('li', {}, folderButton(path, label, `Open ${path}`))
  })
  replaceChildren(byId('asset-breadcrumbs'), h('ol', {}, crumbs))
  // The same longest-prefix rule the public listener applies.
  const source = nearestFolder(state.folder, knownFolders())
  const folder = source?.path === state.folder ? source : undefined
  replaceChildren(byId('asset-folder-policy'), 'Policy: ', sourceBadge({ folder, source }), ' ', h('span', { class: 'summary-inline' }, summarise(source?.policy)))
}

function folderButton(path: string, label: string, accessibleName: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'link-button', 'data-folder': path, 'aria-label': accessibleName }, label)
  button.addEventListener('click', () => void showAssets(path))
  return button
}

async function loadPage(page: number): Promise<void> {
  const error = byId('assets-error')
  const holder = byId('asset-table-holder')
  const query = new URLSearchParams({ prefix: state.folder + state.filter, delimiter: '/', limit: String(PAGE_SIZE) })
  const cursor = page === 0 ? undefined : state.cursors[page]
  if (page > 0 && cursor === undefined) return loadPage(0)
  if (cursor !== undefined) query.set('cursor', cursor)
  const sequence = ++listingSequence
  try {
    const answer = await api<AssetPage>('GET', `/assets?${query}`)
    if (sequence !== listingSequence) return
    error.textContent = ''
    state.page = page
    state.cursors = state.cursors.slice(0, page + 1)
    state.nextCursor = answer.nextCursor ?? null
    if (state.nextCursor !== null) state.cursors[page + 1] = state.nextCursor
    renderTable(answer)
    byId<HTMLButtonElement>('assets-previous').disabled = page === 0
    byId<HTMLButtonElement>('assets-next').disabled = state.nextCursor === null
    byId('assets-page').textContent = page === 0 && state.nextCursor === null ? '' : `Page ${page + 1}`
  } catch (e) {
    if (sequence !== listingSequence) return
    holder.replaceChildren()
    error.textContent = describeError(e)
  }
}

function renderTable(page: AssetPage): void {
  const folders = page.folders ?? []
  const holder = byId('asset-table-holder')
  if (folders.length === 0 && page.items.length === 0) {
    const what = state.filter === '' ? `No assets in ${state.folder}.` : `Nothing in ${state.folder} starts with “${state.filter}”.`
    replaceChildren(holder, h('p', { class: 'empty', id: 'assets-empty' }, what))
    return
  }
  replaceChildren(
    holder,
    h(
      'table',
      { id: 'asset-table', class: 'asset-table' },
      h('caption', { class: 'visually-hidden' }, `Assets in ${state.folder}`),
      h('thead', {}, h('tr', {}, ['', 'Name', 'Type', 'Size', 'Modified', 'ETag', 'Actions'].map((title) => h('th', { scope: 'col' }, title === '' ? h('span', { class: 'visually-hidden' }, 'Preview') : title)))),
      h('tbody', {}, folders.map(renderFolderRow), page.items.map(renderAsset)),
    ),
  )
}

function renderFolderRow(path: string): HTMLTableRowElement {
  return h(
    'tr',
    { class: 'folder-row', 'data-folder': path },
    h('td', { class: 'preview-cell' }, h('span', { class: 'preview none', 'aria-hidden': 'true' }, 'folder')),
    h('th', { scope: 'row', 'data-label': 'Name' }, folderButton(path, nameOf(path), `Open folder ${path}`)),
    h('td', { 'data-label': 'Type' }, 'folder'),
    h('td', { colspan: 4, class: 'meta' }, ''),
  )
}

function publicUrlOf(path: string): string {
  return publicBaseUrl() + encodePath(path)
}

function renderAsset(asset: Asset): HTMLTableRowElement {
  const url = publicUrlOf(asset.path)
  const name = nameOf(asset.path)
  return h(
    'tr',
    { class: 'asset-row', 'data-path': asset.path },
    h('td', { class: 'preview-cell' }, preview(asset, url)),
    h('th', { scope: 'row', 'data-label': 'Name' }, h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'asset-path' }, name)),
    h('td', { 'data-label': 'Type', class: 'asset-type' }, asset.contentType.split(';')[0] ?? ''),
    h('td', { 'data-label': 'Size', class: 'asset-size' }, formatBytes(asset.size)),
    h('td', { 'data-label': 'Modified' }, h('time', { datetime: asset.modifiedAt }, formatTime(asset.modifiedAt))),
    h('td', { 'data-label': 'ETag' }, h('code', { class: 'etag', title: asset.etag }, asset.etag)),
    h(
      'td',
      {},
      // A flex box inside the cell: a flex cell would leave the table's row layout.
      h(
        'div',
        { class: 'row-actions' },
        copyButton('Copy URL', () => url, `Copy the public URL of ${asset.path}`),
        copyButton('Copy HTML', () => snippetFor(asset, url), `Copy an HTML snippet for ${asset.path}`),
        explainButton(asset.path),
        confirmButton('Delete', `Delete ${name}?`, () => deleteAsset(asset.path), `Delete ${asset.path}`),
      ),
    ),
  )
}

function explainButton(path: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'secondary', 'aria-label': `Explain ${path} for an origin` }, 'Explain')
  button.addEventListener('click', () => {
    location.hash = '#explain'
    prefillExplain(path)
  })
  return button
}

async function deleteAsset(path: string): Promise<void> {
  try {
    await api('DELETE', `/assets${encodePath(path)}`)
    announce(`${path} deleted.`)
  } catch (error) {
    byId('assets-error').textContent = describeError(error)
  }
  await loadPage(state.page)
}

function preview(asset: Asset, url: string): HTMLElement {
  if (!asset.contentType.startsWith('image/')) return h('span', { class: 'preview none', 'aria-hidden': 'true' }, asset.contentType.split('/')[0] ?? '')
  // SVG is not transformed by the image pipeline; anything else asks for a small derivative.
  const src = asset.contentType.startsWith('image/svg') ? url : `${url}?w=${PREVIEW_WIDTH}`
  const image = h('img', { class: 'preview', src, alt: '', loading: 'lazy', referrerpolicy: 'no-referrer', width: 48, height: 48 })
  image.addEventListener('error', () => image.replaceWith(h('span', { class: 'preview none', title: 'No preview: the public URL did not answer' }, 'no preview')))
  return image
}

const escapeAttribute = (value: string): string => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')

/** The element a page would use for this asset, with `crossorigin` so the folder's CORS policy applies. */
export function snippetFor(asset: Pick<Asset, 'contentType'>, url: string): string {
  const src = escapeAttribute(url)
  const type = asset.contentType.split(';')[0]?.trim() ?? ''
  if (type.startsWith('image/')) return `<img src="${src}" crossorigin="anonymous" alt="">`
  if (type === 'text/css') return `<link rel="stylesheet" href="${src}" crossorigin="anonymous">`
  if (type.includes('javascript')) return `<script src="${src}" crossorigin="anonymous"></script>`
  // Fonts are always fetched in CORS mode (CSS Fonts §4.8.2), so the preload must match it.
  if (type.startsWith('font/')) return `<link rel="preload" href="${src}" as="font" type="${escapeAttribute(type)}" crossorigin="anonymous">`
  if (type.startsWith('video/')) return `<video src="${src}" crossorigin="anonymous" controls></video>`
  if (type.startsWith('audio/')) return `<audio src="${src}" crossorigin="anonymous" controls></audio>`
  return `<link rel="preload" href="${src}" as="fetch" crossorigin="anonymous">`
}
