import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { Readable, Transform } from 'node:stream'
import type { Asset, AssetPage } from '../admin/schemas/api-types'
import { contentTypeFor } from '../http/media-type'
import { ApiError, CliError, encodeAssetPath, type ApiClient } from './api-client'
import { ProgressBar, type CliIo } from './output'

export interface LocalFile {
  readonly file: string
  /** Where it goes: `--to` + its path below the local folder, `/`-separated. */
  readonly path: string
  readonly sizeBytes: number
  readonly mtimeMs: number
}

export interface UploadOptions {
  readonly to: string
  /** Upload even files that look unchanged. */
  readonly force: boolean
  readonly dryRun: boolean
  readonly concurrency: number
}

export interface UploadReport {
  readonly uploaded: string[]
  readonly unchanged: string[]
  readonly skipped: { path: string; reason: string }[]
  readonly failed: { path: string; error: string }[]
  /** Bytes uploaded; with `--dry-run`, the bytes that would be. */
  bytes: number
}

/** Every page of `GET /assets?prefix=`. */
export async function listAllAssets(api: ApiClient, prefix: string): Promise<Asset[]> {
  const items: Asset[] = []
  let cursor: string | undefined
  do {
    const page = await api.json<AssetPage>('GET', '/assets', { query: { prefix, limit: '1000', cursor } })
    items.push(...page.items)
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined)
  return items
}

/** Normalises `--to`: a folder path that starts and ends with `/`. */
export function normaliseTarget(to: string): string {
  let target = to.trim()
  if (!target.startsWith('/')) target = '/' + target
  if (!target.endsWith('/')) target += '/'
  if (target.split('/').some((segment) => segment === '..' || segment === '.' || segment.startsWith('.'))) {
    throw new CliError(`--to ${JSON.stringify(to)}: dot segments and dot-folders cannot be published`, 2)
  }
  return target
}

/**
 * Files below `dir` in sorted order. Dotfiles and dot-folders are skipped (the
 * server never serves nor accepts them), and so is anything that is not a
 * regular file or folder.
 */
export async function walkLocal(dir: string, to: string, skipped: UploadReport['skipped']): Promise<LocalFile[]> {
  const found: LocalFile[] = []
  const visit = async (folder: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true })
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const file = join(folder, entry.name)
      const path = to + relative(dir, file).split(sep).join('/')
      if (entry.name.startsWith('.')) {
        skipped.push({ path, reason: 'dotfile' })
        continue
      }
      if (entry.isDirectory()) await visit(file)
      else if (entry.isFile()) {
        const stats = await stat(file)
        found.push({ file, path, sizeBytes: stats.size, mtimeMs: stats.mtimeMs })
      } else skipped.push({ path, reason: 'not a regular file' })
    }
  }
  let rootStats
  try {
    rootStats = await stat(dir)
  } catch {
    throw new CliError(`${dir}: no such folder`)
  }
  if (!rootStats.isDirectory()) throw new CliError(`${dir} is not a folder`)
  await visit(dir)
  return found
}

/**
 * Whether the server's copy is already this file. The server's ETag is built
 * from its own size and mtime, so it cannot be computed locally; the same size
 * and a server copy written after the local file last changed means it was
 * uploaded from this version (`--force` when clocks or copies disagree).
 */
export function isUnchanged(local: LocalFile, remote: Asset | undefined): boolean {
  return remote !== undefined && remote.size === local.sizeBytes && Date.parse(remote.modifiedAt) >= Math.floor(local.mtimeMs)
}

export async function uploadFolder(api: ApiClient, io: CliIo, dir: string, options: UploadOptions): Promise<UploadReport> {
  const to = normaliseTarget(options.to)
  const report: UploadReport = { uploaded: [], unchanged: [], skipped: [], failed: [], bytes: 0 }
  const files = await walkLocal(dir, to, report.skipped)
  const remote = new Map((await listAllAssets(api, to)).map((asset) => [asset.path, asset]))

  const pending: Array<{ local: LocalFile; current: Asset | undefined }> = []
  for (const local of files) {
    const current = remote.get(local.path)
    if (!options.force && isUnchanged(local, current)) report.unchanged.push(local.path)
    else pending.push({ local, current })
  }
  const totalBytes = pending.reduce((sum, p) => sum + p.local.sizeBytes, 0)
  if (options.dryRun) {
    report.uploaded.push(...pending.map((p) => p.local.path))
    report.bytes = totalBytes
    return report
  }

  const progress = new ProgressBar(io, totalBytes, pending.length)
  let doneBytes = 0
  let doneFiles = 0
  let next = 0
  const worker = async () => {
    while (next < pending.length) {
      const item = pending[next++] as (typeof pending)[number]
      const { local, current } = item
      let sentForThis = 0
      try {
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            sentForThis += chunk.length
            doneBytes += chunk.length
            progress.update(doneBytes, doneFiles, local.path)
            callback(null, chunk)
          },
        })
        const body = Readable.toWeb(createReadStream(local.file).pipe(counter)) as ReadableStream<Uint8Array>
        await api.request('PUT', `/assets${encodeAssetPath(local.path)}`, {
          body,
          headers: {
            'content-type': contentTypeFor(local.path),
            // Never overwrite a change someone else made since the listing.
            ...(current === undefined ? { 'if-none-match': '*' } : { 'if-match': current.etag }),
          },
        })
        report.uploaded.push(local.path)
        report.bytes += local.sizeBytes
      } catch (error: unknown) {
        doneBytes -= sentForThis
        const message =
          error instanceof ApiError && error.status === 412 ? `changed on the server while uploading (${error.detail}); run again` : (error as Error).message
        report.failed.push({ path: local.path, error: message })
        if (error instanceof CliError && !(error instanceof ApiError)) throw error
      } finally {
        doneFiles++
        progress.update(doneBytes, doneFiles, local.path, true)
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, pending.length)) }, worker))
  } finally {
    progress.finish()
  }
  report.uploaded.sort()
  return report
}
