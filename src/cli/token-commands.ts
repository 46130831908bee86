import { Option, type Command } from 'commander'
import type { CreatedToken, TokenList } from '../admin/schemas/api-types'
import type { CreateTokenInput } from '../admin/schemas/requests'
import type { CommandKit } from './kit'
import { createTokenOffline } from './offline-tokens'
import { printJson, printLine, printTable } from './output'

/** `tokens create|list|revoke`: admin API tokens; `create` also works offline, straight in the database. */
export function registerTokenCommands(tokens: Command, kit: CommandKit): void {
  const { io } = kit
  tokens
    .command('create <name>')
    .description('create a token; its secret is shown once. With --database <file>, offline: straight in the database, no server or token needed (recovery)')
    .addOption(new Option('--scope <scope>', 'read, write, or sign (may only sign URLs)').choices(['read', 'write', 'sign']).makeOptionMandatory())
    .action(async (name: string, options: { scope: CreateTokenInput['scope'] }, command: Command) => {
      // Only an explicit --database means offline: DATABASE_PATH in .env is there for backup/migrate.
      const offlineDatabase = kit.explicitDatabase(command)
      const body: CreateTokenInput = { name, scope: options.scope }
      const created =
        offlineDatabase === undefined ? await kit.api(command).json<CreatedToken>('POST', '/tokens', { json: body }) : await createTokenOffline(offlineDatabase, name, options.scope)
      if (kit.wantsJson(command)) return printJson(io, created)
      printLine(io, `created ${created.scope} token "${created.name}" (id ${created.id})${offlineDatabase === undefined ? '' : ` in ${offlineDatabase}`}`)
      printLine(io, `secret (shown only now): ${created.token}`)
    })
  tokens
    .command('list')
    .description('list tokens (never their secrets)')
    .action(async (_options: unknown, command: Command) => {
      const { items } = await kit.api(command).json<TokenList>('GET', '/tokens')
      if (kit.wantsJson(command)) return printJson(io, items)
      printTable(
        io,
        ['id', 'name', 'scope', 'created', 'last used', 'revoked'],
        items.map((t) => [t.id, t.name, t.scope, t.createdAt, t.lastUsedAt, t.revokedAt]),
      )
    })
  tokens
    .command('revoke <id>')
    .description('revoke a token')
    .action(async (id: string, _options: unknown, command: Command) => {
      await kit.api(command).request('DELETE', `/tokens/${encodeURIComponent(id)}`)
      if (kit.wantsJson(command)) return printJson(io, { revoked: id })
      printLine(io, `revoked token ${id}`)
    })
}
