import { uploadAsset } from './api.js'
import { announce, describeError, formatBytes, h, uniqueId } from './dom.js'

/** A file and where it goes below the target folder (`icons/a.svg` when a folder was dropped). */
export interface PendingUpload {
  readonly file: File
  readonly relativePath: string
}

/** At most this many uploads run at once: a dropped folder of hundreds of files must not open hundreds of requests. */
const PARALLEL_UPLOADS = 3

/**
 * Uploads into `folder`, one progress bar per file. Afterwards the summary
 * says what happened ("2 uploaded, 1 failed"); a failed file's bar turns red
 * with the API's reason next to it.
 */
export async function uploadAll(folder: string, uploads: readonly PendingUpload[], list: HTMLElement, summary: HTMLElement): Promise<void> {
  if (uploads.length === 0) return
  summary.textContent = `Uploading ${uploads.length} file${uploads.length === 1 ? '' : 's'}…`
  summary.classList.remove('failed')
  const rows = uploads.map((upload) => startRow(folder + upload.relativePath, upload.file, list))
  let next = 0
  let failed = 0
  const worker = async () => {
    while (next < uploads.length) {
      const index = next++
      const upload = uploads[index] as PendingUpload
      if (!(await (rows[index] as UploadRow).run(upload.file))) failed++
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, uploads.length) }, worker))
  const done = uploads.length - failed
  const text = failed === 0 ? `${done} uploaded.` : `${done} uploaded, ${failed} failed.`
  summary.textContent = text
  summary.classList.toggle('failed', failed > 0)
  announce(text)
}

interface UploadRow {
  /** Resolves true when the file was stored. */
  run(file: File): Promise<boolean>
}

function startRow(path: string, file: File, list: HTMLElement): UploadRow {
  const progressId = uniqueId('progress')
  const bar = h('progress', { id: progressId, max: file.size || 1, value: 0 })
  const state = h('span', { class: 'upload-state' }, 'waiting')
  const item = h('li', { 'data-path': path }, h('label', { for: progressId }, path), ' ', bar, ' ', state)
  list.prepend(item)
  return {
    async run(): Promise<boolean> {
      state.textContent = '0%'
      try {
        const info = await uploadAsset(path, file, (loaded, total) => {
          bar.max = total || 1
          bar.value = loaded
          state.textContent = `${Math.floor((loaded / (total || 1)) * 100)}%`
        })
        bar.value = bar.max
        state.textContent = `uploaded (${formatBytes(info?.size ?? file.size)})`
        item.classList.add('done')
        return true
      } catch (error) {
        state.textContent = `failed: ${describeError(error)}`
        item.classList.add('failed')
        return false
      }
    },
  }
}

/**
 * Files from a drop, folders included: a dropped folder is walked (File and
 * Directory Entries API), its files keep their relative paths.
 */
export async function droppedFiles(transfer: DataTransfer): Promise<PendingUpload[]> {
  const entries = [...transfer.items].map((item) => item.webkitGetAsEntry?.()).filter((entry): entry is FileSystemEntry => entry != null)
  if (entries.length === 0) return [...transfer.files].map((file) => ({ file, relativePath: file.name }))
  const found: PendingUpload[] = []
  for (const entry of entries) await collect(entry, '', found)
  return found
}

async function collect(entry: FileSystemEntry, base: string, found: PendingUpload[]): Promise<void> {
  if (entry.name.startsWith('.')) return // dotfiles are never served, so the API refuses them
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject))
    found.push({ file, relativePath: base + entry.name })
    return
  }
  if (!entry.isDirectory) return
  const reader = (entry as FileSystemDirectoryEntry).createReader()
  // readEntries answers in batches until it answers an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject))
    if (batch.length === 0) break
    for (const child of batch) await collect(child, `${base}${entry.name}/`, found)
  }
}

/** Files chosen with a folder picker (`webkitdirectory`) carry their path below the chosen folder. */
export function chosenFiles(files: FileList): PendingUpload[] {
  return [...files]
    .map((file) => ({ file, relativePath: file.webkitRelativePath || file.name }))
    .filter((upload) => !upload.relativePath.split('/').some((segment) => segment.startsWith('.')))
}
