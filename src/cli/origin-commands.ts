import type { Command } from 'commander'
import type { Folder } from '../admin/schemas/api-types'
import type { ApiClient } from './api-client'
import { findFolder } from './folder-commands'
import type { CommandKit } from './kit'
import { printJson, printLine } from './output'

type OriginChange = (client: ApiClient, folder: Folder, origin: string, command: Command) => Promise<void>

/** `origins allow|revoke <folder> <origin>`: one origin of one folder, found by its path. */
export function registerOriginCommands(origins: Command, kit: CommandKit): void {
  const { io } = kit
  const onFolder = (change: OriginChange) => async (path: string, origin: string, _options: unknown, command: Command) => {
    const client = kit.api(command)
    await change(client, await findFolder(client, path), origin, command)
  }
  origins
    .command('allow <folder> <origin>')
    .description('allow one origin for a folder, e.g. origins allow /brand/ https://shop.example')
    .action(
      onFolder(async (client, folder, origin, command) => {
        const res = await client.request('POST', `/folders/${folder.id}/origins`, { json: { origin } })
        const updated = (await res.json()) as Folder
        if (kit.wantsJson(command)) return printJson(io, updated)
        printLine(io, res.status === 201 ? `allowed ${origin} on ${folder.path}` : `${origin} was already allowed on ${folder.path}`)
      }),
    )
  origins
    .command('revoke <folder> <origin>')
    .description('remove one origin from a folder')
    .action(
      onFolder(async (client, folder, origin, command) => {
        await client.request('DELETE', `/folders/${folder.id}/origins/${encodeURIComponent(origin)}`)
        if (kit.wantsJson(command)) return printJson(io, { revoked: origin, folder: folder.path })
        printLine(io, `revoked ${origin} on ${folder.path}`)
      }),
    )
}
