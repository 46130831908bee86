import { api, encodePath, uploadAsset } from './api.js'
import { announce, byId, confirmButton, copyButton, describeError, field, formatBytes, formatTime, h, replaceChildren, uniqueId } from './dom.js'
import type { AssetInfo, AssetPage } from './types.js'

// Remembered for the tab only, like the token: a display preference, not API state.
const PUBLIC_URL_KEY = 'crossport.publicUrl'
const PAGE_SIZE = 100
/** One of the default IMAGE_WIDTHS, so the public side renders (and caches) it. */
const PREVIEW_WIDTH = 128

let currentPrefix = '/'
let nextCursor: string | null = null
/** Answers to an older listing request are dropped: only the latest asked-for folder is shown. */
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
  const prefix = field('Folder', h('input', { id: 'asset-prefix', value: '/', autocomplete: 'off', list: 'folder-paths' }))
  const browse = h('form', { class: 'inline-form', 'aria-label': 'Browse assets' }, prefix.wrapper, h('button', { type: 'submit' }, 'Show assets'))
  browse.addEventListener('submit', (event) => {
    event.preventDefault()
    void showAssets(folderOf(prefix.control.value))
  })

  const files = h('input', { id: 'upload-files', type: 'file', multiple: true })
  files.addEventListener('change', () => {
    if (files.files !== null) void uploadFiles([...files.files])
    files.value = ''
  })
  const drop = h('div', { class: 'dropzone', id: 'dropzone' }, h('label', { for: 'upload-files' }, 'Upload files into ', h('code', { id: 'upload-target' }, currentPrefix), ' (choose or drop them here)'), files)
  drop.addEventListener('dragover', (event) => {
    event.preventDefault()
    drop.classList.add('dragging')
  })
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'))
  drop.addEventListener('drop', (event) => {
    event.preventDefault()
    drop.classList.remove('dragging')
    const dropped = event.dataTransfer?.files
    if (dropped !== undefined && dropped.length > 0) void uploadFiles([...dropped])
  })

  const more = h('button', { type: 'button', id: 'assets-more', class: 'secondary', hidden: true }, 'Load more')
  more.addEventListener('click', () => void loadPage(true))
  replaceChildren(
    byId('assets-controls'),
    publicUrl.wrapper,
    browse,
    drop,
    h('ul', { id: 'upload-list', class: 'uploads', 'aria-label': 'Uploads' }),
  )
  byId('assets-more-holder').replaceChildren(more)
}

/** `brand` / `/brand` / `/brand/` all mean the folder `/brand/`. */
function folderOf(text: string): string {
  const trimmed = text.trim().replace(/^\/*/, '/')
  return trimmed.endsWith('/') ? trimmed : `${trimmed}/`
}

/**
 * Lists one folder: `prefix` when given (and shown in the field), else the
 * folder the field names now. A background refresh never overwrites what the
 * operator is typing.
 */
export async function showAssets(prefix?: string): Promise<void> {
  const input = byId<HTMLInputElement>('asset-prefix')
  if (prefix !== undefined) input.value = prefix
  currentPrefix = folderOf(input.value)
  byId('upload-target').textContent = currentPrefix
  await loadPage(false)
}

async function loadPage(isMore: boolean): Promise<void> {
  const list = byId('asset-list')
  const error = byId('assets-error')
  error.textContent = ''
  const query = new URLSearchParams({ prefix: currentPrefix, limit: String(PAGE_SIZE) })
  if (isMore && nextCursor !== null) query.set('cursor', nextCursor)
  const sequence = ++listingSequence
  try {
    const page = await api<AssetPage>('GET', `/assets?${query}`)
    if (sequence !== listingSequence) return
    nextCursor = page.nextCursor ?? null
    const rows = page.items.map(renderAsset)
    if (isMore) list.append(...rows)
    else replaceChildren(list, rows.length === 0 ? h('li', { class: 'empty' }, `No assets under ${currentPrefix}.`) : rows)
    byId('assets-more').hidden = nextCursor === null
  } catch (e) {
    if (sequence !== listingSequence) return
    if (!isMore) list.replaceChildren()
    error.textContent = describeError(e)
  }
}

function publicUrlOf(path: string): string {
  return publicBaseUrl() + encodePath(path)
}

function renderAsset(asset: AssetInfo): HTMLLIElement {
  const url = publicUrlOf(asset.path)
  const snippet = snippetFor(asset, url)
  const snippetId = uniqueId('snippet')
  return h(
    'li',
    { class: 'asset', 'data-path': asset.path },
    preview(asset, url),
    h(
      'div',
      { class: 'asset-info' },
      h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'asset-path' }, asset.path),
      h('p', { class: 'meta' }, `${formatBytes(asset.size)} · ${asset.contentType} · ${formatTime(asset.modifiedAt)}`),
      h('label', { for: snippetId, class: 'snippet-label' }, 'HTML snippet'),
      h('input', { id: snippetId, class: 'snippet', readonly: true, value: snippet }),
      h(
        'div',
        { class: 'actions' },
        copyButton('Copy snippet', () => snippet, `Copy snippet for ${asset.path}`),
        ' ',
        confirmButton(
          'Delete',
          `Delete ${asset.path}?`,
          async () => {
            try {
              await api('DELETE', `/assets${encodePath(asset.path)}`)
              announce(`${asset.path} deleted.`)
            } catch (error) {
              announce(describeError(error))
            }
            await showAssets()
          },
          `Delete ${asset.path}`,
        ),
      ),
    ),
  )
}

function preview(asset: AssetInfo, url: string): HTMLElement {
  if (!asset.contentType.startsWith('image/')) return h('span', { class: 'preview none', 'aria-hidden': 'true' }, asset.contentType.split('/')[0] ?? '')
  // SVG is not transformed by the image pipeline; anything else asks for a small derivative.
  const src = asset.contentType.startsWith('image/svg') ? url : `${url}?w=${PREVIEW_WIDTH}`
  const image = h('img', { class: 'preview', src, alt: '', loading: 'lazy', referrerpolicy: 'no-referrer', width: 64, height: 64 })
  image.addEventListener('error', () => image.replaceWith(h('span', { class: 'preview none', title: 'No preview: the public URL did not answer' }, 'no preview')))
  return image
}

const escapeAttribute = (value: string): string => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')

/** The element a page would use for this asset, with `crossorigin` so the folder's CORS policy applies. */
export function snippetFor(asset: Pick<AssetInfo, 'contentType'>, url: string): string {
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

async function uploadFiles(files: readonly File[]): Promise<void> {
  const list = byId('upload-list')
  const folder = currentPrefix
  const uploads = files.map(async (file) => {
    const path = folder + file.name
    const progressId = uniqueId('progress')
    const bar = h('progress', { id: progressId, max: file.size || 1, value: 0 })
    const state = h('span', { class: 'upload-state', 'aria-live': 'polite' }, '0%')
    list.prepend(h('li', { 'data-path': path }, h('label', { for: progressId }, path), ' ', bar, ' ', state))
    try {
      const info = await uploadAsset(path, file, (loaded, total) => {
        bar.max = total || 1
        bar.value = loaded
        state.textContent = `${Math.floor((loaded / (total || 1)) * 100)}%`
      })
      bar.value = bar.max
      state.textContent = `uploaded (${formatBytes(info?.size ?? file.size)})`
    } catch (error) {
      state.textContent = `failed: ${describeError(error)}`
      state.classList.add('failed')
    }
  })
  await Promise.all(uploads)
  announce(`${files.length} upload${files.length === 1 ? '' : 's'} finished.`)
  await showAssets()
}
