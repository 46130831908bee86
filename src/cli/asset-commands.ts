import type { Command } from 'commander'
import { resolve } from 'node:path'
import { CliError, encodeAssetPath } from './api-client'
import { parseWholeNumber } from './folder-commands'
import type { CommandKit } from './kit'
import { formatBytes, printJson, printLine, printTable } from './output'
import { listAllAssets, uploadFolder } from './upload'

interface UploadCommandOptions {
  to: string
  force?: boolean
  dryRun?: boolean
  concurrency: number
}

/** `assets upload|ls|rm`: the store, through the admin API. */
export function registerAssetCommands(assets: Command, kit: CommandKit): void {
  const { io } = kit
  assets
    .command('upload <localDir>')
    .description('upload the files of a local folder that changed (same size and not newer locally = unchanged)')
    .option('--to <prefix>', 'where the folder goes in the store', '/')
    .option('--force', 'upload every file, changed or not')
    .option('--dry-run', 'only say what would be uploaded')
    .option('--concurrency <n>', 'uploads at a time', parseWholeNumber, 4)
    .action(async (localDir: string, options: UploadCommandOptions, command: Command) => {
      const report = await uploadFolder(kit.api(command), io, resolve(localDir), {
        to: options.to,
        force: options.force === true,
        dryRun: options.dryRun === true,
        concurrency: options.concurrency,
      })
      if (kit.wantsJson(command)) printJson(io, report)
      else {
        for (const path of report.uploaded) printLine(io, `${options.dryRun === true ? 'would upload' : 'uploaded'}  ${path}`)
        for (const { path, error } of report.failed) printLine(io, `FAILED    ${path}: ${error}`)
        for (const { path, reason } of report.skipped) printLine(io, `skipped   ${path} (${reason})`)
        printLine(
          io,
          `${report.uploaded.length} ${options.dryRun === true ? 'to upload' : 'uploaded'} (${formatBytes(report.bytes)}), ${report.unchanged.length} unchanged, ${report.skipped.length} skipped, ${report.failed.length} failed`,
        )
      }
      if (report.failed.length > 0) throw new CliError(`${report.failed.length} file(s) failed to upload; first: ${report.failed[0]?.path}: ${report.failed[0]?.error}`)
    })
  assets
    .command('ls [prefix]')
    .description('list assets under a prefix (default /)')
    .action(async (prefix: string | undefined, _options: unknown, command: Command) => {
      const items = await listAllAssets(kit.api(command), prefix === undefined ? '/' : prefix.startsWith('/') ? prefix : `/${prefix}`)
      if (kit.wantsJson(command)) return printJson(io, items)
      printTable(
        io,
        ['path', 'size', 'type', 'modified', 'etag'],
        items.map((a) => [a.path, formatBytes(a.size), a.contentType.split(';')[0], a.modifiedAt, a.etag]),
      )
    })
  assets
    .command('rm <path>')
    .description('delete an asset (and its .br/.gz siblings and image derivatives)')
    .action(async (path: string, _options: unknown, command: Command) => {
      const assetPath = path.startsWith('/') ? path : `/${path}`
      await kit.api(command).request('DELETE', `/assets${encodeAssetPath(assetPath)}`)
      if (kit.wantsJson(command)) return printJson(io, { removed: assetPath })
      printLine(io, `removed ${assetPath}`)
    })
}
