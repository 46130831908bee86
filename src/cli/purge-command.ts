import type { Command } from 'commander'
import type { Purge } from '../admin/schemas/api-types'
import type { PurgeRequestInput } from '../admin/schemas/requests'
import type { CommandKit } from './kit'
import { printJson, printLine } from './output'

/**
 * `crossport purge <path>`: one call of POST /admin/v1/purge. A folder path
 * (ending in /) purges everything under it; a file path every cached answer
 * for that file.
 */
export function registerPurgeCommand(program: Command, deps: CommandKit): void {
  program
    .command('purge <path>')
    .description('tell the CDN to forget a folder (/brand/: everything under it) or a file (/brand/logo.png)')
    .action(async (path: string, _options: unknown, command: Command) => {
      const body: PurgeRequestInput = { path }
      const purge = await deps.api(command).json<Purge>('POST', '/purge', { json: body })
      if (deps.wantsJson(command)) return printJson(deps.io, purge)
      const outcome = purge.state === 'done' ? 'purged' : purge.state === 'failed' ? `refused by the CDN: ${purge.lastError ?? ''}` : 'queued; retried until the CDN takes it'
      printLine(deps.io, `${path}: ${outcome} (${purge.tags.length} tag${purge.tags.length === 1 ? '' : 's'})`)
    })
}
